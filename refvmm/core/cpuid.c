/* CPUID tables: lookup, insertion, feature tests, the dump parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/cpuid.h"

bool cpuid_leaf_indexed(u32 leaf)
{
	static const u32 indexed[] = {
		4,    7,    0xb,	0xd,	    0xf,       0x10, 0x12,
		0x14, 0x17, 0x18,	0x1d,	    0x1e,      0x1f, 0x20,
		0x23, 0x24, 0x8000001d, 0x80000020, 0x80000026};

	for (size_t i = 0; i < ARRAY_SIZE(indexed); i++)
		if (indexed[i] == leaf)
			return true;
	return false;
}

const struct cpuid_regs *cpuid_table__find(const struct cpuid_table *t,
					   u32 leaf, u32 subleaf)
{
	if (!cpuid_leaf_indexed(leaf))
		subleaf = 0;
	for (unsigned int i = 0; i < t->n; i++)
		if (t->e[i].leaf == leaf && t->e[i].subleaf == subleaf)
			return &t->e[i].v;
	return NULL;
}

int cpuid_table__put(struct cpuid_table *t, u32 leaf, u32 subleaf,
		     const struct cpuid_regs *v)
{
	struct cpuid_regs *old;

	if (!cpuid_leaf_indexed(leaf))
		subleaf = 0;
	old = (struct cpuid_regs *)cpuid_table__find(t, leaf, subleaf);
	if (old) {
		*old = *v;
		return 0;
	}
	if (t->n >= CPUID_TABLE_MAX)
		return -1;
	t->e[t->n++] = (struct cpuid_entry){leaf, subleaf, *v};
	return 0;
}

bool cpuid_table__has(const struct cpuid_table *t, struct cpuid_feature f)
{
	const struct cpuid_regs *max =
		cpuid_table__find(t, f.leaf & 0xf0000000u, 0);
	const struct cpuid_regs *v;

	if (!max || max->r[CPUID_EAX] < f.leaf)
		return false;
	v = cpuid_table__find(t, f.leaf, f.subleaf);
	return v && (v->r[f.reg] >> f.bit & 1);
}

int cpuid_table__parse(struct cpuid_table *t, const char *text, char *err,
		       size_t errlen)
{
	const char *p = text;
	int lineno = 0;

	t->n = 0;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[256];
		unsigned int v[6];
		char extra;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "line %d: too long", lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (eol ? 1 : 0);
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		if (strspn(line, " \t\r") == strlen(line))
			continue;
		if (sscanf(line, "%x %x %x %x %x %x %c", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &extra) != 6) {
			snprintf(err, errlen,
				 "line %d: expected 'leaf subleaf eax ebx ecx "
				 "edx' in hex",
				 lineno);
			return -1;
		}
		if (cpuid_table__put(t, v[0], v[1],
				     &(struct cpuid_regs){
					     {v[2], v[3], v[4], v[5]}}) < 0) {
			snprintf(err, errlen, "line %d: more than %d entries",
				 lineno, CPUID_TABLE_MAX);
			return -1;
		}
	}
	if (!cpuid_table__find(t, 0, 0)) {
		snprintf(err, errlen, "no leaf 0");
		return -1;
	}
	return 0;
}
