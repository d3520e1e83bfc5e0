/*
 * hw mode: the guest runs in hardware guest mode through /dev/kvm, with
 * every device in user space (no in-kernel irqchip, so interrupts are
 * injected with KVM_INTERRUPT when the vCPU can take one). Exits come
 * back for port I/O, MMIO, HLT, shutdown and errors.
 * API: Documentation/virt/kvm/api.rst (KVM_RUN, KVM_SET_SREGS,
 * KVM_SET_USER_MEMORY_REGION, KVM_INTERRUPT, KVM_GET_STATS_FD).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>

#include <popek/image.h>

#include "refvmm/io_breakpoint.h"
#include "refvmm/lapic.h"
#include "refvmm/machine.h"
#include "refvmm/mode.h"
#include "refvmm/msr_rules.h"
#include "refvmm/run.h"
#include "refvmm/stats.h"
#include "refvmm/vcpu.h"

#define KVM_DEV "/dev/kvm"

struct kvm_hw {
	int kvm_fd, vm_fd, vcpu_fd, stats_fd;
	struct kvm_run *run;
	size_t run_size;
	const char *stats_unavailable; /* why there are no kvm.* stats */
	/* the last exit was port I/O, completed by the next KVM_RUN */
	bool io_pending;
	u16 io_port;
	u8 io_size;
	u64 io_breakpoints;	/* #DB traps raised for I/O breakpoints */
	bool msr_filter_failed; /* hidden features' MSRs still answered */
	bool msr_exits;		/* filtered writes come to user space */
	u64 msr_checked;	/* writes checked by msr_rules.h */
	bool guest_intel;	/* the guest's CPUID vendor */
	int guest_vabits;	/* CPUID.80000008H:EAX[15:8] shown */
};

/* CPU features an image may need, as CPUID bits (SDM Vol. 2A, CPUID). */
static const struct {
	u32 feature;
	const char *name;
	u32 leaf, index;
	int reg; /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
	int bit;
} kvm_features[] = {
	{POPEK_FEAT_LM, "lm", 0x80000001, 0, 3, 29},
	{POPEK_FEAT_PAE, "pae", 1, 0, 3, 6},
	{POPEK_FEAT_PSE, "pse", 1, 0, 3, 3},
	{POPEK_FEAT_NX, "nx", 0x80000001, 0, 3, 20},
	{POPEK_FEAT_PGE, "pge", 1, 0, 3, 13},
	{POPEK_FEAT_SMEP, "smep", 7, 0, 1, 7},
	{POPEK_FEAT_SMAP, "smap", 7, 0, 1, 20},
	{POPEK_FEAT_UMIP, "umip", 7, 0, 2, 2},
	{POPEK_FEAT_SSE2, "sse2", 1, 0, 3, 26},
	{POPEK_FEAT_TSC, "tsc", 1, 0, 3, 4},
	{POPEK_FEAT_APIC, "apic", 1, 0, 3, 9},
};

static u32 *cpuid__reg(struct kvm_cpuid_entry2 *e, int reg)
{
	switch (reg) {
	case 0:
		return &e->eax;
	case 1:
		return &e->ebx;
	case 2:
		return &e->ecx;
	default:
		return &e->edx;
	}
}

static struct kvm_cpuid_entry2 *cpuid__find(struct kvm_cpuid2 *c, u32 leaf,
					    u32 index)
{
	u32 i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     c->entries[i].index == index))
			return &c->entries[i];
	return NULL;
}

static struct kvm_cpuid2 *kvm__supported_cpuid(int kvm_fd)
{
	u32 nent = 64;

	for (;;) {
		struct kvm_cpuid2 *c =
			calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG || nent > 4096)
			return NULL;
		nent *= 2;
	}
}

/*
 * The CPUID the guest sees: what KVM supports, minus x2APIC and the TSC
 * deadline timer, which refvmm's local APIC (devices/lapic.c, in user
 * space: no in-kernel irqchip) does not have; its APIC ID, 0, is the
 * initial APIC ID. KVM itself keeps CPUID.1:EDX.APIC equal to
 * IA32_APIC_BASE's enable bit. Refuses an image whose required features
 * are missing (-ENOTSUP).
 */
