/* SPDX-License-Identifier: MIT */
/*
 * The hostile domain's arguments (issue 13): boundary values put into the
 * fields of every structure a hypercall takes by pointer, not only random
 * words.  Three tables do it:
 *
 *  - `kind_values`: for each kind of value (an address, a machine frame, a
 *    pseudo-physical frame, a selector, a count, a domain id, an MXCSR, ...)
 *    the values at its edges: ~0 of every width, 0, 1, max_page and
 *    max_page - 1 (XENMEM_maximum_ram_page), INVALID_MFN, non-canonical
 *    and hypervisor-range addresses, LDT selectors, reserved MXCSR bits,
 *    page-aligned and misaligned variants, and a few values that are
 *    really ours (a frame we own, our L4, our code) so that checks further
 *    in are reached too;
 *  - the shapes: each structure's fields with offset, width and kind;
 *  - `calls`: for each hypercall, the kind of each argument register, and
 *    for sub-op hypercalls which shape each command's structure has.
 *
 * A field gets a value of its own kind most of the time, any boundary
 * value sometimes, and random bits or the junk it had otherwise.  The vCPU
 * context (VCPUOP_initialise, the control interface's setvcpucontext) is a
 * working template with one to three fields changed, so each boundary value
 * meets the check meant for it; when only fields that our parked code does
 * not depend on were changed and the hypervisor took the context, vCPU 1
 * is brought up on it, so that what Mica loads at a context switch (FPU
 * image, segment bases, LDT) is loaded for real.
 *
 * All of it is drawn from chaos_next(): the same seed gives the same calls.
 */
#include <stddef.h>
#include <abi/callback.h>
#include <abi/event_channel.h>
#include <abi/grant_table.h>
#include <abi/memory.h>
#include <abi/vcpu.h>
#include "chaos.h"
#include "hypercall.h"
#include "memory.h"

#define INVALID_MFN (~0ULL)

/* ---- the arena ------------------------------------------------------------ */

/* The last four pages of the mapped region: a vCPU context (two pages), a
 * frame list, and the junk page.  What runs past the junk page faults. */
uint8_t *chaos_junk;
static struct vcpu_guest_context *ctx;
static uint64_t *list;
static uint64_t ldt_va;                 /* a read-only LDT page (scratch slot 0) */
static uint64_t ldt_mfn, l4_mfn, max_page, nr_pages, first_free_pfn;
#define ARENA_SLOT 28                   /* scratch slots 28..31 */

void chaos_fill_junk(void)
{
    for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
        ((uint64_t *)chaos_junk)[i] = chaos_next() % 4 ? chaos_next() : chaos_next() % 256;
}

/* ---- kinds and their boundary values --------------------------------------- */

enum kind {
    K_NONE,     /* (no such argument) */
    K_ANY,      /* any boundary value, or random bits */
    K_COUNT,    /* a number of elements, pages, frames */
    K_ORDER,    /* an extent order */
    K_ADDR,     /* a guest virtual address of data */
    K_CODE,     /* a guest virtual address of code */
    K_FRAME,    /* a machine frame number */
    K_GPFN,     /* a pseudo-physical frame number */
    K_MADDR,    /* a machine address (of a page-table entry, a descriptor) */
    K_PTE,      /* a page-table entry */
    K_DOMID,
    K_SEL,      /* a segment selector */
    K_PORT,     /* an event-channel port */
    K_VCPU,
    K_GREF,     /* a grant reference or handle */
    K_MXCSR,
    K_DESC,     /* a segment descriptor */
    K_TIME,     /* ns */
    K_OFFSET,   /* a byte offset into a page */
    K_FLAGS,
    K_SMALL,    /* a small number: a type, a vector, a command */
    K_LIST,     /* the address of the frame list */
    K_CTX,      /* the address of a freshly built vCPU context */
    NR_KINDS
};

/* Filled in by chaos_args_init (max_page is only known then). */
static uint64_t any_values[32];
static unsigned int nr_any;

static const uint64_t fixed_any[] = {
    0, 1, 2, ~0ULL, 0xffffffffULL, 0xffffULL, 0xffULL, 0x7fffffffULL, 0x80000000ULL,
    0x7fffffffffffffffULL,
    0x0000800000000000ULL, 0x8000000000000000ULL, 0xffff7fffffffffffULL, /* non-canonical */
    0xffff800000000000ULL, 0xffff82d040000000ULL, 0xffff830000000000ULL, /* Mica's */
    0x00007ffffffff000ULL, 0x4, 0x7, 0xfffc, 0x10000, 0xfff, 0x1000,
};

#define PICK(...) pick((const uint64_t[]){ __VA_ARGS__ },                   \
                       sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))
static uint64_t pick(const uint64_t *v, unsigned int n)
{
    return v[chaos_next() % n];
}

static uint64_t any_value(void)
{
    return chaos_next() % 8 ? any_values[chaos_next() % nr_any] : chaos_next();
}

static uint64_t misalign(uint64_t a)
{
    switch (chaos_next() % 8) {
    case 0: return a & ~0xfffULL;
    case 1: return a | 1;
    case 2: return a | 7;
    case 3: return a + 0xff8;
    default: return a;
    }
}

/* One of our own free frames (never mapped, not the LDT page). */
static uint64_t free_pfn(void)
{
    if (first_free_pfn >= nr_pages)
        return nr_pages - 1;
    return first_free_pfn + chaos_next() % (nr_pages - first_free_pfn);
}

static uint64_t own_frame(void)
{
    switch (chaos_next() % 6) {
    case 0: return virt_to_mfn(chaos_junk);
    case 1: return virt_to_mfn(list);
    case 2: return ldt_mfn;
    case 3: return l4_mfn;
    case 4: return kit_l1e_maddr((uint64_t)chaos_junk) >> PAGE_SHIFT;  /* an L1 */
    default: return pfn_to_mfn(free_pfn());
    }
}

static uint64_t frame_value(void)
{
    switch (chaos_next() % 4) {
    case 0: case 1: return own_frame();
    case 2: return PICK(0, 1, max_page, max_page - 1, max_page + 1, INVALID_MFN,
                        0xffffffffULL, 0xfffffffffULL, 1ULL << 40, kit_si->shared_info >> 12);
    default: return chaos_next() % (max_page + 1);   /* anyone's, Mica's */
    }
}

