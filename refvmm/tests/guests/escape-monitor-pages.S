/*
 * A store aimed at every page of the monitor window, linear 0xffc00000 +
 * k * 4 KiB for k = 0..1023, by MOV and by STOS, at the start and the end
 * of each page. With paging off that is guest-physical space without RAM
 * (256 MiB of it): the stores go nowhere and reads return all ones, as
 * refvmm documents for unclaimed space. Then with paging on (SDM Vol. 3A
 * 4.3), the last page directory entry maps the window's linear range to
 * guest RAM at 16 MiB: each store must land there, read back through
 * the window's linear address and through the identity-mapped RAM.
 * Between the phases, a callout and chained branches show the monitor
 * unharmed.
 */
#include "guest.h"

#define PD    0x1a0000 /* then 6 identity tables (24 MiB), then the window's */
#define PT_W  (PD + 0x7000)
#define WRAM  0x1000000

	HARNESS
harness_main:
	cld
	mov $0xffc00000, %ebx
1:	movl $0x5a5a5a5a, (%ebx)
	lea 0xffc(%ebx), %edi
	mov $0xa5a5a5a5, %eax
	stosl
	cmpl $0xffffffff, (%ebx)
	fail_ne 1
	cmpl $0xffffffff, 0xffc(%ebx)
	fail_ne 2
	add $0x1000, %ebx
	jnz 1b
	mov $0x80, %dx
	out %al, %dx

	/* page tables: 6 identity tables, then the window's to WRAM */
	mov $(PD + 0x1000), %edi
	mov $0x3, %eax
	mov $(6 * 1024), %ecx
2:	stosl
	add $0x1000, %eax
	loop 2b
	mov $(WRAM | 0x3), %eax
	mov $1024, %ecx
3:	stosl
	add $0x1000, %eax
	loop 3b
	mov $PD, %edi
	mov $(PD + 0x1003), %eax
	mov $6, %ecx
4:	stosl
	add $0x1000, %eax
	loop 4b
	movl $(PT_W | 0x3), PD + 1023 * 4
	mov $PD, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	jmp 5f
5:
	mov $0xffc00000, %ebx
	mov $WRAM, %esi
	xor %edx, %edx
6:	lea 0x5a000000(%edx), %eax
	mov %eax, (%ebx)
	lea 0xffc(%ebx), %edi
	not %eax
	stosl
	not %eax
	cmp (%ebx), %eax
	fail_ne 3
	cmp (%esi), %eax
	fail_ne 4
	not %eax
	cmp 0xffc(%ebx), %eax
	fail_ne 5
	cmp 0xffc(%esi), %eax
	fail_ne 6
	inc %edx
	add $0x1000, %esi
	add $0x1000, %ebx
	jnz 6b
	mov $0x80, %dx
	out %al, %dx
	pass
