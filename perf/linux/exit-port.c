/*
 * exit-port CODE: leaves the machine through the isa-debug-exit port
 * (0xf4). QEMU's device and refvmm's both end the run with status
 * (CODE << 1) | 1. Without ACPI there is no other clean power-off: the
 * kernel's poweroff -f would halt forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

#define EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	char *end;
	long code = argc == 2 ? strtol(argv[1], &end, 0) : -1;

	if (argc != 2 || *end || code < 0 || code > 255) {
		fprintf(stderr, "usage: exit-port CODE (0..255)\n");
		return 2;
	}
	/* I/O permission bitmap bit for the port (SDM Vol. 1, 19.5.2). */
	if (ioperm(EXIT_PORT, 1, 1) != 0) {
		perror("popek-guest: error exit-port ioperm");
		return 1;
	}
	outb((unsigned char)code, EXIT_PORT);
	/* Still running: no exit device answered. */
	printf("popek-guest: error exit-port 0x%x did not stop the machine\n",
	       EXIT_PORT);
	return 1;
}
