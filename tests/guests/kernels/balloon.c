// SPDX-License-Identifier: MIT
/*
 * balloon: memory_op's reservation changes as Linux's balloon driver and
 * swiotlb make them -- give frames back (decrease_reservation), take new
 * ones (increase_reservation, populate_physmap), refusal beyond the
 * domain's maximum, a long batch that continues, and exchange: single
 * frames traded for one contiguous, aligned extent below 4 GiB that reads
 * as zero.  Hostile cases next to them: frames not ours or in use as page
 * tables, twice-freed frames, bad orders and domains, exchanges whose
 * sizes do not match.
 *
 * The frames come from the kit's free pfns (mapped nowhere, so held by
 * their allocation alone).  Frames a test gives back are gone from its
 * p2m; it does not reuse those pfns.
 */
#include <abi/memory.h>
#include "control.h"
#include "hypercall.h"
#include "kit.h"
#include "memory.h"

#define SLOT 3
#define M2P ((const volatile uint64_t *)0xffff800000000000UL)
#define INVALID_M2P (~0UL)

static long reservation_op(unsigned int cmd, uint64_t *list, uint64_t nr, unsigned int order,
                           unsigned int flags, domid_t dom)
{
    struct xen_memory_reservation r = {
        .nr_extents = nr, .extent_order = order, .mem_flags = flags, .domid = dom,
    };
    set_xen_guest_handle(r.extent_start, list);
    return HYPERVISOR_memory_op(cmd, &r);
}

static long current_pages(void)
{
    domid_t self = DOMID_SELF;
    return HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
}

/* nr of our free frames' MFNs into list; false when the kit has no more. */
static bool take_frames(uint64_t *list, unsigned int nr)
{
    for (unsigned int i = 0; i < nr; i++)
        if (!(list[i] = kit_alloc_mfn()))
            return false;
    return true;
}

/* Whether frame mfn, mapped at the scratch slot, reads as zero. */
static long frame_reads_zero(uint64_t mfn, bool *zero)
{
    long rc = kit_scratch_map(SLOT, mfn, PTE_RO);
    const volatile uint64_t *p = (const volatile uint64_t *)kit_scratch_va(SLOT);

    *zero = true;
    for (unsigned int i = 0; !rc && i < PAGE_SIZE / 8; i++)
        if (p[i])
            *zero = false;
    return rc;
}

static int decrease_then_increase_back(void)
{
    uint64_t list[16];
    long before = current_pages();

    expect_true(take_frames(list, 16), "not enough free frames");
    expect_eq(reservation_op(XENMEM_decrease_reservation, list, 16, 0, 0, DOMID_SELF), 16,
              "decrease_reservation of 16 frames");
    expect_eq(current_pages(), before - 16, "current reservation after decrease");
    for (int i = 0; i < 16; i++)
        expect_eq(M2P[list[i]], INVALID_M2P, "M2P entry of a frame given back");
    expect_rc(kit_scratch_map(SLOT, list[0], PTE_RO), -XEN_EINVAL,
              "mapping a frame given back");

    uint64_t back[16];
    expect_eq(reservation_op(XENMEM_increase_reservation, back, 16, 0, 0, DOMID_SELF), 16,
              "increase_reservation of 16 frames");
    expect_eq(current_pages(), before, "current reservation after increase");
    for (int i = 0; i < 16; i += 5) {
        bool zero;
        expect_ok(frame_reads_zero(back[i], &zero), "map a new frame");
        expect_true(zero, "a new frame reads as zero");
    }
    expect_ok(kit_scratch_restore(SLOT), "restore");
    return KIT_PASS;
}

