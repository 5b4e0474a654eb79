/* SPDX-License-Identifier: MIT */
/*
 * GDT, TSS and IDT of a physical CPU.
 *
 * The GDT already has Xen's shape: 64-bit PV guests own entries 0..7167
 * (14 pages, filled from their set_gdt frames later) and the hypervisor's
 * descriptors sit at 7168 + n, selector 0xe000 + 8n, with the same indices
 * Xen uses (public arch-x86/xen.h, FLAT_* selectors).  Guests reach the
 * ring-3 entries through FLAT_KERNEL_CS etc.; ring-0 ones are ours.
 * NMI, double fault and machine check run on their own IST stacks, so a
 * corrupt stack pointer still yields a register dump.
 */
#include <mica/string.h>
#include <mica/traps.h>
#include <mica/x86.h>

#define GDT_ENTRIES (FIRST_RESERVED_GDT_ENTRY + 512)     /* 15 pages */
#define RSVD(n) (FIRST_RESERVED_GDT_ENTRY + (n))

#define IST_STACK_SIZE 8192
enum { IST_NMI = 1, IST_DF = 2, IST_MC = 3, IST_DB = 4, NR_IST = 4 };

struct __packed tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "TSS layout");

struct __packed idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

struct __packed desc_ptr {
    uint16_t limit;
    uint64_t base;
};

static uint64_t gdt[GDT_ENTRIES] __aligned(PAGE_SIZE);
static struct idt_gate idt[X86_NR_VECTORS] __aligned(PAGE_SIZE);
static struct tss64 tss __aligned(128);
static uint8_t ist_stacks[NR_IST][IST_STACK_SIZE] __aligned(16);
/* The LDT window: 16 pages (8192 descriptors), unmapped until a guest
 * descriptor load touches a page (arch/x86/pv/pv_desc.c maps it then). */
static uint8_t ldt_window[LDT_WINDOW_PAGES * PAGE_SIZE] __aligned(PAGE_SIZE);
extern uint8_t boot_stack_bottom[], boot_stack_top[];
/* Where the CPU enters the hypervisor from the running guest (syscall
 * entry; the TSS's RSP0 is kept equal): the boot stack, then the running
 * vCPU's (arch/x86/pv/context.c). */
uint64_t cpu_stack_top;

extern const uint64_t entry_stubs[X86_NR_VECTORS];

static void set_gate(unsigned int vec, uint64_t handler, unsigned int ist,
                     unsigned int dpl)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = (uint16_t)handler,
        .selector = __HYPERVISOR_CS,
        .ist = (uint8_t)ist,
        .type_attr = (uint8_t)(0x8e | dpl << 5),   /* present 64-bit interrupt gate */
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

static void set_tss_desc(unsigned int idx, uint64_t base, uint32_t limit)
{
    gdt[idx] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
               (0x89ULL << 40) |                  /* present, 64-bit TSS */
               ((uint64_t)(limit >> 16) << 48) | ((base >> 24 & 0xff) << 56);
    gdt[idx + 1] = base >> 32;
}

/*
 * The legacy 8259 PICs come out of the BIOS based at vector 8, right on
 * top of the exceptions: move them to 0x20-0x2f and mask every line.  Mica
 * takes no device interrupts yet (the local APIC timer comes with the
 * scheduler); a spurious IRQ 7/15 can still arrive and is ignored.
 */
static void i8259_disable(void)
{
    outb(0x20, 0x11);   outb(0xa0, 0x11);       /* ICW1: init, ICW4 follows */
    outb(0x21, 0x20);   outb(0xa1, 0x28);       /* ICW2: vector bases */
    outb(0x21, 0x04);   outb(0xa1, 0x02);       /* ICW3: cascade on IRQ 2 */
    outb(0x21, 0x01);   outb(0xa1, 0x01);       /* ICW4: 8086 mode */
    outb(0x21, 0xff);   outb(0xa1, 0xff);       /* mask everything */
}

/* Let IRQ 4 (COM1) through: console input for the privileged domain. */
void i8259_unmask_serial(void)
{
    outb(0x21, 0xff & ~0x10);
}

void i8259_eoi(void)
{
    outb(0x20, 0x20);
}

