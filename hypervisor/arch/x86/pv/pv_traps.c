/* SPDX-License-Identifier: MIT */
/*
 * Exceptions and callbacks of a 64-bit PV vCPU (../shared/ref/xen-pv-
 * mechanics.md sections 3-6, Xen's ABI): the trap table, bounce frames,
 * HYPERVISOR_iret, the kernel/user mode toggle, and the small hypercalls
 * around them (set_callbacks, callback_op, stack_switch, fpu_taskswitch,
 * set_segment_base).
 *
 * A bounce frame, from the new guest RSP upwards: rcx, r11, [error code],
 * rip, cs | saved upcall mask << 32, rflags (IF = !saved mask), rsp, ss.
 * It is written on the guest kernel stack (the interrupted one in kernel
 * mode, kernel_sp after switching from user mode), 16-byte aligned.  The
 * guest returns with HYPERVISOR_iret.  A frame that cannot be written, or
 * no handler, crashes the domain: the hypervisor is never at risk.
 */
#include <abi/callback.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/printk.h>
#include <mica/pv.h>
#include <mica/string.h>
#include <mica/traps.h>

#define TBF_EXCEPTION         1
#define TBF_EXCEPTION_ERRCODE 2
#define TBF_INTERRUPT         8

#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_SHADOW_GS_BASE 0xc0000102

#define X86_CR0_TS (1UL << 3)
/* RFLAGS bits a handler starts without: TF, NT, RF, VM, AC. */
#define BOUNCE_CLEAR ((1UL << 8) | (1UL << 14) | (1UL << 16) | (1UL << 17) | (1UL << 18))
/* Bits a guest may set through iret: arithmetic, TF, DF, OF, AC, ID. */
#define IRET_KEEP 0x00250fd5UL

struct vcpu_info *vcpu_info_of(struct vcpu *v)
{
    if (v->vcpu_info_mfn != INVALID_MFN)
        return (struct vcpu_info *)((uint8_t *)mm_map_frame(v->vcpu_info_mfn) +
                                    v->vcpu_info_offset);
    return &((struct shared_info *)mm_map_frame(v->domain->shared_info_mfn))
                ->vcpu_info[v->vcpu_id];
}


static bool has_errcode(unsigned int vector)
{
    return vector == X86_EXC_DF || (vector >= X86_EXC_TS && vector <= X86_EXC_PF) ||
           vector == X86_EXC_AC || vector == X86_EXC_CP || vector == X86_EXC_VC ||
           vector == X86_EXC_SX;
}

/* Kernel and user mode differ by the loaded L4 and the active GS base
 * (MSR_GS_BASE always holds the current mode's, the shadow the other's). */
static void toggle_guest_mode(struct vcpu *v)
{
    __asm__ volatile("swapgs");
    v->kernel_mode = !v->kernel_mode;
    write_cr3((v->kernel_mode ? v->guest_table : v->guest_table_user) << PAGE_SHIFT);
}

/* Redirect the vCPU to a guest handler with a bounce frame (section 5). */
static void bounce(struct vcpu *v, struct cpu_regs *r, uint64_t handler,
                   unsigned int tbf, uint64_t error_code)
{
    struct vcpu_info *vi = vcpu_info_of(v);
    uint64_t frame[8], n = 0;
    bool was_kernel = v->kernel_mode;
    uint8_t mask = vi->evtchn_upcall_mask;

    if (!handler)
        domain_crash(v->domain, "an exception with no handler registered");
    if (!was_kernel) {
        if (v->guest_table == INVALID_MFN)
            domain_crash(v->domain, "a trap from user mode with no kernel page table");
        toggle_guest_mode(v);
    }
    frame[n++] = r->rcx;
    frame[n++] = r->r11;
    if (tbf & TBF_EXCEPTION_ERRCODE)
        frame[n++] = error_code;
    frame[n++] = r->rip;
    frame[n++] = (was_kernel ? (r->cs & ~3UL) : r->cs) | ((uint64_t)mask << 32);
    frame[n++] = (r->rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) | (mask ? 0 : X86_EFLAGS_IF) |
                 (pv_architectural_iopl(v) ? (uint64_t)v->iopl << 12 : 0);
    frame[n++] = r->rsp;
    frame[n++] = r->ss;

    uint64_t sp = ALIGN_DOWN(was_kernel ? r->rsp : v->kernel_sp, 16) - n * 8;
    if (copy_to_guest(sp, frame, n * 8))
        domain_crash(v->domain, "the guest kernel stack cannot take an exception frame");
    if (tbf & TBF_INTERRUPT)
        vi->evtchn_upcall_mask = 1;
    r->rip = handler;
    r->cs = FLAT_KERNEL_CS;
    r->ss = FLAT_KERNEL_SS;
    r->rsp = sp;
    r->rflags &= ~BOUNCE_CLEAR;
    r->vector = TRAP_SYSCALL;           /* leave by SYSRET: rcx/r11 are saved */
}