static int increase_beyond_maximum_refused(void)
{
    domid_t self = DOMID_SELF;
    long max = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self);
    long cur = current_pages();
    uint64_t list[3];

    expect_true(cur <= max, "current reservation above the maximum");
    /* Make room for exactly two frames, then ask for three. */
    uint64_t give[2];
    long room = max - cur;
    expect_true(room <= 8, "dom0 runs with room to spare");
    if (room < 2) {
        expect_true(take_frames(give, (unsigned int)(2 - room)), "not enough free frames");
        expect_eq(reservation_op(XENMEM_decrease_reservation, give, (uint64_t)(2 - room), 0, 0,
                                 DOMID_SELF), 2 - room, "make room");
    }
    expect_eq(reservation_op(XENMEM_increase_reservation, list, 3, 0, 0, DOMID_SELF), 2,
              "increase by 3 with room for 2");
    expect_eq(current_pages(), max, "at the maximum");
    expect_eq(reservation_op(XENMEM_increase_reservation, list, 1, 0, 0, DOMID_SELF), 0,
              "increase at the maximum");
    expect_eq(reservation_op(XENMEM_populate_physmap, list, 1, 0, 0, DOMID_SELF), 0,
              "populate at the maximum");
    return KIT_PASS;
}

/* dom0 sets its own limit (xl mem-set 0 does), as Xen's max_mem allows;
 * the hypervisor's own frames stay on top of what it asks for. */
static long own_max_mem(uint64_t pages)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_max_mem, 0);

    op.u.max_mem.max_pages = pages;
    return HYPERVISOR_mica_control(&op);
}

static int max_mem_on_itself_moves_the_maximum(void)
{
    domid_t self = DOMID_SELF;
    long before = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self);
    long cur = current_pages();

    expect_ok(own_max_mem((uint64_t)cur + 16), "max_mem on ourselves");
    long raised = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self);
    long own = raised - (cur + 16);
    expect_true(own >= 0 && own < 64, "the hypervisor's own frames on top");
    expect_ok(own_max_mem((uint64_t)cur + 32), "raise it again");
    expect_eq(HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self), raised + 16,
              "the maximum follows");
    expect_rc(own_max_mem(1ULL << 41), -XEN_EINVAL, "an impossible limit");
    expect_ok(own_max_mem((uint64_t)(before - own)), "put it back");
    expect_eq(HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self), before, "as it was");
    return KIT_PASS;
}

static int populate_physmap_sets_m2p(void)
{
    uint64_t list[4], pfn[4];

    for (int i = 0; i < 4; i++) {
        expect_true((pfn[i] = kit_alloc_pfn()) != 0, "no free pfn left");
        list[i] = pfn_to_mfn(pfn[i]);
    }
    expect_eq(reservation_op(XENMEM_decrease_reservation, list, 4, 0, 0, DOMID_SELF), 4,
              "make room");
    memcpy(list, pfn, sizeof(list));
    expect_eq(reservation_op(XENMEM_populate_physmap, list, 4, 0, 0, DOMID_SELF), 4,
              "populate_physmap of 4 pfns");
    for (int i = 0; i < 4; i++) {
        expect_eq(M2P[list[i]], pfn[i], "M2P of a populated frame");
        bool zero;
        expect_ok(frame_reads_zero(list[i], &zero), "map a populated frame");
        expect_true(zero, "a populated frame reads as zero");
    }
    expect_ok(kit_scratch_restore(SLOT), "restore");
    return KIT_PASS;
}

static int long_balloon_batch_continues(void)
{
    static uint64_t list[700], pfn[700];
    long before = current_pages();

    for (int i = 0; i < 700; i++) {
        expect_true((pfn[i] = kit_alloc_pfn()) != 0, "not enough free pfns");
        list[i] = pfn_to_mfn(pfn[i]);
    }
    expect_eq(reservation_op(XENMEM_decrease_reservation, list, 700, 0, 0, DOMID_SELF), 700,
              "decrease 700 frames (continued past 512)");
    expect_eq(current_pages(), before - 700, "reservation after decrease");
    memcpy(list, pfn, sizeof(list));
    expect_eq(reservation_op(XENMEM_populate_physmap, list, 700, 0, 0, DOMID_SELF), 700,
              "populate 700 frames");
    expect_eq(current_pages(), before, "reservation after populate");
    expect_eq(M2P[list[699]], pfn[699], "M2P of the last one");
    return KIT_PASS;
}

