/*
 * The privileged-instruction emulator (emulate.c).
 */
#ifndef REFVMM_EMU_EMULATE_H
#define REFVMM_EMU_EMULATE_H

#include "vm.h"

/* Decodes the instruction at CS:EIP; NULL when it cannot. */
const cs_insn *emulate__decode(struct monitor *t, u32 eip);
/* The instruction at CS:EIP that raised @ev. */
enum emu_result emulate__insn(struct monitor *t, const struct sw_event *ev,
			      struct vm_exit *exit);
/* Finishes the port I/O the run loop did (IN data, string pointers). */
void emulate__complete_io(struct monitor *t);
/* Memory forms on unreachable memory: stack, string, proxy. */
enum emu_result emulate__generic(struct monitor *t, const cs_insn *in);

#endif
