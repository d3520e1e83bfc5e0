/*
 * A loop that jumps into the middle of an instruction: the first pass
 * is "mov $imm32, %eax", whose four immediate bytes, decoded from the
 * jump target, are "mov $9, %al; out %al, $DEBUG_EXIT" (exit 9).
 */
#include "guest.h"

	.byte 0xb8		/* mov $imm32, %eax, the imm32 being: */
inner:
	mov $9, %al
	out %al, $DEBUG_EXIT
	jmp inner
