/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's page tables.  head.asm left boot tables that map the
 * first 4 GiB twice (identity, and the direct map) and the image with large
 * writable, executable pages.  paging_init() replaces them: RAM is direct-
 * mapped with 2 MiB pages, never executable; the image is mapped with 4 KiB
 * pages so text is read-only and executable while everything else is
 * non-executable and only data is writable.  Nothing is mapped below slot
 * 256, so a stray NULL or guest-half pointer faults.
 */
#include <mica/mm.h>
#include <mica/guest_access.h>
#include <mica/paging.h>
#include <mica/printk.h>
#include <mica/string.h>
#include <mica/x86.h>

#define BOOT_DIRECTMAP_END GiB(4)
#define L1_SHIFT 12
#define L2_SHIFT 21
#define L3_SHIFT 30
#define L4_SHIFT 39

extern const char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern const char _data_start[], _data_end[], _image_end[];

static paddr_t directmap_end = BOOT_DIRECTMAP_END;
static uint64_t nx_bit;

bool phys_is_mapped(paddr_t pa, uint64_t len)
{
    return pa < directmap_end && len <= directmap_end - pa;
}

paddr_t image_virt_to_phys(const void *va)
{
    return (uint64_t)va - IMAGE_VIRT_START + IMAGE_PHYS_START;
}

void *mm_map_frame(mfn_t mfn)
{
    return phys_to_virt(mfn << PAGE_SHIFT);
}

mfn_t mm_virt_to_mfn(const void *va)
{
    return ((uint64_t)va - DIRECTMAP_VIRT_START) >> PAGE_SHIFT;
}

/* Every translation this CPU caches, global ones too (mm/tlb.c says when):
 * turning CR4.PGE off and on again flushes them all (SDM 4.10.4.1). */
