/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's processor state while it is off the CPU, and switching it:
 * general registers live on the vCPU's own hypervisor stack (switch.asm),
 * everything else the CPU holds for a guest is saved and loaded here --
 * the page-table base for its mode, its GDT frames in the GDT window, its
 * LDT, the FS/GS bases and data selectors, the FPU/SSE state (FXSAVE) and
 * its virtual CR0.TS, the stack the CPU enters the hypervisor on (TSS
 * RSP0 and the syscall entry), and its time and runstate areas.
 *
 * Also here: VCPUOP_initialise, which sets a down vCPU's state from a
 * vcpu_guest_context (Linux brings up its secondary CPUs with it).
 */
#include <abi/callback.h>
#include <abi/vcpu.h>
#include <mica/bug.h>
#include <mica/desc_check.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/paging.h>
#include <mica/pv.h>
#include <mica/sched.h>
#include <mica/string.h>
#include <mica/time.h>
#include <mica/traps.h>

#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_SHADOW_GS_BASE 0xc0000102
#define X86_CR0_TS         (1UL << 3)

/* The hypervisor stacks of vCPUs: a fixed pool in the image (no guard
 * pages yet), VCPU_STACK_SIZE each like the boot stack. */
#define VCPU_STACK_SIZE 16384
#define NR_VCPU_STACKS  128
static uint8_t vcpu_stacks[NR_VCPU_STACKS][VCPU_STACK_SIZE] __aligned(16);
static bool stack_used[NR_VCPU_STACKS];

static uint64_t stack_top(const struct vcpu *v)
{
    return (uint64_t)v->stack + VCPU_STACK_SIZE;
}

bool vcpu_stack_contains(uint64_t lo, uint64_t hi)
{
    return current && current->stack && lo >= (uint64_t)current->stack &&
           hi <= stack_top(current);
}

void vcpu_first_run(struct vcpu *v) __noreturn;

/* The FPU state of a freshly reset CPU, as an FXSAVE image. */
static void fpu_reset(uint8_t *fpu)
{
    memset(fpu, 0, 512);
    fpu[0] = 0x7f, fpu[1] = 0x03;                       /* FCW: all masked */
    *(uint32_t *)&fpu[24] = 0x1f80;                     /* MXCSR */
}

/* The MXCSR bits this CPU accepts (FXSAVE's MXCSR_MASK; 0 there means the
 * architectural default, 0xffbf).  A guest image with any other bit set
 * would make FXRSTOR fault (SDM 10.5.1.2). */
static uint32_t mxcsr_mask;

void fpu_init(void)
{
    uint8_t img[512] __aligned(16);

    memset(img, 0, sizeof(img));
    __asm__ volatile("fxsave64 %0" : "=m"(img));
    mxcsr_mask = *(uint32_t *)&img[28];
    if (!mxcsr_mask)
        mxcsr_mask = 0xffbf;
}

/* Give v a stack whose first switch_stack enters vcpu_first_run(v), and
 * the FPU state of a freshly reset CPU. */
int vcpu_arch_init(struct vcpu *v)
{
    extern const char vcpu_stack_entry[];
    unsigned int i;

    for (i = 0; i < NR_VCPU_STACKS && stack_used[i]; i++)
        ;
    if (i == NR_VCPU_STACKS)
        return -ENOMEM;
    stack_used[i] = true;
    v->stack = vcpu_stacks[i];
    /* Room for the guest frame at the top, then switch_stack's six saved
     * registers (r12 = v) and its return address. */
    uint64_t *sp = (uint64_t *)(stack_top(v) - ALIGN_UP(sizeof(struct cpu_regs), 16) - 64);
    memset(sp, 0, 64);
    sp[3] = (uint64_t)v;                /* r12, popped fourth */
    sp[6] = (uint64_t)vcpu_stack_entry;
    v->hv_rsp = (uint64_t)sp;
    fpu_reset(v->fpu);
    dr_reset(&v->dbg);
    return 0;
}

