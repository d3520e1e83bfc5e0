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

#endif
