/* SPDX-License-Identifier: MIT */
/*
 * Running a PV vCPU and reacting to what it does that is not a hypercall:
 * the first entry into the guest, exceptions it raises (a write to one of
 * its read-only page tables is emulated; everything else, until trap
 * bouncing exists, crashes the domain -- never the hypervisor), and
 * stopping the domain on shutdown or crash.
 */
#include <abi/sched.h>
#include <mica/bug.h>
#include <mica/console.h>
#include <mica/dom0_build.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/mm.h>
#include <mica/power.h>
#include <mica/printk.h>
#include <mica/ptwr_emul.h>
#include <mica/pv.h>
#include <mica/sched.h>
#include <mica/string.h>
#include <mica/time.h>
#include <mica/traps.h>

struct vcpu *current;

static const char *const shutdown_names[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend", [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
};

/*
 * A domain stops.  The privileged domain 0 is the machine's owner: its
 * shutdown is the machine's (power off or restart), as with Xen.  Any
 * other domain just stops -- its vCPUs go down for good, the others run
 * on -- and when no vCPU of any domain is left the machine powers off,
 * reporting success only if every domain powered itself off.
 */
static bool some_domain_failed;

static void stop_domain(struct domain *d, unsigned int reason) __noreturn;
static void stop_domain(struct domain *d, unsigned int reason)
{
    d->is_stopped = true;
    d->shutdown_reason = (uint8_t)reason;
    console_domain_stopped(d);
    domain_notify_controllers(d);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i] != current)
            vcpu_down(d->vcpu[i]);
    vcpu_down(current);                 /* never brought up again */
    bug(__FILE__, __LINE__, "a stopped domain ran again");
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    pr_info("domain %u shut down: %s (reason %u)", d->domain_id,
            reason <= SHUTDOWN_MAX ? shutdown_names[reason] : "?", reason);
    if (!domain_is_machine_owner(d)) {
        if (reason != SHUTDOWN_poweroff)
            some_domain_failed = true;
        stop_domain(d, reason);
    }
    /* dom0's shutdown is the machine's. */
    if (reason == SHUTDOWN_reboot) {
        pr_info("restarting the machine");
        machine_restart();
    }
    pr_info("powering off");
    machine_power_off(reason == SHUTDOWN_poweroff ? MICA_EXIT_OK : MICA_EXIT_DOM0_FAILED);
}

/* A domain failed: an ordinary one stops, the owner takes the machine
 * down with it. */
static void domain_failed(struct domain *d) __noreturn;
static void domain_failed(struct domain *d)
{
    if (!domain_is_machine_owner(d)) {
        some_domain_failed = true;
        stop_domain(d, SHUTDOWN_crash);
    }
    pr_info("powering off (dom0 is gone)");
    machine_power_off(MICA_EXIT_DOM0_FAILED);
}

void domain_crash(struct domain *d, const char *why)
{
    pr_err("domain %u crashed: %s", d->domain_id, why);
    if (d->shutdown_code)
        pr_err("domain %u had set shutdown code %u", d->domain_id, d->shutdown_code);
    domain_failed(d);
}

static void dump_guest_regs(const struct cpu_regs *r);

void sched_all_down(void)
{
    pr_info("no domain is left running; powering off");
    machine_power_off(some_domain_failed ? MICA_EXIT_DOM0_FAILED : MICA_EXIT_OK);
}

void domain_vcpu_down(struct vcpu *v)
{
    const struct cpu_regs *r = vcpu_guest_regs(v);

    pr_info("domain %u: vCPU %u went down (VCPUOP_down), none is left running",
            v->domain->domain_id, v->vcpu_id);
    dump_guest_regs(r);
    domain_failed(v->domain);
}

static void dump_guest_regs(const struct cpu_regs *r)
{
    pr_err("  rip %016lx  rsp %016lx  rflags %016lx  cs %04lx",
           r->rip, r->rsp, r->rflags, r->cs);
    pr_err("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx", r->rax, r->rbx, r->rcx, r->rdx);
    pr_err("  rsi %016lx  rdi %016lx  rbp %016lx  cr2 %016lx", r->rsi, r->rdi, r->rbp, read_cr2());
    /* The top of the guest's stack, as far as it is readable: return
     * addresses to look up (a stock kernel has no frame pointers). */
    for (unsigned int i = 0; i < 32; i += 4) {
        uint64_t w[4];
        if (copy_from_guest(w, r->rsp + i * 8, sizeof(w)))
            break;
        pr_err("  stack+%02x: %016lx %016lx %016lx %016lx", i * 8, w[0], w[1], w[2], w[3]);
    }
}

