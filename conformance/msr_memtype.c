/*
 * conformance.msr.pat and conformance.msr.mtrr: memory types in
 * IA32_PAT and the MTRRs. PAT entries take UC (0), WC (1), WT (4), WP
 * (5), WB (6) and UC- (7); 2, 3 and 8-255 raise #GP(0) (SDM Vol. 3A
 * 13.12.2, 13.12.4 in older editions 11.12). MTRRs take 0, 1 (with
 * MTRRCAP.WC), 4, 5 and 6 and no other type; reserved bits and physical
 * address bits at or above MAXPHYADDR raise #GP(0) (Vol. 3A 13.11.2 /
 * 11.11.2, 11.11.2.3; APM Vol. 2 7.7). Each case changes one field of the
 * register's current value and restores it at once.
 */
#include "msr.h"

#define MSR_PAT	      0x277
#define MSR_MTRRCAP   0xfe
#define MSR_DEF_TYPE  0x2ff
#define MSR_PHYSBASE0 0x200

static bool pat_type_valid(u8 t)
{
	return t == 0 || t == 1 || (t >= 4 && t <= 7);
}

void msr_pat(void)
{
	char id[CHECK_ID_MAX];
	bool has = this_cpu_has(X86_FEATURE(1, 0, 3, 16, "pat"));
	struct fault f;
	u64 pat = 0;
	const char *skip = has ? NULL : "CPUID.1:EDX.PAT is 0";

	/* a target whose CPUID and MSRs disagree fails gated.pat; here
	 * there is no value to start from */
	if (has && msr_try_read(MSR_PAT, &pat, &f) != NO_FAULT)
		skip = "RDMSR of IA32_PAT raised an exception although CPUID "
		       "enumerates PAT (conformance.msr.gated.pat)";

	for (int e = 0; e < 8; e++) {
		for (int c = 0; c < 10; c++) {
			/* types 0-7, then reserved bits 3 and 7 of the byte */
			u8 t = c < 8 ? c : c == 8 ? 0x08 : 0x80;
			u64 v = (pat & ~(0xffull << (e * 8))) |
				((u64)t << (e * 8));

			CHECK_ID(
				id,
				"conformance.msr.pat.pa{0..7}.{type0,type1,"
				"type2,type3,type4,type5,type6,type7,bit3,"
				"bit7}",
				"WRMSR of IA32_PAT with PA{1} = {2:UC,WC,"
				"reserved type 2,reserved type 3,WT,WP,WB,UC-,"
				"bit 3,bit 7} {2:is kept,is kept,raises #GP(0),"
				"raises #GP(0),is kept,is kept,is kept,is kept,"
				"raises #GP(0),raises #GP(0)}",
				e, c);
			if (skip) {
				report_skipped(id, "%s", skip);
				continue;
			}
			msr_expect_write(id, MSR_PAT, v, !pat_type_valid(t),
					 ~0ull);
		}
	}
}

static bool mtrr_type_valid(u8 t, bool wc)
{
	return t == 0 || (t == 1 && wc) || t == 4 || t == 5 || t == 6;
}

static const char *mtrr_skip;
static u64 mtrr_cap, mtrr_def;

static void def_type(void)
{
	char id[CHECK_ID_MAX];
	u64 def = mtrr_def;
	bool wc = mtrr_cap & (1u << 10);
	static const u8 rbits[] = {8, 9, 12, 63};

	for (int t = 0; t < 9; t++) {
		CHECK_ID(id, "conformance.msr.mtrr.def-type.type{0..8}",
			 "WRMSR of IA32_MTRR_DEF_TYPE with type {1} is kept "
			 "for 0, 4, 5, 6 (1 with MTRRCAP.WC), #GP(0) "
			 "otherwise",
			 t);
		if (mtrr_skip) {
			report_skipped(id, "%s", mtrr_skip);
			continue;
		}
		msr_expect_write(id, MSR_DEF_TYPE, (def & ~0xffull) | (u64)t,
				 !mtrr_type_valid(t, wc), ~0ull);
	}
	for (size_t i = 0; i < ARRAY_SIZE(rbits); i++) {
		CHECK_ID(
			id,
			"conformance.msr.mtrr.def-type.{bit8,bit9,bit12,bit63}",
			"WRMSR of IA32_MTRR_DEF_TYPE with reserved {1} set "
			"raises #GP(0)",
			(int)i);
		if (mtrr_skip) {
			report_skipped(id, "%s", mtrr_skip);
			continue;
		}
		msr_expect_write(id, MSR_DEF_TYPE, def | (1ull << rbits[i]),
				 true, 0);
	}
}

