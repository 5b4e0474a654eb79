/* SPDX-License-Identifier: MIT */
/*
 * The rules of a PV guest's debug registers, pure (host-tested in
 * tests/test_dr_rules.c).  They follow Xen's x86-64 PV ABI: DR0-3 hold
 * only guest addresses (a breakpoint on the hypervisor's own memory would
 * let a guest watch it), DR6 and DR7 are 32-bit with their reserved bits
 * forced, DR7's general-detect bit is refused, and I/O breakpoints need
 * the guest's virtual CR4.DE; they are remembered for reads (Xen
 * emulates them; Mica does not fire them, docs/abi.md) and never given to
 * the CPU.  With CR4.DE clear, DR4 and DR5 are DR6 and DR7; with it set
 * they do not exist.
 */
#include <mica/debugreg.h>
#include <mica/errno.h>
#include <mica/guest_access.h>

void dr_reset(struct dr_state *s)
{
    *s = (struct dr_state){ .dr6 = X86_DR6_DEFAULT, .dr7 = X86_DR7_DEFAULT };
}

/* The reserved bits of DR6 as the guest's CPUID says they read. */
static uint32_t dr6_adjust(uint32_t v, unsigned int feat)
{
    uint32_t ones = X86_DR6_DEFAULT;

    if (feat & DR_FEAT_RTM)
        ones &= ~X86_DR6_RTM;
    if (feat & DR_FEAT_BLD)
        ones &= ~X86_DR6_BLD;
    return (v | ones) & ~X86_DR6_ZEROS;
}

static uint32_t dr7_adjust(uint32_t v, unsigned int feat)
{
    uint32_t zeros = X86_DR7_ZEROS | ((feat & DR_FEAT_RTM) ? 0 : X86_DR7_RTM);

    return (v & ~zeros) | X86_DR7_DEFAULT;
}

/* The bits of DR7 that describe I/O breakpoints (R/W = 2): their enable,
 * R/W and LEN fields. */
static uint32_t dr7_io_mask(uint32_t v)
{
    uint32_t io = 0;

    for (unsigned int n = 0; n < 4; n++)
        if (((v >> (16 + 4 * n)) & 3) == X86_DR7_RW_IO)
            io |= (3U << (2 * n)) | (0xfU << (16 + 4 * n));
    return io;
}

int dr_write(struct dr_state *s, unsigned int reg, uint64_t value, unsigned int feat)
{
    if ((reg == 4 || reg == 5) && (feat & DR_FEAT_DE))
        return -ENODEV;
    switch (reg) {
    case 0: case 1: case 2: case 3:
        if (!guest_range_ok(value, sizeof(uint64_t)))
            return -EPERM;
        s->dr[reg] = value;
        return 0;
    case 4:
    case 6:
        if (value >> 32)
            return -EINVAL;
        s->dr6 = dr6_adjust((uint32_t)value, feat);
        return 0;
    case 5:
    case 7: {
        if (value >> 32)
            return -EINVAL;
        uint32_t v = dr7_adjust((uint32_t)value, feat), io = dr7_io_mask(v);
        if (v & X86_DR7_GD)
            return -EPERM;
        /* As Xen: with any breakpoint enabled, an I/O one needs CR4.DE. */
        if ((v & X86_DR7_ACTIVE) && io && !(feat & DR_FEAT_DE))
            return -EPERM;
        s->dr7_io = v & io;
        s->dr7 = v & ~io;
        return 0;
    }
    default:
        return -ENODEV;
    }
}

int dr_read(const struct dr_state *s, unsigned int reg, unsigned int feat, uint64_t *value)
{
    if ((reg == 4 || reg == 5) && (feat & DR_FEAT_DE))
        return -ENODEV;
    switch (reg) {
    case 0: case 1: case 2: case 3:
        *value = s->dr[reg];
        return 0;
    case 4:
    case 6:
        *value = s->dr6;
        return 0;
    case 5:
    case 7:
        *value = s->dr7 | s->dr7_io;
        return 0;
    default:
        return -ENODEV;
    }
}

uint32_t dr6_merge(uint32_t guest, uint32_t hw)
{
    guest |= hw & ~X86_DR6_DEFAULT;     /* B0-3, BD, BS, BT: set when they happen */
    guest &= hw | ~X86_DR6_DEFAULT;     /* RTM, BLD: cleared when they happen */
    return guest;
}
