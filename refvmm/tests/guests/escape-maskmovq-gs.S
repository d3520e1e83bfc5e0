/*
 * An escape attempt through an implicit-memory store: MASKMOVQ stores
 * through DS:EDI, and a GS override aims it at GS:0x1028, where the
 * translator's own GS page once held the callout gate's landing address
 * (the gate now keeps it as an immediate in read-only code). All-ones go
 * there, then a port write forces a callout. Contained, the store lands
 * in the guest's own GS segment (flat: guest linear 0x1028) and the
 * guest exits 0; with the landing in that page and the decode fix
 * reverted, the gate jumped to 0xffffffffffffffff inside refvmm.
 */
#include "guest.h"

	mov $0x1028, %edi
	pcmpeqb %mm0, %mm0
	pcmpeqb %mm1, %mm1
	gs maskmovq %mm1, %mm0
	emms
	mov $0x80, %dx
	out %al, %dx
	mov $0, %al
	out %al, $DEBUG_EXIT