void vcpu_arch_destroy(struct vcpu *v)
{
    pv_ldt_forget(v);
    if (v->stack)
        stack_used[((uint8_t (*)[VCPU_STACK_SIZE])v->stack) - vcpu_stacks] = false;
    v->stack = NULL;
}

static uint16_t read_sel(unsigned int i)
{
    uint16_t s = 0;

    switch (i) {
    case 0: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
    case 1: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
    case 2: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
    default: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
    }
    return s;
}

static void save_guest(struct vcpu *v)
{
    v->fs_base = rdmsr(MSR_FS_BASE);
    v->gs_base = rdmsr(MSR_GS_BASE);
    v->gs_shadow = rdmsr(MSR_SHADOW_GS_BASE);
    for (unsigned int i = 0; i < 4; i++)
        v->sel[i] = read_sel(i);
    uint64_t cr0 = read_cr0();
    v->fpu_ts = cr0 & X86_CR0_TS;
    if (v->fpu_ts)
        write_cr0(cr0 & ~X86_CR0_TS);
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->fpu));
    pv_debug_save(v);
    /* Its LDT pages are mapped again on use, for whoever runs next. */
    struct pt_ctx c = { v->domain, PT_BUDGET, NULL };
    pv_ldt_drop(&c, v);
    (void)pt_drain(&c);
}

void load_data_sel(unsigned int which, uint16_t sel);

static void load_guest(struct vcpu *v)
{
    /* Kernel tables first: the time and runstate areas are kernel VAs.
     * Whoever ran before left its global user translations: they go. */
    write_cr3(v->guest_table << PAGE_SHIFT);
    tlb_flush_all();
    for (unsigned int i = 0; i < FIRST_RESERVED_GDT_ENTRY / DESC_PER_PAGE; i++)
        paging_remap_image_page(gdt_guest_page(i), i < v->gdt_nr
                                    ? v->gdt_frames[i] << PAGE_SHIFT : ~(paddr_t)0);
    pv_ldt_load(v);
    for (unsigned int i = 0; i < 4; i++)
        load_data_sel(i, v->sel[i]);    /* a refused selector loads as null */
    /* Checked when they were set; should the CPU refuse one all the same,
     * a clean value goes in and the domain is crashed before it runs. */
    if (wrmsr_safe(MSR_FS_BASE, v->fs_base) | wrmsr_safe(MSR_GS_BASE, v->gs_base) |
        wrmsr_safe(MSR_SHADOW_GS_BASE, v->gs_shadow)) {
        v->fs_base = v->gs_base = v->gs_shadow = 0;
        wrmsr(MSR_FS_BASE, 0), wrmsr(MSR_GS_BASE, 0), wrmsr(MSR_SHADOW_GS_BASE, 0);
        v->load_failed = "a segment base the CPU refused";
    }
    if (fxrstor_safe(v->fpu)) {
        fpu_reset(v->fpu);
        __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t (*)[512])v->fpu));
        v->load_failed = "an FPU image the CPU refused";
    }
    if (v->fpu_ts)
        write_cr0(read_cr0() | X86_CR0_TS);
    pv_debug_load(v);
    cpu_stack_top = stack_top(v);
    tss_set_rsp0(cpu_stack_top);
    time_update_vcpu(v, &vcpu_info_of(v)->time);
    runstate_update(v);
    if (!v->kernel_mode)
        write_cr3(v->guest_table_user << PAGE_SHIFT);
}

void context_switch(struct vcpu *prev, struct vcpu *next)
{
    if (!vcpu_is_idle(prev))
        save_guest(prev);
    if (!vcpu_is_idle(next)) {
        load_guest(next);
    } else {
        write_cr3(paging_idle_cr3());   /* no guest's tables stay in use */
        write_cr0(read_cr0() & ~X86_CR0_TS);
    }
    current = next;
    switch_stack(&prev->hv_rsp, next->hv_rsp);
}

/* ---- VCPUOP_initialise ----------------------------------------------------- */

