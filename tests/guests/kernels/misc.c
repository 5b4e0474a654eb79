// SPDX-License-Identifier: MIT
/*
 * misc: the hypercalls a PV kernel makes around memory and batching at boot
 * -- memory_op's queries (its reservation, the highest frames, where the
 * M2P is mapped, its E820) and multicall (per-entry results, no nesting, no
 * iret inside a batch) -- plus xen_version's feature bitmap, which Linux
 * checks before anything else.  Hostile cases next to the normal ones.
 */
#include <abi/features.h>
#include <abi/memory.h>
#include <abi/version.h>
#include "hypercall.h"
#include "kit.h"

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_memory_op, cmd, KIT_UL(arg));
}

static inline long HYPERVISOR_multicall(struct multicall_entry *calls, unsigned int nr)
{
    return _hypercall2(__HYPERVISOR_multicall, KIT_UL(calls), nr);
}

static int reservation_matches_start_info(void)
{
    domid_t self = DOMID_SELF;
    long cur = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    long max = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self);
    long gpfn = HYPERVISOR_memory_op(XENMEM_maximum_gpfn, &self);

    /* nr_pages pseudo-physical frames, plus the shared_info frame. */
    expect_true(cur >= (long)kit_si->nr_pages, "current reservation below nr_pages");
    expect_true(max >= cur, "maximum reservation below the current one");
    expect_eq(gpfn, (long)kit_si->nr_pages - 1, "maximum_gpfn");
    return KIT_PASS;
}

static int maximum_ram_page_covers_our_frames(void)
{
    long top = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
    const uint64_t *p2m = (const uint64_t *)kit_si->mfn_list;

    expect_true(top > 0, "maximum_ram_page");
    for (uint64_t pfn = 0; pfn < kit_si->nr_pages; pfn += 97)
        expect_true(p2m[pfn] <= (uint64_t)top, "one of our frames is above max_ram_page");
    return KIT_PASS;
}

static int machphys_mapping_is_the_read_only_m2p(void)
{
    struct xen_machphys_mapping m = { 0 };
    const uint64_t *p2m = (const uint64_t *)kit_si->mfn_list;

    expect_ok(HYPERVISOR_memory_op(XENMEM_machphys_mapping, &m), "machphys_mapping");
    expect_eq(m.v_start, 0xffff800000000000UL, "v_start");
    expect_true(m.v_end > m.v_start, "v_end");
    /* Read our first frame's entry through it. */
    const volatile uint64_t *m2p = (const volatile uint64_t *)m.v_start;
    expect_eq(m2p[p2m[1]], 1, "m2p[p2m[1]] through machphys_mapping");
    return KIT_PASS;
}

static int memory_map_is_one_ram_range(void)
{
    struct { uint64_t addr, size; uint32_t type; } __attribute__((packed)) e[4];
    struct xen_memory_map map = { .nr_entries = 4 };

    set_xen_guest_handle(map.buffer, e);
    expect_ok(HYPERVISOR_memory_op(XENMEM_memory_map, &map), "memory_map");
    expect_eq(map.nr_entries, 1, "entries");
    expect_eq(e[0].addr, 0, "RAM starts at 0");
    expect_eq(e[0].size, kit_si->nr_pages * PAGE_SIZE, "RAM size");
    expect_eq(e[0].type, 1, "type RAM");
    return KIT_PASS;
}

static int memory_op_bad_pointers_and_ops(void)
{
    struct xen_memory_map map = { .nr_entries = 0 };

    expect_rc(HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)0xffff82d040000000UL),
              -XEN_EFAULT, "domid pointer into the hypervisor");
    expect_rc(HYPERVISOR_memory_op(XENMEM_machphys_mapping, (void *)0x1000), -XEN_EFAULT,
              "unmapped result pointer");
    expect_rc(HYPERVISOR_memory_op(XENMEM_memory_map, &map), -XEN_EINVAL,
              "memory_map with no room");
    set_xen_guest_handle(map.buffer, (void *)0xffff830000000000UL);
    map.nr_entries = 1;
    expect_rc(HYPERVISOR_memory_op(XENMEM_memory_map, &map), -XEN_EFAULT,
              "memory_map into the direct map");
    expect_rc(HYPERVISOR_memory_op(63, NULL), -XEN_ENOSYS, "unknown memory_op");
    domid_t other = 7;
    expect_rc(HYPERVISOR_memory_op(XENMEM_current_reservation, &other), -XEN_ESRCH,
              "a domain that does not exist");
    return KIT_PASS;
}

