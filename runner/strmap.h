/*
 * A string-keyed hash map to indices, for the lookups that would be
 * quadratic otherwise (merging the checks of many result files).
 */
#ifndef POPEK_RUNNER_STRMAP_H
#define POPEK_RUNNER_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot {
	char *key;
	size_t value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t n, cap;
};

/* Index stored for key, or false when absent. */
bool strmap_get(const struct strmap *m, const char *key, size_t *value);
void strmap_put(struct strmap *m, const char *key, size_t value);
void strmap_free(struct strmap *m);

#endif
