/*
 * Small helpers every part of the runner uses: error messages carried back
 * to the command that prints them, allocation that never returns NULL,
 * growable strings and arrays, whole-file reads and a monotonic clock.
 */
#ifndef POPEK_RUNNER_UTIL_H
#define POPEK_RUNNER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define POPEK_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * Library functions return -1 (or a negative errno) and leave a one-line
 * message here; only the top-level command prints it.
 */
struct perr {
	char msg[1024];
};

int perr_set(struct perr *e, const char *fmt, ...) POPEK_PRINTF(2, 3);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) POPEK_PRINTF(1, 2);

/* Make room for one more element in a (ptr, n, cap) array. */
#define VEC_GROW(ptr, n, cap)                                                  \
	do {                                                                   \
		if ((n) >= (cap)) {                                            \
			(cap) = (cap) ? 2 * (cap) : 8;                         \
			(ptr) = xrealloc((ptr), (cap) * sizeof(*(ptr)));       \
		}                                                              \
	} while (0)

struct strbuf {
	char *s;
	size_t len, cap;
};

void sb_add(struct strbuf *sb, const char *data, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addf(struct strbuf *sb, const char *fmt, ...) POPEK_PRINTF(2, 3);
/* Always a valid C string, even when nothing was added. */
const char *sb_str(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* NUL-terminated contents of a file; *len (if given) excludes the NUL. */
char *read_whole_file(const char *path, size_t *len, struct perr *e);

double now_monotonic(void);
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
/* Trim leading and trailing whitespace in place; returns the new start. */
char *str_trim(char *s);
/* Quote an argument for display so a user can paste it into a shell. */
void sb_add_shell_word(struct strbuf *sb, const char *word);

#endif
