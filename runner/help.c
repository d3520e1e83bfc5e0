/*
 * The help texts. Each starts with the command's lines of the global
 * usage (so the synopsis is written once, in main.c) and adds what every
 * option does; docs/runner.md has the whole story.
 */
#include "help.h"

#include <string.h>

#include "cmd.h"

static const struct {
	const char *name, *text;
} details[] = {
	{"targets",
	 "\n"
	 "  --targets DIR   read the target files (*.conf) from DIR\n"
	 "\n"
	 "One line per target: name, usable or unusable, description, and\n"
	 "for an unusable one the first missing requirement. Exit 0, or 1\n"
	 "when a target file is malformed. docs/targets.md.\n"},
	{"list",
	 "\n"
	 "  --images DIR    the image directory (default: the build's)\n"
	 "  --catalogue     id<TAB>image<TAB>description, sorted, every "
	 "check\n"
	 "\n"
	 "Every FILTER must match an image name or check id: exit 6 "
	 "otherwise.\n"},
	{"run",
	 "\n"
	 "  -t, --target T[,T...]  the targets to run on ('popek targets')\n"
	 "  -j, --jobs N           jobs at once (default: online CPUs)\n"
	 "  --shard I/N            the I-th of N disjoint parts of the "
	 "images\n"
	 "  --timeout S            per image, overriding every target's "
	 "own\n"
	 "  --json F               the results file (report, --baseline)\n"
	 "  --junit F              JUnit XML, one testcase per check\n"
	 "  --tap                  a TAP 13 stream on stdout instead of the "
	 "table\n"
	 "  --logs DIR             per image and target: serial stream, "
	 "stderr,\n"
	 "                         command and decoded exit status\n"
	 "  --images DIR           the image directory\n"
	 "  --targets DIR[:DIR]    directories searched for target files "
	 "first\n"
	 "                         (then $POPEK_TARGETS, then the suite's)\n"
	 "  --target-set [T:]K=V   override a target's param, timeout or\n"
	 "                         output_limit for this run\n"
	 "  -q, --quiet            no progress, no known-infidelity lines\n"
	 "  --restarts N           boots of an image past checks that end\n"
	 "                         the target (default: the target's\n"
	 "                         restarts = N, else 0: off)\n"
	 "  --restart-time S       their bound in seconds per image\n"
	 "                         (default: the target's restart_time,\n"
	 "                         else 900); docs/protocol.md\n"
	 "\n"
	 "Exit status: 0 every result expected, 1 an unexpected result or\n"
	 "image error, 2 usage, 3 nothing could run, 6 a FILTER matches\n"
	 "nothing, 130/143 interrupted. docs/runner.md.\n"},
	{"report",
	 "\n"
	 "  --baseline F    the gate: new failures, fixed, downgraded (ran "
	 "then,\n"
	 "                  skip now) and lost checks against results file F\n"
	 "  --fail-on-lost  fail the gate on lost or downgraded checks too\n"
	 "  -q, --quiet     only the matrix rows that are not pass "
	 "everywhere\n"
	 "  --html F        a self-contained HTML page\n"
	 "  --json F        the merged results (a later --baseline)\n"
	 "\n"
	 "Exit status: 0, 1 the gate failed or a file is bad, 2 usage (an\n"
	 "unwritable --html or --json too), 5 the baseline cannot be read.\n"
	 "docs/runner.md, docs/ci.md.\n"},
	{"bench",
	 "\n"
	 "  -t, --target T[,T...]  the targets to time\n"
	 "  --scale PCT            operations per repetition, in percent\n"
	 "  --reps N               repetitions (1-31, default 7)\n"
	 "  --no-counters          do not read refvmm's exit counters\n"
	 "  --counter-iters N      counter runs at N and 2N operations per\n"
	 "                         repetition (default 128)\n"
	 "  --json F               the bench results file\n"
	 "  -j, --jobs N, --timeout S, --images DIR, --targets DIR, -q, "
	 "--quiet\n"
	 "                         as for popek run\n"
	 "\n"
	 "Exit status: 0 something was measured, 1 the JSON cannot be\n"
	 "written, 2 usage (an unwritable --json too), 3 nothing measured,\n"
	 "6 a FILTER matches no benchmark or image. docs/perf.md.\n"},
	{"iso",
	 "\n"
	 "  -o, --output FILE.iso  where to write the ISO\n"
	 "  --images DIR           the image directory\n"
	 "  --grub-timeout S       seconds GRUB waits at its menu (default "
	 "5)\n"
	 "\n"
	 "Exit status: 0, 1 the ISO could not be built, 2 usage (an\n"
	 "unwritable -o too), 3 no images, 6 a FILTER matches nothing.\n"
	 "docs/iso.md.\n"},
	{"ingest",
	 "\n"
	 "  --json F          the results file to write\n"
	 "  -t, --target T    the target name (its target file's "
	 "infidelities\n"
	 "                    apply when there is one; default native)\n"
	 "  --host-class C    instead of VENDOR-FAMILY-MODEL/native\n"
	 "  --images DIR      the image directory the ISO came from\n"
	 "  --targets DIR     the target file directory\n"
	 "\n"
	 "docs/iso.md.\n"},
	{"check-target",
	 "\n"
	 "  --targets DIR[:DIR]    directories searched for target files "
	 "first\n"
	 "  --target-set [T:]K=V   override a param, timeout or "
	 "output_limit\n"
	 "  --images DIR           where the smoke images are\n"
	 "  --timeout S            per image\n"
	 "\n"
	 "Reads the target file, then boots runtime-smoke-32/64 and says\n"
	 "what to change when they do not report as popek needs. Exit 0\n"
	 "works, 7 a problem found, 3 unusable, 2 usage. docs/targets.md.\n"},
};

bool help_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* The command's block of the global usage: its line and the indented
 * ones after it. */
static bool usage_block(FILE *f, const char *command)
{
	size_t n = strlen(command);
	const char *p = popek_usage, *end;

	for (; *p; p = strchr(p, '\n') + 1) {
		if (!strncmp(p, "  ", 2) && p[2] != ' ' &&
		    !strncmp(p + 2, command, n) &&
		    (p[2 + n] == ' ' || p[2 + n] == '\n'))
			break;
		if (!strchr(p, '\n'))
			return false;
	}
	if (!*p)
		return false;
	fputs("usage: popek", f);
	end = strchr(p, '\n') + 1;
	fwrite(p + 1, 1, (size_t)(end - p - 1), f);
	for (p = end; !strncmp(p, "      ", 6); p = end) {
		end = strchr(p, '\n') + 1;
		fwrite(p, 1, (size_t)(end - p), f);
	}
	return true;
}

bool help_print(FILE *f, const char *command)
{
	size_t i;

	if (!usage_block(f, command))
		return false;
	for (i = 0; i < sizeof(details) / sizeof(details[0]); i++)
		if (!strcmp(details[i].name, command))
			fputs(details[i].text, f);
	return true;
}