static struct xen_memory_exchange exchange_of(uint64_t *in, uint64_t in_nr, unsigned int in_order,
                                              uint64_t *out, uint64_t out_nr,
                                              unsigned int out_order, unsigned int bits)
{
    struct xen_memory_exchange x = {
        .in = { .nr_extents = in_nr, .extent_order = in_order, .domid = DOMID_SELF },
        .out = { .nr_extents = out_nr, .extent_order = out_order,
                 .mem_flags = XENMEMF_address_bits(bits), .domid = DOMID_SELF },
    };
    set_xen_guest_handle(x.in.extent_start, in);
    set_xen_guest_handle(x.out.extent_start, out);
    return x;
}

static int exchange_gives_contiguous_zeroed_frames_below_4gib(void)
{
    uint64_t in[8], pfn = 0;
    long before = current_pages();

    /* Eight frames with data in them, as a DMA buffer would have. */
    for (int i = 0; i < 8; i++) {
        uint64_t p = kit_alloc_pfn();
        expect_true(p != 0, "no free pfn left");
        pfn = pfn ? pfn : p;
        in[i] = pfn_to_mfn(p);
        expect_ok(kit_scratch_map(SLOT, in[i], PTE_RW), "map");
        memset((void *)kit_scratch_va(SLOT), 0x5a, PAGE_SIZE);
    }
    expect_ok(kit_scratch_restore(SLOT), "unmap");
    uint64_t out[1] = { pfn };
    struct xen_memory_exchange x = exchange_of(in, 8, 0, out, 1, 3, 32);
    expect_ok(HYPERVISOR_memory_op(XENMEM_exchange, &x), "exchange 8 frames for one order-3");
    expect_eq(x.nr_exchanged, 8, "nr_exchanged");
    expect_eq(current_pages(), before, "reservation unchanged");
    uint64_t m = out[0];
    expect_eq(m % 8, 0, "the extent is aligned to its size");
    expect_true(m + 8 <= (1UL << 20), "the extent lies below 4 GiB");
    for (int i = 0; i < 8; i++) {
        bool zero;
        expect_eq(M2P[m + i], pfn + (uint64_t)i, "M2P of the new frames");
        expect_eq(M2P[in[i]], INVALID_M2P, "M2P of the frames given up");
        expect_ok(frame_reads_zero(m + i, &zero), "map a frame of the extent");
        expect_true(zero, "the new frames read as zero");
        expect_rc(kit_scratch_map(SLOT, in[i], PTE_RO), -XEN_EINVAL,
                  "mapping a frame given up");
    }
    expect_ok(kit_scratch_restore(SLOT), "restore");
    return KIT_PASS;
}

static int exchange_order_zero_in_and_out(void)
{
    uint64_t in[2], out[2] = { 0, 0 };

    expect_true(take_frames(in, 2), "not enough free frames");
    struct xen_memory_exchange x = exchange_of(in, 2, 0, out, 2, 0, 0);
    expect_ok(HYPERVISOR_memory_op(XENMEM_exchange, &x), "exchange 2 for 2");
    expect_eq(x.nr_exchanged, 2, "nr_exchanged");
    expect_true(out[0] != in[0] && out[0] != in[1] && out[0] != out[1], "new frames");
    /* Exchanging a frame given up already: refused, nothing moves. */
    x = exchange_of(in, 1, 0, out, 1, 0, 0);
    expect_rc(HYPERVISOR_memory_op(XENMEM_exchange, &x), -XEN_EINVAL, "exchange a lost frame");
    expect_eq(x.nr_exchanged, 0, "nr_exchanged");
    return KIT_PASS;
}

