// SPDX-License-Identifier: MIT
/*
 * misc: the hypercalls a PV kernel makes around memory and batching at boot
 * -- memory_op's queries (its reservation, the highest frames, where the
 * M2P is mapped, its E820) and multicall (per-entry results, no nesting, no
 * iret inside a batch) -- plus xen_version's feature bitmap, which Linux
 * checks before anything else, and the grant-table operations a front end
 * uses before it can share a page (setup_table, query_size, version, copy).
 * Hostile cases next to the normal ones.
 */
#include <abi/sysctl.h>
#include <abi/features.h>
#include <abi/grant_table.h>
#include <abi/memory.h>
#include <abi/version.h>
#include "hypercall.h"
#include "kit.h"
#include "memory.h"

static inline long HYPERVISOR_multicall(struct multicall_entry *calls, unsigned int nr)
{
    return _hypercall2(__HYPERVISOR_multicall, KIT_UL(calls), nr);
}

static inline long HYPERVISOR_grant_table_op(unsigned int cmd, void *arg, unsigned int count)
{
    return _hypercall3(__HYPERVISOR_grant_table_op, cmd, KIT_UL(arg), count);
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

/* dom0's view of the machine: the firmware map Mica booted with (QEMU's:
 * low RAM, reserved areas, RAM from 1 MiB). */
static int machine_memory_map_is_the_firmware_map(void)
{
    static struct { uint64_t addr, size; uint32_t type; } __attribute__((packed)) e[64];
    struct xen_memory_map map = { .nr_entries = 64 };
    unsigned int ram_at_1m = 0;

    set_xen_guest_handle(map.buffer, e);
    expect_ok(HYPERVISOR_memory_op(XENMEM_machine_memory_map, &map), "machine_memory_map");
    expect_true(map.nr_entries >= 3 && map.nr_entries < 64, "entries");
    for (unsigned int i = 0; i < map.nr_entries; i++) {
        expect_true(e[i].size > 0, "an empty range");
        expect_true(i == 0 || e[i].addr >= e[i - 1].addr + e[i - 1].size, "ranges in order");
        if (e[i].addr == 0x100000 && e[i].type == 1)
            ram_at_1m = 1;
    }
    expect_true(ram_at_1m, "RAM from 1 MiB");
    map.nr_entries = 1;
    expect_rc(HYPERVISOR_memory_op(XENMEM_machine_memory_map, &map), -XEN_EINVAL,
              "a buffer too small");
    map.nr_entries = 64;
    set_xen_guest_handle(map.buffer, (void *)0xffff82d040000000UL);
    expect_rc(HYPERVISOR_memory_op(XENMEM_machine_memory_map, &map), -XEN_EFAULT,
              "a buffer in the hypervisor");
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

static int multicall_refuses_nesting(void)
{
    struct multicall_entry inner = { .op = __HYPERVISOR_xen_version };
    struct multicall_entry mc[1] = {
        { .op = __HYPERVISOR_multicall, .args = { KIT_UL(&inner), 1 } },
    };

    expect_ok(HYPERVISOR_multicall(mc, 1), "multicall");
    expect_eq((long)mc[0].result, -XEN_EINVAL, "nested multicall");
    expect_rc(HYPERVISOR_multicall((void *)0xffff82d040000000UL, 1), -XEN_EFAULT,
              "entries in the hypervisor");
    return KIT_PASS;
}

/* As on Xen since XSA-213: an iret entry returns through the iret_context
 * on the stack (here to the kernel, just after the syscall, with rax
 * 0x5a5a) and the batch ends there: the entry after it never runs. */
static int multicall_iret_returns_and_ends_the_batch(void)
{
    struct multicall_entry mc[2] = {
        { .op = __HYPERVISOR_iret, .result = 0x11 },
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_pagesize }, .result = 0x77 },
    };
    uint64_t rax, rdi = KIT_UL(mc), rsi = 2;

    __asm__ volatile("movq %%rsp, %%rbx\n\t"
                     "pushq %[ss]\n\t"
                     "pushq %%rbx\n\t"              /* rsp */
                     "pushfq\n\t"
                     "pushq %[cs]\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"              /* rip */
                     "pushq $0\n\t"                 /* flags */
                     "pushq $0\n\t"                 /* rcx */
                     "pushq $0\n\t"                 /* r11 */
                     "pushq $0x5a5a\n\t"            /* rax */
                     "movl %[nr], %%eax\n\t"
                     "syscall\n"
                     "1:\n\t"
                     "movq %%rbx, %%rsp"
                     : "=a"(rax), "+D"(rdi), "+S"(rsi)
                     : [ss] "i"(FLAT_KERNEL_SS), [cs] "i"(FLAT_KERNEL_CS & ~3),
                       [nr] "i"(__HYPERVISOR_multicall)
                     : "rbx", "rcx", "rdx", "r8", "r10", "r11", "memory");
    expect_eq(rax, 0x5a5a, "rax from the iret frame");
    expect_eq(mc[1].result, 0x77, "the entry after the iret did not run");
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
    expect_true(fi.submap & (1U << XENFEAT_gnttab_map_avail_bits),
                "gnttab_map_avail_bits (Linux 6.1 panics without it)");
    expect_true(!(fi.submap & (1U << XENFEAT_auto_translated_physmap)),
                "auto_translated_physmap must not be claimed for PV");
    fi.submap_idx = 5;
    expect_ok(HYPERVISOR_xen_version(XENVER_get_features, &fi), "get_features submap 5");
    expect_eq(fi.submap, 0, "unknown submaps are empty");
    return KIT_PASS;
}

