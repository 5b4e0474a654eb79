/* SPDX-License-Identifier: MIT */
/*
 * The hypercall table and its one dispatch path.  A 64-bit PV guest kernel
 * issues `syscall` with the number in rax and arguments in rdi, rsi, rdx,
 * r10, r8; the result goes back in rax.  Empty slots and numbers past the
 * table return -ENOSYS.  A handler that returns -ERESTART may have
 * rewritten its arguments (hypercall_continue) to describe the work left;
 * they go back into the registers and the guest's RIP is moved back over
 * the 2-byte `syscall` so that it re-issues the call (after any pending
 * event).
 */
#include <abi/sched.h>
#include <abi/sysctl.h>
#include <abi/version.h>
#include <abi/mica/control.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/grant.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/printk.h>
#include <mica/serial.h>
#include <mica/pv.h>
#include <mica/sched.h>
#include <mica/string.h>
#include <mica/time.h>
#include <mica/version.h>

/*
 * The table, HYPERCALLS: each hypercall's arity, name and argument types,
 * once.  HYPERCALL<n> makes the call of do_<name> from the argument array;
 * the pointer `f` has the prototype the table states, so a handler
 * declared otherwise does not compile.
 */
#define HYPERCALL1(name, t0) static long call_##name(const uint64_t *a) \
    { long (*f)(t0) = do_##name; return f((t0)a[0]); }
#define HYPERCALL2(name, t0, t1) static long call_##name(const uint64_t *a) \
    { long (*f)(t0, t1) = do_##name; return f((t0)a[0], (t1)a[1]); }
#define HYPERCALL3(name, t0, t1, t2) static long call_##name(const uint64_t *a) \
    { long (*f)(t0, t1, t2) = do_##name; return f((t0)a[0], (t1)a[1], (t2)a[2]); }
#define HYPERCALL4(name, t0, t1, t2, t3) static long call_##name(const uint64_t *a) \
    { long (*f)(t0, t1, t2, t3) = do_##name; return f((t0)a[0], (t1)a[1], (t2)a[2], (t3)a[3]); }

#define HYPERCALLS(X) \
    X(1, set_trap_table, uint64_t) \
    X(4, mmu_update, uint64_t, uint64_t, uint64_t, domid_t) \
    X(2, set_gdt, uint64_t, uint64_t) \
    X(2, stack_switch, uint64_t, uint64_t) \
    X(3, set_callbacks, uint64_t, uint64_t, uint64_t) \
    X(1, fpu_taskswitch, uint64_t) \
    X(1, set_timer_op, uint64_t) \
    X(2, set_debugreg, uint64_t, uint64_t) \
    X(1, get_debugreg, uint64_t) \
    X(2, update_descriptor, uint64_t, uint64_t) \
    X(2, memory_op, uint64_t, uint64_t) \
    X(2, multicall, uint64_t, uint64_t) \
    X(3, update_va_mapping, uint64_t, uint64_t, uint64_t) \
    X(2, xen_version, uint64_t, uint64_t) \
    X(3, console_io, uint64_t, uint64_t, uint64_t) \
    X(2, vm_assist, uint64_t, uint64_t) \
    X(2, set_segment_base, uint64_t, uint64_t) \
    X(4, mmuext_op, uint64_t, uint64_t, uint64_t, domid_t) \
    X(2, callback_op, uint64_t, uint64_t) \
    X(3, vcpu_op, uint64_t, uint64_t, uint64_t) \
    X(2, sched_op, uint64_t, uint64_t) \
    X(2, event_channel_op, uint32_t, uint64_t) \
    X(3, grant_table_op, uint32_t, uint64_t, unsigned int) \
    X(2, physdev_op, uint32_t, uint64_t) \
    X(1, sysctl, uint64_t) \
    X(1, mica_control, uint64_t)

#define THUNK(n, name, ...) HYPERCALL##n(name, __VA_ARGS__)
#define SLOT(n, name, ...) [__HYPERVISOR_##name] = call_##name,
HYPERCALLS(THUNK)

typedef long (*hypercall_fn)(const uint64_t *args);
static const hypercall_fn hypercall_table[] = { HYPERCALLS(SLOT) };

/* Run hypercall nr on args (which hypercall_continue may rewrite). */
static long dispatch(uint64_t nr, uint64_t *args)
{
    struct vcpu *v = current;
    uint64_t *outer = v->hypercall_args;
    long rc = -ENOSYS;

    v->hypercall_args = args;
    if (nr < ARRAY_SIZE(hypercall_table) && hypercall_table[nr])
        rc = hypercall_table[nr](args);
    v->hypercall_args = outer;
    return rc;
}

/*
 * multicall: run a batch of hypercalls, each entry's result in its own
 * `result`.  No nesting.  An iret entry returns from the frame on the
 * guest's stack and ends the batch there, as on Xen since XSA-213: what
 * follows never runs (it might in user mode), and the guest resumes where
 * the frame says, with its rax (the entry's own result is not written:
 * after a return to user mode its table may not be mapped).  A preempted
 * entry has its rewritten arguments stored back and the batch continues
 * from it.
 */
#define MULTICALL_BATCH 64
long do_multicall(uint64_t calls, uint64_t nr)
{
    if (nr > (1U << 20))
        return -EINVAL;
    for (uint64_t i = 0; i < nr; i++) {
        struct multicall_entry e;
        uint64_t at = calls + i * sizeof(e);

        if (i == MULTICALL_BATCH)               /* bounded work per call */
            return hypercall_continue(at, nr - i);
        if (copy_from_guest(&e, at, sizeof(e)))
            return -EFAULT;
        if (e.op == __HYPERVISOR_iret) {
            do_iret(vcpu_guest_regs(current));    /* the frame of its syscall */
            return -EJUSTRETURN;
        }
        _Static_assert(HYPERCALL_MAX_ARGS <= ARRAY_SIZE(e.args), "multicall arguments");
        long rc = e.op == __HYPERVISOR_multicall ? -EINVAL : dispatch(e.op, e.args);
        if (rc == -ERESTART) {
            if (copy_to_guest(at, &e, sizeof(e)))
                return -EFAULT;
            return hypercall_continue(at, nr - i);
        }
        e.result = (uint64_t)rc;
        if (copy_to_guest(at + offsetof(struct multicall_entry, result), &e.result,
                          sizeof(e.result)))
            return -EFAULT;
    }
    return 0;
}

void hypercall_entry(struct cpu_regs *regs);
void hypercall_entry(struct cpu_regs *regs)
{
    uint64_t args[HYPERCALL_MAX_ARGS] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8 };
    uint64_t nr = regs->rax;
    long rc;

    /* Only the guest kernel makes hypercalls; a user-mode `syscall` is a
     * system call for the guest kernel. */
    if (!current->kernel_mode) {
        pv_user_syscall(current, regs);
        guest_exit(regs);
    }
    if (nr == __HYPERVISOR_iret) {
        do_iret(regs);
        pv_exit_to_guest(regs);
        guest_exit(regs);
    }
    rc = dispatch(nr, args);
    if (rc == -ERESTART) {
        regs->rdi = args[0], regs->rsi = args[1], regs->rdx = args[2];
        regs->r10 = args[3], regs->r8 = args[4];
        regs->rip -= 2;         /* re-issue the syscall with the new args */
    } else if (rc != -EJUSTRETURN) {
        regs->rax = (uint64_t)rc;
    }
    pv_exit_to_guest(regs);
    guest_exit(regs);
}

/* ---- console_io ---------------------------------------------------------- */

/* Unprivileged domains' output is rate-limited (common/console.c); what
 * exceeds the limit is dropped and the domain's next line says how much. */
static bool console_allow(struct domain *d, uint64_t n)
{
    if (console_take_tokens(d, n, true) == n)
        return true;
    d->console_dropped += n;
    return false;
}

long do_console_io(uint64_t cmd, uint64_t count, uint64_t buf)
{
    struct domain *d = current->domain;
    char chunk[128];

    if (count > (1U << 20))
        return -EINVAL;
    if (!guest_range_ok(buf, count))
        return -EFAULT;         /* the whole buffer, before anything moves */
    if (cmd == CONSOLEIO_read) {
        /* The machine's console input belongs to the privileged domain. */
        if (!d->is_privileged)
            return -EPERM;
        /* Bytes leave the input buffer only once the guest has them. */
        size_t n = console_read(chunk, MIN(sizeof(chunk), count));
        if (copy_to_guest(buf, chunk, n))
            return -EFAULT;
        console_read_done(n);
        return (long)n;
    }
    if (cmd != CONSOLEIO_write)
        return -ENOSYS;
    if (!d->console_quiet && !console_allow(d, count))
        return (long)count;     /* dropped, as Xen does: the guest need not retry */
    if (d->console_dropped) {
        char note[64];
        mica_snprintf(note, sizeof(note), "[%lu bytes of output dropped]", d->console_dropped);
        console_io_note(d, note);
        d->console_dropped = 0;
    }
    for (uint64_t done = 0; done < count;) {
        size_t n = MIN(sizeof(chunk), count - done);
        if (copy_from_guest(chunk, buf + done, n))
            return -EFAULT;
        console_io_write(d, chunk, n);
        done += n;
    }
    return (long)count;
}

/* ---- sched_op -------------------------------------------------------------- */

long do_sched_op(uint64_t cmd, uint64_t arg)
{
    struct sched_shutdown sd;

    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield();
        return 0;
    case SCHEDOP_shutdown_code:
        if (copy_from_guest(&sd, arg, sizeof(sd)))
            return -EFAULT;
        if (sd.reason > SHUTDOWN_MAX)
            return -EINVAL;
        current->domain->shutdown_code = sd.reason;    /* reported if it dies */
        return 0;
    case SCHEDOP_shutdown:
        if (copy_from_guest(&sd, arg, sizeof(sd)))
            return -EFAULT;
        if (sd.reason > SHUTDOWN_MAX)
            return -EINVAL;
        console_flush(current->domain);
        domain_shutdown(current->domain, sd.reason);
    default:
        return do_sched_op_timers(cmd, arg);    /* block, poll */
    }
}

/* ---- xen_version ----------------------------------------------------------- */

/* The Xen interface level Mica implements, as Linux reads it. */
#define MICA_XEN_MAJOR 4
#define MICA_XEN_MINOR 17

static uint32_t feature_bits(void)
{
    return (1U << XENFEAT_writable_page_tables) |
           (1U << XENFEAT_pae_pgdir_above_4gb) |
           (1U << XENFEAT_mmu_pt_update_preserve_ad) |
           (1U << XENFEAT_gnttab_map_avail_bits);
}

long do_xen_version(uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case XENVER_version:
        return (MICA_XEN_MAJOR << 16) | MICA_XEN_MINOR;
    case XENVER_extraversion: {
        xen_extraversion_t v = ".0-mica";
        return copy_to_guest(arg, v, sizeof(v)) ? -EFAULT : 0;
    }
    case XENVER_capabilities: {
        xen_capabilities_info_t c = "xen-3.0-x86_64 ";
        return copy_to_guest(arg, c, sizeof(c)) ? -EFAULT : 0;
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -EFAULT;
        fi.submap = fi.submap_idx == 0 ? feature_bits() : 0;
        return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
    }
    case XENVER_compile_info: {
        struct xen_compile_info ci = { .compiler = "gcc " __VERSION__,
                                       .compile_by = "mica", .compile_domain = "mica",
                                       .compile_date = __DATE__ " " __TIME__ };
        return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
    }
    case XENVER_changeset: {
        xen_changeset_info_t c = "mica " MICA_VERSION;
        return copy_to_guest(arg, c, sizeof(c)) ? -EFAULT : 0;
    }
    case XENVER_guest_handle:
        return copy_to_guest(arg, current->domain->handle, sizeof(xen_domain_handle_t))
                   ? -EFAULT : 0;
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_platform_parameters: {
        struct xen_platform_parameters p = { .virt_start = HYPERVISOR_VIRT_START };
        return copy_to_guest(arg, &p, sizeof(p)) ? -EFAULT : 0;
    }
    default:
        return -ENOSYS;
    }
}

/* ---- sysctl ---------------------------------------------------------------- */

/* Xen's checks, in Xen's order, and no op behind them (abi/sysctl.h). */
long do_sysctl(uint64_t arg)
{
    struct xen_sysctl op;

    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -EACCES;
    if (!current->domain->is_privileged)
        return -EPERM;
    return -ENOSYS;
}

/* ---- vm_assist ------------------------------------------------------------- */

long do_vm_assist(uint64_t cmd, uint64_t type)
{
    /* 4gb_segments means nothing to a 64-bit guest but Linux asks for it. */
    const unsigned long allowed = (1UL << VMASST_TYPE_4gb_segments) |
                                  (1UL << VMASST_TYPE_writable_pagetables) |
                                  (1UL << VMASST_TYPE_architectural_iopl) |
                                  (1UL << VMASST_TYPE_runstate_update_flag);

    if (type >= 64 || !(allowed & (1UL << type)))
        return -EINVAL;
    if (cmd == VMASST_CMD_enable)
        current->domain->vm_assist |= 1UL << type;
    else if (cmd == VMASST_CMD_disable)
        current->domain->vm_assist &= ~(1UL << type);
    else
        return -ENOSYS;
    return 0;
}
