/*
 * The hostile template guest: runs the slots of a payload (layout.h)
 * one after another and survives whatever they do. Every IDT vector is
 * an interrupt gate to `recover`, which rebuilds the descriptor tables,
 * control registers and segments from scratch before the next slot, so
 * one slot's LGDT, LLDT, MOV CR or descriptor stores cannot stop the
 * following ones. What a slot can still do is break the very first
 * steps of the delivery (a CPL 0 slot with a bad stack triple-faults,
 * SDM Vol. 3A 6.15 "#DF"); the campaign counts that as contained.
 *
 * Multiboot v1 (flags 3: page-aligned modules, memory info); refvmm
 * enters at _start in flat 32-bit protected mode, paging off.
 */
#include "layout.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x3

#define CR0_PE 0x1
#define CR0_MP 0x2
#define CR0_ET 0x10
#define CR0_NE 0x20
#define CR0_WP 0x10000
#define CR0_PG 0x80000000
#define CR4_OSFXSR 0x200
#define CR4_OSXMMEXCPT 0x400
#define CR4_OSXSAVE 0x40000
#define GATE 0x10000 /* gdt_list: a call gate, not a segment */

	.section .text
	.code32
	.align 4
mb_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.globl _start
_start:
	cli
	mov $kstack_top, %esp
	call read_header
	call probe_features
	testb $FLAG_PAGING, flags
	jz 1f
	call build_page_tables
1:	call reset_machine
	call fill_low_ram
	jmp start_slot

/*
 * Every vector lands here (interrupt gate: IF is clear). Nothing but CS
 * can be trusted: the GDTR is reloaded through CS (readable code), then
 * the flat data segments.
 */
recover:
	lgdt %cs:gdt_ptr
	mov $SEL_KDATA, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $kstack_top, %esp
	call reset_machine
	incl cur_slot
	mov cur_slot, %eax
	cmp nslots, %eax
	jb start_slot
	movl $0, cur_slot
	incl cur_rep
	mov cur_rep, %eax
	cmp repeat, %eax
	jb start_slot
	mov $0, %al
	out %al, $0xf4
	/* The exit port is not there: nothing left but to stop. */
2:	hlt
	jmp 2b

/*
 * RAM from 0x1000 up to the template, and the RAM the monitor window's
 * linear range maps to, hold UD2s, not zeros: a slot that strays there
 * (the IP of a 16-bit far jump, a call gate into the window) faults into
 * the recovery at once instead of running 00 00 (ADD) for megabytes,
 * into the template's own code, until the timeout. Page 0 stays: it is
 * no RAM the BT modes map (a run that touches it ends with status 86).
 */
fill_low_ram:
	mov $0x1000, %edi
	mov $(0x100000 - 0x1000) / 4, %ecx
	mov $0x0b0f0b0f, %eax
	cld
	rep stosl
	/* the RAM behind the monitor window's linear range too: a call
	 * gate into the window would run 4 MiB of zeros */
	mov $WINDOW_ALIAS_GPA, %edi
	mov $0x400000 / 4, %ecx
	rep stosl
	ret

/* The payload's header, clamped; slots end at the first all-zero one. */
read_header:
	movzbl PAYLOAD_GPA + HDR_FLAGS, %eax
	mov %eax, flags
	movzbl PAYLOAD_GPA + HDR_REPEAT, %eax
	test %eax, %eax
	jnz 1f
	inc %eax
1:	cmp $MAX_REPEAT, %eax
	jbe 1f
	mov $MAX_REPEAT, %eax
1:	mov %eax, repeat
	movzwl PAYLOAD_GPA + HDR_SLOTS, %ecx
	cmp $MAX_SLOTS, %ecx
	jbe 1f
	mov $MAX_SLOTS, %ecx
1:	xor %edx, %edx /* slots with any non-zero byte */
	mov $SLOT_BASE, %esi
2:	cmp %ecx, %edx
	jae 4f
	xor %ebx, %ebx
3:	mov (%esi,%ebx,4), %eax
	test %eax, %eax
	jnz 5f
	inc %ebx
	cmp $SLOT_SIZE / 4, %ebx
	jb 3b
	jmp 4f