/* dom0 reads the hypervisor's command line (test_guests boots us with
 * "loglvl=info"), whole and terminated, as xl info's xen_commandline. */
static int commandline_is_the_boot_line(void)
{
    static xen_commandline_t line;

    memset(line, 0x55, sizeof(line));
    expect_ok(HYPERVISOR_xen_version(XENVER_commandline, line), "XENVER_commandline");
    expect_true(strnlen(line, sizeof(line)) < sizeof(line), "the line ends within 1024 bytes");
    expect_true(kit_strstr(line, "loglvl=info") != NULL, "the boot line");
    expect_rc(HYPERVISOR_xen_version(XENVER_commandline, (void *)0xffff82d040000000UL),
              -XEN_EFAULT, "a buffer in the hypervisor");
    return KIT_PASS;
}

/* ---- grant tables ---------------------------------------------------------- */

/* Scratch slots: 0 maps our first grant frame, 1 and 2 are copy buffers. */
#define GT_SLOT 0
#define SRC_SLOT 1
#define DST_SLOT 2
#define OTHER_SLOT 3
#define REPLACE_SLOT 4

static volatile struct grant_entry_v1 *grant_frame0(void)
{
    return (volatile struct grant_entry_v1 *)kit_scratch_va(GT_SLOT);
}

/* Ask for n frames; maps frame 0 at GT_SLOT.  GNTST_* or a -errno. */
static long setup_table(uint32_t n, uint64_t *frames)
{
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = n };

    set_xen_guest_handle(op.frame_list, frames);
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 1);
    if (rc)
        return rc;
    if (op.status == GNTST_okay && kit_scratch_map(GT_SLOT, frames[0], PTE_RW))
        return -1000;
    return op.status;
}

static void grant(grant_ref_t ref, uint16_t flags, domid_t to, uint64_t mfn)
{
    volatile struct grant_entry_v1 *e = &grant_frame0()[ref];

    e->domid = to;
    e->frame = (uint32_t)mfn;
    __atomic_store_n(&e->flags, flags, __ATOMIC_SEQ_CST);
}

static int16_t copy1(struct gnttab_copy *op)
{
    op->status = 99;
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, op, 1);
    return rc ? (int16_t)-1000 : op->status;
}