/* On the way back to the guest: an event pending and not masked goes to
 * the event callback first (section 5: always with events then masked). */
void pv_deliver_events(struct vcpu *v, struct cpu_regs *r)
{
    if (v->load_failed)
        domain_crash(v->domain, v->load_failed);
    if (evtchn_upcall_pending(v) && v->event_callback)
        bounce(v, r, v->event_callback, TBF_INTERRUPT, 0);
}

void pv_inject_exception(struct vcpu *v, struct cpu_regs *r, unsigned int vector,
                         uint64_t error_code)
{
    const struct trap_info *t = &v->trap_ctxt[vector];
    unsigned int tbf = TBF_EXCEPTION | (has_errcode(vector) ? TBF_EXCEPTION_ERRCODE : 0) |
                       ((t->flags & 4) ? TBF_INTERRUPT : 0);

    if (vector == X86_EXC_PF) {
        vcpu_info_of(v)->arch.cr2 = read_cr2();
        /* The hardware says "user" always (the kernel runs in ring 3). */
        error_code = (error_code & ~4UL) | (v->kernel_mode ? 0 : 4);
    }
    if (vector == X86_EXC_NM)           /* #NM: TS is the guest's to set again */
        write_cr0(read_cr0() & ~X86_CR0_TS);
    bounce(v, r, t->address, tbf, error_code);
}

/*
 * `int $n` from the guest (ring 3): every gate but 3 and 4 is DPL 0, so it
 * arrives as #GP with the IDT flag in the error code.  The vector comes
 * from the instruction at rip, not from the error code (QEMU 7.2 reports a
 * wrong one).  A handler in the guest's trap table whose DPL the current
 * guest mode may use (kernel: 1, user: 3; int $0x80 is exempt, as in Xen)
 * gets it as a software interrupt, after the instruction; anything else is
 * a #GP for the guest, with the right error code.
 */
bool pv_emulate_int(struct vcpu *v, struct cpu_regs *r)
{
    uint8_t insn[2];

    if (!(r->error_code & 2) || copy_from_guest(insn, r->rip, sizeof(insn)) || insn[0] != 0xcd)
        return false;
    unsigned int n = insn[1];
    const struct trap_info *t = &v->trap_ctxt[n];
    unsigned int need = v->kernel_mode ? 1 : 3;
    if (t->address && (n == 0x80 || (t->flags & 3) >= need)) {
        r->rip += 2;
        bounce(v, r, t->address, TBF_EXCEPTION | ((t->flags & 4) ? TBF_INTERRUPT : 0), 0);
    } else {
        pv_inject_exception(v, r, X86_EXC_GP, (n << 3) | 2);
    }
    return true;
}

/* `syscall` from guest user mode: the guest kernel's system call entry. */
void pv_user_syscall(struct vcpu *v, struct cpu_regs *r)
{
    if (!v->syscall_callback) {
        r->rip -= 2;                    /* as Xen: #UD on the syscall */
        pv_inject_exception(v, r, X86_EXC_UD, 0);
        return;
    }
    bounce(v, r, v->syscall_callback, v->syscall_masks ? TBF_INTERRUPT : 0, 0);
    r->rflags &= ~(1UL << 10);          /* DF clear, as a kernel entry expects */
}

/* ---- hypercalls ------------------------------------------------------------ */

/* Decode, then commit: the whole table (up to X86_NR_VECTORS entries and
 * its terminator) is read once and checked before any entry is installed,
 * so a refused table leaves the vCPU's as it was. */
long do_set_trap_table(uint64_t table)
{
    struct vcpu *v = current;
    struct trap_info *traps, t;
    unsigned int n;
    long rc = 0;

    if (!table) {
        memset(v->trap_ctxt, 0, X86_NR_VECTORS * sizeof(*v->trap_ctxt));
        return 0;
    }
    if (!(traps = xzalloc(X86_NR_VECTORS * sizeof(*traps))))
        return -ENOMEM;
    for (n = 0; n <= X86_NR_VECTORS; n++) {
        struct trap_info *e = n < X86_NR_VECTORS ? &traps[n] : &t;
        if (copy_from_guest(e, table + n * sizeof(*e), sizeof(*e))) {
            rc = -EFAULT;
            break;
        }
        if (e->address == 0)
            break;                      /* the terminator */
        if (!guest_range_ok(e->address, 1)) {
            rc = -EINVAL;               /* never a handler in the hypervisor */
            break;
        }
    }
    if (rc == 0 && n > X86_NR_VECTORS)
        rc = -EINVAL;                   /* no terminator */
    for (unsigned int i = 0; rc == 0 && i < n; i++)
        v->trap_ctxt[traps[i].vector] = traps[i];
    xfree(traps);
    return rc;
}