static uint64_t addr_value(void)
{
    uint64_t j = (uint64_t)chaos_junk;

    switch (chaos_next() % 4) {
    case 0: return misalign(j + (chaos_next() % (PAGE_SIZE / 8)) * 8);
    case 1: return PICK(j, j + PAGE_SIZE - 8, j + PAGE_SIZE, ldt_va, (uint64_t)list,
                        (uint64_t)ctx, kit_mem.mapped_end + PAGE_SIZE, VIRT_BASE,
                        (uint64_t)kit_si, MACH2PHYS_VIRT_START);
    default: return misalign(PICK(0, ~0ULL, 0x0000800000000000ULL, 0x8000000000000000ULL,
                                  0xffff7fffffffffffULL, 0xffff800000000000ULL,
                                  0xffff82d040000000ULL, 0xffff830000000000ULL,
                                  0x00007ffffffff000ULL, 0x1000, HYPERVISOR_VIRT_END,
                                  HYPERVISOR_VIRT_END - PAGE_SIZE));
    }
}

void chaos_park(void) __attribute__((noreturn));

static uint64_t code_value(void)
{
    if (chaos_next() % 2)
        return PICK((uint64_t)chaos_park, (uint64_t)chaos_park + 1, (uint64_t)_image_start,
                    (uint64_t)chaos_next, (uint64_t)chaos_junk);
    return PICK(0, ~0ULL, 0x0000800000000000ULL, 0x8000000000000000ULL,
                0xffff7fffffffffffULL, 0xffff800000000000ULL, 0xffff82d040000000ULL,
                0xffff830000000000ULL, 0x400000, HYPERVISOR_VIRT_END - 1);
}

/* The machine address of a page-table entry or a descriptor slot. */
static uint64_t maddr_value(void)
{
    switch (chaos_next() % 6) {
    case 0: /* an L1 entry of a scratch page (slots 1..27: not the arena) */
        return kit_l1e_maddr(kit_scratch_va(1 + (unsigned int)(chaos_next() % 27)));
    case 1: /* L4 slots around the hypervisor's and an empty one; never ours */
        return (l4_mfn << PAGE_SHIFT) + 8 * PICK(0, 1, 255, 256, 261, 271, 272, 510);
    case 2: /* the window's empty L2 slot */
        return kit_window_l2e_maddr();
    case 3: {   /* any frame, any entry: but not one of our live tables' */
        uint64_t f = frame_value();
        if (f == l4_mfn || f == kit_l1e_maddr((uint64_t)chaos_junk) >> PAGE_SHIFT)
            f = max_page - 1;
        return (f << PAGE_SHIFT) | (chaos_next() % 2 ? 8 * (chaos_next() % 512)
                                                     : chaos_next() % 4096);
    }
    default:
        return PICK(0, ~0ULL, max_page << PAGE_SHIFT, (max_page - 1) << PAGE_SHIFT,
                    INVALID_MFN << PAGE_SHIFT, 0x8000000000000000ULL, 7, 0xffc);
    }
}

static uint64_t pte_value(void)
{
    uint64_t flags = PICK(PTE_RO, PTE_RW, PTE_RW | _PAGE_USER, PTE_RW | _PAGE_PSE,
                          PTE_RO | _PAGE_NX, PTE_RW | _PAGE_PCD | _PAGE_PWT | _PAGE_GLOBAL,
                          0, 0xfff, 0xfff0000000000fffULL, PTE_RO | (1ULL << 52));

    if (chaos_next() % 8 == 0)
        return PICK(0, ~0ULL, _PAGE_PRESENT, 0x8000000000000000ULL);
    return (frame_value() << PAGE_SHIFT) | flags;
}

/* One value of kind k. */
static uint64_t kind_value(enum kind k)
{
    switch (k) {
    case K_COUNT:
        return PICK(0, 1, 2, 3, 8, 16, 511, 512, 513, 1024, 4096, 8192, 0x7fffffff,
                    0x80000000ULL, 0xffffffffULL, ~0ULL, max_page, chaos_next() % 64);
    case K_ORDER:
        return PICK(0, 1, 2, 3, 9, 10, 18, 30, 31, 32, 63, 64, 255, 0xffffffffULL);
    case K_ADDR:   return addr_value();
    case K_CODE:   return code_value();
    case K_FRAME:  return frame_value();
    case K_GPFN:
        return chaos_next() % 2 ? free_pfn()
                                : PICK(0, nr_pages - 1, nr_pages, max_page, max_page - 1,
                                       INVALID_MFN, 0xffffffffULL, 1ULL << 52);
    case K_MADDR:  return maddr_value();
    case K_PTE:    return pte_value();
    case K_DOMID:
        if (chaos_nr_children && chaos_next() % 4 == 0)
            return chaos_children[chaos_next() % chaos_nr_children];
        return PICK(0, 1, 2, DOMID_SELF, DOMID_IO, DOMID_XEN, DOMID_COW, DOMID_INVALID,
                    DOMID_IDLE, DOMID_FIRST_RESERVED - 1, 0x8000, 0xffff);
    case K_SEL:    /* LDT ones (bit 2), null, RPL 0..3, Mica's flat ones, the top */
        return PICK(0, 1, 3, 4, 7, 0xf, 0xfffc, 0xffff, 0xfff8, FLAT_KERNEL_CS,
                    FLAT_KERNEL_SS, FLAT_USER_CS32, 0xe008, 0xe000 | 3, 0xdff8 | 3,
                    0x10, 0x2b, 0x33);
    case K_PORT:
        return PICK(0, 1, 2, 3, 63, 64, 1023, 1024, 4095, 4096, 0x7fffffff, 0xffffffffULL,
                    chaos_next() % 16);
    case K_VCPU:
        return PICK(0, 1, 1, 1, 2, 31, 32, 127, 0xffff, 0xffffffffULL, ~0ULL);
    case K_GREF:
        return PICK(0, 1, 7, 8, 511, 512, 1023, 0x7fffffff, 0xffffffffULL, 0xffff);
    case K_MXCSR:  /* reserved bits (>= 0x10000), DAZ, MXCSR_MASK's complement */
        return PICK(0x1f80, 0x1fbf, 0xffbf, 0xffff, 0x10000, 0x20000, 0xffffffffULL,
                    0x40, 0, 0x8000, 0x80000000ULL);
    case K_DESC:   /* flat data/code of each DPL, gates, system types, odd limits */
        return PICK(0, 0x00cff3000000ffffULL, 0x00affb000000ffffULL, 0x00af9b000000ffffULL,
                    0x00cfb3000000ffffULL, 0x0000ec00e0330000ULL, 0x0000e90000000067ULL,
                    0x0000e20000000fffULL, ~0ULL, 0x0000f30000000000ULL,
                    0x00cff7000000ffffULL, 0x00cfff000000ffffULL, 0xffcff3ffffffffffULL);
    case K_TIME:
        return PICK(0, 1, 1000000, 1000000000, 1000000000000000ULL, ~0ULL,
                    0x7fffffffffffffffULL, 0x8000000000000000ULL);
    case K_OFFSET:
        return PICK(0, 1, 8, 64, 4032, 4088, 4095, 4096, 4097, 0xffff, 0xffffffffULL);
    case K_FLAGS:
        return chaos_next() % 2 ? 1ULL << (chaos_next() % 64)
                                : PICK(0, 1, 2, 3, 4, 7, 0xff, 0xffffffffULL, ~0ULL);
    case K_SMALL:
        return chaos_next() % 4 ? chaos_next() % 32 : PICK(0xff, 0xffff, 0xffffffffULL, ~0ULL);
    case K_LIST:
        return chaos_next() % 4 ? misalign((uint64_t)list) : addr_value();
    case K_ANY:
    default:
        return any_value();
    }
}

