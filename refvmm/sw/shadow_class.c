/*
 * Where the privilege split goes (shadow_class.h).
 */
#include "refvmm/sw/shadow_class.h"

u32 shadow_class__split(u64 user_top, u32 window)
{
	u64 split = (user_top + SHADOW_SPLIT_ALIGN - 1) &
		    ~(u64)(SHADOW_SPLIT_ALIGN - 1);

	/* No user page seen yet: user code has not run from this shadow;
	 * a split at 0 would only cost a lift. */
	if (!user_top || split >= window)
		return window;
	return (u32)split;
}
