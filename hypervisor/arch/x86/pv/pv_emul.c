/* SPDX-License-Identifier: MIT */
/*
 * CPUID for PV guests.  A guest that wants the hypervisor's view prefixes
 * `cpuid` with Xen's forced-emulation marker (ud2; "xen"), which raises #UD
 * in the guest; Mica recognises the 7 bytes and answers with a filtered
 * leaf set: the hypervisor leaves at 0x40000000 carry the "XenVMMXenVMM"
 * signature Linux probes for, the hypervisor bit is set, and features the
 * guest must not use (virtualisation extensions, MONITOR/MWAIT, XSAVE
 * until its state is managed) are hidden.
 */
#include <abi/physdev.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/paging.h>
#include <mica/power.h>
#include <mica/pv.h>
#include <mica/sched.h>
#include <mica/string.h>

#define XEN_CPUID_BASE 0x40000000U

static void hypervisor_leaf(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    *a = *b = *c = *d = 0;
    switch (leaf - XEN_CPUID_BASE) {
    case 0:
        *a = XEN_CPUID_BASE + 2;                /* highest hypervisor leaf */
        memcpy(b, "XenV", 4);
        memcpy(c, "MMXe", 4);
        memcpy(d, "nVMM", 4);
        break;
    case 1:
        *a = (4 << 16) | 17;                    /* the Xen interface level */
        break;
    case 2:
        *a = 1;                                 /* hypercall pages */
        *b = XEN_CPUID_BASE;                    /* MSR to ask for one */
        break;
    }
}

static void filter_leaf(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    (void)a;
    (void)b;
    if (leaf == 1) {
        *c &= ~((1U << 3) | (1U << 5) | (1U << 6) |    /* MONITOR, VMX, SMX */
                (1U << 26) | (1U << 27) | (1U << 28)); /* XSAVE, OSXSAVE, AVX */
        *c |= 1U << 31;                                /* running on a hypervisor */
        /* No superpages, global pages or VME for PV guests (Xen hides
         * them too; Linux then maps its direct map with 4 KiB pages). */
        *d &= ~((1U << 1) | (1U << 3) | (1U << 13) | (1U << 17)); /* VME PSE PGE PSE36 */
        /* No machine-check architecture: its MSRs are Mica's (no vMCE). */
        *d &= ~((1U << 7) | (1U << 14));                          /* MCE MCA */
    } else if (leaf == 7) {
        *b &= ~((1U << 0) | (1U << 5) | (1U << 7) |    /* FSGSBASE, AVX2, SMEP */
                (1U << 20));                           /* SMAP */
        *c &= ~((1U << 2) | (1U << 3) | (1U << 16));   /* UMIP, PKU, LA57 */
    } else if (leaf == 0x80000001) {
        *c &= ~(1U << 2);                              /* SVM */
        *d &= ~(1U << 26);                             /* 1 GiB pages */
    } else if (leaf == 0xd) {
        *a = *b = *c = *d = 0;                         /* no XSAVE state */
    }
}