/* A value for a field of kind k: its own kind mostly, any boundary value
 * sometimes, random bits or what was there otherwise. */
static uint64_t field_value(enum kind k, uint64_t was);

static void put(void *p, unsigned int width, uint64_t v)
{
    switch (width) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: *(uint16_t *)p = (uint16_t)v; break;
    case 4: *(uint32_t *)p = (uint32_t)v; break;
    default: *(uint64_t *)p = v; break;
    }
}

/* ---- shapes ------------------------------------------------------------------ */

struct field {
    uint16_t off;
    uint8_t width;
    uint8_t kind;
    uint16_t reps, stride;      /* an array of fields: one of reps is chosen */
    bool kills;                 /* vCPU context: our parked code depends on it */
};

struct shape {
    uint16_t size;
    uint16_t nr;
    const struct field *f;
};

#define F(T, m, k) { offsetof(T, m), sizeof(((T *)0)->m), k, 1, 0, false }
#define SHAPE(T, ...)                                                       \
    { sizeof(T), sizeof((const struct field[]){ __VA_ARGS__ }) / sizeof(struct field), \
      (const struct field[]){ __VA_ARGS__ } }

static void fill_field(uint8_t *base, const struct field *f)
{
    unsigned int off = f->off + (f->reps > 1 ? (chaos_next() % f->reps) * f->stride : 0);
    uint64_t was = 0;

    memcpy(&was, base + off, f->width);
    put(base + off, f->width, field_value(f->kind, was));
}

static void fill_shape(uint8_t *p, const struct shape *s)
{
    for (unsigned int i = 0; i < s->nr; i++)
        fill_field(p, &s->f[i]);
}

/* Where a structure of `size` bytes goes in the junk page: at the start or
 * a random aligned offset mostly, sometimes misaligned or across the end. */
static uint8_t *place(unsigned int size)
{
    unsigned int room = size < PAGE_SIZE ? (unsigned int)PAGE_SIZE - size : 0;

    switch (chaos_next() % 8) {
    case 0: return chaos_junk + (room ? chaos_next() % room : 0);
    case 1: return chaos_junk + PAGE_SIZE - size / 2;                 /* runs off */
    case 2: case 3: return chaos_junk;
    default: return chaos_junk + (room ? (chaos_next() % (room / 8 + 1)) * 8 : 0);
    }
}

static const struct shape s_trap_info = SHAPE(struct trap_info,
    F(struct trap_info, vector, K_SMALL), F(struct trap_info, flags, K_FLAGS),
    F(struct trap_info, cs, K_SEL), F(struct trap_info, address, K_CODE));
static const struct shape s_mmu_update = SHAPE(struct mmu_update,
    F(struct mmu_update, ptr, K_MADDR), F(struct mmu_update, val, K_PTE));
static const struct shape s_reservation = SHAPE(struct xen_memory_reservation,
    F(struct xen_memory_reservation, extent_start, K_LIST),
    F(struct xen_memory_reservation, nr_extents, K_COUNT),
    F(struct xen_memory_reservation, extent_order, K_ORDER),
    F(struct xen_memory_reservation, mem_flags, K_FLAGS),
    F(struct xen_memory_reservation, domid, K_DOMID));
#define XCH struct xen_memory_exchange
static const struct shape s_exchange = SHAPE(XCH,
    F(XCH, in.extent_start, K_LIST), F(XCH, in.nr_extents, K_COUNT),
    F(XCH, in.extent_order, K_ORDER), F(XCH, in.mem_flags, K_FLAGS), F(XCH, in.domid, K_DOMID),
    F(XCH, out.extent_start, K_LIST), F(XCH, out.nr_extents, K_COUNT),
    F(XCH, out.extent_order, K_ORDER), F(XCH, out.mem_flags, K_FLAGS),
    F(XCH, out.domid, K_DOMID), F(XCH, nr_exchanged, K_COUNT));
static const struct shape s_domid = { 2, 1, (const struct field[]){ { 0, 2, K_DOMID, 1, 0, 0 } } };
static const struct shape s_mfn_list = SHAPE(struct xen_machphys_mfn_list,
    F(struct xen_machphys_mfn_list, max_extents, K_COUNT),
    F(struct xen_machphys_mfn_list, extent_start, K_ADDR));
static const struct shape s_memory_map = SHAPE(struct xen_memory_map,
    F(struct xen_memory_map, nr_entries, K_COUNT), F(struct xen_memory_map, buffer, K_ADDR));
static const struct shape s_add_to_physmap = SHAPE(struct xen_add_to_physmap,
    F(struct xen_add_to_physmap, domid, K_DOMID), F(struct xen_add_to_physmap, size, K_COUNT),
    F(struct xen_add_to_physmap, space, K_SMALL), F(struct xen_add_to_physmap, idx, K_COUNT),
    F(struct xen_add_to_physmap, gpfn, K_GPFN));
static const struct shape s_remove_from_physmap = SHAPE(struct xen_remove_from_physmap,
    F(struct xen_remove_from_physmap, domid, K_DOMID),
    F(struct xen_remove_from_physmap, gpfn, K_GPFN));

