/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the memory core's isolation between what guests may have
 * cached and what Mica changes (mm/tlb.c), and between domains (foreign
 * mappings, mm/pt.c rule 5): issue 13 A, E, F and G, each a short
 * sequence through the reference model, the TLB model and the real code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <mica/errno.h>
#include <mica/string.h>

#include "mm_steps.h"
#include "tlb_model.h"

static int setup(void **state)
{
    (void)state;
    h_init(false);
    steps_reset();
    return 0;
}

/* ---- the TLB (mm/tlb.c) ---------------------------------------------------
 * run() checks the TLB model after every step (tests/tlb_model.h): (i) no
 * table writable through the TLB, (ii) no other domain's translations,
 * (iii) nothing cached of a frame handed out again.  Ported to the code
 * before issue 13's fixes (51cbd7f, each flush a plain CR3 reload), every
 * test in this file fails: global switch with (ii), the freed-frame ones
 * with (iii), the other TLB tests with (i), F and G on their first check. */

/* Issue 13 A: a writable translation outlives its entry; the frame then
 * becomes a page table and the guest writes a PTE through the TLB. */
static void stale_writable_translation_flushed_before_table(void **state)
{
    (void)state;
    mfn_t l1 = alloc(), x = alloc();

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(set(l1, 0, pte(x, P | RW | US)), 0);   /* the guest touches it */
    assert_int_equal(set(l1, 0, 0), 0);                     /* no flush: still cached */
    unsigned int flushes = H->flushes;
    assert_int_equal(pin(x, 1, BIG), 0);
    assert_true(H->flushes > flushes);
}

/* The same through a kernel (not global) mapping, into an L2. */
static void stale_kernel_translation_flushed_before_table(void **state)
{
    (void)state;
    mfn_t l1 = alloc(), x = alloc();

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(set(l1, 7, pte(x, P | RW)), 0);
    assert_int_equal(run((struct h_req){ .op = OP_RELEASE, .mfn = l1 }, BIG), 0);
    assert_int_equal(unpin(l1), 0);                         /* l1 goes, x's entry too */
    assert_int_equal(H->table[x].type_count, 0);
    assert_int_equal(pin(x, 2, BIG), 0);
}

/* A guest's own flush request drops global translations too: after it the
 * frame needs no flush of its own to become a table. */
static void guest_flush_request_drops_global_translations(void **state)
{
    (void)state;
    mfn_t l1 = alloc(), x = alloc();

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(set(l1, 0, pte(x, P | RW | US)), 0);
    assert_int_equal(H->mem[l1][0] & _PAGE_GLOBAL, _PAGE_GLOBAL);
    assert_int_equal(set(l1, 0, 0), 0);
    assert_int_equal(op(OP_FLUSH), 0);
    unsigned int flushes = H->flushes;
    assert_int_equal(pin(x, 1, BIG), 0);
    assert_int_equal(H->flushes, flushes);                  /* the stamp is old */
}

/* Issue 13 E: user translations are global; a switch to another domain
 * (and back) must drop them. */
static void global_translations_flushed_at_domain_switch(void **state)
{
    (void)state;
    mfn_t l1 = alloc(), x = alloc();

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(set(l1, 0, pte(x, P | RW | US)), 0);
    assert_int_equal(set(l1, 1, pte(x, P)), 0);
    assert_int_equal(op(OP_SWITCH), 0);                     /* H_OTHER runs */
    assert_int_equal(op(OP_FLUSH), 0);
    assert_int_equal(op(OP_SWITCH), 0);                     /* H_DOM again */
    assert_int_equal(op(OP_SWITCH), 0);
    assert_int_equal(set(l1, 2, pte(x, P | US)), 0);        /* switches back itself */
}

/* A flush Mica makes for an L2 change must be a full one too: after it
 * the frame needs no flush of its own to become a table. */
static void l2_change_drops_global_translations(void **state)
{
    (void)state;
    mfn_t l2 = alloc(), l1 = alloc(), l1b = alloc(), x = alloc();

    assert_int_equal(set(l1, 0, pte(x, P | RW | US)), 0);
    assert_int_equal(set(l2, 0, pte(l1, P)), 0);
    assert_int_equal(pin(l2, 2, BIG), 0);
    assert_int_equal(set(l1, 0, 0), 0);                     /* x: stamped, still cached */
    assert_int_equal(set(l2, 1, pte(l1b, P)), 0);           /* Mica flushes */
    unsigned int flushes = H->flushes;
    assert_int_equal(pin(x, 1, BIG), 0);
    assert_int_equal(H->flushes, flushes);
}

/* Issue 13 E through a grant: a GNTMAP_application_map mapping is a user
 * mapping, so global; the flush its unmap makes (pt_unmap_grant) must
 * drop it, so that the frame can become a table with no flush of its own.
 * Self-granted here, so that the reference model, which knows no grants,
 * sees an ordinary mapping of the domain's own frame. */