static int kvm__setup_cpuid(struct kvm_hw *hw, struct machine *m, char *err,
			    size_t errlen)
{
	struct kvm_cpuid2 *c = kvm__supported_cpuid(hw->kvm_fd);
	struct kvm_cpuid_entry2 *e;
	u32 need = m->image_features;
	size_t i;
	int r = 0;

	if (!c) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID failed: %s",
			 strerror(errno));
		return -errno;
	}
	e = cpuid__find(c, 0, 0);
	hw->guest_intel = e && e->ebx == 0x756e6547u; /* "Genu" */
	e = cpuid__find(c, 0x80000008u, 0);
	hw->guest_vabits = e && (e->eax >> 8 & 0xff) ? e->eax >> 8 & 0xff : 48;
	e = cpuid__find(c, 1, 0);
	if (e) {
		e->ebx &= 0x00ffffffu;		      /* initial APIC ID 0 */
		e->ecx &= ~((1u << 21) | (1u << 24)); /* x2APIC, TSC-deadline */
	}
	if (m->image_width == 64)
		need |= POPEK_FEAT_LM;
	for (i = 0; i < ARRAY_SIZE(kvm_features); i++) {
		if (!(need & kvm_features[i].feature))
			continue;
		e = cpuid__find(c, kvm_features[i].leaf, kvm_features[i].index);
		if (!e || !(*cpuid__reg(e, kvm_features[i].reg) &
			    (1u << kvm_features[i].bit))) {
			snprintf(err, errlen,
				 "image needs CPU feature %s, which this "
				 "host's KVM does not offer",
				 kvm_features[i].name);
			r = -ENOTSUP;
			goto out;
		}
	}
	if (ioctl(hw->vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_SET_CPUID2 failed: %s",
			 strerror(errno));
	}
out:
	free(c);
	return r;
}

/*
 * MSRs KVM answers against the architecture, sent back to refvmm by a
 * KVM MSR filter (KVM_X86_SET_MSR_FILTER) with user-space MSR exits
 * (KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER):
 * - IA32_TSC_DEADLINE (6E0H): KVM answers it whatever CPUID says, but
 *   the model hides TSC-deadline, so it does not exist: RDMSR and WRMSR
 *   raise #GP(0) (SDM Vol. 2B RDMSR/WRMSR; Vol. 4 Table 2-2, "If
 *   CPUID.01H:ECX.[24] = 1").
 * - writes of IA32_PAT and, for an Intel guest, IA32_SYSENTER_ESP/EIP:
 *   checked by msr_rules.h, then made with KVM_SET_MSRS (the filter
 *   does not apply to the host's own accesses).
 * Without user-space exits KVM injects the #GP for a denied MSR itself:
 * then only 6E0H is filtered. Without the filter the accesses stay
 * KVM's; stat hw.msr_filter reads 0.
 */
static void kvm__filter_msrs(struct kvm_hw *hw)
{
	static u8 deny[1]; /* bits clear: access denied */
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = {KVM_MSR_EXIT_REASON_FILTER},
	};
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = {{
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = 0x6e0,
			.bitmap = deny,
		}},
	};
	int n = 1;

	if (ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <=
	    0) {
		hw->msr_filter_failed = true;
		return;
	}
	hw->msr_exits = ioctl(hw->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
	if (hw->msr_exits) {
		f.ranges[n++] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = MSR_RULES_PAT,
			.bitmap = deny,
		};
		if (hw->guest_intel)
			f.ranges[n++] = (struct kvm_msr_filter_range){
				.flags = KVM_MSR_FILTER_WRITE,
				.nmsrs = 2,
				.base = MSR_RULES_SYSENTER_ESP,
				.bitmap = deny,
			};
	}
	if (ioctl(hw->vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0)
		hw->msr_filter_failed = true;
}

/* A filtered RDMSR/WRMSR (kvm__filter_msrs): #GP(0) through
 * run->msr.error, or the write made. */
