/*
 * The accesses the mmu probes make, as stubs that end in UD2: a stub that
 * completes raises #UD, one that faults raises the fault. Ending in an
 * exception (rather than returning) works the same at CPL 0 and CPL 3 and
 * needs no stack, so the CPL 3 copies run with every other page
 * supervisor-only. The fetch stub jumps to the test address, where the
 * probe has put a UD2: #UD there means the fetch was allowed.
 *
 * Two copies: mmu_sup_* in ordinary text, mmu_user_* alone in a page the
 * probe maps user-accessible (mmu_user_page).
 */
#ifdef __x86_64__
#define TEST_VA 0x8000000000
#define LOAD(r) movabs $(TEST_VA + 8), %r
#define LOADX(r) movabs $TEST_VA, %r
#define AX rax
#define CX ecx
#else
#define TEST_VA 0xc0000000
#define LOAD(r) mov $(TEST_VA + 8), %r
#define LOADX(r) mov $TEST_VA, %r
#define AX eax
#define CX ecx
#endif

#define STUBS(p)                                                               \
	.globl p##_read, p##_write, p##_rw, p##_fetch, p##_read_done;          \
p##_read:                                                                      \
	LOAD(AX);                                                              \
	mov (%AX), %ecx;                                                       \
p##_read_done:                                                                 \
	ud2;                                                                   \
p##_write:                                                                     \
	LOAD(AX);                                                              \
	movl $0x5a5aa5a5, (%AX);                                               \
	ud2;                                                                   \
p##_rw:                                                                        \
	LOAD(AX);                                                              \
	mov (%AX), %CX;                                                        \
	mov %CX, (%AX);                                                        \
	ud2;                                                                   \
p##_fetch:                                                                     \
	LOADX(AX);                                                             \
	jmp *%AX

	.text
	.balign 4096
	.globl mmu_user_page
mmu_user_page:
	STUBS(mmu_user)
	.balign 4096
	STUBS(mmu_sup)
	.section .note.GNU-stack, "", @progbits
