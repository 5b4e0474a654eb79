/* SPDX-License-Identifier: MIT */
/*
 * The PV memory core: who owns each machine frame, what it is used as, and
 * how many references hold it.  The rules are in the essay at the top of
 * mm/pt.c and in docs/mm.md.
 */
#ifndef MICA_MM_H
#define MICA_MM_H

#include <mica/domain.h>
#include <mica/frame_alloc.h>
#include <mica/types.h>

/* Page types: what a frame is used as while its type count is non-zero. */
enum pgt {
    PGT_none = 0,
    PGT_l1 = 1, PGT_l2 = 2, PGT_l3 = 3, PGT_l4 = 4,   /* level == type */
    PGT_seg_desc = 5,       /* GDT/LDT frame: every descriptor checked */
    PGT_writable = 7,
};

/* page_info.flags */
#define PGF_allocated 0x01  /* the owner holds its allocation reference */
#define PGF_validated 0x02  /* a page table whose every entry holds its refs */
#define PGF_partial   0x04  /* validation in progress: entries [0, nr_done) */
#define PGF_inflight  0x08  /* partial, and entry nr_done's child is taken */
#define PGF_parked    0x10  /* a preempted taker's type ref waits here */
#define PGF_pinned    0x20  /* a pin holds one general and one type ref */
#define PGF_queued    0x40  /* on the owner's devalidation queue */

/* Owner of a frame that nobody owns (in the free pool). */
#define OWNER_FREE DOMID_INVALID

struct page_info {
    uint32_t count;         /* general references; allocation holds one */
    uint32_t type_count;    /* references to the type */
    domid_t owner;          /* a domain, DOMID_XEN, DOMID_IO or OWNER_FREE */
    uint8_t type;           /* enum pgt */
    uint8_t flags;          /* PGF_* */
    uint16_t nr_done;       /* entries holding refs while partial/queued */
    uint16_t tlbflush_stamp; /* mm/tlb.c: flush clock when its mappings went */
    uint32_t next, prev;    /* the owner's page list, by frame number */
    uint32_t qnext, qprev;  /* the owner's devalidation queue */
};
_Static_assert(sizeof(struct page_info) == 32, "page_info layout");

#define PAGE_LIST_NONE UINT32_MAX
#define REF_MAX (UINT32_MAX - 1)

extern struct page_info *frame_table;
extern mfn_t max_page;      /* frames covered by frame_table */
extern mfn_t io_mfn_end;
/* Whether a frame that is not RAM (DOMID_IO, or beyond the frame table) is
 * one a privileged domain may map: within the physical address width and
 * not the interrupt controllers'. */
bool io_frame_ok(mfn_t mfn);

static inline bool mfn_valid(mfn_t mfn)
{
    return mfn < max_page;
}

static inline struct page_info *mfn_to_page(mfn_t mfn)
{
    return &frame_table[mfn];
}

static inline mfn_t page_to_mfn(const struct page_info *pg)
{
    return (mfn_t)(pg - frame_table);
}

/* Provided by the architecture (or the host test harness). */
void *mm_map_frame(mfn_t mfn);              /* the frame's contents */
mfn_t mm_virt_to_mfn(const void *va);       /* inverse, for mm_map_frame()'s results */
void arch_flush_tlb_all(void);              /* every translation, global too */
void mm_free_frame(mfn_t mfn);              /* back to the free pool */

/* mm/tlb.c: the flush discipline (the rules are at its top). */
void tlb_flush_all(void);                   /* flush everything; the clock ticks */
/* pg's mappings went, but translations of it may still be cached. */
void tlb_stamp(struct page_info *pg);
/* pg is about to be used anew (another type, another owner): flush
 * whatever translations of it may still be cached. */
void tlb_flush_stale(struct page_info *pg);

/* mm/boot_mm.c: the real machine's pool, M2P and the hypervisor's frames. */
extern uint64_t *machine_to_phys;
void mm_boot_init(struct frame_pool *pool, struct page_info *table, uint64_t *m2p,
                  mfn_t nr_frames, const struct memmap *ram);
mfn_t alloc_xen_frame(void);            /* zeroed, owned by DOMID_XEN */
void free_xen_frame(mfn_t mfn);         /* back to the pool, scrubbed */
/* A zeroed frame given to d (INVALID_MFN when none or over max_pages). */
mfn_t alloc_domain_frame(struct domain *d);
/* 2^order zeroed frames in a row, aligned, below 2^bits bytes (bits 0:
 * anywhere), owned by nobody yet: for assign_pages(), or back with
 * free_extent().  INVALID_MFN when the pool has no such run. */
mfn_t alloc_extent(unsigned int order, unsigned int bits);
void free_extent(mfn_t mfn, unsigned int order);
uint64_t mm_free_frames(void);
uint64_t mm_total_frames(void);         /* RAM the pool may ever hand out */

/* mm/page.c: the frame table and domain page lists. */
/* Every frame starts as I/O; RAM is the hypervisor's; free RAM is free. */
void frame_table_init(struct page_info *table, mfn_t nr_frames,
                      const struct memmap *ram, const struct memmap *free);
void domain_mm_init(struct domain *d, uint64_t max_pages);
/* A frame from the pool, before anyone gets it: no translation of it from
 * its last owner survives (mm/tlb.c), and it reads as zeros. */
