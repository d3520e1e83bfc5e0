/*
 * Splitting an ISO run's serial stream (docs/iso.md "Serial grammar"):
 * GRUB noise, markers, a cut-short run, a reset, the sequence-mode job
 * parser, and the target keys boot/{iso}/include of a .conf.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "iso_stream.h"
#include "seq_line.h"
#include "tap.h"
#include "target.h"

static const char stream[] =
	"\033[H\033[J  Booting `Popek: run all 2 images'\r\n"
	"\r\n"
	"\rerror: Can't get controller info..\r\n"
	"\r\n"
	"popek-seq: start\n"
	"popek-seq: cpu GenuineIntel 6 85\n"
	"popek-seq: images 2\n"
	"popek-seq: plan a-32\n"
	"popek-seq: plan b-64\n"
	"popek-seq: image a-32 (1/2)\n"
	"TAP version 13\n"
	"ok 1 - x.y.one\n"
	"not ok 2 - x.y.two # expected 1, saw 2\n"
	"1..2\n"
	"popek: exit 1\n"
	"popek-seq: done a-32 exit 1\n"
	"popek-seq: image b-64 (2/2)\n"
	"TAP version 13\n"
	"ok 1 - x.z.one # SKIP no PAE\n"
	"1..1\n"
	"popek: exit 0\n"
	"popek-seq: done b-64 exit 0\n"
	"popek-seq: summary 2 images: 1 exit 0, 1 exit 1, 0 exit 2, 0 other\n"
	"popek-seq: end 1\n"
	"(0).[123] [0x...] out dx, al\n";

Test(iso_stream, whole_run)
{
	struct seq_run r;
	const struct seq_part *a, *b;

	seq_run_parse(stream, strlen(stream), &r);
	cr_assert(r.started && r.ended && !r.reset);
	cr_assert_eq(r.end_code, 1);
	cr_assert(r.has_cpu);
	cr_assert_str_eq(r.vendor, "GenuineIntel");
	cr_assert_eq(r.family, 6);
	cr_assert_eq(r.model, 85);
	cr_assert_eq(r.nplan, 2);
	cr_assert_str_eq(r.plan[1], "b-64");
	cr_assert_eq(r.n, 2);
	a = seq_run_find(&r, "a-32");
	b = seq_run_find(&r, "b-64");
	cr_assert(a && b);
	cr_assert_eq(a->state, SEQ_DONE);
	cr_assert_eq(a->tap.nresults, 2);
	cr_assert_eq(a->tap.results[1].kind, TAP_NOT_OK);
	cr_assert_str_eq(a->tap.results[1].reason, "expected 1, saw 2");
	cr_assert(a->tap.exit_seen);
	cr_assert_eq(a->tap.exit_code, 1);
	cr_assert_eq(b->tap.nresults, 1);
	cr_assert_eq(b->tap.results[0].kind, TAP_SKIP);
	cr_assert_eq(b->tap.exit_code, 0);
	cr_assert_null(seq_run_find(&r, "c-32"));
	seq_run_free(&r);
}

Test(iso_stream, cut_short)
{
	const char *s = "popek-seq: start\npopek-seq: plan a-32\n"
			"popek-seq: plan b-64\npopek-seq: image a-32 (1/2)\n"
			"TAP version 13\nok 1 - x.y.one\nok 2 - x.y.tw";
	struct seq_run r;

	seq_run_parse(s, strlen(s), &r);
	cr_assert(r.started && !r.ended);
	cr_assert_eq(r.n, 1);
	cr_assert_eq(r.parts[0].state, SEQ_CUT);
	/* the last, unterminated line is still the image's */
	cr_assert_eq(r.parts[0].tap.nresults, 2);
	cr_assert_not(r.parts[0].tap.exit_seen);
	cr_assert_eq(r.nplan, 2);
	seq_run_free(&r);
}

