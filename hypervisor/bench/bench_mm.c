/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the PV memory core on the host: validated PTE updates per
 * second, and pin/unpin of a full 4-level tree (one L4, L3 and L2, 256
 * L1s of 512 present entries each).  The real mm/ code runs over fake
 * machine memory; no hypervisor or guest is involved, so these are the
 * costs of the rules themselves, not of traps or TLB flushes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <mica/errno.h>
#include <mica/mm.h>
#include <mica/string.h>

#define FRAMES 1024
#define NR_L1 256
#define NR_DATA 512

static uint64_t (*mem)[512];
static struct page_info table[FRAMES];
static struct domain dom = { .domain_id = 1 };

void *mm_map_frame(mfn_t mfn) { return mem[mfn]; }
void arch_flush_tlb_all(void) { }
void mm_free_frame(mfn_t mfn) { (void)mfn; }
void bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "BUG %s:%d %s\n", file, line, cond);
    abort();
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int continued(int (*op)(struct pt_ctx *, mfn_t, enum pgt), mfn_t m, enum pgt l)
{
    int rc;
    do {
        struct pt_ctx c = { &dom, PT_BUDGET, NULL };
        rc = op(&c, m, l);
    } while (rc == -ERESTART);
    return rc;
}

static int unpin_op(struct pt_ctx *c, mfn_t m, enum pgt l)
{
    (void)l;
    return pt_unpin(c, m);
}

static int drain(void)
{
    int rc;
    do {
        struct pt_ctx c = { &dom, PT_BUDGET, NULL };
        rc = pt_drain(&c);
    } while (rc == -ERESTART);
    return rc;
}

int main(void)
{
    static struct memmap ram, free;

    mem = aligned_alloc(4096, FRAMES * 4096UL);
    memset(mem, 0, FRAMES * 4096UL);
    ram.nr = free.nr = 1;
    ram.r[0] = free.r[0] = (struct range){ 0, FRAMES * PAGE_SIZE };
    frame_table_init(table, FRAMES, &ram, &free);
    domain_mm_init(&dom, FRAMES);
    domain_register(&dom);
    for (mfn_t m = 0; m < FRAMES; m++)
        assign_page(&dom, m);

    /* Frames: 0 L4, 1 L3, 2 L2, 3.. L1s, then data. */
    mfn_t l4 = 0, l3 = 1, l2 = 2, l1 = 3, data = 3 + NR_L1;
    mem[l4][0] = (l3 << 12) | 3;
    mem[l3][0] = (l2 << 12) | 3;
    for (int i = 0; i < NR_L1; i++) {
        mem[l2][i] = ((l1 + i) << 12) | 3;
        for (int j = 0; j < 512; j++)
            mem[l1 + i][j] = ((data + j % NR_DATA) << 12) | 7;
    }

    const int rounds = 20;
    double pin_t = 0, unpin_t = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        if (continued(pt_pin, l4, PGT_l4))
            abort();
        double t1 = now();
        if (continued(unpin_op, l4, PGT_l4) || drain())
            abort();
        double t2 = now();
        pin_t += t1 - t0;
        unpin_t += t2 - t1;
    }
    double entries = NR_L1 * 512.0 + NR_L1 + 2;

    /* PTE updates on a pinned L1: alternate a RW and a RO mapping of
     * different frames, so each update takes and drops references. */
    if (continued(pt_pin, l1, PGT_l1))
        abort();
    const long n = 2000000;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        struct pt_ctx c = { &dom, PT_BUDGET, NULL };
        uint64_t v = i & 1 ? ((data + 1) << 12) | 7 : ((data + 2) << 12) | 5;
        if (pt_update_entry(&c, l1 * PAGE_SIZE + 8 * (i & 511), v, false))
            abort();
    }
    double upd = now() - t0;

    printf("%-52s %14s\n", "PV memory core (host, real mm/ code)", "result");
    printf("%-52s %11.0f /s\n", "validated L1 PTE updates (refs taken and dropped)", n / upd);
    printf("%-52s %11.1f ns\n", "  per update", upd / n * 1e9);
    printf("%-52s %11.2f ms\n", "pin L4 tree: 256 L1s x 512 entries (131,330 checks)",
           pin_t / rounds * 1e3);
    printf("%-52s %11.2f ms\n", "unpin + devalidate the same tree", unpin_t / rounds * 1e3);
    printf("%-52s %11.1f M/s\n", "entries validated per second (pin)", entries / (pin_t / rounds) / 1e6);
    return 0;
}
