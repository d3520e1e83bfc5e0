/* Halts with interrupts off: nothing can ever wake it, a guest hang. */

	cli
	hlt
