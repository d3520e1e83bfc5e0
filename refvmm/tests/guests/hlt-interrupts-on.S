/*
 * Halts with interrupts on but no timer programmed: no interrupt will
 * ever come, a guest hang of another kind.
 */

	sti
	hlt