5:	inc %edx
	add $SLOT_SIZE, %esi
	jmp 2b
4:	test %edx, %edx
	jnz 1f
	inc %edx /* an empty payload still runs (and faults in) slot 0 */
1:	mov %edx, nslots
	xor %ebx, %ebx
6:	movzbl PAYLOAD_GPA + HDR_SEGS(%ebx), %eax
	and $15, %eax
	movzwl data_sels(,%eax,2), %eax
	mov %ax, slot_sels(,%ebx,2)
	inc %ebx
	cmp $4, %ebx
	jb 6b
	mov PAYLOAD_GPA + HDR_SEED, %eax
	mov %eax, seed
	movl $0, cur_slot
	movl $0, cur_rep
	ret

/* CR4 and XCR0 the slots' SSE, XSAVE and VEX forms need (SDM Vol. 1
 * 13.3: XSETBV needs CR4.OSXSAVE; AVX needs XCR0 bits 1 and 2). */
probe_features:
	mov $1, %eax
	cpuid
	mov $CR4_OSFXSR | CR4_OSXMMEXCPT, %eax
	movl $0, xcr0
	bt $26, %ecx /* XSAVE */
	jnc 1f
	or $CR4_OSXSAVE, %eax
	movl $3, xcr0
	bt $28, %ecx /* AVX */
	jnc 1f
	movl $7, xcr0
1:	mov %eax, cr4_value
	mov $CR0_PE | CR0_MP | CR0_ET | CR0_NE, %eax
	testb $FLAG_PAGING, flags
	jz 1f
	or $CR0_PG | CR0_WP, %eax
1:	mov %eax, cr0_value
	ret

/*
 * 2-level paging: 0-16 MiB identity, the template's 4 MiB supervisor
 * only, the payload and everything above user; the last directory entry
 * maps the monitor window's linear range to WINDOW_ALIAS_GPA, so a slot
 * aiming there reaches its own RAM, never refvmm's.
 */
build_page_tables:
	xor %ebx, %ebx /* page index, 0..4095 */
1:	mov %ebx, %eax
	shl $12, %eax
	or $3, %eax /* present, writable */
	cmp $PAYLOAD_GPA >> 12, %ebx
	jb 2f
	or $4, %eax /* user */
2:	mov %eax, page_tables(,%ebx,4)
	inc %ebx
	cmp $4096, %ebx
	jb 1b
	xor %ebx, %ebx
3:	mov %ebx, %eax
	shl $12, %eax
	add $WINDOW_ALIAS_GPA | 7, %eax
	mov %eax, window_pt(,%ebx,4)
	inc %ebx
	cmp $1024, %ebx
	jb 3b
	xor %ebx, %ebx
4:	mov %ebx, %eax
	shl $12, %eax
	add $page_tables + 7, %eax
	mov %eax, page_dir(,%ebx,4)
	inc %ebx
	cmp $4, %ebx
	jb 4b
	mov $window_pt + 7, %eax
	mov %eax, page_dir + 1023 * 4
	/* linear page 0 not present: a slot that runs off the top of the
	 * window wraps to 0 and gets #PF, not the run's end (status 86) */
	movl $0, page_tables
	ret

/*
 * desc: %edi entry, %eax base, %ebx limit (20 bits), %ecx access byte
 * | flags nibble << 8 (SDM Vol. 3A 3.4.5, Figure 3-8).
 */
set_desc:
	push %edx
	mov %ebx, %edx
	and $0xffff, %edx
	push %eax
	shl $16, %eax
	or %eax, %edx
	mov %edx, (%edi)
	pop %eax
	mov %eax, %edx
	and $0xff000000, %edx
	push %eax
	shr $16, %eax
	and $0xff, %eax
	or %eax, %edx
	mov %ecx, %eax
	and $0xff, %eax
	shl $8, %eax
	or %eax, %edx
	mov %ebx, %eax
	and $0xf0000, %eax
	or %eax, %edx
	mov %ecx, %eax
	and $0xf00, %eax
	shl $12, %eax
	or %eax, %edx
	mov %edx, 4(%edi)
	pop %eax
	pop %edx
	ret

