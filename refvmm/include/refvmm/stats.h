/*
 * Named counters: every exit, fault and event is counted by kind and
 * printed by --stats as a table or as JSON. Names are dotted
 * ("exits.io", "kvm.halt_exits"); the first component is the group.
 * Notes carry facts that are not numbers, e.g. why a group is absent.
 */
#ifndef REFVMM_STATS_H
#define REFVMM_STATS_H

#include <stdio.h>

#include "types.h"

struct stats_entry {
	char *name;
	u64 value;
	char *note; /* non-NULL: a text entry, value unused */
};

struct stats {
	struct stats_entry *entries;
	size_t nr;
	size_t cap;
	/* Open addressing over the names: index + 1 into entries, 0 free.
	 * Counting runs on every callout; a linear search of a few hundred
	 * names there cost more than the world switch. */
	u32 *slots;
	size_t nslots;
	/* stats__add_in's memo: the entry last found for a (group, name)
	 * pair of pointers, checked against the entry's name before use. */
	struct {
		const char *group, *name;
		u32 at; /* index + 1, 0 none */
	} memo[64];
};

void stats__init(struct stats *stats);
void stats__exit(struct stats *stats);
/* Returns the counter, creating it at 0; NULL only when out of memory. */
u64 *stats__counter(struct stats *stats, const char *name);
void stats__add(struct stats *stats, const char *name, u64 delta);
/* stats__add of "GROUP.NAME", without a format string's cost (it runs on
 * every emulated instruction). */
void stats__add_in(struct stats *stats, const char *group, const char *name,
		   u64 delta);
void stats__set(struct stats *stats, const char *name, u64 value);
void stats__note(struct stats *stats, const char *name, const char *text);
const struct stats_entry *stats__find(const struct stats *stats,
				      const char *name);

/* Table: one "name  value" line per entry, sorted, groups separated. */
void stats__print_table(const struct stats *stats, FILE *out);
/* JSON: {"name": value, ...} in sorted order; notes are strings. */
char *stats__to_json(const struct stats *stats);
int stats__print_json(const struct stats *stats, FILE *out);

#endif