void frame_prepare(mfn_t mfn);
/* Give a free frame to d (allocation ref, type none). -ENOMEM over max. */
int assign_page(struct domain *d, mfn_t mfn);
/* Give d the 2^order free frames from mfn, which the caller took from the
 * pool; within_max: all or none within max_pages (-ENOMEM). */
int assign_pages(struct domain *d, mfn_t mfn, unsigned int order, bool within_max);
/* The owner gives up its allocation ref; freed once nothing else holds it. */
int release_page(struct domain *d, mfn_t mfn);
/* XENMEM_exchange: take a frame d holds by its allocation reference alone
 * onto *chain (INVALID_MFN when empty), -EINVAL otherwise; then give the
 * chain back whole, or free it (scrubbed, d's tot_pages drop). */
int steal_page(struct domain *d, mfn_t mfn, mfn_t *chain);
void unsteal_pages(mfn_t chain);
void free_stolen_pages(mfn_t chain);
bool get_page(struct page_info *pg, const struct domain *d);
void put_page(struct page_info *pg);

/* mm/pt.c: types, validation and page-table updates. */
struct pt_ctx {
    struct domain *d;
    long budget;            /* work units left before -ERESTART */
    /* Owner of the frames new L1 entries map: NULL for d itself, or the
     * foreign domain a privileged builder maps (mmu_update foreigndom). */
    const struct domain *pg_owner;
};
#define PT_BUDGET 8192

int get_page_type(struct pt_ctx *c, struct page_info *pg, enum pgt type);
void put_page_type(struct pt_ctx *c, struct page_info *pg);
/* Finish queued devalidations; -ERESTART when the budget runs out. */
int pt_drain(struct pt_ctx *c);

/* Hold a frame of d that Mica writes into (shared_info, a console ring):
 * a general and a writable type reference (-EINVAL if it is not d's or is
 * a page table now); and let it go. */
int mm_hold_writable(struct domain *d, mfn_t mfn);
void mm_drop_writable(struct domain *d, mfn_t mfn);
/* A dying c->d gives up every pin and parked validation and drains its
 * queue, so that its tables hold nothing: 0 or -ERESTART (call again). */
int pt_relinquish(struct pt_ctx *c);
/* Then it drops the allocation reference of every frame it owns (each is
 * freed unless something else still holds it). */
void mm_release_all(struct domain *d);

int pt_pin(struct pt_ctx *c, mfn_t mfn, enum pgt level);
int pt_unpin(struct pt_ctx *c, mfn_t mfn);
/* Write one entry of a page table (or plain frame) the caller owns. */
int pt_update_entry(struct pt_ctx *c, uint64_t pte_maddr, uint64_t val,
                    bool preserve_ad);
/* Grant mappings: write L1 entry e (mapping a frame of owner) at pte_maddr,
 * which must lie in a validated L1 table of c->d; the old entry's references
 * are dropped.  0 or -EINVAL. */
int pt_map_grant(struct pt_ctx *c, uint64_t pte_maddr, uint64_t e,
                 const struct domain *owner);
/* Clear the entry at pte_maddr if it still maps mfn (writable iff write):
 * 0, or -EINVAL with nothing changed.  With new_maddr (another entry of a
 * validated L1 of c->d), that entry moves there instead, with the
 * references it holds, and its own slot is cleared (unmap_and_replace). */
int pt_unmap_grant(struct pt_ctx *c, uint64_t pte_maddr, mfn_t mfn, bool write,
                   uint64_t new_maddr);

/* arch/x86/paging.c: machine address of the L1 entry mapping va in v's
 * kernel page tables, 0 when none. */
struct vcpu;
uint64_t l1e_maddr_of(const struct vcpu *v, uint64_t va);

/* Entry bits. */
#define _PAGE_PRESENT  (1UL << 0)
#define _PAGE_RW       (1UL << 1)
#define _PAGE_USER     (1UL << 2)
#define _PAGE_PWT      (1UL << 3)
#define _PAGE_PCD      (1UL << 4)
#define _PAGE_ACCESSED (1UL << 5)
#define _PAGE_DIRTY    (1UL << 6)
#define _PAGE_PSE      (1UL << 7)   /* L2/L3; PAT in an L1 */
#define _PAGE_PAT      (1UL << 7)
#define _PAGE_GLOBAL   (1UL << 8)
#define _PAGE_AVAIL    (7UL << 9)
#define _PAGE_GUEST_KERNEL (1UL << 52)
#define _PAGE_AVAIL_HIGH   (0x3ffUL << 52)  /* bits 52-61 */
#define _PAGE_GNTTAB   (1UL << 62)
#define _PAGE_NX       (1UL << 63)
#define PADDR_MASK     0x000ffffffffff000UL

static inline mfn_t pte_mfn(uint64_t e)
{
    return (e & PADDR_MASK) >> PAGE_SHIFT;
}

/* L4 slots the hypervisor fills in every guest L4 (256-271). */
#define HYPERVISOR_L4_FIRST 256
#define HYPERVISOR_L4_LAST  271
static inline bool l4_slot_is_hypervisor(unsigned int i)
{
    return i >= HYPERVISOR_L4_FIRST && i <= HYPERVISOR_L4_LAST;
}
/* The hypervisor's entries for those slots, filled at boot. */
extern uint64_t hypervisor_l4_slots[16];

#endif /* MICA_MM_H */