static const struct shape *const memory_shapes[32] = {
    [XENMEM_increase_reservation] = &s_reservation,
    [XENMEM_decrease_reservation] = &s_reservation,
    [XENMEM_populate_physmap] = &s_reservation,
    [XENMEM_exchange] = &s_exchange,
    [XENMEM_current_reservation] = &s_domid,
    [XENMEM_maximum_reservation] = &s_domid,
    [XENMEM_maximum_gpfn] = &s_domid,
    [XENMEM_machphys_mfn_list] = &s_mfn_list,
    [XENMEM_memory_map] = &s_memory_map,
    [XENMEM_machine_memory_map] = &s_memory_map,
    [XENMEM_add_to_physmap] = &s_add_to_physmap,
    [XENMEM_remove_from_physmap] = &s_remove_from_physmap,
};

#define GMAP struct gnttab_map_grant_ref
#define GCOPY struct gnttab_copy
static const struct shape s_gnt_map = SHAPE(GMAP,
    F(GMAP, host_addr, K_ADDR), F(GMAP, flags, K_FLAGS), F(GMAP, ref, K_GREF),
    F(GMAP, dom, K_DOMID));
static const struct shape s_gnt_unmap = SHAPE(struct gnttab_unmap_grant_ref,
    F(struct gnttab_unmap_grant_ref, host_addr, K_ADDR),
    F(struct gnttab_unmap_grant_ref, dev_bus_addr, K_MADDR),
    F(struct gnttab_unmap_grant_ref, handle, K_GREF));
static const struct shape s_gnt_setup = SHAPE(struct gnttab_setup_table,
    F(struct gnttab_setup_table, dom, K_DOMID), F(struct gnttab_setup_table, nr_frames, K_COUNT),
    F(struct gnttab_setup_table, frame_list, K_ADDR));
static const struct shape s_gnt_dump = SHAPE(struct gnttab_dump_table,
    F(struct gnttab_dump_table, dom, K_DOMID));
static const struct shape s_gnt_transfer = SHAPE(struct gnttab_transfer,
    F(struct gnttab_transfer, mfn, K_FRAME), F(struct gnttab_transfer, domid, K_DOMID),
    F(struct gnttab_transfer, ref, K_GREF));
static const struct shape s_gnt_copy = SHAPE(GCOPY,
    F(GCOPY, source.u.gmfn, K_FRAME), F(GCOPY, source.domid, K_DOMID),
    F(GCOPY, source.offset, K_OFFSET), F(GCOPY, dest.u.gmfn, K_FRAME),
    F(GCOPY, dest.domid, K_DOMID), F(GCOPY, dest.offset, K_OFFSET),
    F(GCOPY, len, K_OFFSET), F(GCOPY, flags, K_FLAGS));
static const struct shape s_gnt_query = SHAPE(struct gnttab_query_size,
    F(struct gnttab_query_size, dom, K_DOMID));
static const struct shape s_gnt_replace = SHAPE(struct gnttab_unmap_and_replace,
    F(struct gnttab_unmap_and_replace, host_addr, K_ADDR),
    F(struct gnttab_unmap_and_replace, new_addr, K_ADDR),
    F(struct gnttab_unmap_and_replace, handle, K_GREF));
static const struct shape s_gnt_version = SHAPE(struct gnttab_set_version,
    F(struct gnttab_set_version, version, K_SMALL));
static const struct shape s_gnt_status = SHAPE(struct gnttab_get_status_frames,
    F(struct gnttab_get_status_frames, nr_frames, K_COUNT),
    F(struct gnttab_get_status_frames, dom, K_DOMID),
    F(struct gnttab_get_status_frames, frame_list, K_ADDR));
static const struct shape s_gnt_get_version = SHAPE(struct gnttab_get_version,
    F(struct gnttab_get_version, dom, K_DOMID));
static const struct shape s_gnt_swap = SHAPE(struct gnttab_swap_grant_ref,
    F(struct gnttab_swap_grant_ref, ref_a, K_GREF), F(struct gnttab_swap_grant_ref, ref_b, K_GREF));

static const struct shape *const gnttab_shapes[16] = {
    [GNTTABOP_map_grant_ref] = &s_gnt_map, [GNTTABOP_unmap_grant_ref] = &s_gnt_unmap,
    [GNTTABOP_setup_table] = &s_gnt_setup, [GNTTABOP_dump_table] = &s_gnt_dump,
    [GNTTABOP_transfer] = &s_gnt_transfer, [GNTTABOP_copy] = &s_gnt_copy,
    [GNTTABOP_query_size] = &s_gnt_query, [GNTTABOP_unmap_and_replace] = &s_gnt_replace,
    [GNTTABOP_set_version] = &s_gnt_version, [GNTTABOP_get_status_frames] = &s_gnt_status,
    [GNTTABOP_get_version] = &s_gnt_get_version, [GNTTABOP_swap_grant_ref] = &s_gnt_swap,
};

#define EV(T, ...) SHAPE(struct T, __VA_ARGS__)
static const struct shape *const evtchn_shapes[16] = {
    [EVTCHNOP_alloc_unbound] = &(const struct shape)EV(evtchn_alloc_unbound,
        F(struct evtchn_alloc_unbound, dom, K_DOMID),
        F(struct evtchn_alloc_unbound, remote_dom, K_DOMID)),
    [EVTCHNOP_bind_interdomain] = &(const struct shape)EV(evtchn_bind_interdomain,
        F(struct evtchn_bind_interdomain, remote_dom, K_DOMID),
        F(struct evtchn_bind_interdomain, remote_port, K_PORT)),
    [EVTCHNOP_bind_virq] = &(const struct shape)EV(evtchn_bind_virq,
        F(struct evtchn_bind_virq, virq, K_SMALL), F(struct evtchn_bind_virq, vcpu, K_VCPU)),
    [EVTCHNOP_bind_pirq] = &(const struct shape)EV(evtchn_bind_pirq,
        F(struct evtchn_bind_pirq, pirq, K_COUNT), F(struct evtchn_bind_pirq, flags, K_FLAGS)),
    [EVTCHNOP_close] = &(const struct shape)EV(evtchn_close,
        F(struct evtchn_close, port, K_PORT)),
    [EVTCHNOP_send] = &(const struct shape)EV(evtchn_send, F(struct evtchn_send, port, K_PORT)),
    [EVTCHNOP_status] = &(const struct shape)EV(evtchn_status,
        F(struct evtchn_status, dom, K_DOMID), F(struct evtchn_status, port, K_PORT)),
    [EVTCHNOP_bind_ipi] = &(const struct shape)EV(evtchn_bind_ipi,
        F(struct evtchn_bind_ipi, vcpu, K_VCPU)),
    [EVTCHNOP_bind_vcpu] = &(const struct shape)EV(evtchn_bind_vcpu,
        F(struct evtchn_bind_vcpu, port, K_PORT), F(struct evtchn_bind_vcpu, vcpu, K_VCPU)),
    [EVTCHNOP_unmask] = &(const struct shape)EV(evtchn_unmask,
        F(struct evtchn_unmask, port, K_PORT)),
    [EVTCHNOP_reset] = &(const struct shape)EV(evtchn_reset, F(struct evtchn_reset, dom, K_DOMID)),
    [EVTCHNOP_init_control] = &(const struct shape)EV(evtchn_init_control,
        F(struct evtchn_init_control, control_gfn, K_GPFN),
        F(struct evtchn_init_control, offset, K_OFFSET),
        F(struct evtchn_init_control, vcpu, K_VCPU)),
    [EVTCHNOP_expand_array] = &(const struct shape)EV(evtchn_expand_array,
        F(struct evtchn_expand_array, array_gfn, K_GPFN)),
    [EVTCHNOP_set_priority] = &(const struct shape)EV(evtchn_set_priority,
        F(struct evtchn_set_priority, port, K_PORT),
        F(struct evtchn_set_priority, priority, K_COUNT)),
};

