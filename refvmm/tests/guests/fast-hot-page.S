/*
 * A page whose frame keeps changing (sw/shadow_hot.h), as ptemod.32
 * moves it: with paging on, linear page HOT is moved to the other of
 * two frames N times, each move a PTE store and an INVLPG of HOT (the
 * disp32 form), then read and written through every form the gate
 * finishes for an adapted access (bt/fast_shadow.h): MOV r32, m32 with a
 * disp32 (DS), with EBP as base (SS) and with a SIB index; MOV EAX,
 * moffs (A1); MOV m32, r32 with a base (89) and MOV moffs, EAX (A3).
 * Each move leaves A and D clear, as ptemod.32's PTE store does. Each
 * read must give the frame the PTE names now, each store must land in
 * that frame, read back through the frame's identity mapping, and the
 * accesses must have set A and D.
 * Exit 0 when all held, else the number of the failed check.
 */
#include "guest.h"

#define PD  0x200000
#define PT  0x201000
#define HOT 0x300000 /* PT entry 0x300 */
#define F0  0x310000
#define F1  0x311000
#define N   1000

	mov $0x190000, %esp
	identity_pt PT
	movl $0xf0000000, F0
	movl $0xf0000001, F1
	movl $0xf1000000, F0 + 4
	movl $0xf1000001, F1 + 4
	movl $(F0 | 0x63), PT + (HOT >> 12) * 4
	movl $(PT | 0x23), PD
	mov $PD, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0

	mov $HOT, %ebp
	mov $HOT, %ebx
	mov $1, %esi
	xor %edi, %edi		/* the move */
2:	inc %edi
	/* frame (EDI & 1), its marker in EDX */
	mov %edi, %edx
	and $1, %edx
	mov %edx, %eax
	shl $12, %eax
	add $(F0 | 0x03), %eax	/* P RW: A and D clear, as ptemod.32's */
	mov %eax, PT + (HOT >> 12) * 4
	invlpg HOT
	or $0xf0000000, %edx
	mov $1, %cl
	mov HOT, %eax		/* A1 */
	cmp %edx, %eax
	jne fail_cl
	mov $2, %cl
	.byte 0x8b, 0x05	/* mov HOT, %eax with a ModRM: DS */
	.long HOT
	cmp %edx, %eax
	jne fail_cl
	mov $3, %cl
	.byte 0x8b, 0x45, 0x00	/* mov 0(%ebp), %eax: SS */
	cmp %edx, %eax
	jne fail_cl
	mov $4, %cl
	mov (%ebx,%esi,4), %eax	/* word 1: 0xf100000X */
	xor $0x01000000, %eax
	cmp %edx, %eax
	jne fail_cl
	/* stores: the move number at +8 (89), its complement at +12 (A3) */
	mov %edi, 8(%ebx)
	mov %edi, %eax
	not %eax
	mov %eax, HOT + 12
	mov $5, %cl
	mov %edi, %eax
	and $1, %eax
	shl $12, %eax
	cmp %edi, F0 + 8(%eax)
	jne fail_cl
	mov $6, %cl
	mov %edi, %edx
	not %edx
	cmp %edx, F0 + 12(%eax)
	jne fail_cl
	/* the accesses set A and D in the PTE (SDM Vol. 3A 4.8) */
	mov $7, %cl
	mov PT + (HOT >> 12) * 4, %eax
	and $0x60, %eax
	cmp $0x60, %eax
	jne fail_cl
	cmp $N, %edi
	jne 2b
	mov $0, %al
	out %al, $DEBUG_EXIT

fail_cl:
	mov %cl, %al
	out %al, $DEBUG_EXIT
