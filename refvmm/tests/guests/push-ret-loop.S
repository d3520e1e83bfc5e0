/*
 * Returns to its own PUSH forever. A translator rewrites RET into a
 * sequence with a lookup, so a kick at the deadline lands inside that
 * sequence far more often than at an instruction boundary.
 */

	mov $0x101000, %esp
1:	push $1b
	ret