static const struct shape *const vcpu_shapes[16] = {
    [VCPUOP_register_runstate_memory_area] = &(const struct shape)EV(
        vcpu_register_runstate_memory_area,
        F(struct vcpu_register_runstate_memory_area, addr.p, K_ADDR)),
    [VCPUOP_set_periodic_timer] = &(const struct shape)EV(vcpu_set_periodic_timer,
        F(struct vcpu_set_periodic_timer, period_ns, K_TIME)),
    [VCPUOP_set_singleshot_timer] = &(const struct shape)EV(vcpu_set_singleshot_timer,
        F(struct vcpu_set_singleshot_timer, timeout_abs_ns, K_TIME),
        F(struct vcpu_set_singleshot_timer, flags, K_FLAGS)),
    [VCPUOP_register_vcpu_info] = &(const struct shape)EV(vcpu_register_vcpu_info,
        F(struct vcpu_register_vcpu_info, mfn, K_FRAME),
        F(struct vcpu_register_vcpu_info, offset, K_OFFSET)),
    [VCPUOP_register_vcpu_time_memory_area] = &(const struct shape)EV(
        vcpu_register_time_memory_area,
        F(struct vcpu_register_time_memory_area, addr.p, K_ADDR)),
};

static const struct shape *const callback_shapes[4] = {
    [CALLBACKOP_register] = &(const struct shape)EV(callback_register,
        F(struct callback_register, type, K_SMALL), F(struct callback_register, flags, K_FLAGS),
        F(struct callback_register, address, K_CODE)),
    [CALLBACKOP_unregister] = &(const struct shape)EV(callback_unregister,
        F(struct callback_unregister, type, K_SMALL)),
};

/* Sub-ops we have no layout for (physdev, unknown commands): words. */
static const struct shape s_words = { 32, 4, (const struct field[]){
    { 0, 8, K_ANY, 1, 0, 0 }, { 8, 8, K_ANY, 1, 0, 0 },
    { 16, 4, K_COUNT, 1, 0, 0 }, { 24, 8, K_ADDR, 1, 0, 0 } } };

#define CTL struct mica_ctl_op
static const struct shape *const control_shapes[64] = {
    [MICA_CTL_createdomain] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.createdomain.flags, K_FLAGS), F(CTL, u.createdomain.max_vcpus, K_COUNT),
        F(CTL, u.createdomain.max_pages, K_COUNT)),
    [MICA_CTL_getdomaininfolist] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.getdomaininfolist.buffer, K_ADDR),
        F(CTL, u.getdomaininfolist.max_domains, K_COUNT)),
    [MICA_CTL_max_mem] = &(const struct shape)SHAPE(CTL, F(CTL, u.max_mem.max_pages, K_COUNT)),
    [MICA_CTL_max_vcpus] = &(const struct shape)SHAPE(CTL, F(CTL, u.max_vcpus.max, K_COUNT)),
    [MICA_CTL_setvcpucontext] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.vcpucontext.vcpu, K_VCPU), F(CTL, u.vcpucontext.ctxt, K_CTX)),
    [MICA_CTL_getvcpucontext] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.vcpucontext.vcpu, K_VCPU), F(CTL, u.vcpucontext.ctxt, K_ADDR)),
    [MICA_CTL_getvcpuinfo] = &(const struct shape)SHAPE(CTL, F(CTL, u.getvcpuinfo.vcpu, K_VCPU)),
    [MICA_CTL_populate_physmap] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.populate_physmap.first_pfn, K_GPFN),
        F(CTL, u.populate_physmap.nr_pages, K_COUNT),
        F(CTL, u.populate_physmap.mfns, K_LIST),
        F(CTL, u.populate_physmap.nr_done, K_COUNT)),
    [MICA_CTL_getmemlist] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.getmemlist.mfns, K_LIST), F(CTL, u.getmemlist.max_pfns, K_COUNT)),
    [MICA_CTL_set_store_console] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.store_console.store_mfn, K_FRAME), F(CTL, u.store_console.console_mfn, K_FRAME),
        F(CTL, u.store_console.store_domid, K_DOMID),
        F(CTL, u.store_console.console_domid, K_DOMID)),
    [MICA_CTL_readconsole] = &(const struct shape)SHAPE(CTL,
        F(CTL, u.readconsole.buffer, K_ADDR), F(CTL, u.readconsole.flags, K_FLAGS),
        F(CTL, u.readconsole.count, K_COUNT), F(CTL, u.readconsole.index, K_ANY)),
};

/* ---- the vCPU context -------------------------------------------------------- */

/* vCPU 1's code: go down again at once; brought up, it comes back here.
 * chaos_park is also one of the code addresses handed out at random (a
 * callback, a trap handler, an iret target), so vCPU 0 can land here too:
 * on its own stack it would down vCPU 1 forever, so it crashes the domain
 * the way any chaos run may end (a fault with no handler). */
static uint64_t park_stack[512] __attribute__((aligned(16)));

void chaos_park(void)
{
    uint64_t here = (uint64_t)__builtin_frame_address(0);

    if (here < (uint64_t)park_stack || here > (uint64_t)(park_stack + 512)) {
        _hypercall1(__HYPERVISOR_set_trap_table, 0);
        __asm__ volatile("ud2");
    }
    for (;;)
        _hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_down, 1, 0);
}

