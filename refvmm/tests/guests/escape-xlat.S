/*
 * XLAT reads DS:[EBX + AL], and a prefix redirects it (SDM Vol. 2B
 * XLAT). With EBX 0x1000 and AL 0x28 it reads offset 0x1028 of the
 * segment, inside the translator's own GS page: 'D' (0x44) for DS and
 * a DS override (BASE_DS), 'E' 'F' 'G' for ES FS GS, 'L' (0x4c) at
 * linear 0x1028 for the flat CS and SS. Then two reads the monitor
 * window's addresses must not see: through CS at 0xffc01028 and through
 * a segment based at 0xffc00000, both guest-physical space without RAM
 * (all ones). Last, under an execute-only CS a CS-overridden XLAT is
 * #GP(0) (Vol. 3A 3.4.5.1, 6.15).
 */
#include "guest.h"

	HARNESS
harness_main:
	movb $0x4c, 0x1028
	movb $0x44, BASE_DS + 0x1028
	movb $0x45, BASE_ES + 0x1028
	movb $0x46, BASE_FS + 0x1028
	movb $0x47, BASE_GS + 0x1028

.macro xl pfx, m, code, ebx=0x1000, al=0x28
	load_segs SEL_DS, SEL_ES, SEL_FS, SEL_GS
	mov $\ebx, %ebx
	mov $\al, %eax
	.ifnc \pfx,none
	.byte \pfx
	.endif
	xlat
	cmp $\m, %eax
	fail_ne \code
.endm

	xl none, 0x44, 1
	xl 0x26, 0x45, 2
	xl 0x2e, 0x4c, 3
	xl 0x36, 0x4c, 4
	xl 0x3e, 0x44, 5
	xl 0x64, 0x46, 6
	xl 0x65, 0x47, 7
	xl 0x2e, 0xff, 8, 0xffc01000
	mov $SEL_WIN, %eax
	mov %eax, %gs
	mov $0x1000, %ebx
	mov $0x28, %eax
	gs xlat
	cmp $0xff, %eax
	fail_ne 9
	mov $0x1028, %esi
	gs lodsl
	cmp $0xffffffff, %eax
	fail_ne 10

	ljmp $SEL_XO, $xo
xo:
	mov $0x1000, %ebx
	mov $0x28, %eax
	expect_fault 13, gp
	cs xlat
	fail 11
gp:
	fail_err 0, 12
	pass