static long set_callback(struct vcpu *v, unsigned int type, uint64_t address,
                         unsigned int flags)
{
    if (address && !guest_range_ok(address, 1))
        return -EINVAL;
    switch (type) {
    case CALLBACKTYPE_event:
        v->event_callback = address;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->failsafe_callback = address;
        return 0;
    case CALLBACKTYPE_syscall:
        v->syscall_callback = address;
        v->syscall_masks = flags & CALLBACKF_mask_events;
        return 0;
    case CALLBACKTYPE_syscall32:
    case CALLBACKTYPE_sysenter:
        /* Xen takes these from 64-bit PV kernels too (for 32-bit user
         * code); Mica records them, but runs no 32-bit user code: a compat
         * `syscall` stays #UD (docs/abi.md). */
        v->compat_callback[type == CALLBACKTYPE_sysenter] = address;
        return 0;
    case CALLBACKTYPE_nmi:
        return -EINVAL;                 /* no virtual NMI yet */
    default:
        return -ENOSYS;                 /* as Xen, for an unknown type */
    }
}

long do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall)
{
    struct vcpu *v = current;
    long rc;

    if ((rc = set_callback(v, CALLBACKTYPE_event, event, 0)) ||
        (rc = set_callback(v, CALLBACKTYPE_failsafe, failsafe, 0)) ||
        (rc = set_callback(v, CALLBACKTYPE_syscall, syscall, 0)))
        return rc;
    return 0;
}

long do_callback_op(uint64_t cmd, uint64_t arg)
{
    struct callback_register reg;
    struct callback_unregister unreg;

    switch (cmd) {
    case CALLBACKOP_register:
        if (copy_from_guest(&reg, arg, sizeof(reg)))
            return -EFAULT;
        return set_callback(current, reg.type, reg.address, reg.flags);
    case CALLBACKOP_unregister:
        if (copy_from_guest(&unreg, arg, sizeof(unreg)))
            return -EFAULT;
        return set_callback(current, unreg.type, 0, 0);
    default:
        return -ENOSYS;
    }
}

long do_stack_switch(uint64_t ss, uint64_t sp)
{
    if (!guest_range_ok(sp - 1, 1))
        return -EINVAL;
    current->kernel_ss = ss | 3;
    current->kernel_sp = sp;
    return 0;
}

long do_fpu_taskswitch(uint64_t set)
{
    if (set)
        write_cr0(read_cr0() | X86_CR0_TS);
    else
        write_cr0(read_cr0() & ~X86_CR0_TS);
    return 0;
}

void load_user_gs_sel(uint16_t sel);

long do_set_segment_base(uint64_t which, uint64_t base)
{

    if (!guest_range_ok(base, 1) && which != SEGBASE_GS_USER_SEL)
        return -EINVAL;
    switch (which) {
    case SEGBASE_FS:
        return wrmsr_safe(MSR_FS_BASE, base) ? -EINVAL : 0;
    case SEGBASE_GS_USER:
        return wrmsr_safe(MSR_SHADOW_GS_BASE, base) ? -EINVAL : 0;
    case SEGBASE_GS_KERNEL:
        return wrmsr_safe(MSR_GS_BASE, base) ? -EINVAL : 0;
    case SEGBASE_GS_USER_SEL: {
        /* RPL 3 for a real selector (the load runs in ring 0); the base
         * the descriptor gives becomes the user GS base. */
        uint16_t sel = (uint16_t)base;
        load_user_gs_sel(sel > 3 ? (uint16_t)(sel | 3) : 0);
        return 0;
    }
    default:
        return -EINVAL;
    }
}

/* HYPERVISOR_iret (section 6): return from a bounce frame.  The saved rax
 * is the guest's own value, so it goes straight into the frame rather than
 * through the dispatcher's result handling. */
void do_iret(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    struct iret_context ic;

    if (copy_from_guest(&ic, regs->rsp, sizeof(ic)))
        domain_crash(v->domain, "HYPERVISOR_iret with an unreadable frame");
    if ((ic.cs & 3) == 3 && v->kernel_mode) {
        if (v->guest_table_user == INVALID_MFN)
            domain_crash(v->domain, "iret to user mode with no user page table");
        toggle_guest_mode(v);
    }
    regs->rip = ic.rip;
    regs->cs = ic.cs | 3;
    regs->rsp = ic.rsp;
    regs->ss = ic.ss | 3;
    regs->rflags = (ic.rflags & IRET_KEEP) | X86_EFLAGS_IF | 2;
    if (pv_architectural_iopl(v))       /* as Xen: the frame sets the virtual IOPL */
        v->iopl = (ic.rflags >> 12) & 3;
    if (ic.flags & VGCF_in_syscall) {
        regs->vector = TRAP_SYSCALL;    /* SYSRET; rcx/r11 become rip/rflags */
    } else {
        regs->vector = 0;               /* IRETQ, with the saved rcx/r11 */
        regs->rcx = ic.rcx;
        regs->r11 = ic.r11;
    }
    vcpu_info_of(v)->evtchn_upcall_mask = !(ic.rflags & X86_EFLAGS_IF);
    regs->rax = ic.rax;
}
