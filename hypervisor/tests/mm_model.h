/* SPDX-License-Identifier: MIT */
/*
 * Host harness and reference model for the PV memory core (mm/page.c,
 * mm/pt.c).  The harness provides fake machine memory and the hooks the
 * real code needs; the model decides, the slow and obvious way, what each
 * operation should do, and checks every count after it.
 */
#ifndef MM_MODEL_H
#define MM_MODEL_H

#include <mica/mm.h>

#define H_FRAMES 48         /* frames in the fake machine */
#define H_DOM    1          /* the guest under test */
#define H_OTHER  2          /* another guest */
#define H_MAX_ROOTS 8

/* Frame layout of the fake machine. */
#define H_FIRST_IO    0     /* 0-1: I/O */
#define H_FIRST_XEN   2     /* 2-3: the hypervisor's */
#define H_FIRST_OTHER 4     /* 4-7: the other guest's */
#define H_FIRST_FREE  8     /* 8-47: free, handed to H_DOM by alloc */

/* The other guest's own page tables, pinned at h_init(): an L2 whose
 * entry 0 is an L1 mapping the data frame writable (user: global) and the
 * last frame read-only (user: global) and writable (kernel). */
#define H_OTHER_L2   4
#define H_OTHER_L1   5
#define H_OTHER_DATA 6
#define H_OTHER_RO   7

struct harness {
    struct domain d, other;
    uint64_t mem[H_FRAMES][512];
    struct page_info table[H_FRAMES];
    unsigned int flushes;
    unsigned int frees;
    /* Roots: frames referenced as base pointers (level 4) by the test. */
    mfn_t base[H_MAX_ROOTS];
    unsigned int nr_base;
    bool privileged;
    mfn_t last_alloc;       /* the frame the last OP_ALLOC gave */
    bool defer_drain;       /* batch mode: leave the queue for h_drain() */
    mfn_t xen_frame;        /* the frame OP_XEN gave the hypervisor, or INVALID_MFN */
    /* The other domain's counts, as its tables left them (h_other_snapshot). */
    uint32_t other_count[H_FRAMES], other_tcount[H_FRAMES];
    char tlb_bad[320];      /* the first violation the TLB model saw, or "" */
};

extern struct harness *H;

void h_init(bool privileged);
/* Take the other domain's present counts as the ones model_check expects. */
void h_other_snapshot(void);
uint64_t pte(mfn_t target, uint64_t flags);

/* Operations as the hypercall layer will run them: continued after
 * -ERESTART until done (budget per attempt), then the queue drained. */
int h_pin(mfn_t mfn, enum pgt level, long budget);
int h_unpin(mfn_t mfn, long budget);
int h_update(mfn_t table, unsigned int idx, uint64_t val, bool preserve_ad, long budget);
int h_base_set(mfn_t mfn, long budget);     /* add a base-pointer root */
int h_base_drop(unsigned int slot, long budget);
int h_alloc(mfn_t *out);
int h_drain(long budget);
int h_release(mfn_t mfn, long budget);

/*
 * Model: predict an operation's result on the current state (0 or -EINVAL),
 * and check the whole frame table against a full recount.  model_check()
 * returns NULL when all is well, else a description of the first mismatch.
 */
enum h_op { OP_PIN, OP_UNPIN, OP_UPDATE, OP_BASE_SET, OP_BASE_DROP, OP_ALLOC, OP_RELEASE,
            OP_FLUSH,       /* the running guest asks for a TLB flush */
            OP_SWITCH,      /* the CPU switches to the other domain */
            OP_XEN };       /* the hypervisor takes a free frame (giving back its last) */
struct h_req {
    enum h_op op;
    mfn_t mfn;
    unsigned int level;     /* OP_PIN */
    unsigned int idx;       /* OP_UPDATE; OP_BASE_DROP: slot */
    uint64_t val;           /* OP_UPDATE */
};
/* H_DOM's operations run while H_DOM runs: h_run switches back to it first
 * when H_OTHER runs.  After every step the TLB model (tests/tlb_model.h)
 * checks its rules; the first violation stays in H->tlb_bad. */
int model_predict(const struct h_req *r);
int h_run(const struct h_req *r, long budget);
const char *model_check(void);
/* Whether some frame was released but is still referenced (not yet freed). */
bool model_has_released(void);

#endif /* MM_MODEL_H */