static int reservation_hostile_arguments(void)
{
    uint64_t f[2], l1 = pte_mfn(kit_mem.l2[0]);
    long before = current_pages();

    expect_true(take_frames(f, 2), "not enough free frames");
    /* Live page tables: the bootstrap L4, the L2 and an L1 mapping us. */
    uint64_t tables[3] = { virt_to_mfn(kit_mem.l4), kit_mem.l2_mfn, l1 };
    for (int i = 0; i < 3; i++)
        expect_eq(reservation_op(XENMEM_decrease_reservation, &tables[i], 1, 0, 0, DOMID_SELF),
                  0, "decrease of a page table");
    uint64_t bad[3] = { ~0UL, 0, 1UL << 40 };
    for (int i = 0; i < 3; i++)
        expect_eq(reservation_op(XENMEM_decrease_reservation, &bad[i], 1, 0, 0, DOMID_SELF), 0,
                  "decrease of a frame not ours");
    expect_eq(reservation_op(XENMEM_decrease_reservation, f, 1, 0, 0, DOMID_SELF), 1, "decrease");
    expect_eq(reservation_op(XENMEM_decrease_reservation, f, 1, 0, 0, DOMID_SELF), 0,
              "decrease of the same frame again");
    uint64_t l[1];
    expect_eq(reservation_op(XENMEM_increase_reservation, l, 1, 19, 0, DOMID_SELF), 0,
              "order 19");
    expect_eq(reservation_op(XENMEM_increase_reservation, l, 1, 0, 0, 7), 0,
              "a domain that does not exist");
    expect_eq(reservation_op(XENMEM_increase_reservation, l, 1, 0, XENMEMF_address_bits(12),
                             DOMID_SELF), 0, "12 address bits");
    expect_eq(reservation_op(XENMEM_increase_reservation, (uint64_t *)0xffff830000000000UL, 1, 0,
                             0, DOMID_SELF), 0, "list in the hypervisor");
    expect_eq(reservation_op(XENMEM_increase_reservation, l, 1UL << 40, 0, 0, DOMID_SELF), 0,
              "too many extents to continue");
    expect_eq(current_pages(), before - 1, "reservation");

    struct xen_memory_exchange x = exchange_of(&f[1], 1, 0, l, 2, 0, 0);
    expect_rc(HYPERVISOR_memory_op(XENMEM_exchange, &x), -XEN_EINVAL, "sizes differ");
    x = exchange_of(&f[1], 1, 0, l, 1, 0, 0);
    x.in.domid = x.out.domid = 7;
    expect_rc(HYPERVISOR_memory_op(XENMEM_exchange, &x), -XEN_ESRCH, "no such domain");
    x = exchange_of(&f[1], 1, 0, l, 1, 0, 0);
    x.out.domid = 0;
    expect_rc(HYPERVISOR_memory_op(XENMEM_exchange, &x), -XEN_EINVAL, "domids differ");
    x = exchange_of(&f[1], 1, 19, l, 1, 19, 0);
    expect_rc(HYPERVISOR_memory_op(XENMEM_exchange, &x), -XEN_EPERM, "order 19");
    x = exchange_of(&tables[0], 1, 0, l, 1, 0, 0);
    expect_rc(HYPERVISOR_memory_op(XENMEM_exchange, &x), -XEN_EINVAL, "exchange of our L4");
    expect_eq(current_pages(), before - 1, "reservation");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "decrease_then_increase_back", decrease_then_increase_back, KIT_MM },
    { "increase_beyond_maximum_refused", increase_beyond_maximum_refused, KIT_MM },
    { "max_mem_on_itself_moves_the_maximum", max_mem_on_itself_moves_the_maximum, KIT_MM },
    { "populate_physmap_sets_m2p", populate_physmap_sets_m2p, KIT_MM },
    { "long_balloon_batch_continues", long_balloon_batch_continues, KIT_MM },
    { "exchange_gives_contiguous_zeroed_frames_below_4gib",
      exchange_gives_contiguous_zeroed_frames_below_4gib, KIT_MM },
    { "exchange_order_zero_in_and_out", exchange_order_zero_in_and_out, KIT_MM },
    { "reservation_hostile_arguments", reservation_hostile_arguments, KIT_MM | KIT_HOSTILE },
};
KIT_KERNEL("balloon", tests);
