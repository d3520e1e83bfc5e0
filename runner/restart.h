/*
 * Restarting an image past the check that ended its target
 * (docs/protocol.md, "Restarts"): after a boot that died before its last
 * check, the runner boots the image again with that check's ordinal on
 * the Multiboot command line (popek.skip=N,...), up to a bound of boots
 * and of time, and reports the check as the one that ended the target.
 */
#ifndef POPEK_RUNNER_RESTART_H
#define POPEK_RUNNER_RESTART_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "elf_image.h"
#include "hostinfo.h"
#include "tap.h"
#include "target.h"

/*
 * The defaults of --restarts and --restart-time where the target file
 * names none (restarts = N, restart_time = S). Restarts are opt-in per
 * target: each boots the image from its first check again, and on a
 * kvm_pvm host most 32-bit images die at every CPL change, hundreds of
 * boots for some (docs/protocol.md, "Restarts"). With a count bound the
 * count decides on a target whose killers end it at once, so results do
 * not depend on the host's load; the time only stops a target that hangs
 * at each killer.
 */
#define RESTART_MAX_DEFAULT	0u
#define RESTART_SECONDS_DEFAULT 900u

/*
 * The popek.skip list stays within what every monitor passes: the guest
 * reads 1024 ordinals (guest/include/skip.h), refvmm takes a Multiboot
 * command line of 4095 bytes with the image's name first.
 */
#define RESTART_SKIP_MAX    1024u
#define RESTART_CMDLINE_MAX 3072u

/* The reason prefix of a SKIP line the guest prints for a listed check. */
#define RESTART_SKIP_PREFIX "popek.skip:"

struct restart_killer {
	long ordinal;  /* its N in the TAP stream */
	unsigned boot; /* the boot it ended, from 1 */
	char *reason;  /* how that boot ended */
};

struct restart_state {
	unsigned max_restarts; /* 0: never restart */
	double max_seconds;
	/* what one boot may take (the target's timeout): a restart that
	 * could end past max_seconds is not begun */
	double boot_seconds;
	unsigned boots; /* boots that ended so far */
	double seconds; /* their run time */
	struct restart_killer *killers;
	size_t nkillers, cap;
	/* why a boot that died was not followed by another, or NULL */
	char *stopped;
};

void restart_init(struct restart_state *st, unsigned max_restarts,
		  double max_seconds, double boot_seconds);
void restart_free(struct restart_state *st);

/*
 * One boot ended after `seconds`. Returns true when the image must boot
 * again (its killer is recorded); false when it ended properly, reported
 * every declared check, or a bound or a repeated killer stopped the
 * restarts (st->stopped says which).
 */
bool restart_after_boot(struct restart_state *st, const struct image *img,
			const struct tap_report *rep, const struct run_end *end,
			double seconds);

/* "popek.skip=N,N,..." for the next boot, or "" before any killer. */
char *restart_cmdline(const struct restart_state *st);

/*
 * After classify_image() on the last boot: the checks the guest skipped
 * for popek.skip become errors saying which boot they ended and how (an
 * xerror line makes them xfail), checks still unreported say why the
 * restarts stopped, and the image's reason names the killers.
 */
void restart_classify(const struct restart_state *st,
		      const struct tap_report *rep, const struct target *t,
		      const struct hostinfo *h, struct image_result *out);

#endif
