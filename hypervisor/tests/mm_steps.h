/* SPDX-License-Identifier: MIT */
/*
 * Steps of the memory core's cmocka tests (tests/mm_steps.c): run a
 * request through model and code, and fail the test on any disagreement.
 */
#ifndef MM_STEPS_H
#define MM_STEPS_H

#include "mm_model.h"

#define BIG 1000000L        /* a budget that never runs out */
#define P   _PAGE_PRESENT
#define RW  _PAGE_RW
#define US  _PAGE_USER

extern int cur_seed, cur_step;      /* for failure messages */

void steps_reset(void);
/* Model and code must agree; counts recount; the TLB model finds nothing. */
int run(struct h_req r, long budget);
mfn_t alloc(void);
int set(mfn_t table, unsigned int idx, uint64_t val);
int pin(mfn_t m, unsigned int level, long budget);
int unpin(mfn_t m);
int base(mfn_t m, long budget);
int op(enum h_op o);       /* a request with no operands */

#endif /* MM_STEPS_H */
