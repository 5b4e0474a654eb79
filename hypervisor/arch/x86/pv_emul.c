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
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/pv.h>
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
    } else if (leaf == 7) {
        *b &= ~(1U << 5);                              /* AVX2 (needs XSAVE) */
    } else if (leaf == 0x80000001) {
        *c &= ~(1U << 2);                              /* SVM */
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
