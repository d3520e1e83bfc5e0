/*
 * RDTSC and RDTSCP at CPL 0 (translated in line under bt): the guest's
 * TSC is written (IA32_TSC, 0x10) 256 cycles short of a carry into its
 * high half, so the first read already shows the carry the sum must
 * propagate; 100 reads must not go backwards, the flags and ECX survive
 * RDTSC, and RDTSCP (where CPUID has it) returns IA32_TSC_AUX in ECX.
 * Exit 0 when all held, else the number of the failed check.
 */
#include "guest.h"

#define TSC_HI 0x1
#define TSC_LO 0xffffff00

	mov $0x190000, %esp
	mov $0x10, %ecx
	mov $TSC_LO, %eax
	mov $TSC_HI, %edx
	wrmsr
	flags_and_ecx_known %esi
	rdtsc
	pushf
	pop %edi
	mov $1, %ebx
	cmp %esi, %edi
	jne fail
	mov $2, %ebx
	cmp $0x5555, %ecx
	jne fail
	/* past the carry, less than 2^32 cycles later: EDX is TSC_HI + 1 */
	mov $3, %ebx
	cmp $(TSC_HI + 1), %edx
	jne fail
	/* 100 reads, each at least the last (EBP:ECX) */
	mov %eax, %ecx
	mov %edx, %ebp
	mov $100, %esi
1:	rdtsc
	mov $4, %ebx
	cmp %ebp, %edx
	jb fail
	ja 2f
	cmp %ecx, %eax
	jb fail
2:	mov %eax, %ecx
	mov %edx, %ebp
	dec %esi
	jnz 1b
	/* RDTSCP where CPUID.80000001H:EDX[27] says so */
	mov $0x80000001, %eax
	xor %ecx, %ecx
	cpuid
	bt $27, %edx
	jnc 3f
	mov $0xc0000103, %ecx
	mov $0x1234, %eax
	xor %edx, %edx
	wrmsr
	xor %ecx, %ecx
	rdtscp
	mov $5, %ebx
	cmp $0x1234, %ecx
	jne fail
	mov $6, %ebx
	cmp %ebp, %edx
	jb fail
3:	mov $0, %al
	out %al, $DEBUG_EXIT

fail:
	mov %bl, %al
	out %al, $DEBUG_EXIT
