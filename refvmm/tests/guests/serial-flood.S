/* Writes 'A' to COM1 forever: refvmm stops it at --serial-limit. */
#include "guest.h"

	mov $COM1, %dx
	mov $'A', %al
1:	out %al, %dx
	jmp 1b
