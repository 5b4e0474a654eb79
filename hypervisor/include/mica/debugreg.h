/* SPDX-License-Identifier: MIT */
/*
 * A PV vCPU's debug registers (arch/x86/dr_rules.c: the rules, pure;
 * arch/x86/pv/pv_debug.c: the hardware).  The guest sets them with
 * HYPERVISOR_set_debugreg or `mov reg, %drN` (emulated), as on Xen; every
 * value is checked here before ring 0 may load it.
 */
#ifndef MICA_DEBUGREG_H
#define MICA_DEBUGREG_H

#include <mica/types.h>

#define X86_DR6_DEFAULT 0xffff0ff0U     /* DR6 with no event recorded */
#define X86_DR6_ZEROS   0x00001000U     /* reserved, reads as 0 */
#define X86_DR6_BLD     (1U << 11)      /* bus-lock event: 0 = happened */
#define X86_DR6_RTM     (1U << 16)      /* RTM event: 0 = happened */
#define X86_DR7_DEFAULT 0x00000400U     /* bit 10 reads as 1 */
#define X86_DR7_ZEROS   0x0000d000U     /* bits 12, 14, 15 read as 0 */
#define X86_DR7_RTM     (1U << 11)
#define X86_DR7_GD      (1U << 13)      /* general detect: never a guest's */
#define X86_DR7_ACTIVE  0xffU           /* L0-3, G0-3 */
#define X86_DR7_RW_IO   2U              /* R/W field: I/O breakpoint */

/* What the guest's view depends on (dr_write/dr_read `feat`). */
#define DR_FEAT_DE  (1U << 0)           /* the guest's virtual CR4.DE */
#define DR_FEAT_RTM (1U << 1)           /* CPUID RTM, as the guest sees it */
#define DR_FEAT_BLD (1U << 2)           /* CPUID bus-lock detect */

struct dr_state {
    uint64_t dr[4];             /* guest addresses (guest_range_ok) */
    uint32_t dr6;               /* the guest's virtual DR6 (never loaded) */
    uint32_t dr7;               /* what the CPU gets: no I/O breakpoint */
    uint32_t dr7_io;            /* the I/O breakpoints' bits: kept, never loaded */
};

/* A vCPU's state at creation: DR0-3 zero, DR6 and DR7 at their defaults. */
void dr_reset(struct dr_state *s);
/* Set DRreg (0-7) to value, as Xen's set_debugreg: 0, or -EPERM (DR0-3
 * not a guest address, DR7 general detect or an I/O breakpoint without
 * CR4.DE), -EINVAL (upper 32 bits of DR6/DR7), -ENODEV (DR4/DR5 with
 * CR4.DE, or no such register).  s is untouched unless 0. */
int dr_write(struct dr_state *s, unsigned int reg, uint64_t value, unsigned int feat);
/* Read DRreg as the guest sees it: 0, or -ENODEV. */
int dr_read(const struct dr_state *s, unsigned int reg, unsigned int feat, uint64_t *value);
/* The guest's DR6 after a #DB whose hardware DR6 was hw: the bits the CPU
 * set join, the inverted ones (RTM, BLD) it cleared clear. */
uint32_t dr6_merge(uint32_t guest, uint32_t hw);
/* Whether the CPU must hold DR0-3/DR7 for s at all. */
static inline bool dr_active(const struct dr_state *s)
{
    return s->dr7 & X86_DR7_ACTIVE;
}

#endif /* MICA_DEBUGREG_H */
