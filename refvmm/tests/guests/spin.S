/* Jumps to itself forever: only --timeout ends the run. */

	jmp .
