/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's own address space, inside the range 64-bit PV guests
 * leave to it (L4 slots 256-271), laid out as Xen's so that guests see the
 * same holes: the image at 0xffff82d040000000 (slot 261) and a direct map
 * of RAM from 0xffff830000000000 (slots 262-271, 5 TiB).
 */
#ifndef MICA_PAGING_H
#define MICA_PAGING_H

#include <mica/types.h>

#define RO_MPT_VIRT_START      0xffff800000000000UL    /* slot 256: guests' M2P */
#define IMAGE_VIRT_START       0xffff82d040000000UL    /* slot 261 */
#define IMAGE_PHYS_START       0x200000UL
#define DIRECTMAP_VIRT_START   0xffff830000000000UL    /* slot 262 */
#define DIRECTMAP_VIRT_END     0xffff880000000000UL    /* slot 272 */
#define DIRECTMAP_SIZE         (DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START)

#define PTE_P    (1UL << 0)
#define PTE_W    (1UL << 1)
#define PTE_U    (1UL << 2)
#define PTE_A    (1UL << 5)
#define PTE_D    (1UL << 6)
#define PTE_PS   (1UL << 7)
#define PTE_G    (1UL << 8)
#define PTE_NX   (1UL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000UL


static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(DIRECTMAP_VIRT_START + pa);
}

/* Whether [pa, pa + len) is reachable through phys_to_virt() right now. */
bool phys_is_mapped(paddr_t pa, uint64_t len);

/* Physical address of an object in the image (code, data, bss). */
paddr_t image_virt_to_phys(const void *va);

/*
 * Build and load the hypervisor's page tables: the direct map over
 * [0, directmap_end), the image with per-section permissions and the M2P
 * read-only for guests at RO_MPT_VIRT_START.  Page tables are hypervisor
 * frames from the pool (the frame table must exist).  Drops the boot
 * loader's identity map and records the L4 slots guests inherit.
 */
void paging_init(paddr_t directmap_end, paddr_t m2p_pa, uint64_t m2p_bytes);
/* The PTE no-execute bit when the CPU has NX (EFER.NXE is then on), else 0. */
uint64_t paging_nx_bit(void);

/* Remap one image page (not global) to pa; pa = ~0 restores it and
 * PADDR_UNMAPPED makes it not present. */
#define PADDR_UNMAPPED (~(paddr_t)1)
void paging_remap_image_page(const void *va, paddr_t pa);
uint64_t paging_idle_cr3(void);

/* The PAT every PV guest sees (Xen's: WB, WT, UC-, UC, WC, WP, UC, UC). */
#define PV_PAT 0x0000050100070406UL

#endif /* MICA_PAGING_H */
