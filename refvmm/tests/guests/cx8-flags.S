/*
 * CMPXCHG8B sets ZF and keeps CF, PF, AF, SF and OF (SDM Vol. 2A
 * CMPXCHG8B), here as an ADD just before left them: 0x7ffffff0 + 0x11
 * (OF SF) then a compare that fails, 0xffffffff + 1 (CF ZF AF PF) then
 * one that succeeds, 100 times. A host CPU that computes them from a
 * stale lazy-flags state (QEMU 7.2's TCG) fails the first check when it
 * runs the instruction as the guest wrote it (trap mode); the
 * translation ends the host's block first there (bt/translate.c).
 * Exit 0, or 1 (kept flags wrong after the failing compare), 2 (after
 * the succeeding one), 3 (the compare's own result wrong).
 */
#include "guest.h"

#define M 0x200000 /* the ADD's operand */
#define Q 0x200008 /* CMPXCHG8B's */

	mov $0x1ff000, %esp
	mov $100, %ebp
1:	mov $0, %eax
	mov $0, %edx
	mov $0, %ebx
	mov $0, %ecx
	movl $1, Q
	movl $0, Q + 4
	movl $0x7ffffff0, M
	pushl $2
	popfl
	addl $0x11, M
	cmpxchg8b Q		/* 1:0 is not 0:0: EDX:EAX = 0:1 */
	pushfl
	popl %esi
	and $0x8d5, %esi
	cmp $0x880, %esi
	jne 7f
	cmp $1, %eax
	jne 9f
	movl $0xffffffff, M
	pushl $2
	popfl
	addl $1, M
	cmpxchg8b Q		/* 0:1 now matches: Q = ECX:EBX = 0 */
	pushfl
	popl %esi
	and $0x8d5, %esi
	cmp $0x55, %esi
	jne 8f
	cmpl $0, Q
	jne 9f
	dec %ebp
	jnz 1b
	mov $0, %al
	jmp 6f
7:	mov $1, %al
	jmp 6f
8:	mov $2, %al
	jmp 6f
9:	mov $3, %al
6:	out %al, $DEBUG_EXIT
	cli
	hlt