#define VGC struct vcpu_guest_context
#define CF(m, k, kills) { offsetof(VGC, m), sizeof(((VGC *)0)->m), k, 1, 0, kills }
#define CFA(m, k, n, stride) { offsetof(VGC, m), sizeof(((VGC *)0)->m), k, n, stride, false }
/* Fields the parked code depends on are marked: changed, vCPU 1 stays down. */
static const struct field ctx_fields[] = {
    { 24, 4, K_MXCSR, 1, 0, false },    /* MXCSR in the FXSAVE image */
    { 28, 4, K_MXCSR, 1, 0, false },    /* MXCSR_MASK */
    { 0, 2, K_ANY, 1, 0, false },       /* FCW */
    CF(flags, K_FLAGS, true),
    CF(user_regs.rip, K_CODE, true), CF(user_regs.rsp, K_ADDR, true),
    CF(user_regs.rflags, K_FLAGS, true), CF(user_regs.rax, K_ANY, false),
    CF(user_regs.cs, K_SEL, false), CF(user_regs.ss, K_SEL, false),
    CF(user_regs.ds, K_SEL, false), CF(user_regs.fs, K_SEL, false),
    CF(user_regs.gs, K_SEL, false),
    CFA(trap_ctxt[0].address, K_CODE, 256, 16), CFA(trap_ctxt[0].cs, K_SEL, 256, 16),
    CFA(trap_ctxt[0].vector, K_SMALL, 256, 16), CFA(trap_ctxt[0].flags, K_FLAGS, 256, 16),
    CF(ldt_base, K_ADDR, false), CF(ldt_ents, K_COUNT, false),      /* LOADED_LDT */
    CFA(gdt_frames[0], K_FRAME, 16, 8), CF(gdt_ents, K_COUNT, false),
    CF(kernel_ss, K_SEL, false), CF(kernel_sp, K_ADDR, false),
    CF(ctrlreg[3], K_MADDR, false), CF(ctrlreg[1], K_MADDR, false),
    CFA(ctrlreg[0], K_ANY, 8, 8), CFA(debugreg[0], K_ANY, 8, 8),
    CF(event_callback_eip, K_CODE, true), CF(failsafe_callback_eip, K_CODE, true),
    CF(syscall_callback_eip, K_CODE, false), CF(vm_assist, K_FLAGS, false),
    CF(fs_base, K_ADDR, false), CF(gs_base_kernel, K_ADDR, false),     /* LOADED_BASES */
    CF(gs_base_user, K_ADDR, false),
};
#define LOADED_LDT 17
#define LOADED_BASES (ARRAY_SIZE(ctx_fields) - 3)
static bool ctx_parkable;       /* the last context built leaves park working */
static bool vcpu1_parkable = true;  /* so does the one vCPU 1 last took */
static uint64_t ctx_taken, ctx_runs;    /* for the closing note */

/* A working context (vCPU 1 parks in chaos_park) with one to three fields
 * changed; sometimes a frame number's base pointer, an LDT that is ours. */
static uint64_t build_ctx(void)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->fpu_ctxt.x[0] = 0x7f, ctx->fpu_ctxt.x[1] = 0x03;
    *(uint32_t *)&ctx->fpu_ctxt.x[24] = 0x1f80;
    ctx->flags = VGCF_in_kernel | VGCF_i387_valid;
    ctx->user_regs.rip = (uint64_t)chaos_park;
    ctx->user_regs.rsp = (uint64_t)&park_stack[511];    /* as after a call */
    ctx->user_regs.cs = FLAT_KERNEL_CS, ctx->user_regs.ss = FLAT_KERNEL_SS;
    ctx->user_regs.rflags = 0x200;
    ctx->kernel_ss = FLAT_KERNEL_SS;
    ctx->kernel_sp = (uint64_t)&park_stack[511];
    ctx->ctrlreg[3] = xen_pfn_to_cr3(l4_mfn);
    if (chaos_next() % 4 == 0)
        ctx->ldt_base = ldt_va, ctx->ldt_ents = 1 + chaos_next() % 512;
    ctx_parkable = true;
    for (unsigned int n = 1 + (unsigned int)(chaos_next() % 3); n; n--) {
        /* Half the time one of what Mica loads into the CPU for it. */
        const struct field *f = chaos_next() % 2
            ? &ctx_fields[chaos_next() % ARRAY_SIZE(ctx_fields)]
            : &ctx_fields[PICK(0, 0, 1, 2, LOADED_BASES, LOADED_BASES + 1, LOADED_BASES + 2,
                               LOADED_LDT, LOADED_LDT + 1)];
        fill_field((uint8_t *)ctx, f);
        ctx_parkable &= !f->kills;
    }
    return (uint64_t)ctx;
}

/* ---- the calls --------------------------------------------------------------- */

/* How a hypercall's argument registers are made. */
enum {
    A_CMD = NR_KINDS,       /* a sub-op: a real one mostly */
    A_STRUCT,               /* a pointer to the shape of (nr, cmd) */
    A_ARRAY,                /* a pointer to a few elements of that shape */
    A_N,                    /* that array's length, mostly */
};

struct call {
    uint8_t arg[5];
    uint8_t nr_cmds;                    /* A_CMD: commands below this */
    const struct shape *const *shapes;  /* by command; NULL: one shape */
    const struct shape *shape;
};

