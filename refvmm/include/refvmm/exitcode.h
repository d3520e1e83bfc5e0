/*
 * Process exit statuses of refvmm (docs/refvmm.md, "Exit statuses").
 *
 * A guest that writes N to the debug-exit port ends the process with
 * (N << 1) | 1, as QEMU's isa-debug-exit does, so every guest-chosen
 * status is odd. Everything refvmm decides itself is even, so the two can
 * never be confused. A guest reset ends the run like QEMU's -no-reboot
 * does, with 0 (and one line on stderr, which --help never prints).
 */
#ifndef REFVMM_EXITCODE_H
#define REFVMM_EXITCODE_H

enum refvmm_exit {
	REFVMM_EXIT_OK = 0,		    /* --help */
	REFVMM_EXIT_GUEST_RESET = 0,	    /* reset line pulsed (-no-reboot) */
	REFVMM_EXIT_USAGE = 2,		    /* bad command line */
	REFVMM_EXIT_IMAGE_UNREADABLE = 64,  /* missing or unreadable image */
	REFVMM_EXIT_IMAGE_MALFORMED = 66,   /* not a valid Multiboot ELF32 */
	REFVMM_EXIT_IMAGE_UNSUPPORTED = 68, /* needs more RAM, width, feature */
	REFVMM_EXIT_NO_KVM = 70,	    /* /dev/kvm missing or unusable */
	REFVMM_EXIT_HOST_ERROR = 72,	    /* unexpected host failure */
	REFVMM_EXIT_HOST_UNSUPPORTED =
		74,		       /* the host lacks what the mode needs */
	REFVMM_EXIT_TRIPLE_FAULT = 80, /* guest shutdown */
	REFVMM_EXIT_GUEST_HANG = 82,   /* HLT that nothing can wake */
	REFVMM_EXIT_SERIAL_FLOOD = 84, /* serial output limit reached */
	REFVMM_EXIT_INTERNAL_ERROR = 86, /* monitor cannot emulate */
	REFVMM_EXIT_ENTRY_FAILED = 88,	 /* hardware refused the state */
	REFVMM_EXIT_TIMEOUT = 90,	 /* --timeout elapsed */
	REFVMM_EXIT_CONTAINMENT = 92,	 /* the guest reached the monitor */
};

/* What a guest write of @value to the debug-exit port makes the status. */
static inline int refvmm_exit__guest(unsigned int value)
{
	return (int)(((value << 1) | 1) & 0xff);
}

#endif