static int grant_table_query_and_setup(void)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    static uint64_t frames[4];

    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1), "query_size");
    expect_eq(q.status, GNTST_okay, "query_size status");
    expect_true(q.nr_frames >= 1, "at least one frame to start with");
    expect_true(q.max_nr_frames >= 4, "room to grow to four frames");
    expect_eq(setup_table(4, frames), GNTST_okay, "setup_table(4)");
    for (unsigned int i = 0; i < 4; i++)
        for (unsigned int j = 0; j < i; j++)
            expect_true(frames[i] != frames[j], "the frames are distinct");
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1), "query_size again");
    expect_eq(q.nr_frames, 4, "the table grew to four frames");

    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_get_version, &gv, 1), "get_version");
    expect_eq(gv.version, 1, "version 1");
    struct gnttab_set_version sv = { .version = 1 };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), "set_version(1)");
    expect_eq(sv.version, 1, "set_version reports 1");
    expect_ok(kit_scratch_restore(GT_SLOT), "restoring the scratch page");
    return KIT_PASS;
}

static int grant_copy_through_a_self_grant(void)
{
    static uint64_t frames[1];
    uint64_t src = kit_scratch_fresh(SRC_SLOT), dst = kit_scratch_fresh(DST_SLOT);
    volatile uint8_t *s = (volatile uint8_t *)kit_scratch_va(SRC_SLOT);
    volatile uint8_t *d = (volatile uint8_t *)kit_scratch_va(DST_SLOT);

    expect_true(src && dst, "two fresh frames");
    expect_eq(setup_table(1, frames), GNTST_okay, "setup_table(1)");
    for (unsigned int i = 0; i < PAGE_SIZE; i++)
        s[i] = (uint8_t)(i * 7 + 1);
    grant(5, GTF_permit_access | GTF_readonly, 0, src);      /* we are domain 0 */

    /* Source by grant reference, destination by our own MFN. */
    struct gnttab_copy op = {
        .source = { .u.ref = 5, .domid = DOMID_SELF, .offset = 100 },
        .dest = { .u.gmfn = dst, .domid = DOMID_SELF, .offset = 300 },
        .len = 1000, .flags = GNTCOPY_source_gref,
    };
    expect_eq(copy1(&op), GNTST_okay, "copy from the grant");
    for (unsigned int i = 0; i < 1000; i++)
        expect_eq(d[300 + i], s[100 + i], "copied byte");
    expect_eq(d[299], 0, "nothing before the destination range");
    expect_eq(d[1300], 0, "nothing after it");
    expect_eq(grant_frame0()[5].flags, GTF_permit_access | GTF_readonly,
              "GTF_reading is clear again once the copy is over");

    /* A read-only grant cannot be a destination; revoked is refused. */
    op = (struct gnttab_copy){
        .source = { .u.gmfn = dst, .domid = DOMID_SELF },
        .dest = { .u.ref = 5, .domid = DOMID_SELF }, .len = 8, .flags = GNTCOPY_dest_gref,
    };
    expect_eq(copy1(&op), GNTST_general_error, "writing through a read-only grant");
    expect_eq(s[0], 1, "the granted frame is unchanged");
    grant(5, GTF_invalid, 0, src);
    op.flags = GNTCOPY_source_gref;
    op.source = (struct gnttab_copy_ptr){ .u.ref = 5, .domid = DOMID_SELF };
    op.dest = (struct gnttab_copy_ptr){ .u.gmfn = dst, .domid = DOMID_SELF };
    expect_eq(copy1(&op), GNTST_general_error, "copy from a revoked grant");
    expect_ok(kit_scratch_restore(GT_SLOT), "restore");
    expect_ok(kit_scratch_restore(SRC_SLOT), "restore");
    expect_ok(kit_scratch_restore(DST_SLOT), "restore");
    return KIT_PASS;
}

