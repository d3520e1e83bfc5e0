/*
 * What the shadow tests share with the host: whether this process can
 * read or write a linear address right now, i.e. what the guest's next
 * access there would find without a host fault; and a synthetic guest
 * RAM, a real memfd mapped shared, as the software modes' RAM is.
 */
#ifndef REFVMM_TESTS_HOST_ACCESS_H
#define REFVMM_TESTS_HOST_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "refvmm/types.h"

bool host_can_access(u32 lin, bool write);

/* A memfd of @size bytes, mapped shared at *@ram; returns the fd. */
int guest_ram_create(size_t size, u8 **ram);

/* The byte at @lin, read through the shadow's mapping (faults if none). */
u8 host_byte(u32 lin);

struct shadow_pt;

/* What the monitor does for an emulated guest store of the 32-bit entry
 * @v at guest-physical @phys: the store, then the shadow told. */
void shadow_store_entry(struct shadow_pt *sp, u8 *ram, u32 phys, u32 v);

/* A host fault at @lin (a write or a read) that the shadow must resolve
 * as a hidden fault: mapped, invisible to the guest. */
void shadow_hidden_fault(struct shadow_pt *sp, u32 lin, bool write);

#endif
