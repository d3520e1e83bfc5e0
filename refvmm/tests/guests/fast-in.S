/*
 * IN of pure ports (pio_pure.h; under bt in the translation, bt/translate.c
 * emit_in): 3000 rounds of IN AL, DX of the
 * UART's scratch register and IN AL, imm8 of the master PIC's mask, both
 * published as pure reads, then IIR (never published: its read clears a
 * THRE interrupt) and the scratch register again after a new value.
 * Exit 0 when every read saw the device's value and the other bytes of
 * EAX and the flags stayed, else the number of the failed check.
 */
#include "guest.h"

	mov $0x190000, %esp
	mov $(COM1 + 7), %dx
	mov $0x5a, %al
	out %al, %dx
	mov $0xa5, %al
	out %al, $0x21
	mov $3000, %ecx
1:	mov $(COM1 + 7), %dx
	mov $0x11223300, %eax
	mov $5, %ebx
	cmp %eax, %eax		/* ZF set */
	stc			/* CF set */
	in %dx, %al
	jnc fail		/* IN changes no flag */
	jnz fail
	mov $1, %ebx
	cmp $0x1122335a, %eax
	jne fail
	mov $0x44556600, %eax
	mov $6, %ebx
	cmp $0x44556601, %eax	/* ZF clear, CF set */
	in $0x21, %al
	jnc fail
	jz fail
	mov $2, %ebx
	cmp $0x445566a5, %eax
	jne fail
	dec %ecx
	jnz 1b
	mov $(COM1 + 2), %dx	/* IIR: no interrupt, FIFOs off */
	in %dx, %al
	mov $3, %ebx
	cmp $0x01, %al
	jne fail
	mov $(COM1 + 7), %dx
	mov $0x33, %al
	out %al, %dx
	xor %eax, %eax
	in %dx, %al
	mov $4, %ebx
	cmp $0x33, %eax
	jne fail
	mov $0, %al
	out %al, $DEBUG_EXIT

fail:
	mov %bl, %al
	out %al, $DEBUG_EXIT
