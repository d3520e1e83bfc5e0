/*
 * TAP 13 output (docs/protocol.md) and the end of every run: the plan,
 * "popek: exit N", the isa-debug-exit fast path, and a halt.
 */
#include "report.h"
#include "skip.h"
#include "x86.h"
#include <popek/check_pattern.h>

static unsigned checks, failures;

/* Reasons stay on one line whatever a probe formats into them. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

unsigned report_next_ordinal(void)
{
	return checks + 1;
}

/* A check whose code popek.skip kept from running reports that instead. */
static bool skipped_by_runner(const char *id)
{
	char reason[160];

	if (!skip_reason(reason, sizeof(reason), checks + 1))
		return false;
	printf("ok %u - %s # SKIP %s\n", ++checks, id, reason);
	return true;
}

bool report_result(const char *id, bool pass, const char *fmt, ...)
{
	char reason[384];
	va_list ap;

	if (skipped_by_runner(id))
		return pass;
	checks++;
	if (pass) {
		printf("ok %u - %s\n", checks, id);
		return true;
	}
	failures++;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	one_line(reason);
	printf("not ok %u - %s # %s\n", checks, id, reason);
	return false;
}

void report_skipped(const char *id, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (skipped_by_runner(id))
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	one_line(reason);
	printf("ok %u - %s # SKIP %s\n", ++checks, id, reason);
}

bool report_equal(const char *id, u64 expected, u64 seen)
{
	return report_result(id, expected == seen, "expected %#llx, saw %#llx",
			     (unsigned long long)expected,
			     (unsigned long long)seen);
}

void report_diag(const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	one_line(msg);
	printf("# %s\n", msg);
}

extern u32 seq_return_addr;
void __noreturn seq_return(int code, u32 addr, u32 checks, u32 failures);

void __noreturn guest_exit(int code)
{
	printf("popek: exit %d\n", code);
	/* Under the ISO sequencer the debug-exit port would end the whole
	 * run: go back to it instead (docs/iso.md). Only CPL 0 can. */
	if (seq_return_addr && (read_cs() & 3) == 0)
		seq_return(code, seq_return_addr, checks, failures);
	outb(POPEK_DEBUG_EXIT_PORT, code);
	for (;;)
		asm volatile("cli; hlt");
}

void __noreturn report_bail(const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	one_line(msg);
	printf("Bail out! %s\n", msg);
	guest_exit(2);
}

void __noreturn report_finish(void)
{
	printf("1..%u\n", checks);
	guest_exit(failures ? 1 : 0);
}

const char *check_member_id(char *buf, const char *pattern, const int *sel,
			    size_t nsel)
{
	struct popek_group g[POPEK_PATTERN_MAX_GROUPS];
	size_t len = strlen(pattern);
	const char *err = "a selector per group is needed";
	int n = popek_pattern_groups(pattern, len, g, &err);

	if (n < 0 || (size_t)n != nsel ||
	    popek_pattern_expand(buf, CHECK_ID_MAX, pattern, len, false, g, n,
				 sel, &err) < 0)
		report_bail("check family %s: %s", pattern, err);
	return buf;
}

/*
 * Reports every check the image declares as skipped: used when the CPU
 * lacks a feature the image needs, so nothing is silently dropped. A
 * family's record stands for each of its members.
 */
void __noreturn report_skip_all(const char *reason)
{
	extern const char __popek_checks_start[], __popek_checks_end[];
	const char *p = __popek_checks_start;

	while (p < __popek_checks_end) {
		struct popek_group g[POPEK_PATTERN_MAX_GROUPS];
		int sel[POPEK_PATTERN_MAX_GROUPS], ngroups;
		char id[CHECK_ID_MAX];
		const char *pat = p, *err;
		size_t n = 0;

		if (!*p) {
			p++;
			continue;
		}
		while (p < __popek_checks_end && *p != '\t')
			p++, n++;
		ngroups = popek_pattern_groups(pat, n, g, &err);
		if (ngroups <= 0) {
			/* a plain id (or a bad pattern: the runner refuses
			 * the image anyway) */
			printf("ok %u - %.*s # SKIP %s\n", ++checks, (int)n,
			       pat, reason);
		} else {
			popek_pattern_first(g, ngroups, sel);
			do
				if (popek_pattern_expand(id, sizeof(id), pat, n,
							 false, g, ngroups, sel,
							 &err) >= 0)
					printf("ok %u - %s # SKIP %s\n",
					       ++checks, id, reason);
			while (popek_pattern_next(g, ngroups, sel));
		}
		while (p < __popek_checks_end && *p != '\n')
			p++;
		p++;
	}
	report_finish();
}