/* Fetch up to 15 instruction bytes at rip; fewer at the end of a mapping. */
static size_t fetch_insn(uint64_t rip, uint8_t *buf)
{
    size_t n = 0;

    while (n < PTWR_MAX_INSN_LEN && copy_from_guest(&buf[n], rip + n, 1) == 0)
        n++;
    return n;
}

/*
 * A write to a read-only L1 page table of the guest's own: emulate it as an
 * mmu_update of that entry would, and step over the instruction.  Returns
 * false when this is not such a write (or the new entry is refused): the
 * fault is then the guest's.
 */
static bool ptwr_fault(struct cpu_regs *r)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    uint64_t cr2 = read_cr2();
    struct pt_ctx c = { d, PT_BUDGET, NULL };

    if (!(d->vm_assist & (1UL << VMASST_TYPE_writable_pagetables)) || !v->kernel_mode ||
        (r->error_code & 0x1b) != 0x03)     /* present, write, no RSVD, no fetch */
        return false;
    uint64_t map = l1e_maddr_of(v, cr2);
    if (!map)
        return false;
    uint64_t mapping = ((uint64_t *)mm_map_frame(map >> PAGE_SHIFT))[(map & 0xfff) / 8];
    mfn_t target = pte_mfn(mapping);
    if (!(mapping & _PAGE_PRESENT) || (mapping & _PAGE_RW) || !mfn_valid(target))
        return false;
    struct page_info *pg = mfn_to_page(target);
    if (pg->owner != d->domain_id || pg->type != PGT_l1 || !pg->type_count ||
        !(pg->flags & PGF_validated))
        return false;
    if (pt_drain(&c) == -ERESTART)
        return true;                /* retried: the guest faults again */

    uint8_t insn[PTWR_MAX_INSN_LEN];
    struct ptwr_insn di;
    struct ptwr_result res;
    uint64_t pte_maddr = (target << PAGE_SHIFT) | (cr2 & 0xff8);
    uint64_t old = ((uint64_t *)mm_map_frame(target))[(cr2 & 0xff8) / 8];
    size_t n = fetch_insn(r->rip, insn);
    if (ptwr_decode(insn, n, &di) != PTWR_OK ||
        ptwr_emulate(&di, r, cr2, cr2 & ~7UL, old, &res) != PTWR_OK)
        return false;
    /* The instruction must end where the guest can continue. */
    if (((int64_t)res.rip >> 47) != 0 && ((int64_t)res.rip >> 47) != -1)
        return false;
    if (res.store && pt_update_entry(&c, pte_maddr, res.new_pte, false) != 0)
        return false;
    ptwr_apply(&res, r);
    (void)pt_drain(&c);
    return true;
}

void pv_exit_to_guest(struct cpu_regs *r)
{
    sched_resched();
    pv_deliver_events(current, r);
}

void compat_syscall_entry(struct cpu_regs *r);
void compat_syscall_entry(struct cpu_regs *r)
{
    guest_trap(r);
    guest_exit(r);
}

void guest_trap(struct cpu_regs *r)
{
    char why[96];

    if (r->vector == X86_EXC_DB)
        pv_debug_trap(current);         /* its DR6 gets what happened */
    if (r->vector == X86_EXC_PF && (ptwr_fault(r) || pv_ldt_fault(current, r)))
        goto out;
    if (r->vector == X86_EXC_UD && pv_emulate_cpuid(current, r))
        goto out;
    if (r->vector == X86_EXC_GP && pv_emulate_privop(current, r))
        goto out;
    if (r->vector == X86_EXC_GP && pv_emulate_int(current, r))
        goto out;
    if (r->vector < X86_NR_EXCEPTIONS && current->trap_ctxt[r->vector].address) {
        pr_debug("d%u: %s (error %#lx, cr2 %#lx) at %#lx goes to the guest",
                 current->domain->domain_id, exception_name(r->vector), r->error_code,
                 r->vector == X86_EXC_PF ? read_cr2() : 0UL, r->rip);
        pv_inject_exception(current, r, (unsigned int)r->vector, r->error_code);
        goto out;
    }
    mica_snprintf(why, sizeof(why), "unhandled %s (vector %lu, error %#lx) at %#lx",
                  r->vector < X86_NR_EXCEPTIONS ? exception_name(r->vector) : "interrupt",
                  r->vector, r->error_code, r->rip);
    dump_guest_regs(r);
    domain_crash(current->domain, why);
out:
    pv_exit_to_guest(r);
}