static void kvm__msr_exit(struct kvm_hw *hw)
{
	struct kvm_run *run = hw->run;
	/* struct kvm_msrs ends in a flexible array: storage for one entry. */
	union {
		struct kvm_msrs h;
		u8 bytes[sizeof(struct kvm_msrs) +
			 sizeof(struct kvm_msr_entry)];
	} w;

	memset(&w, 0, sizeof(w));
	w.h.nmsrs = 1;
	w.h.entries[0].index = run->msr.index;
	w.h.entries[0].data = run->msr.data;

	run->msr.error = 1;
	if (run->exit_reason != KVM_EXIT_X86_WRMSR || run->msr.index == 0x6e0)
		return;
	hw->msr_checked++;
	if (msr_write_faults(run->msr.index, run->msr.data, hw->guest_intel,
			     hw->guest_vabits))
		return;
	if (ioctl(hw->vcpu_fd, KVM_SET_MSRS, &w) == 1)
		run->msr.error = 0;
}

static void seg__to_kvm(struct kvm_segment *k, const struct vcpu_seg *s)
{
	*k = (struct kvm_segment){
		.base = s->base,
		.limit = s->limit,
		.selector = s->selector,
		.type = s->type,
		.present = s->present,
		.dpl = s->dpl,
		.db = s->db,
		.s = s->s,
		.l = s->l,
		.g = s->g,
		.avl = s->avl,
		.unusable = s->unusable,
	};
}

