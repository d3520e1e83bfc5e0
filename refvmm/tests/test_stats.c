/* Stats: counters and notes, the --stats table and the --stats=json text. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/stats.h"

static struct stats st;

static void setup(void)
{
	stats__init(&st);
	stats__add(&st, "exits.io", 3);
	stats__add(&st, "exits.io", 2);
	stats__set(&st, "exits.hlt", 1);
	stats__set(&st, "kvm.halt_exits", 7);
	stats__note(&st, "kvm.stats", "unavailable: test");
}

static void teardown(void)
{
	stats__exit(&st);
}

TestSuite(stats, .init = setup, .fini = teardown);

Test(stats, counters_accumulate)
{
	cr_assert_eq(stats__find(&st, "exits.io")->value, 5);
	cr_assert_eq(stats__find(&st, "exits.hlt")->value, 1);
	cr_assert_null(stats__find(&st, "exits.mmio"));
	cr_assert_eq(*stats__counter(&st, "exits.mmio"), 0);
}

Test(stats, table_is_sorted_grouped_and_aligned)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	stats__print_table(&st, f);
	fclose(f);
	cr_assert_str_eq(text,
			 "counter         value\n"
			 "exits.hlt       1\n"
			 "exits.io        5\n"
			 "\n"
			 "kvm.halt_exits  7\n"
			 "kvm.stats       unavailable: test\n",
			 "%s", text);
	free(text);
}

Test(stats, json_has_every_entry)
{
	char *text = stats__to_json(&st);
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	cr_assert_not_null(j, "%s", e.text);
	cr_assert_eq(json_integer_value(json_object_get(j, "exits.io")), 5);
	cr_assert_eq(json_integer_value(json_object_get(j, "kvm.halt_exits")),
		     7);
	cr_assert_str_eq(json_string_value(json_object_get(j, "kvm.stats")),
			 "unavailable: test");
	cr_assert_eq(json_object_size(j), 4);
	json_decref(j);
	free(text);
}

Test(stats, empty_stats_print)
{
	struct stats e;
	char *text;

	stats__init(&e);
	text = stats__to_json(&e);
	cr_assert_str_eq(text, "{}");
	free(text);
	stats__exit(&e);
}