static int grant_table_hostile_arguments(void)
{
    static uint64_t frames[1];
    uint64_t buf = kit_scratch_fresh(SRC_SLOT);
    struct gnttab_query_size q = { .dom = DOMID_SELF };

    expect_true(buf, "a fresh frame");
    expect_eq(setup_table(1, frames), GNTST_okay, "setup_table(1)");
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1), "query_size");

    /* setup_table: too many frames, count other than 1, bad pointers. */
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = q.max_nr_frames + 1 };
    set_xen_guest_handle(st.frame_list, frames);
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1), "setup_table");
    expect_eq(st.status, GNTST_general_error, "more frames than max_nr_frames");
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 2), -XEN_EINVAL,
              "setup_table with count 2");
    st.nr_frames = 1;
    set_xen_guest_handle(st.frame_list, (uint64_t *)0xffff82d040000000UL);
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1), -XEN_EFAULT,
              "frame list in the hypervisor");
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_query_size, (void *)0xffff82d040000000UL, 1),
              -XEN_EFAULT, "query_size argument in the hypervisor");
    st.dom = 7;
    set_xen_guest_handle(st.frame_list, frames);
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1), "setup_table dom 7");
    expect_eq(st.status, GNTST_bad_domain, "no domain 7");

    /* Versions: 1 and 2 only; the version in force is written back. */
    struct gnttab_set_version sv = { .version = 3 };
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), -XEN_EINVAL,
              "set_version(3)");
    expect_eq(sv.version, 1, "still version 1");
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_transfer, &sv, 1), -XEN_ENOSYS,
              "transfer is not there");
    expect_rc(HYPERVISOR_grant_table_op(77, &sv, 1), -XEN_ENOSYS, "unknown op");

    /* Copies: each bad argument gets its own status. */
    grant(9, GTF_permit_access, 3, buf);                    /* to domain 3, not us */
    grant(10, GTF_permit_access, 0, buf);
    struct gnttab_copy op = {
        .source = { .u.ref = 9, .domid = DOMID_SELF },
        .dest = { .u.ref = 10, .domid = DOMID_SELF }, .len = 8,
        .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref,
    };
    expect_eq(copy1(&op), GNTST_general_error, "a grant to another domain");
    op.source.u.ref = 1U << 30;
    expect_eq(copy1(&op), GNTST_bad_gntref, "a reference past the table");
    op.source.u.ref = 10;
    op.source.offset = 4090;
    expect_eq(copy1(&op), GNTST_bad_copy_arg, "offset + len past the page");
    op.source.offset = 0;
    op.flags = 0x80 | GNTCOPY_source_gref;
    expect_eq(copy1(&op), GNTST_bad_copy_arg, "unknown copy flag");
    op.flags = GNTCOPY_dest_gref;
    op.source = (struct gnttab_copy_ptr){ .u.gmfn = 1, .domid = DOMID_SELF };
    expect_eq(copy1(&op), GNTST_bad_page, "a frame that is not ours");
    op.source = (struct gnttab_copy_ptr){ .u.gmfn = buf, .domid = 3 };
    expect_eq(copy1(&op), GNTST_permission_denied, "by-frame copy naming a domain");
    op.source = (struct gnttab_copy_ptr){ .u.gmfn = frames[0] + (1UL << 40), .domid = DOMID_SELF };
    expect_eq(copy1(&op), GNTST_bad_page, "a frame past memory");
    op.source = (struct gnttab_copy_ptr){ .u.ref = 10, .domid = 7 };
    op.flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
    expect_eq(copy1(&op), GNTST_bad_domain, "a granter that does not exist");
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_copy, (void *)0xffff82d040000000UL, 1),
              -XEN_EFAULT, "copy array in the hypervisor");
    expect_eq(grant_frame0()[10].flags, GTF_permit_access, "no flags left behind");
    grant(9, GTF_invalid, 0, 0);
    grant(10, GTF_invalid, 0, 0);
    expect_ok(kit_scratch_restore(GT_SLOT), "restore");
    expect_ok(kit_scratch_restore(SRC_SLOT), "restore");
    return KIT_PASS;
}

