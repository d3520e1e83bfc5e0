/*
 * What the shadow tests ask the host: whether this process can read or
 * write a linear address right now, i.e. what the guest's next access
 * there would find without a host fault.
 */
#ifndef REFVMM_TESTS_HOST_ACCESS_H
#define REFVMM_TESTS_HOST_ACCESS_H

#include <stdbool.h>

#include "refvmm/types.h"

bool host_can_access(u32 lin, bool write);

#endif
