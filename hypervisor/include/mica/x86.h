/* SPDX-License-Identifier: MIT */
/*
 * x86-64 instruction wrappers, control-register and MSR numbers, and the
 * register frame the exception entry code builds.
 */
#ifndef MICA_X86_H
#define MICA_X86_H

#include <abi/xen.h>
#include <mica/extable.h>
#include <mica/types.h>

#define X86_CR0_PE  (1UL << 0)
#define X86_CR0_WP  (1UL << 16)
#define X86_CR0_PG  (1UL << 31)
#define X86_CR4_PAE (1UL << 5)
#define X86_CR4_PGE (1UL << 7)
#define X86_CR4_OSFXSR     (1UL << 9)
#define X86_CR4_OSXMMEXCPT (1UL << 10)

#define MSR_EFER        0xc0000080
#define EFER_SCE        (1UL << 0)
#define EFER_LME        (1UL << 8)
#define EFER_NXE        (1UL << 11)

#define X86_EFLAGS_IF   (1UL << 9)
#define X86_EFLAGS_IOPL (3UL << 12)

/* Exception vectors Mica names (the architecture's numbers, Xen's names). */
#define X86_EXC_DB   1      /* debug */
#define X86_EXC_UD   6      /* invalid opcode */
#define X86_EXC_NM   7      /* device not available */
#define X86_EXC_DF   8      /* double fault */
#define X86_EXC_TS   10     /* invalid TSS (to #PF: the segment and page faults) */
#define X86_EXC_GP   13     /* general protection */
#define X86_EXC_PF   14     /* page fault */
#define X86_EXC_AC   17     /* alignment check */
#define X86_EXC_CP   21     /* control protection */
#define X86_EXC_VC   29     /* VMM communication */
#define X86_EXC_SX   30     /* security */
#define X86_NR_EXCEPTIONS 32    /* vectors 0-31 are the architecture's */
#define X86_NR_VECTORS    256   /* IDT gates, and entries of a PV trap table */

/* The hypervisor's selectors, in Xen's reserved GDT page (index 7168 on,
 * FIRST_RESERVED_GDT_ENTRY from the public ABI). */
#define __HYPERVISOR_CS  0xe008
#define __HYPERVISOR_DS  0xe010
#define TSS_SELECTOR     0xe040

/* What the exception entry stubs push, lowest address first. */
struct cpu_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;
    uint64_t rip, cs, rflags, rsp, ss;      /* the hardware frame */
};

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* wrmsr of a value that came from a guest (a segment base): 0, or -1 when
 * the CPU refused it (#GP: non-canonical, reserved bits) and nothing was
 * written.  The value is checked before; this is the fixup behind it. */
static inline int wrmsr_safe(uint32_t msr, uint64_t v)
{
    int rc = 0;

    __asm__ volatile("1: wrmsr\n2:\n"
                     ".pushsection .fixup, \"ax\"\n"
                     "3: movl $-1, %0\n    jmp 2b\n"
                     ".popsection\n"
                     EX_TABLE(1b, 3b)
                     : "+r"(rc)
                     : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
    return rc;
}

/* FXRSTOR of a guest's FPU image: 0, or -1 when the CPU refused it (#GP:
 * reserved MXCSR bits) and the FPU state is unchanged. */
static inline int fxrstor_safe(const void *image)
{
    int rc = 0;

    __asm__ volatile("1: fxrstor64 %1\n2:\n"
                     ".pushsection .fixup, \"ax\"\n"
                     "3: movl $-1, %0\n    jmp 2b\n"
                     ".popsection\n"
                     EX_TABLE(1b, 3b)
                     : "+r"(rc) : "m"(*(const uint8_t (*)[512])image) : "memory");
    return rc;
}

/* Whether FXRSTOR takes this FXSAVE image: of its contents only MXCSR
 * (bytes 24-27) can make it fault, with a bit set outside the CPU's
 * MXCSR_MASK (#GP; SDM vol. 1, 10.5.1.2).  TCG does not fault, hardware
 * does: tests/test_cpu_rules.c holds this against the host CPU. */
static inline bool fxsave_image_ok(const uint8_t *image, uint32_t mxcsr_mask)
{
    uint32_t mxcsr = (uint32_t)image[24] | (uint32_t)image[25] << 8 |
                     (uint32_t)image[26] << 16 | (uint32_t)image[27] << 24;

    return !(mxcsr & ~mxcsr_mask);
}

/* Whether va is canonical: bits 63-47 all equal. */
static inline bool is_canonical(uint64_t va)
{
    return ((int64_t)va >> 47) == 0 || ((int64_t)va >> 47) == -1;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
                         uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
                     : "a"(leaf), "c"(sub));
}

#define DEFINE_CR_ACCESS(n)                                             \
static inline uint64_t read_cr##n(void)                                 \
{                                                                       \
    uint64_t v;                                                         \
    __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                   \
    return v;                                                           \
}                                                                       \
static inline void write_cr##n(uint64_t v)                              \
{                                                                       \
    __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");          \
}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

static inline __noreturn void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

#endif /* MICA_X86_H */