static int grant_copy_long_batch_continues(void)
{
    static struct gnttab_copy ops[150];
    static uint64_t frames[1];
    uint64_t src = kit_scratch_fresh(SRC_SLOT), dst = kit_scratch_fresh(DST_SLOT);
    volatile uint8_t *s = (volatile uint8_t *)kit_scratch_va(SRC_SLOT);
    volatile uint8_t *d = (volatile uint8_t *)kit_scratch_va(DST_SLOT);

    expect_true(src && dst, "two fresh frames");
    expect_eq(setup_table(1, frames), GNTST_okay, "setup_table(1)");
    grant(11, GTF_permit_access, 0, dst);
    for (unsigned int i = 0; i < 150; i++) {
        s[i] = (uint8_t)(200 - i);
        ops[i] = (struct gnttab_copy){
            .source = { .u.gmfn = src, .domid = DOMID_SELF, .offset = (uint16_t)i },
            .dest = { .u.ref = 11, .domid = DOMID_SELF, .offset = (uint16_t)(i * 2) },
            .len = 1, .flags = GNTCOPY_dest_gref, .status = 99,
        };
    }
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_copy, ops, 150), "150 copies");
    for (unsigned int i = 0; i < 150; i++) {
        expect_eq(ops[i].status, GNTST_okay, "each copy's status");
        expect_eq(d[i * 2], (uint8_t)(200 - i), "each copy's byte");
    }
    expect_eq(grant_frame0()[11].flags, GTF_permit_access, "no flags left behind");
    grant(11, GTF_invalid, 0, 0);
    expect_ok(kit_scratch_restore(GT_SLOT), "restore");
    expect_ok(kit_scratch_restore(SRC_SLOT), "restore");
    expect_ok(kit_scratch_restore(DST_SLOT), "restore");
    return KIT_PASS;
}

static int grant_map_at_a_va_and_unmap(void)
{
    static uint64_t frames[1];
    uint64_t src = kit_scratch_fresh(SRC_SLOT);
    volatile uint8_t *s = (volatile uint8_t *)kit_scratch_va(SRC_SLOT);
    volatile uint8_t *m = (volatile uint8_t *)kit_scratch_va(DST_SLOT);

    expect_true(src, "a fresh frame");
    expect_eq(setup_table(1, frames), GNTST_okay, "setup_table(1)");
    s[10] = 0x5a;
    grant(12, GTF_permit_access, 0, src);

    struct gnttab_map_grant_ref op = {
        .host_addr = kit_scratch_va(DST_SLOT),
        .flags = GNTMAP_host_map | (3U << _GNTMAP_guest_avail0), .ref = 12,
        .dom = DOMID_SELF, .status = 99,
    };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1), "map_grant_ref");
    expect_eq(op.status, GNTST_okay, "map status");
    expect_eq(pte_mfn(*kit_l1e_ptr(kit_scratch_va(DST_SLOT))), src, "the PTE maps the frame");
    expect_eq((*kit_l1e_ptr(kit_scratch_va(DST_SLOT)) >> 9) & 7, 3,
              "guest-available flag bits in PTE bits 9-11 (gnttab_map_avail_bits)");
    expect_eq(m[10], 0x5a, "read through the grant mapping");
    m[11] = 0xa5;
    expect_eq(s[11], 0xa5, "write through the grant mapping");
    expect_eq(grant_frame0()[12].flags, GTF_permit_access | GTF_reading | GTF_writing,
              "in use while mapped");

    struct gnttab_unmap_grant_ref u = { .host_addr = kit_scratch_va(GT_SLOT),
                                        .handle = op.handle, .status = 99 };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap");
    expect_eq(u.status, GNTST_general_error, "unmap at an address that does not map it");
    u.host_addr = kit_scratch_va(DST_SLOT);
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap");
    expect_eq(u.status, GNTST_okay, "unmap status");
    expect_eq(*kit_l1e_ptr(kit_scratch_va(DST_SLOT)), 0, "the PTE is gone");
    expect_eq(grant_frame0()[12].flags, GTF_permit_access, "idle again");
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap again");
    expect_eq(u.status, GNTST_bad_handle, "the handle is free");
    grant(12, GTF_invalid, 0, 0);
    expect_ok(kit_scratch_restore(GT_SLOT), "restore");
    expect_ok(kit_scratch_restore(SRC_SLOT), "restore");
    expect_ok(kit_scratch_restore(DST_SLOT), "restore");
    return KIT_PASS;
}

/* The privileged domain passes Xen's sysctl gate (version, then
 * privilege) and finds no op behind it: Mica's tools use hypercall 56. */