static int multicall_runs_each_entry(void)
{
    struct multicall_entry mc[3] = {
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version } },
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_pagesize } },
        { .op = 60 },                                   /* no such hypercall */
    };

    expect_ok(HYPERVISOR_multicall(mc, 3), "multicall");
    expect_eq(mc[0].result, (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL),
              "entry 0 result");
    expect_eq(mc[1].result, PAGE_SIZE, "entry 1 result (pagesize)");
    expect_eq((long)mc[2].result, -XEN_ENOSYS, "entry 2: unknown hypercall");
    return KIT_PASS;
}

static int multicall_refuses_nesting_and_iret(void)
{
    struct multicall_entry inner = { .op = __HYPERVISOR_xen_version };
    struct multicall_entry mc[2] = {
        { .op = __HYPERVISOR_multicall, .args = { KIT_UL(&inner), 1 } },
        { .op = __HYPERVISOR_iret },
    };

    expect_ok(HYPERVISOR_multicall(mc, 2), "multicall");
    expect_eq((long)mc[0].result, -XEN_EINVAL, "nested multicall");
    expect_eq((long)mc[1].result, -XEN_EINVAL, "iret inside a multicall");
    expect_rc(HYPERVISOR_multicall((void *)0xffff82d040000000UL, 1), -XEN_EFAULT,
              "entries in the hypervisor");
    return KIT_PASS;
}

static int multicall_long_batch_continues(void)
{
    static struct multicall_entry mc[300];

    for (unsigned int i = 0; i < 300; i++)
        mc[i] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version,
                                          .args = { XENVER_pagesize }, .result = 7 };
    expect_ok(HYPERVISOR_multicall(mc, 300), "300-entry multicall");
    for (unsigned int i = 0; i < 300; i++)
        expect_eq(mc[i].result, PAGE_SIZE, "every entry ran");
    return KIT_PASS;
}

static int features_linux_needs_are_reported(void)
{
    struct xen_feature_info fi = { .submap_idx = 0 };

    expect_ok(HYPERVISOR_xen_version(XENVER_get_features, &fi), "get_features");
    expect_true(fi.submap & (1U << XENFEAT_writable_page_tables), "writable_page_tables");
    expect_true(fi.submap & (1U << XENFEAT_mmu_pt_update_preserve_ad),
                "mmu_pt_update_preserve_ad");
    expect_true(!(fi.submap & (1U << XENFEAT_auto_translated_physmap)),
                "auto_translated_physmap must not be claimed for PV");
    fi.submap_idx = 5;
    expect_ok(HYPERVISOR_xen_version(XENVER_get_features, &fi), "get_features submap 5");
    expect_eq(fi.submap, 0, "unknown submaps are empty");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "reservation_matches_start_info", reservation_matches_start_info, 0 },
    { "maximum_ram_page_covers_our_frames", maximum_ram_page_covers_our_frames, 0 },
    { "machphys_mapping_is_the_read_only_m2p", machphys_mapping_is_the_read_only_m2p, 0 },
    { "memory_map_is_one_ram_range", memory_map_is_one_ram_range, 0 },
    { "memory_op_bad_pointers_and_ops", memory_op_bad_pointers_and_ops, KIT_HOSTILE },
    { "multicall_runs_each_entry", multicall_runs_each_entry, 0 },
    { "multicall_refuses_nesting_and_iret", multicall_refuses_nesting_and_iret, KIT_HOSTILE },
    { "multicall_long_batch_continues", multicall_long_batch_continues, 0 },
    { "features_linux_needs_are_reported", features_linux_needs_are_reported, 0 },
};

KIT_KERNEL("misc", tests);
