/*
 * The proxy executor's assembly half (proxy_stub.S) and the context it
 * shares with proxy.c; the offsets are the ones the assembly uses.
 */
#ifndef REFVMM_EMU_PROXY_STUB_H
#define REFVMM_EMU_PROXY_STUB_H

#include <stddef.h>

#include "refvmm/types.h"

struct proxy_ctx {
	u64 gpr[8];
	u64 flags;
	u8 *code;
	u8 *xguest;
	u8 *xhost;
	u8 use_fxsave;
};
_Static_assert(offsetof(struct proxy_ctx, flags) == 64, "proxy_stub.S");
_Static_assert(offsetof(struct proxy_ctx, code) == 72, "proxy_stub.S");
_Static_assert(offsetof(struct proxy_ctx, xguest) == 80, "proxy_stub.S");
_Static_assert(offsetof(struct proxy_ctx, xhost) == 88, "proxy_stub.S");
_Static_assert(offsetof(struct proxy_ctx, use_fxsave) == 96, "proxy_stub.S");

/* Runs the instruction at ctx->code against ctx's registers, flags and
 * the guest's XSAVE image, and saves them back. */
void proxy_stub__exec(struct proxy_ctx *ctx);

#endif
