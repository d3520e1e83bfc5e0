/*
 * Jumps to 0xffc00100, the host address of the translator's callout
 * gate. For the guest that is guest-physical memory with no RAM (all
 * ones: #UD, no IDT, a triple fault), never the monitor's code.
 */

	jmp 0xffc00100
