/*
 * The host CPU as an oracle for which segment an instruction's memory
 * accesses go through (test_classify_oracle.c). One 32-bit instruction
 * runs at a time in compatibility mode through refvmm's own world switch
 * (sw/world_switch.c), with ES, CS, SS, DS, FS and GS each given its own
 * base over a reserved PROT_NONE area and every general register small,
 * so that every addressing form lands inside the area of the segment it
 * goes through: the page-fault address names the segment. The faulting
 * page is then made accessible and the instruction run again, so a
 * second or third access (MOVS reads one segment, writes another) is
 * seen too.
 */
#ifndef REFVMM_TESTS_ORACLE_CPU_H
#define REFVMM_TESTS_ORACLE_CPU_H

#include <stddef.h>

#include "refvmm/types.h"

/* How the run ended, after the accesses it made. */
enum oracle_end {
	ORACLE_DONE,	  /* reached the UD2 placed right after it */
	ORACLE_UD,	  /* #UD at the instruction */
	ORACLE_GP,	  /* #GP */
	ORACLE_FAULT,	  /* another exception at the instruction (#DE, #BR) */
	ORACLE_ELSEWHERE, /* stopped at another EIP: the lengths disagree */
	ORACLE_STRAY,	  /* a page fault outside every segment's area */
	ORACLE_PAGES,	  /* still faulting after ORACLE_MAX_ACC pages */
	ORACLE_NENDS,
};

#define ORACLE_MAX_ACC 4
#define ORACLE_WRITE   0x80 /* in acc[]: the access was a write */

struct oracle_result {
	u8 end;	 /* enum oracle_end */
	u8 nacc; /* page faults taken, in order */
	/* Segment (0-5 = ES, CS, SS, DS, FS, GS) | ORACLE_WRITE. */
	u8 acc[ORACLE_MAX_ACC];
	int trapno; /* of the last exit */
	u32 eip;    /* of the last exit, relative to the instruction */
	u32 addr;   /* of the last page fault */
};

/* Maps the areas, installs the LDT and the world switch; 0, or -1 with
 * @err (77-worthy when the host cannot run the software modes, e.g. no
 * compatibility mode: see @skip). */
int oracle__init(bool *skip, char *err, size_t errlen);
/* Runs the @len bytes of one instruction. */
void oracle__run(const u8 *insn, size_t len, struct oracle_result *r);
/* World switches made so far. */
u64 oracle__entries(void);
/* Bit set of the segments @r accessed. */
unsigned oracle__segs(const struct oracle_result *r);

#endif
