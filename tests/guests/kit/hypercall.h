/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls from a 64-bit PV guest kernel, the way Linux 6.1 makes them:
 * `syscall` with the number in rax and arguments in rdi, rsi, rdx, r10, r8,
 * r9; the result comes back in rax, and rcx/r11 are lost to `syscall`
 * itself.  The argument registers are declared as clobbered too: the ABI
 * does not promise them back (Xen's debug builds scramble the unused ones).
 * No hypercall page is needed; kit_hcpage_call() goes through the page for
 * the one test that checks it.
 */
#ifndef KIT_HYPERCALL_H
#define KIT_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>
#include <abi/xen.h>
#include <abi/sched.h>
#include <abi/version.h>

#define KIT_HC_CLOBBERS "rcx", "r11", "memory"

static inline long _hypercall0(unsigned long nr)
{
    __asm__ volatile("syscall" : "+a"(nr) : : KIT_HC_CLOBBERS);
    return (long)nr;
}

static inline long _hypercall1(unsigned long nr, unsigned long a1)
{
    __asm__ volatile("syscall" : "+a"(nr), "+D"(a1) : : KIT_HC_CLOBBERS);
    return (long)nr;
}

static inline long _hypercall2(unsigned long nr, unsigned long a1, unsigned long a2)
{
    __asm__ volatile("syscall" : "+a"(nr), "+D"(a1), "+S"(a2) : : KIT_HC_CLOBBERS);
    return (long)nr;
}

static inline long _hypercall3(unsigned long nr, unsigned long a1, unsigned long a2,
                               unsigned long a3)
{
    __asm__ volatile("syscall" : "+a"(nr), "+D"(a1), "+S"(a2), "+d"(a3)
                     : : KIT_HC_CLOBBERS);
    return (long)nr;
}

static inline long _hypercall4(unsigned long nr, unsigned long a1, unsigned long a2,
                               unsigned long a3, unsigned long a4)
{
    register unsigned long r10 __asm__("r10") = a4;

    __asm__ volatile("syscall" : "+a"(nr), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10)
                     : : KIT_HC_CLOBBERS);
    return (long)nr;
}

static inline long _hypercall5(unsigned long nr, unsigned long a1, unsigned long a2,
                               unsigned long a3, unsigned long a4, unsigned long a5)
{
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;

    __asm__ volatile("syscall" : "+a"(nr), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10),
                     "+r"(r8) : : KIT_HC_CLOBBERS);
    return (long)nr;
}

static inline long _hypercall6(unsigned long nr, unsigned long a1, unsigned long a2,
                               unsigned long a3, unsigned long a4, unsigned long a5,
                               unsigned long a6)
{
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    register unsigned long r9 __asm__("r9") = a6;

    __asm__ volatile("syscall" : "+a"(nr), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10),
                     "+r"(r8), "+r"(r9) : : KIT_HC_CLOBBERS);
    return (long)nr;
}

#define KIT_UL(x) ((unsigned long)(x))

static inline long HYPERVISOR_console_io(unsigned int cmd, unsigned int count,
                                         const char *buf)
{
    return _hypercall3(__HYPERVISOR_console_io, cmd, count, KIT_UL(buf));
}

static inline long HYPERVISOR_sched_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_sched_op, cmd, KIT_UL(arg));
}

static inline long HYPERVISOR_xen_version(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_xen_version, cmd, KIT_UL(arg));
}

static inline long HYPERVISOR_vm_assist(unsigned int cmd, unsigned int type)
{
    return _hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

static inline long HYPERVISOR_mmu_update(const struct mmu_update *req, unsigned int count,
                                         unsigned int *done, domid_t dom)
{
    return _hypercall4(__HYPERVISOR_mmu_update, KIT_UL(req), count, KIT_UL(done), dom);
}

static inline long HYPERVISOR_mmuext_op(const struct mmuext_op *op, unsigned int count,
                                        unsigned int *done, domid_t dom)
{
    return _hypercall4(__HYPERVISOR_mmuext_op, KIT_UL(op), count, KIT_UL(done), dom);
}

static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte,
                                                unsigned long flags)
{
    return _hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

static inline long HYPERVISOR_memory_op(unsigned long cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_memory_op, cmd, KIT_UL(arg));
}

static inline long HYPERVISOR_vcpu_op(unsigned int cmd, unsigned int id, void *arg)
{
    return _hypercall3(__HYPERVISOR_vcpu_op, cmd, id, KIT_UL(arg));
}

static inline long HYPERVISOR_set_gdt(const uint64_t *frames, unsigned int entries)
{
    return _hypercall2(__HYPERVISOR_set_gdt, KIT_UL(frames), entries);
}

static inline long HYPERVISOR_set_segment_base(unsigned int which, uint64_t base)
{
    return _hypercall2(__HYPERVISOR_set_segment_base, which, base);
}

/* MMUEXT_SET_LDT: ents entries at guest VA va (0, 0: no LDT). */
static inline long kit_set_ldt(uint64_t va, unsigned int ents)
{
    struct mmuext_op op = { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = va,
                            .arg2.nr_ents = ents };
    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* The hypercall page from entry.asm; slot nr is at hypercall_page + 32 * nr. */
extern const uint8_t hypercall_page[4096];

/* Call slot nr of the hypercall page with two arguments.  The stub saves
 * rcx/r11 itself, but it is still a call, so every caller-saved register
 * is lost. */
static inline long kit_hcpage_call2(unsigned int nr, unsigned long a1, unsigned long a2)
{
    long ret;
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;

    __asm__ volatile("call *%[fn]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi)
                     : [fn] "r"(hypercall_page + 32 * nr)
                     : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
    return ret;
}

/* In entry.asm: issue hypercall nr(a1, a2) and report which registers the
 * ABI preserves came back changed (bit mask, see there). */
unsigned int kit_hypercall_clobbers(unsigned long nr, unsigned long a1, unsigned long a2,
                                    long *result);

#endif /* KIT_HYPERCALL_H */
