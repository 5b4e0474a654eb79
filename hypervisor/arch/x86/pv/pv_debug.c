/* SPDX-License-Identifier: MIT */
/*
 * The debug registers of PV vCPUs on the CPU (the rules are dr_rules.c).
 * Mica uses no breakpoints of its own, so the CPU's DR7 is the running
 * vCPU's (without I/O breakpoints) or 0, and DR0-3 are loaded only while
 * it enables one.  The CPU's DR6 is never the guest's: it is kept at its
 * default and a #DB's bits are merged into the vCPU's virtual DR6.
 *
 * A guest breakpoint can fire in ring 0: a data breakpoint on guest memory
 * the hypervisor copies, or one deferred by a MOV SS shadow to the first
 * instruction of the syscall or int3 entry (XSA-260).  #DB therefore runs
 * on its own IST stack (arch/x86/desc.c) and a #DB in ring 0 is dropped
 * (pv_debug_trap_in_hypervisor): the guest cannot point DR0-3 at Mica, so
 * only instruction breakpoints could repeat there, and those are cleared.
 */
#include <mica/debugreg.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/extable.h>
#include <mica/hypercall.h>
#include <mica/pv.h>

#define X86_CR4_DE (1UL << 3)

/* Load DRn; false if the CPU refused the value (it was checked before). */
#define DEFINE_WRITE_DR(n)                                                  \
    static bool write_dr##n(uint64_t v)                                     \
    {                                                                       \
        int rc = 0;                                                         \
        __asm__ volatile("1: mov %1, %%db" #n "\n2:\n"                      \
                         ".pushsection .fixup, \"ax\"\n"                    \
                         "3: movl $-1, %0\n    jmp 2b\n"                    \
                         ".popsection\n" EX_TABLE(1b, 3b)                   \
                         : "+r"(rc) : "r"(v));                              \
        return rc == 0;                                                     \
    }
DEFINE_WRITE_DR(0)
DEFINE_WRITE_DR(1)
DEFINE_WRITE_DR(2)
DEFINE_WRITE_DR(3)
DEFINE_WRITE_DR(6)
DEFINE_WRITE_DR(7)

static uint64_t read_dr6(void)
{
    uint64_t v;

    __asm__ volatile("mov %%db6, %0" : "=r"(v));
    return v;
}

/* What the guest's view of the debug registers depends on. */
static unsigned int dr_feat(const struct vcpu *v)
{
    uint32_t a, b, c, d;

    cpuid(7, 0, &a, &b, &c, &d);
    return ((v->cr4_guest & X86_CR4_DE) ? DR_FEAT_DE : 0) |
           ((b & (1U << 11)) ? DR_FEAT_RTM : 0) | ((c & (1U << 24)) ? DR_FEAT_BLD : 0);
}

/* Give the CPU v's breakpoints (v is running, or about to). */
void pv_debug_load(struct vcpu *v)
{
    const struct dr_state *s = &v->dbg;

    write_dr7(0);
    if (!dr_active(s))
        return;
    if (!(write_dr0(s->dr[0]) && write_dr1(s->dr[1]) && write_dr2(s->dr[2]) &&
          write_dr3(s->dr[3]) && write_dr7(s->dr7))) {
        write_dr7(0);
        v->load_failed = "a debug register the CPU refused";
    }
}

/* v leaves the CPU: none of its breakpoints stays armed. */
void pv_debug_save(struct vcpu *v)
{
    if (dr_active(&v->dbg))
        write_dr7(0);
}

int pv_debug_set(struct vcpu *v, unsigned int reg, uint64_t value)
{
    int rc = dr_write(&v->dbg, reg, value, dr_feat(v));

    if (rc == 0 && v == current && reg != 4 && reg != 6)
        pv_debug_load(v);
    return rc;
}

int pv_debug_get(struct vcpu *v, unsigned int reg, uint64_t *value)
{
    return dr_read(&v->dbg, reg, dr_feat(v), value);
}

/* Hypercall 8: set_debugreg(reg, value). */
long do_set_debugreg(uint64_t reg, uint64_t value)
{
    return pv_debug_set(current, (unsigned int)MIN(reg, 8UL), value);
}

/* Hypercall 9: get_debugreg(reg); the value, or -ENODEV as on Xen. */
long do_get_debugreg(uint64_t reg)
{
    uint64_t value;

    if (pv_debug_get(current, (unsigned int)MIN(reg, 8UL), &value))
        return -ENODEV;
    return (long)value;
}

/* A #DB from the guest: what the CPU recorded goes into its DR6. */
void pv_debug_trap(struct vcpu *v)
{
    uint32_t hw = (uint32_t)read_dr6();

    write_dr6(X86_DR6_DEFAULT);
    v->dbg.dr6 = dr6_merge(v->dbg.dr6, hw);
}

/* A #DB in ring 0 (see the top of this file): the guest's event is lost,
 * as on Xen; an instruction breakpoint would fire again, so DR7 goes. */
void pv_debug_trap_in_hypervisor(void)
{
    uint32_t hw = (uint32_t)read_dr6();
    uint64_t dr7;

    write_dr6(X86_DR6_DEFAULT);
    __asm__ volatile("mov %%db7, %0" : "=r"(dr7));
    for (unsigned int n = 0; n < 4; n++)
        if ((hw & (1U << n)) && (dr7 & (3U << (2 * n))) && !((dr7 >> (16 + 4 * n)) & 3))
            write_dr7(0);
}
