/*
 * Named counters (stats.h): a flat array in creation order, found by a
 * hash of the name (FNV-1a, linear probing); output is sorted by name so
 * the table and the JSON list the same entries in the same order.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/stats.h"

void stats__init(struct stats *stats)
{
	/* jansson seeds its hash function from /dev/urandom at the first
	 * object it creates; do it now, before the software modes' seccomp
	 * filter forbids open(), so --stats=json works there too. */
	json_object_seed(0);
	stats->entries = NULL;
	stats->nr = 0;
	stats->cap = 0;
	stats->slots = NULL;
	stats->nslots = 0;
	memset(stats->memo, 0, sizeof(stats->memo));
}

void stats__exit(struct stats *stats)
{
	size_t i;

	for (i = 0; i < stats->nr; i++) {
		free(stats->entries[i].name);
		free(stats->entries[i].note);
	}
	free(stats->entries);
	free(stats->slots);
	stats__init(stats);
}

static size_t name_hash(const char *name)
{
	size_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (u8)*name) * 16777619u;
	return h;
}

/* The slot that holds @name, or the free slot where it would go. */
static u32 *slot_of(const struct stats *stats, const char *name)
{
	size_t mask = stats->nslots - 1, i = name_hash(name) & mask;

	while (stats->slots[i] &&
	       strcmp(stats->entries[stats->slots[i] - 1].name, name))
		i = (i + 1) & mask;
	return &stats->slots[i];
}

/* Keeps the table at most half full. */
static int grow_slots(struct stats *stats)
{
	size_t n = stats->nslots ? stats->nslots * 2 : 256, i;
	u32 *old = stats->slots;

	if (stats->nr * 2 < stats->nslots)
		return 0;
	stats->slots = calloc(n, sizeof(*stats->slots));
	if (!stats->slots) {
		stats->slots = old;
		return -1;
	}
	stats->nslots = n;
	for (i = 0; i < stats->nr; i++)
		*slot_of(stats, stats->entries[i].name) = (u32)i + 1;
	free(old);
	return 0;
}

const struct stats_entry *stats__find(const struct stats *stats,
				      const char *name)
{
	u32 at;

	if (!stats->nslots)
		return NULL;
	at = *slot_of(stats, name);
	return at ? &stats->entries[at - 1] : NULL;
}

static struct stats_entry *stats__get(struct stats *stats, const char *name)
{
	struct stats_entry *e = (struct stats_entry *)stats__find(stats, name);

	if (e)
		return e;
	if (grow_slots(stats) < 0)
		return NULL;
	if (stats->nr == stats->cap) {
		size_t cap = stats->cap ? stats->cap * 2 : 32;
		struct stats_entry *n =
			realloc(stats->entries, cap * sizeof(*n));

		if (!n)
			return NULL;
		stats->entries = n;
		stats->cap = cap;
	}
	e = &stats->entries[stats->nr];
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	e->value = 0;
	e->note = NULL;
	stats->nr++;
	*slot_of(stats, name) = (u32)stats->nr;
	return e;
}

u64 *stats__counter(struct stats *stats, const char *name)
{
	struct stats_entry *e = stats__get(stats, name);

	return e ? &e->value : NULL;
}

void stats__add(struct stats *stats, const char *name, u64 delta)
{
	u64 *c = stats__counter(stats, name);

	if (c)
		*c += delta;
}

/* Whether @full is "@group.@name". */
static bool name_is(const char *full, const char *group, const char *name)
{
	while (*group)
		if (*full++ != *group++)
			return false;
	return *full++ == '.' && !strcmp(full, name);
}

void stats__add_in(struct stats *stats, const char *group, const char *name,
		   u64 delta)
{
	size_t m = ((uintptr_t)group ^ (uintptr_t)name >> 3) %
		   (sizeof(stats->memo) / sizeof(stats->memo[0]));
	u32 at = stats->memo[m].at;
	struct stats_entry *e;
	char buf[128];
	size_t g, n;

	/* The pointers only pick the memo slot: a name buffer reused with
	 * other text fails the comparison and takes the long way. */
	if (at && stats->memo[m].group == group &&
	    stats->memo[m].name == name &&
	    name_is(stats->entries[at - 1].name, group, name)) {
		stats->entries[at - 1].value += delta;
		return;
	}
	g = strlen(group);
	n = strlen(name);
	if (g + 1 + n >= sizeof(buf))
		n = sizeof(buf) - 2 - g;
	memcpy(buf, group, g);
	buf[g] = '.';
	memcpy(buf + g + 1, name, n);
	buf[g + 1 + n] = 0;
	e = stats__get(stats, buf);
	if (!e)
		return;
	e->value += delta;
	stats->memo[m].group = group;
	stats->memo[m].name = name;
	stats->memo[m].at = (u32)(e - stats->entries) + 1;
}

void stats__set(struct stats *stats, const char *name, u64 value)
{
	u64 *c = stats__counter(stats, name);

	if (c)
		*c = value;
}

void stats__note(struct stats *stats, const char *name, const char *text)
{
	struct stats_entry *e = stats__get(stats, name);
	char *t;

	if (!e)
		return;
	t = strdup(text);
	if (!t)
		return;
	free(e->note);
	e->note = t;
}

static int entry__cmp(const void *a, const void *b)
{
	const struct stats_entry *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Sorted view; the caller frees the array (not the entries). */
static const struct stats_entry **stats__sorted(const struct stats *stats)
{
	const struct stats_entry **v = calloc(stats->nr + 1, sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < stats->nr; i++)
		v[i] = &stats->entries[i];
	qsort(v, stats->nr, sizeof(*v), entry__cmp);
	return v;
}

static size_t group_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot ? (size_t)(dot - name) : strlen(name);
}

void stats__print_table(const struct stats *stats, FILE *out)
{
	const struct stats_entry **v = stats__sorted(stats);
	size_t i, width = 4;

	if (!v)
		return;
	for (i = 0; i < stats->nr; i++)
		if (strlen(v[i]->name) > width)
			width = strlen(v[i]->name);
	fprintf(out, "%-*s  %s\n", (int)width, "counter", "value");
	for (i = 0; i < stats->nr; i++) {
		if (i && (group_len(v[i]->name) != group_len(v[i - 1]->name) ||
			  strncmp(v[i]->name, v[i - 1]->name,
				  group_len(v[i]->name))))
			fputc('\n', out);
		if (v[i]->note)
			fprintf(out, "%-*s  %s\n", (int)width, v[i]->name,
				v[i]->note);
		else
			fprintf(out, "%-*s  %llu\n", (int)width, v[i]->name,
				(unsigned long long)v[i]->value);
	}
	free(v);
}

char *stats__to_json(const struct stats *stats)
{
	const struct stats_entry **v = stats__sorted(stats);
	json_t *obj = json_object();
	char *text = NULL;
	size_t i;

	if (!v || !obj)
		goto out;
	for (i = 0; i < stats->nr; i++) {
		json_t *val = v[i]->note
				      ? json_string(v[i]->note)
				      : json_integer((json_int_t)v[i]->value);

		if (!val || json_object_set_new(obj, v[i]->name, val))
			goto out;
	}
	text = json_dumps(obj, JSON_PRESERVE_ORDER | JSON_INDENT(2));
out:
	json_decref(obj);
	free(v);
	return text;
}

int stats__print_json(const struct stats *stats, FILE *out)
{
	char *text = stats__to_json(stats);

	if (!text)
		return -ENOMEM;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}
