/*
 * The contract between a probe image and everything that runs it (the
 * runner, refvmm, any monitor): the ELF note that declares the image's
 * width and required CPU features, and the section that declares every
 * check id the image may report. Shared by guest code (freestanding) and
 * host code, so it uses only fixed-width integer types.
 *
 * See docs/protocol.md for the prose version.
 */
#ifndef POPEK_IMAGE_H
#define POPEK_IMAGE_H

/* ELF note: section ".note.popek", note name "Popek", type POPEK_NOTE_IMAGE. */
#define POPEK_NOTE_NAME	 "Popek"
#define POPEK_NOTE_IMAGE 1

/*
 * Required CPU features, as bits of popek_image_note.features. A monitor
 * that cannot provide one refuses the image; the runner then reports its
 * checks as skipped with the reason.
 */
#define POPEK_FEAT_LM	   (1u << 0)  /* long mode (implied by width 64) */
#define POPEK_FEAT_PAE	   (1u << 1)  /* CPUID.1:EDX.PAE */
#define POPEK_FEAT_PSE	   (1u << 2)  /* CPUID.1:EDX.PSE */
#define POPEK_FEAT_NX	   (1u << 3)  /* CPUID.80000001:EDX.NX */
#define POPEK_FEAT_PGE	   (1u << 4)  /* CPUID.1:EDX.PGE */
#define POPEK_FEAT_SMEP	   (1u << 5)  /* CPUID.7.0:EBX.SMEP */
#define POPEK_FEAT_SMAP	   (1u << 6)  /* CPUID.7.0:EBX.SMAP */
#define POPEK_FEAT_UMIP	   (1u << 7)  /* CPUID.7.0:ECX.UMIP */
#define POPEK_FEAT_SSE2	   (1u << 8)  /* CPUID.1:EDX.SSE2 */
#define POPEK_FEAT_TSC	   (1u << 9)  /* CPUID.1:EDX.TSC */
#define POPEK_FEAT_APIC	   (1u << 10) /* CPUID.1:EDX.APIC */
#define POPEK_FEAT_TESTDEV (1u << 11) /* needs the pc-testdev MMIO region */

/* popek_image_note.flags */
#define POPEK_IMAGE_SELFTEST                                                   \
	(1u << 0) /* deliberately broken: runner tests only */

struct popek_image_note {
	uint32_t width;	   /* 32 or 64: the mode the probe code runs in */
	uint32_t features; /* POPEK_FEAT_* the image needs */
	uint32_t flags;	   /* POPEK_IMAGE_* */
	uint32_t reserved;
};

/*
 * Check declarations: section ".popek_checks" holds records
 *   "<id>\t<one-line description>\n"
 * concatenated by the linker, no NUL terminators (NUL bytes, if any, are
 * padding and ignored). Every id an image may report is declared there,
 * so a runner knows which checks an image owes even when it dies early.
 * An id may be a pattern standing for a family of checks
 * (popek/check_pattern.h).
 */
#define POPEK_CHECKS_SECTION ".popek_checks"

/* Serial protocol keywords. */
#define POPEK_EXIT_LINE	      "popek: exit "
#define POPEK_DEBUG_EXIT_PORT 0xf4
#define POPEK_COM1	      0x3f8

#endif