static const struct call calls[64] = {
    [__HYPERVISOR_set_trap_table] = { { A_ARRAY }, 0, NULL, &s_trap_info },
    [__HYPERVISOR_mmu_update] = { { A_ARRAY, A_N, K_ADDR, K_DOMID }, 0, NULL, &s_mmu_update },
    [__HYPERVISOR_set_gdt] = { { K_LIST, K_COUNT } },
    [__HYPERVISOR_stack_switch] = { { K_SEL, K_ADDR } },
    [__HYPERVISOR_set_callbacks] = { { K_CODE, K_CODE, K_CODE } },
    [__HYPERVISOR_fpu_taskswitch] = { { K_FLAGS } },
    [__HYPERVISOR_update_descriptor] = { { K_MADDR, K_DESC } },
    [__HYPERVISOR_memory_op] = { { A_CMD, A_STRUCT }, 30, memory_shapes, &s_words },
    [__HYPERVISOR_multicall] = { { A_ARRAY, A_N } },
    [__HYPERVISOR_update_va_mapping] = { { K_ADDR, K_PTE, K_FLAGS } },
    [__HYPERVISOR_set_timer_op] = { { K_TIME } },
    [__HYPERVISOR_xen_version] = { { A_CMD, K_ADDR }, 16 },
    [__HYPERVISOR_console_io] = { { A_CMD, K_COUNT, K_ADDR }, 4 },
    [__HYPERVISOR_grant_table_op] = { { A_CMD, A_ARRAY, A_N }, 14, gnttab_shapes, &s_words },
    [__HYPERVISOR_vm_assist] = { { A_CMD, K_SMALL }, 4 },
    [__HYPERVISOR_update_va_mapping_otherdomain] = { { K_ADDR, K_PTE, K_FLAGS, K_DOMID } },
    [__HYPERVISOR_vcpu_op] = { { A_CMD, K_VCPU, A_STRUCT }, 16, vcpu_shapes, &s_words },
    [__HYPERVISOR_set_segment_base] = { { K_SMALL, K_ADDR } },
    [__HYPERVISOR_mmuext_op] = { { A_ARRAY, A_N, K_ADDR, K_DOMID } },
    [__HYPERVISOR_sched_op] = { { A_CMD, A_STRUCT }, 16, NULL, &s_words },
    [__HYPERVISOR_callback_op] = { { A_CMD, A_STRUCT }, 4, callback_shapes, &s_words },
    [__HYPERVISOR_event_channel_op] = { { A_CMD, A_STRUCT }, 16, evtchn_shapes, &s_words },
    [__HYPERVISOR_physdev_op] = { { A_CMD, A_STRUCT }, 32, NULL, &s_words },
    [__HYPERVISOR_mica_control] = { { A_STRUCT }, 0, NULL, &s_words },
};

static uint64_t random_arg(void);

/* A hypercall number: one with a description three times in four (most of
 * the 64 slots are -ENOSYS), any slot otherwise. */
uint64_t chaos_pick_call(void)
{
    static uint8_t described[64];
    static unsigned int nr_described;

    if (!nr_described)
        for (unsigned int i = 0; i < 64; i++)
            if (calls[i].arg[0])
                described[nr_described++] = (uint8_t)i;
    return chaos_next() % 4 ? described[chaos_next() % nr_described] : chaos_next() % 64;
}

/* mmuext_op: which argument is a frame, an address or a count follows
 * from the command. */
static void fill_mmuext(struct mmuext_op *op)
{
    op->cmd = (uint32_t)(chaos_next() % 8 ? chaos_next() % 22 : kind_value(K_ANY));
    switch (op->cmd) {
    case MMUEXT_INVLPG_LOCAL: case MMUEXT_INVLPG_MULTI: case MMUEXT_INVLPG_ALL:
        op->arg1.linear_addr = field_value(K_ADDR, op->arg1.linear_addr);
        break;
    case MMUEXT_SET_LDT:
        op->arg1.linear_addr = chaos_next() % 2 ? ldt_va : field_value(K_ADDR, 0);
        op->arg2.nr_ents = (uint32_t)field_value(K_COUNT, op->arg2.nr_ents);
        return;
    default:
        op->arg1.mfn = field_value(K_FRAME, op->arg1.mfn);
    }
    if (op->cmd == MMUEXT_COPY_PAGE)
        op->arg2.src_mfn = field_value(K_FRAME, op->arg2.src_mfn);
    else if (op->cmd == MMUEXT_TLB_FLUSH_MULTI || op->cmd == MMUEXT_INVLPG_MULTI)
        op->arg2.vcpumask.p = (const void *)field_value(K_ADDR, 0);
}

/* A multicall entry: any call but the excluded ones, scalar arguments of
 * their kinds (a structure argument points into the junk page). */
static void fill_multicall(struct multicall_entry *e)
{
    e->op = chaos_next() % 8 ? chaos_next() % 64 : kind_value(K_ANY);
    const struct call *c = e->op < 64 ? &calls[e->op] : &calls[0];
    for (unsigned int i = 0; i < 6; i++) {
        unsigned int k = i < 5 ? c->arg[i] : K_ANY;
        if (k == A_CMD)
            e->args[i] = chaos_next() % (c->nr_cmds ? c->nr_cmds : 16);
        else if (k < NR_KINDS)
            e->args[i] = field_value((enum kind)k, e->args[i]);
        else
            e->args[i] = random_arg();
    }
    if (chaos_excluded(e->op, e->args) || e->op == __HYPERVISOR_multicall)
        e->op = __HYPERVISOR_xen_version, e->args[0] = 0;
}

/* n elements of s (or of mmuext_op / multicall_entry) in the junk page. */
static uint64_t build_array(uint64_t nr, const struct shape *s, unsigned int *n)
{
    unsigned int size = nr == __HYPERVISOR_mmuext_op ? sizeof(struct mmuext_op)
                      : nr == __HYPERVISOR_multicall ? sizeof(struct multicall_entry)
                      : s ? s->size : 16;
    *n = chaos_next() % 8 ? 1 + (unsigned int)(chaos_next() % 4)
                          : (unsigned int)(chaos_next() % (PAGE_SIZE / size + 1));
    uint8_t *p = chaos_next() % 8 ? chaos_junk : place(*n ? *n * size : size);
    for (unsigned int i = 0; i < *n && p + (i + 1) * size <= chaos_junk + PAGE_SIZE; i++) {
        uint8_t *e = p + i * size;
        if (nr == __HYPERVISOR_mmuext_op)
            fill_mmuext((struct mmuext_op *)e);
        else if (nr == __HYPERVISOR_multicall)
            fill_multicall((struct multicall_entry *)e);
        else if (s)
            fill_shape(e, s);
    }
    /* A trap table ends at an entry whose address is 0, mostly there. */
    if (nr == __HYPERVISOR_set_trap_table && chaos_next() % 4 &&
        p + (*n + 1) * size <= chaos_junk + PAGE_SIZE)
        memset(p + *n * size, 0, size);
    return (uint64_t)p;
}

static const struct shape *shape_of(const struct call *c, uint64_t cmd)
{
    if (c->shapes && cmd < c->nr_cmds && c->shapes[cmd])
        return c->shapes[cmd];
    return c->shape;
}

