/*
 * An execution mode: how guest instructions run and which events come
 * back as exits. The run loop is the same for all of them:
 *   exit = mode->run(vcpu); handle(exit);
 * Devices and emulation never ask which mode they run under.
 */
#ifndef REFVMM_MODE_H
#define REFVMM_MODE_H

#include "types.h"

struct vcpu;
struct stats;

enum vm_exit_reason {
	VM_EXIT_IO,
	VM_EXIT_MMIO,
	VM_EXIT_HLT,
	VM_EXIT_KICK,	    /* interrupted by the deadline timer */
	VM_EXIT_IRQ_WINDOW, /* the guest can now take an interrupt */
	VM_EXIT_SHUTDOWN,   /* triple fault */
	VM_EXIT_INTERNAL,   /* the engine cannot go on */
	VM_EXIT_FAIL_ENTRY, /* the engine refused the guest state */
	VM_EXIT_HOST_ERROR, /* a host call failed */
	VM_EXIT_OTHER,	    /* handled, nothing to do */
	VM_EXIT_NR,
};

extern const char *const vm_exit_names[VM_EXIT_NR];

struct vm_exit {
	enum vm_exit_reason reason;
	union {
		struct {
			u16 port;
			u8 size;
			bool is_write;
			u32 count; /* string I/O repeats */
			u8 *data;  /* count * size bytes */
		} io;
		struct {
			gpa_t addr;
			u32 len;
			bool is_write;
			u8 *data;
		} mmio;
		struct {
			bool if_flag;
		} hlt;
	};
	char detail[512]; /* fatal exits: the one-line reason */
};

/*
 * Returns the interrupt vector to deliver, acknowledging it at the
 * controller (the INTA cycle), or -1 if there is nothing any more.
 */
typedef int (*irq_ack_fn)(void *ctx);

struct mode_ops {
	const char *name;
	const char *summary;
	unsigned int widths; /* bit 0: 32-bit images, bit 1: 64-bit */
	int order; /* place in --help and the mode list: hw, bt, bt-simple, trap
		    */
	/*
	 * Whether this host can run the mode at all, before any machine
	 * exists (refvmm --check-host, and init): 0, or -ENODEV (no usable
	 * /dev/kvm) / -ENOSYS (the host lacks what the mode needs) with a
	 * one-line reason in err.
	 */
	int (*host_check)(char *err, size_t errlen);
	/* Sets up the engine from vcpu->state; err gets a one-line reason. */
	int (*init)(struct vcpu *vcpu, char *err, size_t errlen);
	int (*run)(struct vcpu *vcpu, struct vm_exit *exit);
	/*
	 * Delivers an interrupt if the guest can take one now (IF=1, no
	 * interrupt shadow): calls @ack for the vector and returns 0.
	 * Otherwise asks for an exit when it can and returns -EAGAIN.
	 */
	int (*inject)(struct vcpu *vcpu, irq_ack_fn ack, void *ctx);
	/*
	 * Delivers an NMI (vector 2) if the guest is not blocking NMIs
	 * (SDM Vol. 3A 6.7.1: from one NMI's delivery to the next IRET) and
	 * returns 0; otherwise asks for an exit when it can take one and
	 * returns -EAGAIN. NULL: the mode has no NMIs.
	 */
	int (*inject_nmi)(struct vcpu *vcpu);
	/* Adds the mode's own counters to @stats. */
	void (*stats)(struct vcpu *vcpu, struct stats *stats);
	void (*destroy)(struct vcpu *vcpu);
};

#define MODE_WIDTH_32 1u
#define MODE_WIDTH_64 2u

/*
 * Each mode registers itself from its own file (MODE_REGISTER), as
 * devices do: the core knows no mode by name.
 */
void mode__register(const struct mode_ops *ops);
const struct mode_ops *mode__find(const char *name);
/* The registered modes in their order; NULL past the last. */
const struct mode_ops *mode__at(size_t i);

#define MODE_REGISTER(ops)                                                     \
	static void __attribute__((constructor)) ops##__register(void)         \
	{                                                                      \
		mode__register(&ops);                                          \
	}

#endif