void traps_init(void)
{
    i8259_disable();
    gdt[RSVD(1)] = 0x00af9b000000ffffULL;   /* 0xe008 ring-0 64-bit code */
    gdt[RSVD(2)] = 0x00cf93000000ffffULL;   /* 0xe010 ring-0 data */
    gdt[RSVD(4)] = 0x00cffb000000ffffULL;   /* 0xe023 ring-3 32-bit code */
    gdt[RSVD(5)] = 0x00cff3000000ffffULL;   /* 0xe02b ring-3 data */
    gdt[RSVD(6)] = 0x00affb000000ffffULL;   /* 0xe033 ring-3 64-bit code */

    tss.ist[IST_NMI - 1] = (uint64_t)&ist_stacks[0][IST_STACK_SIZE];
    tss.ist[IST_DF - 1] = (uint64_t)&ist_stacks[1][IST_STACK_SIZE];
    tss.ist[IST_MC - 1] = (uint64_t)&ist_stacks[2][IST_STACK_SIZE];
    tss.ist[IST_DB - 1] = (uint64_t)&ist_stacks[3][IST_STACK_SIZE];
    tss.iomap_base = sizeof(tss);           /* no I/O bitmap: ring 3 gets #GP */
    /* Entries from the guest (ring 3) start at the top of this stack. */
    tss.rsp[0] = (uint64_t)boot_stack_top;
    set_tss_desc(RSVD(8), (uint64_t)&tss, sizeof(tss) - 1);

    struct desc_ptr gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %2, %%eax\n\t"
        "movl %%eax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "ltr %w3\n\t"
        : : "m"(gdtr), "i"(__HYPERVISOR_CS), "i"(__HYPERVISOR_DS), "r"(TSS_SELECTOR)
        : "rax", "memory");

    for (unsigned int v = 0; v < X86_NR_VECTORS; v++)
        set_gate(v, entry_stubs[v], 0, 0);
    set_gate(2, entry_stubs[2], IST_NMI, 0);
    set_gate(8, entry_stubs[8], IST_DF, 0);
    set_gate(18, entry_stubs[18], IST_MC, 0);
    /* A guest's breakpoint deferred by a MOV SS shadow fires on the first
     * instruction of the syscall entry, still on the guest's stack
     * (XSA-260): #DB never runs on a stack the guest chose. */
    set_gate(1, entry_stubs[1], IST_DB, 0);
    /* int3 and into from the guest kernel (ring 3) must arrive as #BP and
     * #OF, not as #GP, as on Xen: their gates are DPL 3.  Every other
     * `int n` from ring 3 raises #GP, which the guest gets. */
    set_gate(3, entry_stubs[3], 0, 3);
    set_gate(4, entry_stubs[4], 0, 3);

    struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/*
 * SYSCALL from the guest kernel (ring 3) is the hypercall instruction.
 * STAR: SYSCALL loads CS 0xe008/SS 0xe010; SYSRET returns to 0xe033/0xe02b
 * (64-bit) from the base 0xe023.  SFMASK clears TF, IF, DF, NT, RF, VM and
 * AC, so the hypervisor runs with interrupts off on its own stack.
 */
#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_CSTAR  0xc0000083
#define MSR_SFMASK 0xc0000084

void syscall_init(void)
{
    extern const char syscall_entry[], cstar_entry[];

    wrmsr(MSR_STAR, (0xe023UL << 48) | ((uint64_t)__HYPERVISOR_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    cpu_stack_top = (uint64_t)boot_stack_top;
    wrmsr(MSR_CSTAR, (uint64_t)cstar_entry);    /* no 32-bit guests: #UD */
    wrmsr(MSR_SFMASK, 0x74700);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void *ldt_window_page(unsigned int i)
{
    return &ldt_window[i * PAGE_SIZE];
}

/* Point the CPU's LDT at the window with nr_ents entries (0: no LDT). */
void ldt_load(uint64_t nr_ents)
{
    uint16_t sel = 0;

    if (nr_ents) {
        uint64_t base = (uint64_t)ldt_window;
        uint32_t limit = (uint32_t)(nr_ents * 8 - 1);
        gdt[RSVD(10)] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                        (0x82ULL << 40) |           /* present, LDT */
                        ((uint64_t)(limit >> 16) << 48) | ((base >> 24 & 0xff) << 56);
        gdt[RSVD(11)] = base >> 32;
        sel = LDT_SELECTOR;
    }
    __asm__ volatile("lldt %w0" : : "r"(sel) : "memory");
}

/* Page i (0..13) of the GDT: where a guest's descriptor frame i appears. */
void *gdt_guest_page(unsigned int i)
{
    return &gdt[i * 512];
}

/* The stack the CPU switches to on an exception from the guest. */
void tss_set_rsp0(uint64_t top)
{
    tss.rsp[0] = top;
}

bool stack_contains(uint64_t lo, uint64_t hi)
{
    if (lo >= (uint64_t)boot_stack_bottom && hi <= (uint64_t)boot_stack_top)
        return true;
    for (unsigned int i = 0; i < NR_IST; i++)
        if (lo >= (uint64_t)ist_stacks[i] && hi <= (uint64_t)&ist_stacks[i][IST_STACK_SIZE])
            return true;
    return false;
}