static void grant_unmap_drops_its_global_translation(void **state)
{
    (void)state;
    mfn_t l1 = alloc(), x = alloc();
    struct pt_ctx c = { &H->d, BIG, NULL };
    const char *bad;

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(pt_map_grant(&c, l1 * PAGE_SIZE + 8, pte(x, P | RW | US), &H->d), 0);
    assert_int_equal(H->mem[l1][1] & _PAGE_GLOBAL, _PAGE_GLOBAL);
    if ((bad = tlbm_step()))
        fail_msg("after the grant mapping: %s", bad);
    assert_int_equal(pt_unmap_grant(&c, l1 * PAGE_SIZE + 8, x, true, 0), 0);
    unsigned int flushes = H->flushes;
    assert_int_equal(pin(x, 1, BIG), 0);                    /* checks the TLB model */
    assert_int_equal(H->flushes, flushes);                  /* the unmap's flush did it */
}

/* Issue 13 A's twin (mm/tlb.c rule 2): a freed frame handed out again. */
static void freed_frame_flushed_before_reuse(void **state)
{
    (void)state;
    mfn_t l1 = alloc(), x = alloc();

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(set(l1, 0, pte(x, P | RW | US)), 0);
    assert_int_equal(run((struct h_req){ .op = OP_RELEASE, .mfn = x }, BIG), 0);
    assert_int_equal(set(l1, 0, 0), 0);                     /* freed, still cached */
    assert_int_equal(H->table[x].owner, OWNER_FREE);
    assert_int_equal(alloc(), x);                           /* the same domain */
}

static void freed_frame_flushed_before_the_hypervisor_takes_it(void **state)
{
    (void)state;
    mfn_t l1 = alloc(), x = alloc();

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(set(l1, 0, pte(x, P)), 0);             /* read-only, kernel */
    assert_int_equal(run((struct h_req){ .op = OP_RELEASE, .mfn = x }, BIG), 0);
    assert_int_equal(set(l1, 0, 0), 0);
    assert_int_equal(op(OP_XEN), 0);
    assert_int_equal(H->xen_frame, x);
}

/* ---- foreign mappings (mmu_update with foreigndom) ---------------------- */

/* Every queued frame is on its owner's queue, every frame on a queue is
 * queued and linked both ways: NULL, or what is wrong. */
static const char *queues_consistent(void)
{
    static char why[160];
    const struct domain *doms[] = { &H->d, &H->other };
    unsigned int seen = 0, queued = 0;

    for (unsigned int k = 0; k < ARRAY_SIZE(doms); k++) {
        uint32_t prev = PAGE_LIST_NONE;
        unsigned int n = 0;
        for (mfn_t m = doms[k]->deval_head; m != INVALID_MFN; n++) {
            const struct page_info *pg = &H->table[m];
            if (m >= H_FRAMES || n > H_FRAMES)
                return "a queue runs off or loops";
            if (pg->owner != doms[k]->domain_id || !(pg->flags & PGF_queued) ||
                pg->qprev != prev) {
                snprintf(why, sizeof(why), "dom %u's queue holds frame %lu: owner %u "
                         "flags %#x qprev %d (want %d)", doms[k]->domain_id, m, pg->owner,
                         pg->flags, (int)pg->qprev, (int)prev);
                return why;
            }
            prev = (uint32_t)m;
            m = pg->qnext == PAGE_LIST_NONE ? INVALID_MFN : pg->qnext;
            seen++;
        }
    }
    for (mfn_t m = 0; m < H_FRAMES; m++)
        queued += !!(H->table[m].flags & PGF_queued);
    if (queued != seen) {
        snprintf(why, sizeof(why), "%u frames queued, %u on the queues", queued, seen);
        return why;
    }
    return NULL;
}

static void expect_frame(mfn_t m, uint32_t count, unsigned int type, uint32_t type_count,
                         uint8_t flags)
{
    const struct page_info *pg = &H->table[m];

    if (pg->count != count || pg->type_count != type_count || pg->flags != flags ||
        (type_count && pg->type != type))
        fail_msg("frame %lu: count %u type %u type_count %u flags %#x, want %u %u %u %#x",
                 m, pg->count, pg->type, pg->type_count, pg->flags, count, type,
                 type_count, flags);
}

/* Issue 13 F: a privileged builder maps, writable, a table the other
 * domain left on its devalidation queue; the queues are the owners'. */
