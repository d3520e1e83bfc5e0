/*
 * Far control transfers (far.c): 0, or -1 with c->exc_* raised.
 */
#ifndef REFVMM_EMU_FAR_H
#define REFVMM_EMU_FAR_H

#include "refvmm/sw/cpu.h"

/* JMP / CALL far to @sel:@off; @next_eip is CALL's return address. */
int far__transfer(struct sw_cpu *c, bool call, u16 sel, u32 off, u32 next_eip);
/* RET far, releasing @imm bytes of parameters. */
int far__return(struct sw_cpu *c, u32 imm);
/* A return to outer level @rpl: data segments it may not use become
 * null (RET far, IRET). */
void far__drop_data_segs(struct sw_cpu *c, int rpl);
int far__sysenter(struct sw_cpu *c);
int far__sysexit(struct sw_cpu *c);

#endif