bool pv_emulate_cpuid(struct vcpu *v, struct cpu_regs *r)
{
    static const uint8_t forced[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    uint8_t insn[sizeof(forced)];
    uint32_t a, b, c, d, leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;

    (void)v;
    if (copy_from_guest(insn, r->rip, sizeof(insn)) || memcmp(insn, forced, sizeof(insn)))
        return false;
    if (leaf >= XEN_CPUID_BASE && leaf < XEN_CPUID_BASE + 0x10000) {
        hypervisor_leaf(leaf, &a, &b, &c, &d);
    } else {
        cpuid(leaf, sub, &a, &b, &c, &d);
        filter_leaf(leaf, &a, &b, &c, &d);
    }
    r->rax = a, r->rbx = b, r->rcx = c, r->rdx = d;
    r->rip += sizeof(forced);
    return true;
}

/* ---- privileged instructions (#GP with error code 0 in guest kernel mode) */

#define MSR_APIC_BASE      0x0000001b
#define MSR_DEBUGCTL       0x000001d9
#define MSR_PAT            0x00000277
#define MSR_MISC_ENABLE    0x000001a0
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_SHADOW_GS_BASE 0xc0000102

#define X86_CR0_TS (1UL << 3)
#define X86_CR4_DE (1UL << 3)
/* CR4 bits a guest may believe it controls: the rest read back as Mica's.
 * DE is the guest's own, as on Xen: it only changes what its DR4/DR5 and
 * I/O breakpoints mean (mica/debugreg.h). */
#define GUEST_CR4_WRITABLE (X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_DE)

static bool emulate_wrmsr(struct vcpu *v, struct cpu_regs *r)
{
    uint64_t val = (r->rdx << 32) | (uint32_t)r->rax;

    switch ((uint32_t)r->rcx) {
    case MSR_FS_BASE:
    case MSR_GS_BASE:           /* the active one: the kernel's in kernel mode */
    case MSR_SHADOW_GS_BASE:    /* the other mode's */
        return is_canonical(val) && guest_range_ok(val, 1) &&
               wrmsr_safe((uint32_t)r->rcx, val) == 0;
    case MSR_PAT:
        return val == PV_PAT;   /* the one PAT PV guests share: no change */
    case MSR_DEBUGCTL:
        return val == 0;        /* no branch tracing or LBRs for guests */
    default:
        (void)v;
        return false;           /* #GP: Linux's _safe accessors expect it */
    }
}

static bool emulate_rdmsr(struct cpu_regs *r)
{
    uint64_t val;

    switch ((uint32_t)r->rcx) {
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_SHADOW_GS_BASE:
        val = rdmsr((uint32_t)r->rcx);
        break;
    case MSR_PAT:
        val = PV_PAT;
        break;
    case MSR_DEBUGCTL:
        val = 0;
        break;
    case MSR_APIC_BASE:
        val = rdmsr(MSR_APIC_BASE) & ~(1UL << 10);      /* no x2APIC for guests */
        break;
    case MSR_MISC_ENABLE:
        val = rdmsr(MSR_MISC_ENABLE);
        break;
    default:
        return false;
    }
    r->rax = (uint32_t)val;
    r->rdx = val >> 32;
    return true;
}

/* The general register numbered n (ModRM order, with REX.B/R). */
static uint64_t *gpr(struct cpu_regs *r, unsigned int n)
{
    uint64_t *const regs[16] = {
        &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
        &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
    };
    return regs[n & 15];
}

/* mov %crN, reg (0f 20) and mov reg, %crN (0f 22); modrm.mod must be 3. */
static bool emulate_mov_cr(struct vcpu *v, struct cpu_regs *r, bool to_cr, uint8_t modrm,
                           uint8_t rex)
{
    unsigned int cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
    uint64_t *reg = gpr(r, (modrm & 7) | ((rex & 1) ? 8 : 0));

    if ((modrm >> 6) != 3)
        return false;
    if (!to_cr) {
        if (cr == 0)
            *reg = read_cr0();
        else if (cr == 2)       /* the guest's own: its last page fault's */
            *reg = vcpu_info_of(v)->arch.cr2;
        else if (cr == 3)       /* as Xen: the machine address of the L4 in use */
            *reg = (v->kernel_mode ? v->guest_table : v->guest_table_user) << PAGE_SHIFT;
        else if (cr == 4)
            *reg = (read_cr4() & ~GUEST_CR4_WRITABLE) | v->cr4_guest;
        else
            return false;
        return true;
    }
    if (cr == 0) {              /* only TS may change: fpu_taskswitch */
        if ((*reg ^ read_cr0()) & ~X86_CR0_TS)
            return false;
        write_cr0((read_cr0() & ~X86_CR0_TS) | (*reg & X86_CR0_TS));
        return true;
    }
    if (cr == 4) {
        /* As Xen does: the guest's own bits (OSFXSR, OSXMMEXCPT) are kept,
         * attempts at every other bit are discarded, never refused. */
        v->cr4_guest = *reg & GUEST_CR4_WRITABLE;
        return true;
    }
    return false;
}

/* mov %drN, reg (0f 21) and mov reg, %drN (0f 23), as Xen emulates them:
 * the register operand whatever modrm.mod says; a DR the guest does not
 * have (DR8-15 by REX.R, DR4/DR5 under its CR4.DE) is #UD, a value
 * set_debugreg refuses #GP(0).  Returns 0, or the vector to deliver. */
static unsigned int emulate_mov_dr(struct vcpu *v, struct cpu_regs *r, bool to_dr,
                                   uint8_t modrm, uint8_t rex)
{
    uint64_t *reg = gpr(r, (modrm & 7) | ((rex & 1) ? 8 : 0)), val;
    unsigned int dr = (modrm >> 3) & 7;
    int rc;

    if (rex & 4)
        rc = -ENODEV;
    else if (to_dr)
        rc = pv_debug_set(v, dr, *reg);
    else if ((rc = pv_debug_get(v, dr, &val)) == 0)
        *reg = val;
    return rc == 0 ? 0 : rc == -ENODEV ? 6 : 13;
}

/* ---- port I/O ----------------------------------------------------------- */

/* Ports Mica drives itself (or must not let a guest touch): COM1, the PICs,
 * the PIT and its gate, the RTC/CMOS, and the power-off ports. */
static bool port_is_mica(unsigned int port)
{
    static const struct { uint16_t first, last; } mine[] = {
        { 0x20, 0x21 }, { 0xa0, 0xa1 },         /* 8259 PICs */
        { 0x40, 0x43 }, { 0x61, 0x61 },         /* PIT, its channel-2 gate */
        { 0x70, 0x71 },                         /* RTC/CMOS (wall clock) */
        { 0x3f8, 0x3ff },                       /* COM1: the console */
    };

    for (unsigned int i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
        if (port >= mine[i].first && port <= mine[i].last)
            return true;
    return power_port_is_ours(port);
}

/* Whether d may really access [port, port + size): the privileged domain
 * may, outside Mica's own ports; nobody else has I/O ports yet. */
static bool port_ok(const struct domain *d, unsigned int port, unsigned int size)
{
    if (!d->is_privileged || port + size > 0x10000)
        return false;
    for (unsigned int p = port; p < port + size; p++)
        if (port_is_mica(p))
            return false;
    return true;
}

/*
 * in/out (imm8 and %dx forms, 8/16/32 bits) from the guest kernel with
 * virtual IOPL 1 or more.  Ports it may not use read as all-ones and drop
 * writes, as Xen does; the string forms (ins/outs) are not emulated.
 * Returns the instruction's length, or 0 if it is not one of these.
 */
static unsigned int emulate_port_io(struct vcpu *v, struct cpu_regs *r, const uint8_t *b,
                                    unsigned int len, bool opsize16)
{
    uint8_t op = b[len];
    unsigned int size = (op & 1) ? (opsize16 ? 2 : 4) : 1, port;

    if ((op & 0xf4) != 0xe4)                    /* e4-e7, ec-ef */
        return 0;
    if (op & 8) {
        port = (uint16_t)r->rdx;
        len += 1;
    } else {
        port = b[len + 1];
        len += 2;
    }
    bool ok = port_ok(v->domain, port, size);
    if (op & 2) {                               /* out */
        uint32_t val = (uint32_t)r->rax;
        if (ok && size == 1)
            outb((uint16_t)port, (uint8_t)val);
        else if (ok && size == 2)
            outw((uint16_t)port, (uint16_t)val);
        else if (ok)
            outl((uint16_t)port, val);
    } else if (size == 1) {
        r->rax = (r->rax & ~0xffUL) | (ok ? inb((uint16_t)port) : 0xff);
    } else if (size == 2) {
        r->rax = (r->rax & ~0xffffUL) | (ok ? inw((uint16_t)port) : 0xffff);
    } else {
        r->rax = ok ? inl((uint16_t)port) : 0xffffffffU;   /* 32-bit results zero-extend */
    }
    return len;
}

bool pv_emulate_privop(struct vcpu *v, struct cpu_regs *r)
{
    uint8_t b[4];
    unsigned int len = 0;
    uint8_t rex = 0;
    bool ok = false;

    /* As Xen: the kernel counts as CPL 1 (CPL 0 once it asked for
     * VMASST_TYPE_architectural_iopl) and user mode as CPL 3 against the
     * virtual IOPL, for port I/O and cli/sti; the rest is the kernel's only. */
    unsigned int cpl = !v->kernel_mode ? 3 : pv_architectural_iopl(v) ? 0 : 1;

    if (r->error_code != 0 || copy_from_guest(b, r->rip, sizeof(b)))
        return false;
    bool opsize16 = b[0] == 0x66;
    if (opsize16)
        len = 1;
    if ((b[len] & 0xf0) == 0x40) {
        rex = b[len];
        len++;
    }
    if (v->iopl >= cpl) {                       /* port I/O */
        unsigned int n = emulate_port_io(v, r, b, len, opsize16);
        if (n) {
            r->rip += n;
            return true;
        }
    }
    if (opsize16)
        return false;                           /* nothing else takes 0x66 */
    if ((b[len] == 0xfa || b[len] == 0xfb) && !rex) {
        /* cli/sti: allowed once the virtual IOPL reaches the virtual CPL,
         * and then a no-op, as in Xen: masking events is the guest's own
         * business through vcpu_info, and a real IF change could not be
         * undone by a popf we never see. */
        if (v->iopl < cpl)
            return false;
        r->rip += 1;
        return true;
    }
    if (!v->kernel_mode)
        return false;
    if (b[len] == 0xf4 && !rex) {                   /* hlt: block, as Xen does */
        r->rip += 1;
        sched_block(v);
        return true;
    } else if (b[len] == 0x0f) {
        switch (b[len + 1]) {
        case 0x30: ok = emulate_wrmsr(v, r), len += 2; break;
        case 0x32: ok = emulate_rdmsr(r), len += 2; break;
        case 0x09: ok = true, len += 2; break;      /* wbinvd: caches are coherent */
        case 0x21:
        case 0x23:
            if (len + 2 >= sizeof(b))
                break;
            unsigned int vec = emulate_mov_dr(v, r, b[len + 1] == 0x23, b[len + 2], rex);
            if (vec == 6) {
                pv_inject_exception(v, r, X86_EXC_UD, 0);
                return true;
            }
            ok = vec == 0, len += 3;
            break;
        case 0x20:
        case 0x22:
            if (len + 2 < sizeof(b))
                ok = emulate_mov_cr(v, r, b[len + 1] == 0x22, b[len + 2], rex);
            len += 3;
            break;
        }
    }
    if (ok)
        r->rip += len;
    return ok;
}

/* Hypercall 33: only PHYSDEVOP_set_iopl today (cmd in rdi, arg in rsi). */
long do_physdev_op(uint32_t cmd, uint64_t arg)
{
    struct physdev_set_iopl op;

    if (cmd != PHYSDEVOP_set_iopl)
        return -ENOSYS;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.iopl > 3)
        return -EINVAL;
    current->iopl = (uint8_t)op.iopl;
    return 0;
}
