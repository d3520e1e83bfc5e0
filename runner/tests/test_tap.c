/* TAP parsing: every line form, partial reads, CR, garbage and spacing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static struct tap_line parse(const char *text, char *buf, size_t n)
{
	struct tap_line l;

	snprintf(buf, n, "%s", text);
	tap_parse_line(buf, &l);
	return l;
}

#define PARSE(text)                                                            \
	char buf[256];                                                         \
	struct tap_line l = parse(text, buf, sizeof(buf))

Test(tap_line, version)
{
	PARSE("TAP version 13");
	cr_assert_eq(l.kind, TAP_VERSION);
	cr_assert_eq(l.number, 13);
}

Test(tap_line, ok)
{
	PARSE("ok 1 - runtime.exception.de.vector");
	cr_assert_eq(l.kind, TAP_OK);
	cr_assert_eq(l.number, 1);
	cr_assert(l.has_number);
	cr_assert_str_eq(l.id, "runtime.exception.de.vector");
	cr_assert_str_eq(l.reason, "");
}

Test(tap_line, ok_skip)
{
	PARSE("ok 3 - runtime.paging.pae.enable # SKIP CPU has no PAE");
	cr_assert_eq(l.kind, TAP_SKIP);
	cr_assert_eq(l.number, 3);
	cr_assert_str_eq(l.id, "runtime.paging.pae.enable");
	cr_assert_str_eq(l.reason, "CPU has no PAE");
}

Test(tap_line, skip_lower_case_and_empty_reason)
{
	PARSE("ok 4 - a.b.c # skip");
	cr_assert_eq(l.kind, TAP_SKIP);
	cr_assert_str_eq(l.reason, "");
}

Test(tap_line, ok_with_other_directive_is_pass)
{
	PARSE("ok 4 - a.b.c # skipping is not a directive");
	cr_assert_eq(l.kind, TAP_OK);
	cr_assert_str_eq(l.reason, "skipping is not a directive");
}

Test(tap_line, not_ok)
{
	PARSE("not ok 2 - runtime.exception.gp.errcode # expected error "
	      "code 0x0, saw 0x83");
	cr_assert_eq(l.kind, TAP_NOT_OK);
	cr_assert_eq(l.number, 2);
	cr_assert_str_eq(l.id, "runtime.exception.gp.errcode");
	cr_assert_str_eq(l.reason, "expected error code 0x0, saw 0x83");
}

Test(tap_line, not_ok_skip_stays_a_failure)
{
	PARSE("not ok 2 - a.b.c # SKIP nope");
	cr_assert_eq(l.kind, TAP_NOT_OK);
	cr_assert_str_eq(l.reason, "SKIP nope");
}

Test(tap_line, not_ok_without_reason)
{
	PARSE("not ok 7 - a.b.c");
	cr_assert_eq(l.kind, TAP_NOT_OK);
	cr_assert_str_eq(l.reason, "");
}

Test(tap_line, weird_spacing)
{
	PARSE("  not   ok\t 12 \t-\t a.b.c   #   SKIP   why  ");
	cr_assert_eq(l.kind, TAP_NOT_OK);
	cr_assert_eq(l.number, 12);
	cr_assert_str_eq(l.id, "a.b.c");
	cr_assert_str_eq(l.reason, "SKIP   why");
}

Test(tap_line, no_dash_and_no_number)
{
	PARSE("ok a.b.c");
	cr_assert_eq(l.kind, TAP_OK);
	cr_assert(!l.has_number);
	cr_assert_str_eq(l.id, "a.b.c");
}

Test(tap_line, id_ending_at_hash)
{
	PARSE("ok 1 - a.b.c#SKIP x");
	cr_assert_eq(l.kind, TAP_SKIP);
	cr_assert_str_eq(l.id, "a.b.c");
	cr_assert_str_eq(l.reason, "x");
}

Test(tap_line, big_number)
{
	PARSE("ok 2147483647 - a.b.c");
	cr_assert_eq(l.kind, TAP_OK);
	cr_assert_eq(l.number, 2147483647);
}

Test(tap_line, overflowing_number_is_garbage)
{
	PARSE("ok 99999999999999999999 - a.b.c");
	cr_assert_eq(l.kind, TAP_OTHER);
}

Test(tap_line, number_glued_to_text_is_garbage)
{
	PARSE("ok 1x - a.b.c");
	cr_assert_eq(l.kind, TAP_OTHER);
}

Test(tap_line, ok_without_id_is_garbage)
{
	PARSE("ok 1 -");
	cr_assert_eq(l.kind, TAP_OTHER);
}

Test(tap_line, okay_is_not_ok)
{
	PARSE("okay 1 - a.b.c");
	cr_assert_eq(l.kind, TAP_OTHER);
}

Test(tap_line, nothing_ok)
{
	PARSE("nothing ok");
	cr_assert_eq(l.kind, TAP_OTHER);
}

Test(tap_line, diag)
{
	PARSE("# any line starting with '#' is a diagnostic");
	cr_assert_eq(l.kind, TAP_DIAG);
	cr_assert_str_eq(l.reason,
			 "any line starting with '#' is a diagnostic");
}

Test(tap_line, bail)
{
	PARSE("Bail out! unexpected #PF at 0x1234");
	cr_assert_eq(l.kind, TAP_BAIL);
	cr_assert_str_eq(l.reason, "unexpected #PF at 0x1234");
}

Test(tap_line, plan)
{
	PARSE("1..3");
	cr_assert_eq(l.kind, TAP_PLAN);
	cr_assert_eq(l.number, 3);
}

Test(tap_line, empty_plan_with_comment)
{
	PARSE("1..0 # SKIP nothing here");
	cr_assert_eq(l.kind, TAP_PLAN);
	cr_assert_eq(l.number, 0);
	cr_assert_str_eq(l.reason, "SKIP nothing here");
}

Test(tap_line, bad_plans)
{
	char buf[64];
	struct tap_line l;

	l = parse("2..3", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
	l = parse("1..", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
	l = parse("1..3x", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
}

Test(tap_line, exit)
{
	PARSE("popek: exit 1");
	cr_assert_eq(l.kind, TAP_EXIT);
	cr_assert_eq(l.number, 1);
}

Test(tap_line, bad_exits)
{
	char buf[64];
	struct tap_line l;

	l = parse("popek: exit", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
	l = parse("popek: exit one", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
	l = parse("popek: exit 2 now", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
	l = parse("popek: exit -1", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
}

Test(tap_line, carriage_return)
{
	PARSE("ok 1 - a.b.c\r");
	cr_assert_eq(l.kind, TAP_OK);
	cr_assert_str_eq(l.id, "a.b.c");
}

Test(tap_line, garbage)
{
	char buf[64];
	struct tap_line l;

	l = parse("SeaBIOS (version 1.16)", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
	l = parse("", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
	l = parse("\x01\x02\xff", buf, sizeof(buf));
	cr_assert_eq(l.kind, TAP_OTHER);
}

static const char transcript[] = "TAP version 13\r\n"
				 "ok 1 - runtime.exception.de.vector\n"
				 "not ok 2 - runtime.exception.gp.errcode # "
				 "expected error code 0x0, saw 0x83\n"
				 "noise from the monitor\n"
				 "ok 3 - runtime.paging.pae.enable # SKIP CPU "
				 "has no PAE\n"
				 "# a diagnostic\n"
				 "1..3\n"
				 "popek: exit 1\n"
				 "ok 4 - after.the.exit\n";

static void check_transcript(const struct tap_report *r)
{
	cr_assert(r->version_seen);
	cr_assert_eq(r->nresults, 3);
	cr_assert_str_eq(r->results[0].id, "runtime.exception.de.vector");
	cr_assert_eq(r->results[0].kind, TAP_OK);
	cr_assert_eq(r->results[0].number, 1);
	cr_assert_eq(r->results[1].kind, TAP_NOT_OK);
	cr_assert_str_eq(r->results[1].reason,
			 "expected error code 0x0, saw 0x83");
	cr_assert_eq(r->results[2].kind, TAP_SKIP);
	cr_assert_str_eq(r->results[2].reason, "CPU has no PAE");
	cr_assert(r->plan_seen);
	cr_assert_eq(r->plan, 3);
	cr_assert(r->exit_seen);
	cr_assert_eq(r->exit_code, 1);
	cr_assert(!r->bailed);
	cr_assert_eq(r->lines, 9);
}

Test(tap_report, whole)
{
	struct tap_report r;

	tap_report_init(&r);
	tap_feed(&r, transcript, strlen(transcript));
	tap_finish(&r);
	check_transcript(&r);
	tap_report_free(&r);
}

Test(tap_report, one_byte_at_a_time)
{
	struct tap_report r;
	size_t i;

	tap_report_init(&r);
	for (i = 0; transcript[i]; i++)
		tap_feed(&r, &transcript[i], 1);
	tap_finish(&r);
	check_transcript(&r);
	tap_report_free(&r);
}

Test(tap_report, every_split_point)
{
	size_t n = strlen(transcript), k;

	for (k = 0; k <= n; k++) {
		struct tap_report r;

		tap_report_init(&r);
		tap_feed(&r, transcript, k);
		tap_feed(&r, transcript + k, n - k);
		check_transcript(&r);
		tap_report_free(&r);
	}
}

Test(tap_report, unterminated_last_line)
{
	struct tap_report r;

	tap_report_init(&r);
	tap_feed(&r, "ok 1 - a.b.c\npopek: ex", 22);
	cr_assert(!r.exit_seen);
	tap_feed(&r, "it 0", 4);
	cr_assert(!r.exit_seen);
	tap_finish(&r);
	cr_assert(r.exit_seen);
	cr_assert_eq(r.exit_code, 0);
	cr_assert_eq(r.nresults, 1);
	tap_report_free(&r);
}

Test(tap_report, bail_out_stops_results)
{
	static const char text[] = "ok 1 - a.b.c\nBail out! no PIC\n"
				   "ok 2 - a.b.d\npopek: exit 2\n";
	struct tap_report r;

	tap_report_init(&r);
	tap_feed(&r, text, strlen(text));
	cr_assert(r.bailed);
	cr_assert_str_eq(r.bail_reason, "no PIC");
	cr_assert_eq(r.nresults, 1);
	cr_assert(r.exit_seen);
	cr_assert_eq(r.exit_code, 2);
	tap_report_free(&r);
}

Test(tap_report, nul_bytes_in_a_line)
{
	static const char text[] = "o\0k 1 - a.b.c\nok 2 - a.b.d\n";
	struct tap_report r;

	tap_report_init(&r);
	tap_feed(&r, text, sizeof(text) - 1);
	cr_assert_eq(r.nresults, 1);
	cr_assert_str_eq(r.results[0].id, "a.b.d");
	tap_report_free(&r);
}

Test(tap_report, log_keeps_every_line)
{
	struct tap_report r;

	tap_report_init(&r);
	tap_feed(&r, "hello\n# diag\n", 13);
	cr_assert_str_eq(sb_str(&r.log), "hello\n# diag\n");
	tap_report_free(&r);
}