static int sysctl_checks_the_version_and_has_no_ops(void)
{
    static struct xen_sysctl op;

    op = (struct xen_sysctl){ .cmd = 1, .interface_version = XEN_SYSCTL_INTERFACE_VERSION };
    expect_rc(_hypercall1(__HYPERVISOR_sysctl, KIT_UL(&op)), -XEN_ENOSYS, "readconsole");
    op.interface_version = 0x14;
    expect_rc(_hypercall1(__HYPERVISOR_sysctl, KIT_UL(&op)), -XEN_EACCES, "Xen 4.16's version");
    expect_rc(_hypercall1(__HYPERVISOR_sysctl, 0), -XEN_EFAULT, "a null structure");
    return KIT_PASS;
}

/* Host and device parts of one grant mapping unmap separately, as Xen
 * does since XSA-224, and the pin (with its writable reference) goes only
 * with the last part: afterwards the frame can become a page table. */
static int grant_host_and_device_parts_unmap_separately(void)
{
    static uint64_t frames[1];
    uint64_t src = kit_scratch_fresh(SRC_SLOT);

    expect_true(src, "a fresh frame");
    expect_eq(setup_table(1, frames), GNTST_okay, "setup_table(1)");
    grant(13, GTF_permit_access, 0, src);
    struct gnttab_map_grant_ref op = {
        .host_addr = kit_scratch_va(DST_SLOT), .flags = GNTMAP_host_map | GNTMAP_device_map,
        .ref = 13, .dom = DOMID_SELF, .status = 99,
    };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1), "map host+device");
    expect_eq(op.status, GNTST_okay, "map status");
    expect_eq(op.dev_bus_addr, src << 12, "the bus address is the frame's");

    struct gnttab_unmap_grant_ref u = { .host_addr = kit_scratch_va(DST_SLOT),
                                        .handle = op.handle, .status = 99 };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap host");
    expect_eq(u.status, GNTST_okay, "host part unmapped alone");
    expect_eq(*kit_l1e_ptr(kit_scratch_va(DST_SLOT)), 0, "the PTE is gone");
    expect_eq(grant_frame0()[13].flags, GTF_permit_access | GTF_reading | GTF_writing,
              "the device part still holds the grant");
    u = (struct gnttab_unmap_grant_ref){ .dev_bus_addr = (src + 1) << 12, .handle = op.handle };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap bad bus");
    expect_eq(u.status, GNTST_general_error, "a bus address that is not the frame's");
    u.dev_bus_addr = src << 12;
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap device");
    expect_eq(u.status, GNTST_okay, "device part unmapped");
    expect_eq(grant_frame0()[13].flags, GTF_permit_access, "idle again");
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap again");
    expect_eq(u.status, GNTST_bad_handle, "the handle is free");
    /* No writable reference is left over (XSA-224 dropped one too many). */
    expect_ok(kit_scratch_map(SRC_SLOT, src, PTE_RO), "our own mapping read-only");
    expect_ok(kit_mmuext1(MMUEXT_PIN_L1_TABLE, src), "the frame pins as an L1");
    expect_ok(kit_mmuext1(MMUEXT_UNPIN_TABLE, src), "unpin");
    grant(13, GTF_invalid, 0, 0);
    expect_ok(kit_scratch_restore(GT_SLOT), "restore");
    expect_ok(kit_scratch_restore(SRC_SLOT), "restore");
    expect_ok(kit_scratch_restore(DST_SLOT), "restore");
    return KIT_PASS;
}

/* GNTTABOP_unmap_and_replace (XSA-234's shape): a read-only grant mapping
 * at one address is replaced by the entry at new_addr -- here a writable
 * grant mapping -- which moves with its references and leaves new_addr
 * unmapped; the moved grant is then unmapped where it now is. */
