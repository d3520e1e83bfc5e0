/* Host signal -> guest event (traps.h). */
#include <signal.h>
#include <sys/auxv.h>

#include "refvmm/sw/traps.h"
#include "refvmm/sw/world_switch.h"

bool traps__vector_has_error(int v)
{
	/* SDM Vol. 3A, Table 6-1. */
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
	       v == 29 || v == 30;
}

#define LANDING_SPAN 0x4000

bool traps__sysenter_landing(u32 eip)
{
	u32 vdso = (u32)getauxval(AT_SYSINFO_EHDR);

	return vdso && eip - vdso < LANDING_SPAN;
}

bool traps__sysenter_landing_range(u32 *lo, u32 *hi)
{
	u32 vdso = (u32)getauxval(AT_SYSINFO_EHDR);

	*lo = vdso & ~0xfffu;
	*hi = *lo + LANDING_SPAN;
	return vdso != 0 && *hi > *lo;
}

void traps__decode(const struct sw_cpu *c, int exit_kind, struct sw_event *ev)
{
	*ev = (struct sw_event){.kind = SW_EV_UNKNOWN,
				.vector = -1,
				.syscall_nr = -1,
				.what = "unknown"};
	if (exit_kind == SW_EXIT_KICK) {
		ev->kind = SW_EV_KICK;
		ev->what = "kick";
		return;
	}
	if (c->hsel[SW_CS] == HOST_CS64) {
		ev->kind = SW_EV_ESCAPE;
		ev->what = "escape";
		return;
	}
	switch (c->signo) {
	case SIGSYS:
		ev->kind = SW_EV_SYSCALL;
		ev->syscall_nr = c->syscall_nr;
		ev->what = "syscall";
		return;
	case SIGTRAP:
		ev->kind = SW_EV_TRAP;
		ev->vector = c->trapno == 3 ? 3 : 1;
		ev->what = ev->vector == 3 ? "#BP" : "#DB";
		return;
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
		ev->kind = SW_EV_FAULT;
		ev->vector = c->trapno;
		if (c->signo == SIGILL)
			ev->vector = 6;
		if (c->signo == SIGFPE && c->trapno != 16 && c->trapno != 19)
			ev->vector = 0;
		/* INTO's #OF is a trap: EIP is already past it. */
		if (ev->vector == 4)
			ev->kind = SW_EV_TRAP;
		ev->has_error = traps__vector_has_error(ev->vector);
		ev->error = ev->has_error ? c->err : 0;
		if (ev->vector == 14) {
			ev->cr2 = (u32)c->addr;
			ev->error &= 0x1f & ~0x4u; /* the host saw CPL 3 */
		}
		ev->what = "fault";
		return;
	default:
		return;
	}
}