/*
 * Set a down vCPU's state from ctxt, as Xen does for a PV vCPU: kernel mode
 * (VGCF_in_kernel is required -- a vCPU starts in its kernel), registers,
 * trap table, callbacks, kernel stack, segment bases, GDT frames (checked
 * as descriptor pages), the kernel page table from ctrlreg[3] (it must be a
 * validated L4 of the domain; a reference is taken as for NEW_BASEPTR) and
 * the user one from ctrlreg[1].  The LDT is recorded and mapped on use.
 */
/* vcpu_guest_context without its 4 KiB trap table, read in two parts
 * (the whole is larger than a heap object). */
struct ctx_head {
    uint8_t fpu[512];
    uint64_t flags;
    struct cpu_user_regs user_regs;
};
struct ctx_tail {
    uint64_t ldt_base, ldt_ents, gdt_frames[16], gdt_ents, kernel_ss, kernel_sp;
    uint64_t ctrlreg[8], debugreg[8];
    uint64_t event_callback_eip, failsafe_callback_eip, syscall_callback_eip, vm_assist;
    uint64_t fs_base, gs_base_kernel, gs_base_user;
};
_Static_assert(sizeof(struct ctx_head) == offsetof(struct vcpu_guest_context, trap_ctxt),
               "head of vcpu_guest_context");
_Static_assert(sizeof(struct ctx_tail) == sizeof(struct vcpu_guest_context) -
                                          offsetof(struct vcpu_guest_context, ldt_base),
               "tail of vcpu_guest_context");