Test(iso_stream, reset_stops_at_second_start)
{
	const char *s = "popek-seq: start\npopek-seq: image a-32 (1/1)\n"
			"TAP version 13\nok 1 - x.y.one\n"
			"GRUB again\rpopek-seq: start\n"
			"popek-seq: image a-32 (1/1)\nok 1 - x.y.one\n";
	struct seq_run r;

	seq_run_parse(s, strlen(s), &r);
	cr_assert(r.reset && r.ended);
	cr_assert_eq(r.n, 1);
	cr_assert_eq(r.parts[0].state, SEQ_CUT);
	cr_assert_eq(r.parts[0].tap.nresults, 1);
	seq_run_free(&r);
}

Test(iso_stream, garbage_is_not_a_run)
{
	const char *s =
		"popek: exit 0\nok 1 - a.b.c\n\0\xff popek-seq: end 0\n";
	struct seq_run r;

	seq_run_parse(s, 40, &r);
	cr_assert_not(r.started);
	cr_assert_eq(r.n, 0);
	seq_run_free(&r);
}

Test(iso_stream, end_and_start_lines)
{
	int code = -1;

	cr_assert(seq_line_end("popek-seq: end 2", &code));
	cr_assert_eq(code, 2);
	cr_assert(seq_line_end("popek-seq: end 0\r", &code));
	cr_assert_not(seq_line_end("popek-seq: end 2 and more", &code));
	cr_assert_not(seq_line_end("popek-seq: end", &code));
	cr_assert(seq_line_start("\rpopek-seq: start"));
	cr_assert_not(seq_line_start("popek-seq: started"));
}

/* The job's parser in sequence mode: only the end line ends the stream. */
Test(iso_stream, job_sequence_mode)
{
	struct tap_report t;
	const char *s = "popek-seq: start\npopek: exit 1\npopek-seq: end 1\n"
			"after\n";

	tap_report_init(&t);
	t.sequence = true;
	tap_feed(&t, s, 31);
	cr_assert_not(t.exit_seen);
	tap_feed(&t, s + 31, strlen(s) - 31);
	cr_assert(t.exit_seen);
	cr_assert_eq(t.exit_code, 1);
	cr_assert_eq(t.nresults, 0);
	tap_report_free(&t);
}

Test(iso_target, boot_key_and_placeholders)
{
	struct target t;
	struct perr e = {{0}};

	cr_assert_eq(target_parse("d/x.conf",
				  "name = x\ndescription = d\nboot = iso\n"
				  "command = emu -cdrom {iso}\n",
				  &t, &e),
		     0, "%s", e.msg);
	cr_assert(t.boot_iso);
	target_free(&t);
	cr_assert_eq(target_parse("d/x.conf",
				  "name = x\ndescription = d\nboot = iso\n"
				  "command = emu -kernel {image}\n",
				  &t, &e),
		     -1);
	cr_assert(strstr(e.msg, "must use {iso}, not {image}"), "%s", e.msg);
	cr_assert_eq(target_parse("d/x.conf",
				  "name = x\ndescription = d\n"
				  "command = emu -cdrom {iso}\n",
				  &t, &e),
		     -1);
	cr_assert_eq(target_parse("d/x.conf",
				  "name = x\ndescription = d\nboot = floppy\n"
				  "command = emu {image}\n",
				  &t, &e),
		     -1);
	cr_assert(strstr(e.msg, "boot is 'kernel' or 'iso'"), "%s", e.msg);
}

/* include = OTHER.conf takes the other target's infidelities only. */
Test(iso_target, include_a_target_file)
{
	struct target t;
	struct perr e = {{0}};
	char *path = POPEK_SOURCE_DIR "/targets/qemu-iso.conf";

	cr_assert_eq(target_load(path, &t, &e), 0, "%s", e.msg);
	cr_assert(t.boot_iso);
	cr_assert_gt(t.nxfails, 10);
	cr_assert_str_eq(t.name, "qemu-iso");
	target_free(&t);
}