void arch_flush_tlb_all(void)
{
    uint64_t cr4 = read_cr4();

    if (cr4 & X86_CR4_PGE) {
        write_cr4(cr4 & ~X86_CR4_PGE);
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
}

static uint64_t *new_table(void)
{
    mfn_t mfn = alloc_xen_frame();

    /* Only the boot direct map (first 4 GiB) is reachable until we switch. */
    if (mfn == INVALID_MFN || (mfn << PAGE_SHIFT) >= BOOT_DIRECTMAP_END)
        panic("out of memory below 4 GiB while building the page tables");
    return phys_to_virt(mfn << PAGE_SHIFT);
}

/* The entry of `table` for va at `shift`, allocating the next level; `user`
 * makes the path reachable from ring 3 (the guests' read-only M2P). */
static uint64_t *next_level(uint64_t *table, uint64_t va, unsigned int shift,
                            uint64_t user)
{
    uint64_t *e = &table[(va >> shift) & 511];

    if (!(*e & PTE_P)) {
        uint64_t *t = new_table();
        *e = ((uint64_t)t - DIRECTMAP_VIRT_START) | PTE_P | PTE_W | user;
    }
    return phys_to_virt(*e & PTE_ADDR_MASK);
}

static void map_2m(uint64_t *l4, uint64_t va, paddr_t pa, uint64_t flags)
{
    uint64_t *l3 = next_level(l4, va, L4_SHIFT, 0);
    uint64_t *l2 = next_level(l3, va, L3_SHIFT, 0);

    l2[(va >> L2_SHIFT) & 511] = pa | flags | PTE_PS;
}

static void map_4k(uint64_t *l4, uint64_t va, paddr_t pa, uint64_t flags)
{
    uint64_t user = flags & PTE_U;
    uint64_t *l3 = next_level(l4, va, L4_SHIFT, user);
    uint64_t *l2 = next_level(l3, va, L3_SHIFT, user);
    uint64_t *l1 = next_level(l2, va, L2_SHIFT, user);

    l1[(va >> L1_SHIFT) & 511] = pa | flags;
}

static void map_image_range(uint64_t *l4, const char *start, const char *end,
                            uint64_t flags)
{
    for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
        map_4k(l4, va, image_virt_to_phys((void *)va), flags);
}

static uint64_t *idle_l4;

/* Point one 4 KiB page of the image at another frame (pa), back at its
 * own when pa is ~0, or at nothing when pa is PADDR_UNMAPPED: the GDT and
 * LDT windows take a guest's descriptor frames this way.  The image's
 * tables are shared by every guest L4 (slot 261). */
void paging_remap_image_page(const void *va, paddr_t pa)
{
    uint64_t v = (uint64_t)va, *t = idle_l4;

    for (int shift = 39; shift > 12; shift -= 9)
        t = phys_to_virt(t[(v >> shift) & 511] & PTE_ADDR_MASK);
    if (pa == ~(paddr_t)0)
        pa = image_virt_to_phys(va);
    t[(v >> 12) & 511] = pa == PADDR_UNMAPPED ? 0 : pa | PTE_P | PTE_W | nx_bit;
    __asm__ volatile("invlpg (%0)" : : "r"(v) : "memory");
}

/* Mica's own page tables: loaded while no guest runs on the CPU. */
uint64_t paging_idle_cr3(void)
{
    return (uint64_t)idle_l4 - DIRECTMAP_VIRT_START;
}

uint64_t paging_nx_bit(void)
{
    return nx_bit;
}

void paging_init(paddr_t end, paddr_t m2p_pa, uint64_t m2p_bytes)
{
    uint32_t a, b, c, d;

    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a >= 0x80000008) {
        cpuid(0x80000008, 0, &a, &b, &c, &d);
        io_mfn_end = 1UL << ((a & 0xff) - PAGE_SHIFT);
    }
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    if (d & (1u << 20)) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        nx_bit = PTE_NX;
    }
    cpuid(1, 0, &a, &b, &c, &d);
    bool pge = d & (1u << 13);

    end = ALIGN_UP(MAX(end, BOOT_DIRECTMAP_END), MiB(2));
    if (end > DIRECTMAP_SIZE) {
        pr_warn("RAM above %lu GiB is beyond the direct map and unused",
                DIRECTMAP_SIZE >> 30);
        end = DIRECTMAP_SIZE;
    }

    uint64_t *l4 = new_table();
    uint64_t g = pge ? PTE_G : 0;
    idle_l4 = l4;
    for (paddr_t pa = 0; pa < end; pa += MiB(2))
        map_2m(l4, DIRECTMAP_VIRT_START + pa, pa, PTE_P | PTE_W | g | nx_bit);
    map_image_range(l4, _text_start, _text_end, PTE_P | g);
    map_image_range(l4, _rodata_start, _rodata_end, PTE_P | g | nx_bit);
    map_image_range(l4, _data_start, _data_end, PTE_P | PTE_W | g | nx_bit);
    map_image_range(l4, _data_end, _image_end, PTE_P | g | nx_bit);
    /* The M2P, read-only and user-readable for guests, never global. */
    for (uint64_t off = 0; off < m2p_bytes; off += PAGE_SIZE)
        map_4k(l4, RO_MPT_VIRT_START + off, m2p_pa + off, PTE_P | PTE_U | nx_bit);
    /* What every validated guest L4 gets in its slots 256-271. */
    for (unsigned int i = 0; i < 16; i++)
        hypervisor_l4_slots[i] = l4[HYPERVISOR_L4_FIRST + i];

    write_cr3((uint64_t)l4 - DIRECTMAP_VIRT_START);
    if (pge)
        write_cr4(read_cr4() | X86_CR4_PGE);
    /* Guests use SSE (every x86-64 kernel does): the OS must say it saves
     * FXSAVE state.  Mica itself never touches the FPU (one vCPU today, so
     * the CPU's FPU state is the guest's). */
    write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
    /* The PAT PV guests are promised; Mica's own mappings use entry 0 (WB),
     * which it keeps. */
    wrmsr(0x277, PV_PAT);
    directmap_end = end;
    pr_info("paging: direct map 0-%lu MiB, image W^X%s", end >> 20,
            nx_bit ? " with NX" : " (this CPU has no NX)");
}

/* The L1 entry mapping va in v's kernel page tables, as a machine
 * address (update_va_mapping, grant maps by VA, descriptor loads); 0 when there is none (not present, or in the hypervisor's
 * range).  The tables are validated, so each level is the next's type. */
uint64_t l1e_maddr_of(const struct vcpu *v, uint64_t va)
{
    mfn_t mfn = v->guest_table;

    if (mfn == INVALID_MFN || !guest_range_ok(va, 1))
        return 0;
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t e = ((uint64_t *)mm_map_frame(mfn))[(va >> shift) & 511];
        if (!(e & _PAGE_PRESENT) || !mfn_valid(pte_mfn(e)))
            return 0;
        mfn = pte_mfn(e);
    }
    return (mfn << PAGE_SHIFT) + ((va >> 12) & 511) * 8;
}