static void foreign_mapping_of_a_queued_table(void **state)
{
    (void)state;
    h_init(true);
    mfn_t l1 = alloc(), q = alloc();
    struct pt_ctx oc = { &H->other, BIG, NULL };
    struct pt_ctx fc = { &H->d, BIG, &H->other };
    const char *bad;

    assert_int_equal(pin(l1, 1, BIG), 0);
    H->defer_drain = true;                      /* H_DOM leaves one queued too */
    assert_int_equal(pin(q, 1, BIG), 0);
    assert_int_equal(unpin(q), 0);
    assert_int_equal(pt_unpin(&oc, H_OTHER_L2), 0);     /* queued, L1 still under it */
    assert_int_equal(H->other.deval_head, H_OTHER_L2);
    assert_int_equal(H->d.deval_head, q);

    assert_int_equal(pt_update_entry(&fc, l1 * PAGE_SIZE, pte(H_OTHER_L2, P | RW | US),
                                     false), 0);
    if ((bad = queues_consistent()))
        fail_msg("after mapping the queued L2: %s", bad);
    assert_int_equal(pt_update_entry(&fc, l1 * PAGE_SIZE + 8, pte(H_OTHER_L1, P | RW),
                                     false), 0);
    if ((bad = queues_consistent()))
        fail_msg("after mapping the queued L1: %s", bad);

    assert_int_equal(h_drain(BIG), 0);
    assert_int_equal(pt_drain(&oc), 0);
    assert_int_equal(H->d.deval_head, INVALID_MFN);
    assert_int_equal(H->other.deval_head, INVALID_MFN);
    expect_frame(H_OTHER_L2, 2, PGT_writable, 1, PGF_allocated);
    expect_frame(H_OTHER_L1, 2, PGT_writable, 1, PGF_allocated);
    expect_frame(H_OTHER_DATA, 1, 0, 0, PGF_allocated);
    expect_frame(H_OTHER_RO, 1, 0, 0, PGF_allocated);
    expect_frame(q, 1, 0, 0, PGF_allocated);
    H->defer_drain = false;
    /* The model knows no foreign mappings: undone behind its back. */
    assert_int_equal(h_update(l1, 0, 0, false, BIG), 0);
    assert_int_equal(h_update(l1, 1, 0, false, BIG), 0);
    expect_frame(H_OTHER_L2, 1, 0, 0, PGF_allocated);
    expect_frame(H_OTHER_L1, 1, 0, 0, PGF_allocated);
    h_other_snapshot();
    assert_null(model_check());
}

/* Issue 13 G: frames are mapped under the rights of their owner. */
static void foreign_mapping_under_the_owners_rights(void **state)
{
    (void)state;
    h_init(true);
    mfn_t l1 = alloc(), mine = alloc();
    struct pt_ctx fc = { &H->d, BIG, &H->other };   /* the other is unprivileged */
    uint64_t at = l1 * PAGE_SIZE;

    assert_int_equal(pin(l1, 1, BIG), 0);
    assert_int_equal(pt_update_entry(&fc, at, pte(H_FIRST_IO, P | RW | _PAGE_PCD), false),
                     -EINVAL);
    assert_int_equal(pt_update_entry(&fc, at, pte(H_FRAMES + 5, P | RW), false), -EINVAL);
    assert_int_equal(pt_update_entry(&fc, at, pte(mine, P | RW), false), -EINVAL);
    assert_int_equal(pt_update_entry(&fc, at, pte(H_FIRST_XEN, P), false), -EINVAL);
    assert_int_equal(pt_update_entry(&fc, at, pte(H_FRAMES - 1, P), false), -EINVAL);
    assert_int_equal(H->mem[l1][0], 0);
    assert_int_equal(pt_update_entry(&fc, at, pte(H_OTHER_DATA, P), false), 0);
    assert_int_equal(H->table[H_OTHER_DATA].count, H->other_count[H_OTHER_DATA] + 1);
    assert_int_equal(pt_update_entry(&fc, at, 0, false), 0);
    assert_null(model_check());
    /* Its own rights: privileged, so the I/O frame maps. */
    assert_int_equal(set(l1, 0, pte(H_FIRST_IO, P | RW | _PAGE_PCD)), 0);
    assert_int_equal(set(l1, 1, pte(H_FRAMES + 5, P | RW)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(stale_writable_translation_flushed_before_table, setup),
        cmocka_unit_test_setup(stale_kernel_translation_flushed_before_table, setup),
        cmocka_unit_test_setup(guest_flush_request_drops_global_translations, setup),
        cmocka_unit_test_setup(global_translations_flushed_at_domain_switch, setup),
        cmocka_unit_test_setup(l2_change_drops_global_translations, setup),
        cmocka_unit_test_setup(grant_unmap_drops_its_global_translation, setup),
        cmocka_unit_test_setup(freed_frame_flushed_before_reuse, setup),
        cmocka_unit_test_setup(freed_frame_flushed_before_the_hypervisor_takes_it, setup),
        cmocka_unit_test_setup(foreign_mapping_of_a_queued_table, setup),
        cmocka_unit_test_setup(foreign_mapping_under_the_owners_rights, setup),
    };
    return cmocka_run_group_tests_name("hv-mm-isolation", tests, NULL, NULL);
}