static int grant_unmap_and_replace_moves_the_pte(void)
{
    static uint64_t frames[1];
    uint64_t f1 = kit_scratch_fresh(SRC_SLOT), f2 = kit_scratch_fresh(OTHER_SLOT);
    uint64_t at_w = kit_scratch_va(DST_SLOT), at_r = kit_scratch_va(REPLACE_SLOT);

    expect_true(f1 && f2, "fresh frames");
    expect_eq(setup_table(1, frames), GNTST_okay, "setup_table(1)");
    grant(14, GTF_permit_access, 0, f1);
    grant(15, GTF_permit_access, 0, f2);
    struct gnttab_map_grant_ref w = { .host_addr = at_w, .flags = GNTMAP_host_map, .ref = 14,
                                      .dom = DOMID_SELF };
    struct gnttab_map_grant_ref r = { .host_addr = at_r, .ref = 15, .dom = DOMID_SELF,
                                      .flags = GNTMAP_host_map | GNTMAP_readonly };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &w, 1), "map f1 writable");
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &r, 1), "map f2 read-only");
    expect_eq(w.status | r.status, GNTST_okay, "map status");

    struct gnttab_unmap_and_replace ur = { .host_addr = at_r, .new_addr = at_w,
                                           .handle = r.handle, .status = 99 };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_and_replace, &ur, 1),
              "unmap_and_replace");
    expect_eq(ur.status, GNTST_okay, "replace status");
    expect_eq(*kit_l1e_ptr(at_w), 0, "new_addr's entry is gone");
    expect_eq(pte_mfn(*kit_l1e_ptr(at_r)), f1, "host_addr now maps f1");
    expect_true(*kit_l1e_ptr(at_r) & _PAGE_RW, "writable, as it was");
    expect_eq(grant_frame0()[15].flags, GTF_permit_access, "f2's grant idle");
    ((volatile uint8_t *)at_r)[5] = 0x77;
    expect_eq(((volatile uint8_t *)kit_scratch_va(SRC_SLOT))[5], 0x77, "writes reach f1");

    struct gnttab_unmap_grant_ref u = { .host_addr = at_w, .handle = w.handle, .status = 99 };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap old place");
    expect_eq(u.status, GNTST_general_error, "f1's grant is not at its old address");
    u.host_addr = at_r;
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap new place");
    expect_eq(u.status, GNTST_okay, "unmapped where it moved");
    expect_eq(grant_frame0()[14].flags, GTF_permit_access, "f1's grant idle");
    ur = (struct gnttab_unmap_and_replace){ .host_addr = at_r, .handle = 4095, .status = 99 };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_and_replace, &ur, 1), "replace again");
    expect_eq(ur.status, GNTST_bad_handle, "a handle not in use");
    grant(14, GTF_invalid, 0, 0);
    grant(15, GTF_invalid, 0, 0);
    expect_ok(kit_scratch_restore(GT_SLOT), "restore");
    expect_ok(kit_scratch_restore(SRC_SLOT), "restore");
    expect_ok(kit_scratch_restore(DST_SLOT), "restore");
    expect_ok(kit_scratch_restore(OTHER_SLOT), "restore");
    expect_ok(kit_scratch_restore(REPLACE_SLOT), "restore");
    return KIT_PASS;
}

/* Grant table version 2, as XSA-255's test uses it: 16-byte entries and a
 * status frame; a mapping of one of ours shows in the status frame, not in
 * the flags; no way back to version 1 while we map the status frame. */