/* gate: %edi entry, %eax offset, %ebx selector, %ecx access byte (6.11,
 * 5.8.3 Figure 5-8). */
set_gate:
	push %edx
	mov %ebx, %edx
	shl $16, %edx
	mov %ax, %dx
	mov %edx, (%edi)
	mov %eax, %edx
	and $0xffff0000, %edx
	mov %cl, %dh
	mov %edx, 4(%edi)
	pop %edx
	ret

/* The tables, the control registers, TR and LDTR as at the start. */
reset_machine:
	mov $gdt_list, %esi
	mov $gdt + 8, %edi
1:	cmpl $-1, (%esi)
	je 2f
	mov (%esi), %eax
	mov 4(%esi), %ebx
	mov 8(%esi), %ecx
	test $GATE, %ecx
	jz 3f
	/* a call gate: %eax offset, %ebx selector */
	call set_gate
	jmp 4f
3:	call set_desc
4:	add $12, %esi
	add $8, %edi
	jmp 1b
2:	/* system descriptors need run-time bases */
	mov $gdt + SEL_TSS, %edi
	mov $tss, %eax
	mov $103, %ebx
	mov $0x089, %ecx
	call set_desc
	mov $gdt + SEL_LDT, %edi
	mov $ldt, %eax
	mov $LDT_ENTRIES * 8 - 1, %ebx
	mov $0x082, %ecx
	call set_desc
	mov $gdt + 12 * 8, %edi
	mov $gate_lret, %eax
	mov $SEL_KCODE, %ebx
	mov $0xec, %ecx
	call set_gate
	/* the LDT: GDT entries by ldt_src, round and round */
	xor %ebx, %ebx
5:	mov %ebx, %eax
	and $15, %eax
	movzbl ldt_src(%eax), %eax
	mov gdt(,%eax,8), %ecx
	mov %ecx, ldt(,%ebx,8)
	mov gdt + 4(,%eax,8), %ecx
	mov %ecx, ldt + 4(,%ebx,8)
	inc %ebx
	cmp $LDT_ENTRIES, %ebx
	jb 5b
	/* every vector, DPL 3 so that INT n from CPL 3 lands too */
	xor %edx, %edx
6:	lea idt(,%edx,8), %edi
	mov $recover, %eax
	mov $SEL_KCODE, %ebx
	mov $0xee, %ecx
	call set_gate
	inc %edx
	cmp $256, %edx
	jb 6b
	movl $kstack_top, tss + 4
	movl $SEL_KDATA, tss + 8
	movw $104, tss + 102 /* no I/O bitmap: IN/OUT at CPL 3 fault */
	lgdt gdt_ptr
	lidt idt_ptr
	pop %esi /* return address: the far jump below reloads CS */
	ljmp $SEL_KCODE, $7f
7:	mov $SEL_KDATA, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $SEL_LDT, %eax
	lldt %ax
	mov $SEL_TSS, %eax
	ltr %ax
	mov cr4_value, %eax
	mov %eax, %cr4
	mov $page_dir, %eax
	mov %eax, %cr3
	mov cr0_value, %eax
	mov %eax, %cr0
	mov cr4_value, %eax
	test $CR4_OSXSAVE, %eax
	jz 8f
	xor %ecx, %ecx
	xor %edx, %edx
	mov xcr0, %eax
	xsetbv
8:	fninit
	push $2
	popf
	jmp *%esi

/* A call gate's target at CPL 0: straight back. */
gate_lret:
	lret

/* The current slot from a clean state: iret to it at its CPL. */
start_slot:
	mov cur_slot, %eax
	shl $6, %eax /* SLOT_SIZE */
	add $SLOT_BASE, %eax
	testb $FLAG_CPL3, flags
	jz 1f
	push $SEL_UDATA
	push $USER_STACK_TOP
	push $2
	push $SEL_UCODE
	push %eax
	jmp 2f
1:	mov $USER_STACK_TOP, %esp
	push $2
	push $SEL_KCODE
	push %eax
