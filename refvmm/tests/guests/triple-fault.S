/*
 * Loads an IDT with limit 0, then raises #UD: the #UD and the #DF it
 * becomes both find no gate, so the CPU shuts down (a triple fault).
 */

	lidt idtr
	ud2

	.org 0x10, 0
idtr:	.word 0			/* limit */
	.long 0			/* base */
	.byte 0			/* pad */
