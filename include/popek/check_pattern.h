/*
 * Check families: one .popek_checks record whose id is a pattern stands
 * for every id the pattern expands to (docs/writing-probes.md, "Check
 * families").
 *
 *   id           conformance.{popf,iret}.cpl{0..3}.iopl{0..3}.if-set
 *   description  {1:POPF,IRET} loading IF=1 at CPL {2}, IOPL {3} ...
 *
 * In the id, a group is a list "{a,b,c}" (one alternative or more, none
 * empty) or a number range "{0..3}". Groups are numbered from 1, left to
 * right; groups do not nest. A member of the family is named by one
 * selector per group: the position (from 0) in a list, the number itself
 * in a range. Expansion runs the leftmost group slowest.
 *
 * In the description, "{N}" is the text group N selected and "{N:x,y,z}"
 * the entry of that list at group N's position (as many entries as group N
 * has). Braces are reserved: ids and descriptions have no literal ones.
 *
 * Shared by the guest runtime (freestanding, no allocation) and the
 * runner; every function works on (pointer, length) text, as records in
 * the section are not NUL-terminated.
 */
#ifndef POPEK_CHECK_PATTERN_H
#define POPEK_CHECK_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define POPEK_PATTERN_MAX_GROUPS 8

struct popek_group {
	const char *text; /* between the braces */
	size_t len;
	bool range;
	int first,
		last; /* selectors: positions of a list, numbers of a range */
};

/*
 * Finds the groups of an id pattern. Returns how many (0: a plain id), or
 * -1 with *err saying what is wrong.
 */
int popek_pattern_groups(const char *pat, size_t len,
			 struct popek_group g[POPEK_PATTERN_MAX_GROUPS],
			 const char **err);

/*
 * Writes the member sel[] names (one selector per group) into out, NUL
 * terminated: of the id pattern (desc false) or of a description whose
 * placeholders refer to the id's groups (desc true). Returns the length,
 * or -1 with *err set (a selector out of range, a bad placeholder, out
 * too small).
 */
int popek_pattern_expand(char *out, size_t size, const char *text, size_t len,
			 bool desc, const struct popek_group *g, int ngroups,
			 const int *sel, const char **err);

/*
 * Steps sel[] to the next member in expansion order; false after the
 * last. Start from popek_pattern_first().
 */
void popek_pattern_first(const struct popek_group *g, int ngroups, int *sel);
bool popek_pattern_next(const struct popek_group *g, int ngroups, int *sel);

#endif