/* The last variable range, if unused (V=0): writes to it change no
 * memory type. */
static void variable(void)
{
	char id[CHECK_ID_MAX];
	int vcnt = mtrr_cap & 0xff;
	bool wc = mtrr_cap & (1u << 10);
	const char *skip = mtrr_skip;
	u32 base = MSR_PHYSBASE0 + 2 * (vcnt - 1), mask = base + 1;
	int mp = msr_cpu.maxphys;
	u64 addr_mask = (mp >= 64 ? ~0ull : (1ull << mp) - 1) & ~0xfffull;
	u64 mv = 0;

	if (!skip && vcnt == 0)
		skip = "MTRRCAP.VCNT is 0";
	if (!skip) {
		struct fault f;

		if (msr_try_read(mask, &mv, &f) != NO_FAULT)
			skip = "RDMSR of IA32_MTRR_PHYSMASK<VCNT-1> raised an "
			       "exception";
		else if (mv & (1u << 11))
			skip = "every variable range is in use";
	}
	for (int c = 0; c < 12; c++) {
		static const u64 extra[] = {1ull << 8, 1ull << 11, 0,
					    1ull << 63};
		u64 v = c < 8 ? (u64)c : extra[c - 8];

		CHECK_ID(id,
			 "conformance.msr.mtrr.physbase.{type0,type1,type2,"
			 "type3,type4,type5,type6,type7,bit8,bit11,maxphyaddr,"
			 "bit63}",
			 "WRMSR of IA32_MTRR_PHYSBASEn with {1:type 0,type 1,"
			 "type 2,type 3,type 4,type 5,type 6,type 7,reserved "
			 "bit 8,reserved bit 11,bit MAXPHYADDR,bit 63}: #GP(0) "
			 "for a reserved bit or an invalid type",
			 c);
		if (skip) {
			report_skipped(id, "%s", skip);
			continue;
		}
		if (c == 10) {
			if (mp >= 52) {
				report_skipped(id, "MAXPHYADDR is %d", mp);
				continue;
			}
			v = 1ull << mp;
		}
		msr_expect_write(id, base, v,
				 c < 8 ? !mtrr_type_valid(c, wc) : true, ~0ull);
	}
	for (int c = 0; c < 5; c++) {
		u64 v = c == 0	 ? addr_mask
			: c == 1 ? addr_mask | 1
			: c == 2 ? addr_mask | (1ull << 10)
			: c == 3 ? addr_mask | (1ull << (mp < 64 ? mp : 63))
				 : addr_mask | (1ull << 63);

		CHECK_ID(id,
			 "conformance.msr.mtrr.physmask.{mask,bit0,bit10,"
			 "maxphyaddr,bit63}",
			 "WRMSR of IA32_MTRR_PHYSMASKn {1:with a full mask "
			 "(V=0) is kept,with reserved bit 0 raises #GP(0),with "
			 "reserved bit 10 raises #GP(0),with bit MAXPHYADDR "
			 "raises #GP(0),with bit 63 raises #GP(0)}",
			 c);
		if (skip) {
			report_skipped(id, "%s", skip);
			continue;
		}
		if (c == 3 && mp >= 52) {
			report_skipped(id, "MAXPHYADDR is %d", mp);
			continue;
		}
		msr_expect_write(id, mask, v, c != 0, ~0ull);
	}
	for (int c = 0; c < 2; c++) {
		CHECK_ID(id, "conformance.msr.mtrr.beyond-vcnt.{read,write}",
			 "{1:RDMSR,WRMSR} of IA32_MTRR_PHYSBASE<VCNT> (one "
			 "past the last variable range) raises #GP(0)",
			 c);
		if (mtrr_skip || vcnt >= 10) {
			report_skipped(id, "%s",
				       mtrr_skip ? mtrr_skip
						 : "VCNT is 10: 0x214 is "
						   "another MSR");
			continue;
		}
		if (c)
			msr_expect_write_gp(id, MSR_PHYSBASE0 + 2 * vcnt, 6);
		else
			msr_expect_read_gp(id, MSR_PHYSBASE0 + 2 * vcnt);
	}
}