void chaos_args(uint64_t nr, uint64_t a[5])
{
    const struct call *c = nr < 64 ? &calls[nr] : &calls[63];
    unsigned int n = 0;

    for (unsigned int i = 0; i < 5; i++)
        a[i] = random_arg();
    if (!c->arg[0] || chaos_next() % 8 == 0)
        return;                                 /* the old random words */
    for (unsigned int i = 0; i < 5 && c->arg[i]; i++) {
        switch (c->arg[i]) {
        case A_CMD:
            a[i] = chaos_next() % 8 ? chaos_next() % c->nr_cmds : kind_value(K_SMALL);
            break;
        case A_STRUCT: {
            const struct shape *s = shape_of(c, a[0]);
            if (nr == __HYPERVISOR_vcpu_op && a[0] == VCPUOP_initialise) {
                a[i] = chaos_next() % 8 ? build_ctx() : kind_value(K_ADDR);
            } else {
                uint8_t *p = place(s->size);
                if (p + s->size <= chaos_junk + PAGE_SIZE)
                    fill_shape(p, s);
                a[i] = (uint64_t)p;
            }
            break;
        }
        case A_ARRAY:
            a[i] = build_array(nr, shape_of(c, a[0]), &n);
            break;
        case A_N:
            a[i] = chaos_next() % 4 ? n : kind_value(K_COUNT);
            break;
        default:
            a[i] = field_value((enum kind)c->arg[i], a[i]);
        }
    }
    /* vCPU 1 comes up only on a context it can park on (else the domain
     * would mostly end there): VCPUOP_is_up instead. */
    if (nr == __HYPERVISOR_vcpu_op && a[0] == VCPUOP_up && a[1] == 1 && !vcpu1_parkable)
        a[0] = VCPUOP_is_up;
    /* The second argument of set_segment_base is a selector for one command. */
    if (nr == __HYPERVISOR_set_segment_base && a[0] == SEGBASE_GS_USER_SEL && chaos_next() % 4)
        a[1] = kind_value(K_SEL);
    /* The frame list (set_gdt, reservations): our free frames and the edges. */
    for (unsigned int i = 0; i < 16; i++)
        list[i] = chaos_next() % 2 ? kind_value(K_GPFN) : kind_value(K_FRAME);
}

void chaos_after(uint64_t nr, const uint64_t a[5], long rc)
{
    /* A context vCPU 1 took, with only fields park does not need changed:
     * run it, so Mica loads what it accepted (FPU image, bases, LDT). */
    if (nr != __HYPERVISOR_vcpu_op || a[0] != VCPUOP_initialise || a[1] != 1 || rc != 0)
        return;
    vcpu1_parkable = a[2] == (uint64_t)ctx && ctx_parkable;
    ctx_taken++;
    if (vcpu1_parkable && chaos_next() % 2)
        ctx_runs += _hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0) == 0;
}

void chaos_args_report(void)
{
    kit_printf("kit: note: chaos: vCPU 1 took %lu contexts and ran on %lu\n", ctx_taken, ctx_runs);
}

void chaos_ctl_payload(struct mica_ctl_op *op)
{
    const struct shape *s = op->cmd < 64 ? control_shapes[op->cmd] : NULL;

    if (s)
        fill_shape((uint8_t *)op, s);
}

/* ---- values ------------------------------------------------------------------ */

static uint64_t field_value(enum kind k, uint64_t was)
{
    switch (chaos_next() % 16) {
    case 0: case 1: return any_value();
    case 2: return chaos_next();
    case 3: return was;
    default:
        if (k == K_CTX)
            return build_ctx();
        return kind_value(k);
    }
}

/* The words chaos.c always used: numbers, small numbers, the junk page,
 * domain ids, Mica's image, 0 and ~0. */
static uint64_t random_arg(void)
{
    switch (chaos_next() % 8) {
    case 0: return chaos_next();
    case 1: return chaos_next() % 64;
    case 2: return (uint64_t)&chaos_junk[(chaos_next() % (PAGE_SIZE / 8)) * 8];
    case 3: return (uint64_t)&chaos_junk[0];
    case 4: return PICK(0, 1, 2, DOMID_SELF, DOMID_XEN, 0xffff);
    case 5: return 0xffff82d040000000ULL + (chaos_next() % 0x100000);   /* Mica's image */
    case 6: return 0;
    default: return (uint64_t)-1;
    }
}

/* ---- set-up ------------------------------------------------------------------ */

int chaos_args_init(void)
{
    if (!kit_mem.mapped_end) {
        kit_printf("kit: note: chaos: the memory helpers did not start\n");
        return -1;
    }
    ctx = (struct vcpu_guest_context *)kit_scratch_va(ARENA_SLOT);
    list = (uint64_t *)kit_scratch_va(ARENA_SLOT + 2);
    chaos_junk = (uint8_t *)kit_scratch_va(ARENA_SLOT + 3);
    l4_mfn = virt_to_mfn(kit_mem.l4);
    nr_pages = kit_mem.nr_pages;
    long top = _hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0);
    max_page = top > 0 ? (uint64_t)top : nr_pages;

    /* The LDT page: a frame of ours mapped read-only, holding a flat data
     * and a 64-bit code descriptor of DPL 3 (selectors 0x7 and 0xf) and
     * nulls after them. */
    uint64_t pfn = kit_alloc_pfn();
    if (!pfn)
        return -1;
    ldt_mfn = pfn_to_mfn(pfn);
    ldt_va = kit_scratch_va(0);
    if (kit_scratch_map(0, ldt_mfn, PTE_RW))
        return -1;
    memset((void *)ldt_va, 0, PAGE_SIZE);
    ((uint64_t *)ldt_va)[0] = 0x00cff3000000ffffULL;
    ((uint64_t *)ldt_va)[1] = 0x00affb000000ffffULL;
    if (kit_scratch_map(0, ldt_mfn, PTE_RO))
        return -1;
    first_free_pfn = kit_mem.next_free_pfn;

    nr_any = 0;
    for (unsigned int i = 0; i < ARRAY_SIZE(fixed_any); i++)
        any_values[nr_any++] = fixed_any[i];
    any_values[nr_any++] = max_page;
    any_values[nr_any++] = max_page - 1;
    any_values[nr_any++] = max_page << PAGE_SHIFT;
    any_values[nr_any++] = nr_pages;
    _Static_assert(ARRAY_SIZE(fixed_any) + 4 <= ARRAY_SIZE(any_values), "any_values");
    kit_printf("kit: note: chaos: max_page %#lx, %lu pages, free from pfn %#lx\n",
               max_page, nr_pages, first_free_pfn);
    return 0;
}