long vcpu_initialise(struct vcpu *v, uint64_t arg)
{
    struct ctx_head h;
    struct ctx_tail t;
    struct trap_info *traps;
    long rc = -EFAULT;

    if (v->state != VCPU_DOWN)
        return -EEXIST;
    if (!(traps = xzalloc(X86_NR_VECTORS * sizeof(*traps))))
        return -ENOMEM;
    if (copy_from_guest(&h, arg, sizeof(h)) ||
        copy_from_guest(traps, arg + offsetof(struct vcpu_guest_context, trap_ctxt),
                        X86_NR_VECTORS * sizeof(*traps)) ||
        copy_from_guest(&t, arg + offsetof(struct vcpu_guest_context, ldt_base), sizeof(t)))
        goto out;
    rc = -EINVAL;
    if (!(h.flags & VGCF_in_kernel) || !guest_range_ok(h.user_regs.rip, 1) ||
        !is_canonical(h.user_regs.rsp) || !is_canonical(t.kernel_sp) ||
        t.ldt_ents > LDT_WINDOW_PAGES * DESC_PER_PAGE || (t.ldt_base & (PAGE_SIZE - 1)) ||
        (t.ldt_ents && !guest_range_ok(t.ldt_base, t.ldt_ents * 8)) ||
        t.gdt_ents > FIRST_RESERVED_GDT_ENTRY)
        goto out;
    /* Everything ring 0 will load for it: bases (wrmsr), callbacks (a
     * guest code address or none) and the FPU image (FXRSTOR). */
    if (!is_canonical(t.fs_base) || !is_canonical(t.gs_base_kernel) ||
        !is_canonical(t.gs_base_user) ||
        (t.event_callback_eip && !guest_range_ok(t.event_callback_eip, 1)) ||
        (t.failsafe_callback_eip && !guest_range_ok(t.failsafe_callback_eip, 1)) ||
        (t.syscall_callback_eip && !guest_range_ok(t.syscall_callback_eip, 1)) ||
        ((h.flags & VGCF_i387_valid) && !fxsave_image_ok(h.fpu, mxcsr_mask)))
        goto out;
    for (unsigned int i = 0; i < X86_NR_VECTORS; i++)
        if (traps[i].address && !guest_range_ok(traps[i].address, 1))
            goto out;
    /* Its debug registers, as set_debugreg takes them (virtual CR4.DE
     * starts clear, so DR4/DR5 are not in the list). */
    struct dr_state dbg;
    static const uint8_t dregs[] = { 0, 1, 2, 3, 6, 7 };
    dr_reset(&dbg);
    for (unsigned int i = 0; i < sizeof(dregs); i++)
        if (dr_write(&dbg, dregs[i], t.debugreg[dregs[i]], 0))
            goto out;
    /* What takes references, each all or nothing: the GDT frames (held,
     * not yet installed), then the page tables; only then the GDT. */
    struct pv_gdt gdt;
    if ((rc = pv_gdt_take(v->domain, t.gdt_frames, t.gdt_ents, &gdt)))
        goto out;
    if ((rc = pv_vcpu_set_baseptrs(v, xen_cr3_to_pfn(t.ctrlreg[3]),
                                   t.ctrlreg[1] ? xen_cr3_to_pfn(t.ctrlreg[1]) : INVALID_MFN))) {
        pv_gdt_release(v->domain, &gdt);
        goto out;
    }
    pv_gdt_commit(v, &gdt);
    memset(v->trap_ctxt, 0, X86_NR_VECTORS * sizeof(*v->trap_ctxt));
    for (unsigned int i = 0; i < X86_NR_VECTORS; i++)
        if (traps[i].address)
            v->trap_ctxt[traps[i].vector] = traps[i];
    const struct cpu_user_regs *u = &h.user_regs;
    v->regs = (struct cpu_regs){
        .r15 = u->r15, .r14 = u->r14, .r13 = u->r13, .r12 = u->r12, .rbp = u->rbp,
        .rbx = u->rbx, .r11 = u->r11, .r10 = u->r10, .r9 = u->r9, .r8 = u->r8,
        .rax = u->rax, .rcx = u->rcx, .rdx = u->rdx, .rsi = u->rsi, .rdi = u->rdi,
        .rip = u->rip, .cs = FLAT_KERNEL_CS, .rflags = u->rflags, .rsp = u->rsp,
        .ss = FLAT_KERNEL_SS,
    };
    v->kernel_mode = true;
    v->iopl = (u->rflags >> 12) & 3;    /* as Xen: the virtual IOPL (Linux: 1) */
    v->event_callback = t.event_callback_eip;
    v->failsafe_callback = t.failsafe_callback_eip;
    v->syscall_callback = t.syscall_callback_eip;
    v->syscall_masks = h.flags & VGCF_syscall_disables_events;
    v->kernel_ss = t.kernel_ss | 3;
    v->kernel_sp = t.kernel_sp;
    v->ldt_base = t.ldt_base;
    v->ldt_ents = t.ldt_ents;
    v->fs_base = t.fs_base;
    v->gs_base = t.gs_base_kernel;      /* kernel mode: the active GS base */
    v->gs_shadow = t.gs_base_user;
    memset(v->sel, 0, sizeof(v->sel));
    if (h.flags & VGCF_i387_valid)
        memcpy(v->fpu, h.fpu, sizeof(v->fpu));
    v->fpu_ts = false;
    v->dbg = dbg;
    v->initialised = true;
    rc = 0;
out:
    xfree(traps);
    return rc;
}

/* Where v's guest registers are: the frame on its stack once it has run. */
struct cpu_regs *vcpu_guest_regs(struct vcpu *v)
{
    return v->started_at ? (struct cpu_regs *)(stack_top(v) - sizeof(struct cpu_regs))
                         : &v->regs;
}