static void fixed(void)
{
	static const u32 msrs[] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
				   0x26b, 0x26c, 0x26d, 0x26e, 0x26f};
	/* one invalid type per byte, rotating through 2, 3, 7 and 8 */
	static const u8 bad[] = {2, 3, 7, 8};
	char id[CHECK_ID_MAX];
	const char *skip = mtrr_skip;

	if (!skip && !(mtrr_cap & (1u << 8)))
		skip = "MTRRCAP.FIX is 0";
	for (int m = 0; m < (int)ARRAY_SIZE(msrs); m++) {
		const char *mskip = skip;
		struct fault f;
		u64 cur = 0;

		if (!mskip && msr_try_read(msrs[m], &cur, &f) != NO_FAULT)
			mskip = "RDMSR of this fixed-range MTRR raised an "
				"exception although MTRRCAP.FIX is 1";

		for (int b = 0; b < 9; b++) {
			u8 t = bad[(m + b) % 4];
			u64 v = b < 8 ? (cur & ~(0xffull << (b * 8))) |
						((u64)t << (b * 8))
				      : 0x0504000605040006ull;

			CHECK_ID(
				id,
				"conformance.msr.mtrr.fixed.{64k-00000,"
				"16k-80000,16k-a0000,4k-c0000,4k-c8000,"
				"4k-d0000,4k-d8000,4k-e0000,4k-e8000,4k-f0000,"
				"4k-f8000}.{byte0,byte1,byte2,byte3,byte4,"
				"byte5,byte6,byte7,valid}",
				"WRMSR of IA32_MTRR_FIX{1} {2:with an invalid "
				"type in byte 0 raises #GP(0),with an invalid "
				"type in byte 1 raises #GP(0),with an invalid "
				"type in byte 2 raises #GP(0),with an invalid "
				"type in byte 3 raises #GP(0),with an invalid "
				"type in byte 4 raises #GP(0),with an invalid "
				"type in byte 5 raises #GP(0),with an invalid "
				"type in byte 6 raises #GP(0),with an invalid "
				"type in byte 7 raises #GP(0),with types WB UC "
				"WT WP is kept}",
				m, b);
			if (mskip) {
				report_skipped(id, "%s", mskip);
				continue;
			}
			msr_expect_write(id, msrs[m], v, b < 8, ~0ull);
		}
	}
}

void msr_mtrr(void)
{
	mtrr_skip = this_cpu_has(X86_FEATURE(1, 0, 3, 12, "mtrr"))
			    ? NULL
			    : "CPUID.1:EDX.MTRR is 0 (conformance.msr.gated."
			      "mtrrcap)";
	struct fault f;

	mtrr_cap = mtrr_def = 0;
	if (!mtrr_skip &&
	    (msr_try_read(MSR_MTRRCAP, &mtrr_cap, &f) != NO_FAULT ||
	     msr_try_read(MSR_DEF_TYPE, &mtrr_def, &f) != NO_FAULT))
		mtrr_skip = "RDMSR of MTRRCAP or MTRR_DEF_TYPE raised an "
			    "exception although CPUID enumerates MTRR "
			    "(conformance.msr.gated.mtrrcap)";
	def_type();
	variable();
	fixed();
}
