/*
 * TAP reporting. Each check is declared where it is reported: the id and
 * its one-line description go into the image's .popek_checks section
 * (include/popek/image.h), so the runner knows every check an image owes
 * and the catalogue is generated from the images.
 *
 *   report("runtime.exception.de.vector", "DIV by zero raises #DE",
 *          v == DE_VECTOR, "expected vector 0, saw %d", v);
 *
 * reports "runtime.exception.de.vector.32" from a 32-bit image.
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include "lib.h"
#include <popek/image.h>

#ifdef __x86_64__
#define POPEK_WIDTH_SUFFIX ".64"
#else
#define POPEK_WIDTH_SUFFIX ".32"
#endif

/*
 * The image width is the last component of every id ("....cs-rpl.64"):
 * the same check in a 32- and a 64-bit image is two rows of the matrix.
 */
#define DECLARE_CHECK(id, desc)                                                \
	({                                                                     \
		static const char __popek_rec[sizeof(id POPEK_WIDTH_SUFFIX     \
						     "\t" desc "\n") -         \
					      1]                               \
			__attribute__((section(".popek_checks"), used)) =      \
				id POPEK_WIDTH_SUFFIX "\t" desc "\n";          \
		(const char *)(id POPEK_WIDTH_SUFFIX);                         \
	})

#define report(id, desc, cond, ...)                                            \
	report_result(DECLARE_CHECK(id, desc), (cond), __VA_ARGS__)
#define report_skip(id, desc, ...)                                             \
	report_skipped(DECLARE_CHECK(id, desc), __VA_ARGS__)
/* Compares two values and words the failure as "expected X, saw Y". */
#define report_eq(id, desc, expected, seen)                                    \
	report_equal(DECLARE_CHECK(id, desc), (u64)(expected), (u64)(seen))

/*
 * A family of checks: a pattern declared once, its members reported from a
 * loop. The id pattern's groups ("{a,b,c}" lists, "{0..3}" ranges) and the
 * description's placeholders ("{N}", "{N:x,y,z}") are described in
 * include/popek/check_pattern.h; the runner expands the declaration into
 * every member. CHECK_ID declares the family and writes into buf the id of
 * the member the selectors name, one per group: the position (from 0) in
 * a list, the number itself in a range.
 *
 *   char id[CHECK_ID_MAX];
 *
 *   report_equal(CHECK_ID(id, "runtime.cpl.{1..3}.hlt",
 *                         "HLT at CPL {1} raises #GP(0)", cpl),
 *                GP_VECTOR, f.vector);
 *
 * reports "runtime.cpl.2.hlt.32" for cpl 2 in a 32-bit image. A selector
 * out of range, or too few or too many, bails out: a probe bug.
 */
#define CHECK_ID_MAX 128
#define CHECK_ID(buf, pattern, desc, ...)                                      \
	check_member_id((buf), DECLARE_CHECK(pattern, desc),                   \
			(const int[]){__VA_ARGS__},                            \
			ARRAY_SIZE(((const int[]){__VA_ARGS__})))

const char *check_member_id(char *buf, const char *pattern, const int *sel,
			    size_t nsel);

bool report_result(const char *id, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_skipped(const char *id, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool report_equal(const char *id, u64 expected, u64 seen);
void report_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stops the image: "Bail out!", then exit 2. */
void __noreturn report_bail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * The image note: every probe image states its required CPU features
 * exactly once, e.g. POPEK_IMAGE(POPEK_FEAT_PAE, 0).
 */
struct popek_note_blob {
	u32 namesz, descsz, type;
	char name[8];
	struct popek_image_note desc;
};
#ifdef __x86_64__
#define POPEK_IMAGE_WIDTH 64
#else
#define POPEK_IMAGE_WIDTH 32
#endif
#define POPEK_IMAGE(features, flags)                                           \
	__attribute__((section(".note.popek"), used, aligned(4)))              \
	const struct popek_note_blob popek_image_note = {                      \
		sizeof(POPEK_NOTE_NAME),                                       \
		sizeof(struct popek_image_note),                               \
		POPEK_NOTE_IMAGE,                                              \
		POPEK_NOTE_NAME,                                               \
		{POPEK_IMAGE_WIDTH, (features), (flags), 0}}
extern const struct popek_note_blob popek_image_note;

/* Each probe image defines this; the runtime calls it after set-up. */
void probe_main(void);

#endif