/* The inverse of vcpu_initialise, for the toolstack (v is not running). */
long vcpu_get_context(struct vcpu *v, uint64_t arg)
{
    const struct cpu_regs *r = vcpu_guest_regs(v);
    struct ctx_head h = { .flags = VGCF_i387_valid |
                          (v->kernel_mode ? VGCF_in_kernel : 0) |
                          (v->state != VCPU_DOWN ? VGCF_online : 0) |
                          (v->syscall_masks ? VGCF_syscall_disables_events : 0) };
    struct ctx_tail t = {
        .ldt_base = v->ldt_base, .ldt_ents = v->ldt_ents, .gdt_ents = v->gdt_nr * DESC_PER_PAGE,
        .kernel_ss = v->kernel_ss, .kernel_sp = v->kernel_sp,
        .event_callback_eip = v->event_callback, .failsafe_callback_eip = v->failsafe_callback,
        .syscall_callback_eip = v->syscall_callback, .vm_assist = v->domain->vm_assist,
        .fs_base = v->fs_base,
    };
    struct trap_info *traps;

    memcpy(h.fpu, v->fpu, sizeof(h.fpu));
    h.user_regs = (struct cpu_user_regs){
        .r15 = r->r15, .r14 = r->r14, .r13 = r->r13, .r12 = r->r12, .rbp = r->rbp,
        .rbx = r->rbx, .r11 = r->r11, .r10 = r->r10, .r9 = r->r9, .r8 = r->r8,
        .rax = r->rax, .rcx = r->rcx, .rdx = r->rdx, .rsi = r->rsi, .rdi = r->rdi,
        .rip = r->rip, .cs = (uint16_t)r->cs, .rflags = r->rflags, .rsp = r->rsp,
        .ss = (uint16_t)r->ss,
        .ds = v->sel[0], .es = v->sel[1], .fs = v->sel[2], .gs = v->sel[3],
    };
    /* In kernel mode the active GS base is the kernel's. */
    t.gs_base_kernel = v->kernel_mode ? v->gs_base : v->gs_shadow;
    t.gs_base_user = v->kernel_mode ? v->gs_shadow : v->gs_base;
    for (unsigned int i = 0; i < v->gdt_nr; i++)
        t.gdt_frames[i] = v->gdt_frames[i];
    for (unsigned int i = 0; i < 8; i++)
        if (i != 4 && i != 5)
            (void)dr_read(&v->dbg, i, 0, &t.debugreg[i]);
    if (v->guest_table != INVALID_MFN)
        t.ctrlreg[3] = xen_pfn_to_cr3(v->guest_table);
    if (v->guest_table_user != INVALID_MFN)
        t.ctrlreg[1] = xen_pfn_to_cr3(v->guest_table_user);
    if (!(traps = xzalloc(X86_NR_VECTORS * sizeof(*traps))))
        return -ENOMEM;
    unsigned int n = 0;
    for (unsigned int i = 0; i < X86_NR_VECTORS; i++)
        if (v->trap_ctxt[i].address)
            traps[n++] = v->trap_ctxt[i];
    long rc = copy_to_guest(arg, &h, sizeof(h)) ||
              copy_to_guest(arg + offsetof(struct vcpu_guest_context, trap_ctxt), traps,
                            X86_NR_VECTORS * sizeof(*traps)) ||
              copy_to_guest(arg + offsetof(struct vcpu_guest_context, ldt_base), &t, sizeof(t))
              ? -EFAULT : 0;
    xfree(traps);
    return rc;
}

void vcpu_arch_relinquish(struct vcpu *v)
{
    struct pt_ctx c = { v->domain, PT_BUDGET, NULL };

    pv_ldt_drop(&c, v);
    (void)pv_vcpu_set_gdt(v, NULL, 0);
    (void)pv_vcpu_set_baseptrs(v, INVALID_MFN, INVALID_MFN);
    if (v->vcpu_info_mfn != INVALID_MFN) {
        put_page_type(&c, mfn_to_page(v->vcpu_info_mfn));
        put_page(mfn_to_page(v->vcpu_info_mfn));
        v->vcpu_info_mfn = INVALID_MFN;
    }
    /* Whatever this queued is drained by pt_relinquish. */
}

/* The first time v is switched to: enter the guest with v->regs. */
void vcpu_first_run(struct vcpu *v)
{
    struct cpu_regs *frame = (struct cpu_regs *)(stack_top(v) - sizeof(*frame));

    v->started_at = system_time_ns();
    *frame = v->regs;
    frame->rflags = (frame->rflags & GUEST_RFLAGS_KEEP) | X86_EFLAGS_IF | 2;
    frame->vector = 0;                  /* leave by IRETQ: all registers */
    pv_exit_to_guest(frame);
    guest_exit(frame);
}
