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
#include <abi/mica/control.h>
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/pv.h>
#include <mica/string.h>

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
