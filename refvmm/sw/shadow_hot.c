/*
 * Pages whose frame keeps changing (shadow_hot.h): a few slots, one per
 * linear page followed since a mapping of it moved; a new page takes a
 * free slot, else the slots in turn.
 */
#include <string.h>

#include "refvmm/sw/shadow_hot.h"

void shadow_hot__clear(struct shadow_hot *h)
{
	memset(h, 0, sizeof(*h));
}

static struct shadow_hot_slot *free_slot(struct shadow_hot *h)
{
	for (u32 i = 0; i < SHADOW_HOT_SLOTS; i++)
		if (!h->slot[i].used)
			return &h->slot[i];
	return NULL;
}

bool shadow_hot__note(struct shadow_hot *h, u32 lpn, u32 old_ppn, u32 ppn,
		      u64 clock)
{
	struct shadow_hot_slot *s = shadow_hot_find(h, lpn);

	if (!s) {
		if (old_ppn == ~0u || old_ppn == ppn)
			return false;
		s = free_slot(h);
		if (!s) {
			s = &h->slot[h->next];
			h->next = (h->next + 1) % SHADOW_HOT_SLOTS;
		}
		*s = (struct shadow_hot_slot){.lpn = lpn,
					      .ppn = ppn,
					      .clock = clock,
					      .quick = 1,
					      .used = true};
		return false;
	}
	if (s->ppn != ppn) {
		s->quick = shadow_hot_quick_after(s, clock);
		s->ppn = ppn;
		s->clock = clock;
		s->idle = 0;
	}
	return shadow_hot_slot_hot(s);
}

bool shadow_hot__is(const struct shadow_hot *h, u32 lpn)
{
	return shadow_hot_slot_hot(
		shadow_hot_find((struct shadow_hot *)h, lpn));
}

bool shadow_hot__touch(struct shadow_hot *h, u32 lpn)
{
	struct shadow_hot_slot *s = shadow_hot_find(h, lpn);

	if (!shadow_hot_slot_hot(s) || ++s->idle < SHADOW_HOT_COOL)
		return false;
	s->used = false;
	return true;
}