2:	mov slot_sels + 2, %ax
	mov %ax, %es
	mov slot_sels + 4, %ax
	mov %ax, %fs
	mov slot_sels + 6, %ax
	mov %ax, %gs
	mov seed, %ebx
	mov slot_sels, %ax
	mov %ax, %ds
	mov %ebx, %eax
	mov %ebx, %ecx
	mov %ebx, %edx
	mov %ebx, %esi
	mov %ebx, %edi
	mov %ebx, %ebp
	iret

	.section .rodata
	.align 4
/*
 * GDT entries 1..20 after the null one: base, limit, access | flags<<8
 * (descriptors), or offset, selector, GATE | access (call gates).
 */
gdt_list:
	.long 0, 0xfffff, 0xc9a		/* 0x08 kernel code */
	.long 0, 0xfffff, 0xc92		/* 0x10 kernel data */
	.long 0, 0xfffff, 0xcfa		/* 0x18 user code */
	.long 0, 0xfffff, 0xcf2		/* 0x20 user data */
	.long 0, 0, 0			/* 0x28 TSS: set at run time */
	.long 0, 0xfffff, 0xafa		/* 0x30 L=1 code, DPL 3 */
	.long 0x5000, 0xffff, 0x4f2	/* 0x38 data based at 0x5000 */
	.long 0, 0x0ffff, 0xcf6		/* 0x40 expand-down: 256M..4G */
	.long PAYLOAD_GPA, 0xffff, 0x0f2 /* 0x48 16-bit data */
	.long 0, 0xfffff, 0xc9e		/* 0x50 conforming code, DPL 0 */
	.long PAYLOAD_GPA, 0xffff, 0x0fa /* 0x58 16-bit code, DPL 3 */
	.long 0, 0, 0			/* 0x60 call gate: set at run time */
	.long WINDOW_LINEAR, SEL_KCODE, GATE | 0xec /* 0x68 gate into the window */
	.long 0, 0, 0			/* 0x70 LDT: set at run time */
	.long WINDOW_LINEAR, 0x3ff, 0xcf2 /* 0x78 data based in the window */
	.long 0xfffff000, 0xfffff, 0xcf2 /* 0x80 data wrapping past 4G */
	.long WINDOW_LINEAR, 0x3ff, 0xcfa /* 0x88 code based in the window */
	.long WINDOW_LINEAR, 0xfff, 0x0f6 /* 0x90 16-bit expand-down, window */
	.long 0, SEL_LCODE, GATE | 0xec	/* 0x98 call gate to L=1 code */
	.long WINDOW_LINEAR, 0x3ff, 0xc92 /* 0xa0 DPL 0 data in the window */
	.long -1

/* GDT index of each LDT entry, modulo 16. */
ldt_src:
	.byte 4, 7, 8, 9, 15, 16, 18, 3, 6, 10, 11, 12, 13, 17, 19, 20

/* Data selectors a slot's DS/ES/FS/GS start with: loadable at CPL 3. */
	.align 2
data_sels:
	.word 0x23, 0x3b, 0x43, 0x4b, 0x7b, 0x83, 0x93, 0x07
	.word 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x207, 0x20f, 0x237

gdt_ptr:
	.word GDT_ENTRIES * 8 - 1
	.long gdt
	.align 4
idt_ptr:
	.word 256 * 8 - 1
	.long idt

	.section .bss
	.align 4096
page_dir:
	.space 4096
page_tables:
	.space 4 * 4096
window_pt:
	.space 4096
gdt:
	.space GDT_ENTRIES * 8
	.align 8
ldt:
	.space LDT_ENTRIES * 8
	.align 8
idt:
	.space 256 * 8
tss:
	.space 104
	.align 4
flags:	.long 0
repeat:	.long 0
nslots:	.long 0
cur_slot: .long 0
cur_rep: .long 0
seed:	.long 0
cr0_value: .long 0
cr4_value: .long 0
xcr0:	.long 0
slot_sels: .space 8
	.align 16
kstack:
	.space 16384
kstack_top:
