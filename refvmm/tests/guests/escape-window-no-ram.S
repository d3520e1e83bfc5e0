/*
 * The rare jumps of escape-window.S into the monitor window's linear
 * range with paging off: an indirect jump through a CS-overridden
 * memory operand and a far jump to 0xffc00100, guest-physical space
 * without RAM. The fetch reads all ones, FF FF, and FF /7 is reserved:
 * #UD (SDM Vol. 2D Table A-6), at 0xffc00100, never the monitor's code.
 */
#include "guest.h"

#define WIN 0xffc00100

	HARNESS
harness_main:
	expect_fault 6, 1f
	cs jmp *win_ptr
	fail 1
1:	expect_fault 6, 2f
	ljmp $SEL_CODE, $WIN
	fail 2
2:	pass

	.p2align 2
win_ptr: .long WIN