static int kvm__set_state(struct kvm_hw *hw, const struct vcpu_state *st,
			  char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(hw->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		goto err;
	seg__to_kvm(&sregs.cs, &st->cs);
	seg__to_kvm(&sregs.ds, &st->ds);
	seg__to_kvm(&sregs.es, &st->es);
	seg__to_kvm(&sregs.fs, &st->fs);
	seg__to_kvm(&sregs.gs, &st->gs);
	seg__to_kvm(&sregs.ss, &st->ss);
	seg__to_kvm(&sregs.tr, &st->tr);
	seg__to_kvm(&sregs.ldt, &st->ldt);
	sregs.gdt.base = st->gdt_base;
	sregs.gdt.limit = st->gdt_limit;
	sregs.idt.base = st->idt_base;
	sregs.idt.limit = st->idt_limit;
	sregs.cr0 = st->cr0;
	sregs.cr2 = st->cr2;
	sregs.cr3 = st->cr3;
	sregs.cr4 = st->cr4;
	sregs.efer = st->efer;
	if (ioctl(hw->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		goto err;
	memset(&regs, 0, sizeof(regs));
	regs.rax = st->rax;
	regs.rbx = st->rbx;
	regs.rcx = st->rcx;
	regs.rdx = st->rdx;
	regs.rsi = st->rsi;
	regs.rdi = st->rdi;
	regs.rsp = st->rsp;
	regs.rbp = st->rbp;
	regs.rip = st->rip;
	regs.rflags = st->rflags;
	if (ioctl(hw->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		goto err;
	return 0;
err:
	snprintf(err, errlen, "cannot set the vCPU's initial state: %s",
		 strerror(errno));
	return -errno;
}

/* " at cs:rip 0x80:0x10004b (cr0 0x11, efer 0x0)", or "" if unknown. */
static void kvm__where(struct kvm_hw *hw, char *buf, size_t len)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	buf[0] = 0;
	if (ioctl(hw->vcpu_fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(hw->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return;
	snprintf(buf, len,
		 " at cs:rip 0x%x:0x%llx (cpl %u, cr0 0x%llx, efer 0x%llx)",
		 sregs.cs.selector, (unsigned long long)regs.rip, sregs.cs.dpl,
		 (unsigned long long)sregs.cr0, (unsigned long long)sregs.efer);
}

static const char *const kvm_suberrors[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering one",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "exit while delivering an event",
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected exit reason",
};

/* One line: what failed, where, and the instruction bytes KVM fetched. */
static void kvm__internal_error(struct kvm_hw *hw, struct vm_exit *exit)
{
	struct kvm_run *run = hw->run;
	u32 sub = run->internal.suberror;
	char where[160];
	size_t n;
	u32 i;

	kvm__where(hw, where, sizeof(where));
	n = (size_t)snprintf(exit->detail, sizeof(exit->detail),
			     "KVM internal error: %s (suberror %u)%s",
			     sub < ARRAY_SIZE(kvm_suberrors) &&
					     kvm_suberrors[sub]
				     ? kvm_suberrors[sub]
				     : "unknown",
			     sub, where);
	if (sub == KVM_INTERNAL_ERROR_EMULATION &&
	    run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		u32 size = run->emulation_failure.insn_size;

		if (size > 15)
			size = 15;
		if (n < sizeof(exit->detail))
			n += (size_t)snprintf(exit->detail + n,
					      sizeof(exit->detail) - n,
					      ", insn bytes");
		for (i = 0; i < size && n < sizeof(exit->detail); i++)
			n += (size_t)snprintf(
				exit->detail + n, sizeof(exit->detail) - n,
				" %02x", run->emulation_failure.insn_bytes[i]);
	} else {
		for (i = 0; i < run->internal.ndata && i < 4 &&
			    n < sizeof(exit->detail);
		     i++)
			n += (size_t)snprintf(
				exit->detail + n, sizeof(exit->detail) - n,
				"%s0x%llx", i ? " " : ", data ",
				(unsigned long long)run->internal.data[i]);
	}
}

static int kvm__open_stats(struct kvm_hw *hw)
{
	if (ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <=
	    0) {
		hw->stats_unavailable =
			"unavailable: this kernel has no KVM_GET_STATS_FD";
		return 0;
	}
	hw->stats_fd = ioctl(hw->vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (hw->stats_fd < 0)
		hw->stats_unavailable = "unavailable: KVM_GET_STATS_FD failed";
	return 0;
}

static void kvm__destroy(struct vcpu *vcpu)
{
	struct kvm_hw *hw = vcpu->mode_priv;

	if (!hw)
		return;
	kick__set_target(NULL);
	if (hw->run && hw->run != MAP_FAILED)
		munmap(hw->run, hw->run_size);
	if (hw->stats_fd >= 0)
		close(hw->stats_fd);
	if (hw->vcpu_fd >= 0)
		close(hw->vcpu_fd);
	if (hw->vm_fd >= 0)
		close(hw->vm_fd);
	if (hw->kvm_fd >= 0)
		close(hw->kvm_fd);
	free(hw);
	vcpu->mode_priv = NULL;
}

/* /dev/kvm (or REFVMM_KVM_DEVICE) and a VM on it; -ENODEV with a reason. */
static int kvm__open_vm(struct kvm_hw *hw, char *err, size_t errlen)
{
	const char *dev;

	/* The test suite points this elsewhere to check the no-KVM path. */
	dev = getenv("REFVMM_KVM_DEVICE");
	if (!dev || !*dev)
		dev = KVM_DEV;
	hw->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (hw->kvm_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", dev,
			 strerror(errno));
		return -ENODEV;
	}
	if (ioctl(hw->kvm_fd, KVM_GET_API_VERSION, NULL) != KVM_API_VERSION) {
		snprintf(err, errlen, "%s speaks no KVM API version %d", dev,
			 KVM_API_VERSION);
		return -ENODEV;
	}
	do
		hw->vm_fd = ioctl(hw->kvm_fd, KVM_CREATE_VM, 0);
	while (hw->vm_fd < 0 && errno == EINTR);
	if (hw->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM failed: %s",
			 strerror(errno));
		return -ENODEV;
	}
	return 0;
}

/* A VM on /dev/kvm can be made (refvmm --check-host). */
static int kvm__host_check(char *err, size_t errlen)
{
	struct kvm_hw hw = {.kvm_fd = -1, .vm_fd = -1};
	int r = kvm__open_vm(&hw, err, errlen);

	if (hw.vm_fd >= 0)
		close(hw.vm_fd);
	if (hw.kvm_fd >= 0)
		close(hw.kvm_fd);
	return r;
}

/* The one vCPU and its kvm_run page. */
static int kvm__create_vcpu(struct kvm_hw *hw, char *err, size_t errlen)
{
	int r, size;

	hw->vcpu_fd = ioctl(hw->vm_fd, KVM_CREATE_VCPU, 0);
	if (hw->vcpu_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_CREATE_VCPU failed: %s",
			 strerror(errno));
		return r;
	}
	size = ioctl(hw->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (size < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE failed");
		return -EINVAL;
	}
	hw->run_size = (size_t)size;
	hw->run = mmap(NULL, hw->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       hw->vcpu_fd, 0);
	if (hw->run == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "cannot map kvm_run: %s",
			 strerror(errno));
		return r;
	}
	return 0;
}

static int kvm__init(struct vcpu *vcpu, char *err, size_t errlen)
{
	struct machine *m = vcpu->machine;
	struct kvm_userspace_memory_region region;
	struct kvm_hw *hw = calloc(1, sizeof(*hw));
	int r;

	if (!hw)
		return -ENOMEM;
	hw->kvm_fd = hw->vm_fd = hw->vcpu_fd = hw->stats_fd = -1;
	vcpu->mode_priv = hw;

	r = kvm__open_vm(hw, err, errlen);
	if (r < 0)
		goto err;
	/* Needed by VMX for real-mode emulation only; harmless elsewhere. */
	ioctl(hw->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = m->ram_size,
		.userspace_addr = (u64)(uintptr_t)m->ram,
	};
	if (ioctl(hw->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION failed: %s",
			 strerror(errno));
		goto err;
	}
	r = kvm__create_vcpu(hw, err, errlen);
	if (r < 0)
		goto err;
	r = kvm__setup_cpuid(hw, m, err, errlen);
	if (r < 0)
		goto err;
	kvm__filter_msrs(hw);
	r = kvm__set_state(hw, &vcpu->state, err, errlen);
	if (r < 0)
		goto err;
	kvm__open_stats(hw);
	kick__set_target(&hw->run->immediate_exit);
	return 0;

err:
	kvm__destroy(vcpu);
	return r;
}

/* What kvm_run says the exit was, in the run loop's terms. */
static void kvm__exit_of(struct kvm_hw *hw, struct vm_exit *exit)
{
	struct kvm_run *run = hw->run;
	char where[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if ((u64)run->io.data_offset +
			    (u64)run->io.size * run->io.count >
		    hw->run_size) {
			exit->reason = VM_EXIT_HOST_ERROR;
			snprintf(exit->detail, sizeof(exit->detail),
				 "KVM_EXIT_IO data outside kvm_run");
			break;
		}
		exit->reason = VM_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (u8 *)run + run->io.data_offset;
		hw->io_pending = true;
		hw->io_port = run->io.port;
		hw->io_size = run->io.size;
		break;
	case KVM_EXIT_MMIO:
		exit->reason = VM_EXIT_MMIO;
		exit->mmio.addr = run->mmio.phys_addr;
		exit->mmio.len = run->mmio.len > 8 ? 8 : run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		break;
	case KVM_EXIT_HLT:
		exit->reason = VM_EXIT_HLT;
		exit->hlt.if_flag = run->if_flag;
		/* Only a HLT that ends the run needs the place. */
		if (!run->if_flag) {
			kvm__where(hw, where, sizeof(where));
			snprintf(exit->detail, sizeof(exit->detail), "%s",
				 where);
		}
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		exit->reason = VM_EXIT_IRQ_WINDOW;
		run->request_interrupt_window = 0;
		break;
	case KVM_EXIT_INTR:
		exit->reason = VM_EXIT_KICK;
		break;
	case KVM_EXIT_SET_TPR:
		/* CR8 lowered: an interrupt it held may be deliverable now
		 * (the new class is taken in kvm__run) */
		exit->reason = VM_EXIT_KICK;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = VM_EXIT_SHUTDOWN;
		kvm__where(hw, where, sizeof(where));
		snprintf(exit->detail, sizeof(exit->detail), "%s", where);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->reason = VM_EXIT_INTERNAL;
		kvm__internal_error(hw, exit);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = VM_EXIT_FAIL_ENTRY;
		kvm__where(hw, where, sizeof(where));
		snprintf(exit->detail, sizeof(exit->detail),
			 "VM entry failed: hardware reason 0x%llx%s",
			 (unsigned long long)
				 run->fail_entry.hardware_entry_failure_reason,
			 where);
		break;
	default:
		exit->reason = VM_EXIT_INTERNAL;
		kvm__where(hw, where, sizeof(where));
		snprintf(exit->detail, sizeof(exit->detail),
			 "unexpected KVM exit reason %u%s", run->exit_reason,
			 where);
		break;
	}
}

/*
 * KVM finishes a port I/O exit inside the next KVM_RUN by advancing RIP
 * (and the TF single-step trap), without the I/O breakpoint check of SDM
 * Vol. 3B 18.2.4. So refvmm makes it: when DR7 arms an I/O breakpoint,
 * CR4.DE is set and the access hit one, DR6.Bn is set and a #DB is
 * queued as already injected, which KVM delivers after it has completed
 * the instruction: a trap at the next instruction, as on the CPU. Two
 * extra ioctls per port I/O exit, one when no I/O breakpoint is armed.
 */
static void kvm__io_breakpoint(struct kvm_hw *hw)
{
	struct kvm_debugregs dbg;
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	u64 dr[4];
	u32 hits;
	int i;

	if (ioctl(hw->vcpu_fd, KVM_GET_DEBUGREGS, &dbg) < 0 ||
	    !io_bp_armed(dbg.dr7) ||
	    ioctl(hw->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return;
	for (i = 0; i < 4; i++)
		dr[i] = dbg.db[i];
	hits = io_bp_hits(sregs.cr4, dbg.dr7, dr, hw->io_port, hw->io_size);
	if (!hits || ioctl(hw->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0 ||
	    ev.exception.injected)
		return;
	dbg.dr6 |= hits;
	dbg.flags = 0;
	if (ioctl(hw->vcpu_fd, KVM_SET_DEBUGREGS, &dbg) < 0)
		return;
	ev.exception.injected = 1;
	ev.exception.nr = 1; /* #DB */
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	/* NMI and SIPI state as they are */
	ev.flags = 0;
	if (ioctl(hw->vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) == 0)
		hw->io_breakpoints++;
}

static int kvm__run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct kvm_hw *hw = vcpu->mode_priv;
	struct lapic *l = vcpu->machine->lapic;
	int r;

	if (hw->io_pending) {
		hw->io_pending = false;
		kvm__io_breakpoint(hw);
	}
	/*
	 * CR8 is the TPR's class (SDM Vol. 3A 12.8.6.1). Without an
	 * in-kernel irqchip KVM loads the guest's CR8 from kvm_run->cr8 at
	 * each KVM_RUN and stores it back at each exit (KVM's api.rst, "cr8"):
	 * TPR written through MMIO goes in here, and a MOV to CR8 comes out
	 * below. Only a changed class is taken back, so TPR[3:0] written
	 * through MMIO survives the round trip.
	 */
	if (l)
		hw->run->cr8 = lapic__cr8(l);
	/* filtered MSR accesses are finished here, unseen by the loop */
	while ((r = ioctl(hw->vcpu_fd, KVM_RUN, NULL)) == 0 &&
	       (hw->run->exit_reason == KVM_EXIT_X86_RDMSR ||
		hw->run->exit_reason == KVM_EXIT_X86_WRMSR))
		kvm__msr_exit(hw);
	/* KVM stores CR8 on every return, a kick (EINTR) included */
	if (l && hw->run->cr8 != lapic__cr8(l))
		lapic__set_cr8(l, (u8)hw->run->cr8);
	if (r < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			exit->reason = VM_EXIT_KICK;
			return 0;
		}
		exit->reason = VM_EXIT_HOST_ERROR;
		snprintf(exit->detail, sizeof(exit->detail),
			 "KVM_RUN failed: %s", strerror(errno));
		return -errno;
	}
	kvm__exit_of(hw, exit);
	return 0;
}

/*
 * Without an in-kernel irqchip, KVM_INTERRUPT may only be used when
 * kvm_run says the vCPU is ready (IF=1, no interrupt shadow, no event
 * pending); otherwise ask for an exit as soon as it is.
 */
static int kvm__inject(struct vcpu *vcpu, irq_ack_fn ack, void *ctx)
{
	struct kvm_hw *hw = vcpu->mode_priv;
	struct kvm_run *run = hw->run;
	struct kvm_interrupt irq;
	int vector;

	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 1;
		return -EAGAIN;
	}
	vector = ack(ctx);
	if (vector < 0)
		return 0;
	irq.irq = (u32)vector;
	run->request_interrupt_window = 0;
	if (ioctl(hw->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
		return -errno;
	return 0;
}

/*
 * KVM_NMI queues an NMI; without an in-kernel irqchip KVM itself holds it
 * while the guest blocks NMIs and injects it after the IRET (api.rst,
 * "KVM_NMI").
 */
static int kvm__inject_nmi(struct vcpu *vcpu)
{
	struct kvm_hw *hw = vcpu->mode_priv;

	if (ioctl(hw->vcpu_fd, KVM_NMI) < 0)
		return -errno;
	return 0;
}

/*
 * KVM's own per-vCPU counters (binary stats, api.rst "KVM_GET_STATS_FD"):
 * header, then descriptors of name_size-byte names, then u64 data.
 * Single-valued counters go in as kvm.<name>; histograms are skipped.
 */
static void kvm__stats(struct vcpu *vcpu, struct stats *stats)
{
	struct kvm_hw *hw = vcpu->mode_priv;
	struct kvm_stats_header h;
	size_t dsize;
	char *descs = NULL;
	u32 i;

	if (!hw)
		return;
	stats__set(stats, "hw.io_breakpoints", hw->io_breakpoints);
	stats__set(stats, "hw.msr_filter", !hw->msr_filter_failed);
	stats__set(stats, "hw.msr_checked", hw->msr_checked);
	if (hw->stats_fd < 0) {
		stats__note(stats, "kvm.stats", hw->stats_unavailable);
		return;
	}
	if (pread(hw->stats_fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    h.num_desc > 4096 || !h.name_size || h.name_size > 4096)
		goto bad;
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsize * h.num_desc);
	if (!descs || pread(hw->stats_fd, descs, dsize * h.num_desc,
			    h.desc_offset) != (ssize_t)(dsize * h.num_desc))
		goto bad;
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d =
			(struct kvm_stats_desc *)(descs + i * dsize);
		u32 type = d->flags & KVM_STATS_TYPE_MASK;
		char name[160];
		u64 v;

		if (d->size != 1 || (type != KVM_STATS_TYPE_CUMULATIVE &&
				     type != KVM_STATS_TYPE_INSTANT &&
				     type != KVM_STATS_TYPE_PEAK))
			continue;
		if (pread(hw->stats_fd, &v, sizeof(v),
			  (off_t)h.data_offset + d->offset) != sizeof(v))
			goto bad;
		d->name[h.name_size - 1] = 0;
		snprintf(name, sizeof(name), "kvm.%s", d->name);
		stats__set(stats, name, v);
	}
	free(descs);
	return;
bad:
	free(descs);
	stats__note(stats, "kvm.stats", "unavailable: cannot read stats fd");
}

const struct mode_ops kvm_mode_ops = {
	.name = "hw",
	.summary = "hardware-assisted: the guest runs through /dev/kvm "
		   "(32- and 64-bit guests)",
	.widths = MODE_WIDTH_32 | MODE_WIDTH_64,
	.order = 0,
	.host_check = kvm__host_check,
	.init = kvm__init,
	.run = kvm__run,
	.inject = kvm__inject,
	.inject_nmi = kvm__inject_nmi,
	.stats = kvm__stats,
	.destroy = kvm__destroy,
};

MODE_REGISTER(kvm_mode_ops);
