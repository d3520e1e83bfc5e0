/*
 * popek: the Popek test runner. This file only dispatches to the
 * commands; it is the one place that prints errors and chooses to exit.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "help.h"

const char popek_usage[] =
	"usage: popek COMMAND [ARGS]\n"
	"\n"
	"  targets [--targets DIR]\n"
	"      list the targets and whether this host can run them\n"
	"  check-target TARGET [--targets DIR] [--target-set K=V] [--images D]"
	"\n      [--timeout S]\n"
	"      boot the smoke images on one target, explain what is wrong\n"
	"  list [FILTER...] [--images DIR] [--catalogue]\n"
	"      list images and their checks (--catalogue: id, image, "
	"description)\n"
	"  run -t TARGET[,TARGET...] [FILTER...] [-j N] [--shard I/N]\n"
	"      [--timeout S] [--json F] [--junit F] [--tap] [--logs DIR]\n"
	"      [--images DIR] [--targets DIR] [--quiet] [--restarts N]\n"
	"      [--restart-time S]\n"
	"      boot images on targets and classify every check\n"
	"  report FILE... [--baseline F] [--fail-on-lost] [--quiet] [--html F]"
	"\n      [--json F]\n"
	"      merge result files, print the matrix, compare with a "
	"baseline\n"
	"  bench -t TARGET[,TARGET...] [FILTER...] [--scale PCT] [--reps N]\n"
	"      [--json F] [--no-counters] [-j N] [--timeout S] [--images DIR]\n"
	"      [--targets DIR] [--quiet]\n"
	"      time the perf benchmarks on targets: table, JSON, chart\n"
	"  iso [FILTER...] -o FILE.iso [--images DIR] [--grub-timeout S]\n"
	"      a bootable ISO running the images one after another "
	"(docs/iso.md)\n"
	"  ingest CAPTURE --json F [-t TARGET] [--host-class C] [--images DIR]"
	"\n      [--targets DIR]\n"
	"      results from the serial capture of an ISO run (bare metal)\n"
	"  help [COMMAND]\n"
	"      this text, or the options of one command (also COMMAND --help)"
	"\n"
	"\n"
	"FILTERs are fnmatch(3) patterns over image names and check ids.\n"
	"Exit status: 0 all expected, 1 unexpected results or error, 2 usage,"
	"\n3 nothing could run, 5 unreadable baseline, 6 a filter matches "
	"nothing.\nSee docs/runner.md.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct perr *e);
} commands[] = {
	{"targets", cmd_targets}, {"list", cmd_list},	{"run", cmd_run},
	{"report", cmd_report},	  {"bench", cmd_bench}, {"iso", cmd_iso},
	{"ingest", cmd_ingest},
	{"check-target", cmd_check_target},
};

int main(int argc, char **argv)
{
	struct perr e = {{0}};
	size_t i;
	int status;

	if (argc < 2) {
		fputs("popek: no command given (see 'popek help')\n", stderr);
		return POPEK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		if (help_print(stdout, help_wanted(argc - 1, argv + 1)
					       ? "help"
					       : argv[2]))
			return POPEK_EXIT_OK;
		fprintf(stderr, "popek: help: unknown command '%s'\n", argv[2]);
		return POPEK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		fputs(popek_usage, stdout);
		return POPEK_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (help_wanted(argc - 1, argv + 1) &&
		    help_print(stdout, argv[1]))
			return POPEK_EXIT_OK;
		status = commands[i].fn(argc - 1, argv + 1, &e);
		if (e.msg[0])
			fprintf(stderr, "popek: %s\n", e.msg);
		return status;
	}
	fprintf(stderr, "popek: unknown command '%s' (see 'popek help')\n",
		argv[1]);
	return POPEK_EXIT_USAGE;
}
