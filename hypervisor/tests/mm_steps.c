/* SPDX-License-Identifier: MIT */
/*
 * Steps of the memory core's cmocka tests (test_mm, test_mm_isolation):
 * each request runs through the reference model and the real code
 * (tests/mm_model.h), which must agree; after each, every count must
 * equal a full recount and the TLB model (tests/tlb_model.h) must have
 * found nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mm_steps.h"

int cur_seed = -1, cur_step = -1;            /* for failure messages */

/* The last requests run, printed when the TLB model objects. */
static struct h_req history[8];
static unsigned int nr_history;

static void print_history(void)
{
    unsigned int n = nr_history < ARRAY_SIZE(history) ? nr_history : ARRAY_SIZE(history);

    for (unsigned int k = nr_history - n; k < nr_history; k++) {
        const struct h_req *q = &history[k % ARRAY_SIZE(history)];
        print_message("  op %d mfn %lu level %u idx %u val %#lx\n",
                      q->op, q->mfn, q->level, q->idx, q->val);
    }
}

/* Run a request through model and code; they must agree, counts recount,
 * and the TLB model finds no translation that breaks its rules. */
int run(struct h_req r, long budget)
{
    int want = model_predict(&r);
    int got = h_run(&r, budget);
    const char *bad;

    history[nr_history++ % ARRAY_SIZE(history)] = r;
    if (H->tlb_bad[0]) {
        print_history();
        fail_msg("seed %d step %d: after op %d mfn %lu: %s", cur_seed, cur_step, r.op,
                 r.mfn, H->tlb_bad);
    }

    /* Batch mode (no drain between operations) is the safety net for an
     * entry point that forgot to drain first: tables still queued keep
     * their children's types, so the code may refuse what the model (and
     * Xen, which devalidates eagerly) allows -- but never the reverse. */
    if (H->defer_drain && want != 0 && got == 0)
        fail_msg("seed %d step %d: op %d mfn %lu accepted in a batch, model refuses",
                 cur_seed, cur_step, r.op, r.mfn);
    if (!H->defer_drain && want != got)
        fail_msg("seed %d step %d budget %ld: op %d mfn %lu idx %u val %#lx: model %d, code %d",
                 cur_seed, cur_step, budget, r.op, r.mfn, r.idx, r.val, want, got);
    if (H->defer_drain)
        return got;         /* counts are checked once the batch drains */
    if ((bad = model_check()))
        fail_msg("after op %d mfn %lu: %s", r.op, r.mfn, bad);
    return got;
}

mfn_t alloc(void)
{
    assert_int_equal(run((struct h_req){ .op = OP_ALLOC }, BIG), 0);
    return H->last_alloc;
}

int set(mfn_t table, unsigned int idx, uint64_t val)
{
    return run((struct h_req){ .op = OP_UPDATE, .mfn = table, .idx = idx, .val = val }, BIG);
}

int pin(mfn_t m, unsigned int level, long budget)
{
    return run((struct h_req){ .op = OP_PIN, .mfn = m, .level = level }, budget);
}

int unpin(mfn_t m)
{
    return run((struct h_req){ .op = OP_UNPIN, .mfn = m }, BIG);
}

int base(mfn_t m, long budget)
{
    return run((struct h_req){ .op = OP_BASE_SET, .mfn = m }, budget);
}

int op(enum h_op o)
{
    return run((struct h_req){ .op = o }, BIG);
}

void steps_reset(void)
{
    cur_seed = cur_step = -1;
    nr_history = 0;
}
