/*
 * A far jump to 0x33:0x100000, 0x33 being the host's 64-bit code
 * selector. The guest's GDT has no such entry, so this must be a #GP in
 * the guest (no IDT: a triple fault), never a jump into host long mode.
 */

	ljmp $0x33, $0x100000