static int grant_table_version_2_and_back(void)
{
    static uint64_t frames[1], status[1];
    uint64_t src = kit_scratch_fresh(SRC_SLOT);
    struct gnttab_set_version sv = { .version = 2 };

    expect_true(src, "a fresh frame");
    expect_eq(setup_table(1, frames), GNTST_okay, "setup_table(1)");
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), "set_version(2)");
    expect_eq(sv.version, 2, "version 2 in force");
    struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF,
                                           .frame_list.p = status, .status = 99 };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_get_status_frames, &gs, 1), "get_status_frames");
    expect_eq(gs.status, GNTST_okay, "status frames status");
    volatile union grant_entry_v2 *e = (volatile union grant_entry_v2 *)grant_frame0();
    e[20].full_page.frame = src;
    e[20].hdr.domid = 0;
    e[20].hdr.flags = GTF_permit_access;
    expect_ok(kit_scratch_map(OTHER_SLOT, status[0], PTE_RO), "map the status frame");
    volatile grant_status_t *st = (volatile grant_status_t *)kit_scratch_va(OTHER_SLOT);

    struct gnttab_map_grant_ref op = { .host_addr = kit_scratch_va(DST_SLOT),
                                       .flags = GNTMAP_host_map, .ref = 20, .dom = DOMID_SELF };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1), "map a v2 grant");
    expect_eq(op.status, GNTST_okay, "map status");
    expect_eq(pte_mfn(*kit_l1e_ptr(kit_scratch_va(DST_SLOT))), src, "the PTE maps the frame");
    expect_eq(st[20], GTF_reading | GTF_writing, "status bits in the status frame");
    expect_eq(e[20].hdr.flags, GTF_permit_access, "the flags untouched");
    sv.version = 1;
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), -XEN_EBUSY,
              "no switch while a grant is mapped");
    struct gnttab_unmap_grant_ref u = { .host_addr = kit_scratch_va(DST_SLOT),
                                        .handle = op.handle };
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1), "unmap");
    expect_eq(u.status, GNTST_okay, "unmap status");
    expect_eq(st[20], 0, "status bits clear again");
    sv.version = 1;
    expect_rc(HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), -XEN_EBUSY,
              "no switch back while we map the status frame (XSA-255)");
    expect_eq(sv.version, 2, "still version 2");
    expect_ok(kit_scratch_restore(OTHER_SLOT), "unmap the status frame");
    sv.version = 1;
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1), "set_version(1)");
    expect_eq(sv.version, 1, "version 1 again");
    expect_eq(grant_frame0()[20].flags, 0, "entries cleared by the switch");
    gs.status = 99;
    expect_ok(HYPERVISOR_grant_table_op(GNTTABOP_get_status_frames, &gs, 1), "again");
    expect_eq(gs.status, GNTST_general_error, "no status frames in version 1");
    expect_ok(kit_scratch_restore(GT_SLOT), "restore");
    expect_ok(kit_scratch_restore(SRC_SLOT), "restore");
    expect_ok(kit_scratch_restore(DST_SLOT), "restore");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "reservation_matches_start_info", reservation_matches_start_info, 0 },
    { "maximum_ram_page_covers_our_frames", maximum_ram_page_covers_our_frames, 0 },
    { "machphys_mapping_is_the_read_only_m2p", machphys_mapping_is_the_read_only_m2p, 0 },
    { "memory_map_is_one_ram_range", memory_map_is_one_ram_range, 0 },
    { "machine_memory_map_is_the_firmware_map", machine_memory_map_is_the_firmware_map, 0 },
    { "memory_op_bad_pointers_and_ops", memory_op_bad_pointers_and_ops, KIT_HOSTILE },
    { "multicall_runs_each_entry", multicall_runs_each_entry, 0 },
    { "multicall_refuses_nesting", multicall_refuses_nesting, KIT_HOSTILE },
    { "multicall_iret_returns_and_ends_the_batch", multicall_iret_returns_and_ends_the_batch, 0 },
    { "multicall_long_batch_continues", multicall_long_batch_continues, 0 },
    { "sysctl_checks_the_version_and_has_no_ops", sysctl_checks_the_version_and_has_no_ops,
      KIT_HOSTILE },
    { "features_linux_needs_are_reported", features_linux_needs_are_reported, 0 },
    { "commandline_is_the_boot_line", commandline_is_the_boot_line, 0 },
    { "grant_table_query_and_setup", grant_table_query_and_setup, 0 },
    { "grant_copy_through_a_self_grant", grant_copy_through_a_self_grant, 0 },
    { "grant_table_hostile_arguments", grant_table_hostile_arguments, KIT_HOSTILE },
    { "grant_copy_long_batch_continues", grant_copy_long_batch_continues, 0 },
    { "grant_map_at_a_va_and_unmap", grant_map_at_a_va_and_unmap, 0 },
    { "grant_host_and_device_parts_unmap_separately",
      grant_host_and_device_parts_unmap_separately, KIT_HOSTILE },
    { "grant_unmap_and_replace_moves_the_pte", grant_unmap_and_replace_moves_the_pte, 0 },
    { "grant_table_version_2_and_back", grant_table_version_2_and_back, KIT_HOSTILE },
};

KIT_KERNEL("misc", tests);
