/* popek.skip (skip.h). */
#include "skip.h"

unsigned report_next_ordinal(void);

static u32 listed[SKIP_MAX];
static unsigned nlisted;
/* The listed ordinal whose fn was not run, while the reports that follow
 * still depend on it; 0 when none. */
static unsigned tainted;

void skip_parse(const char *cmdline)
{
	static const char key[] = "popek.skip=";
	const char *p;
	u32 v = 0;
	bool digits = false;

	for (p = cmdline; *p; p++)
		if (!memcmp(p, key, sizeof(key) - 1))
			break;
	if (!*p)
		return;
	for (p += sizeof(key) - 1;; p++) {
		if (*p >= '0' && *p <= '9') {
			v = v * 10 + (u32)(*p - '0');
			digits = true;
			continue;
		}
		if (digits && v && nlisted < SKIP_MAX)
			listed[nlisted++] = v;
		v = 0;
		digits = false;
		if (*p != ',')
			break;
	}
}

static bool is_listed(unsigned n)
{
	for (unsigned i = 0; i < nlisted; i++)
		if (listed[i] == n)
			return true;
	return false;
}

bool skip_run(void)
{
	unsigned n = report_next_ordinal();

	if (nlisted && is_listed(n)) {
		tainted = n;
		return true;
	}
	tainted = 0;
	return false;
}

bool skip_pending(void)
{
	return tainted != 0;
}

void skip_clear(void)
{
	tainted = 0;
}

const char *skip_reason(char *buf, size_t size, unsigned n)
{
	if (!tainted)
		return NULL;
	if (tainted == n)
		snprintf(buf, size,
			 "popek.skip: not run, it ended the target on an "
			 "earlier boot");
	else
		snprintf(buf, size,
			 "popek.skip: not run, its outcome comes from the "
			 "code of check %u, which ended the target on an "
			 "earlier boot",
			 tainted);
	return buf;
}
