/* SPDX-License-Identifier: MIT */
/*
 * What chaos.c (the loop, the exclusions, the control interface's domain
 * ids) shares with chaos_args.c (the arguments: boundary values by kind,
 * the layout of every structure passed by pointer, and the vCPU context).
 * One seeded generator feeds both, so a seed names one sequence of calls.
 */
#ifndef CHAOS_H
#define CHAOS_H

#include <abi/mica/control.h>
#include "kit.h"

uint64_t chaos_next(void);

/* Set up the argument arena (the last pages of the mapped region, so that
 * a structure or list run past its end meets an unmapped page), the
 * read-only LDT page and the vCPU context template.  0, or -1 with a
 * reason printed. */
int chaos_args_init(void);

/* The page of random bytes structures are built in (refilled per call). */
extern uint8_t *chaos_junk;
void chaos_fill_junk(void);

/* The five arguments of hypercall nr: each of the kind its description
 * gives (a structure by pointer, filled field by field), or the old random
 * words sometimes. */
uint64_t chaos_pick_call(void);
void chaos_args(uint64_t nr, uint64_t a[5]);
/* After the call: a vCPU context that was taken may be brought up. */
void chaos_after(uint64_t nr, const uint64_t a[5], long rc);
void chaos_args_report(void);

/* Whether a call would stop or unmap the caller by design (chaos.c). */
bool chaos_excluded(uint64_t nr, const uint64_t a[5]);

/* A control op's payload, field by field for its command. */
void chaos_ctl_payload(struct mica_ctl_op *op);

/* The control interface's children (chaos.c), also used as domain ids. */
#define CHAOS_MAX_CHILDREN 8
extern domid_t chaos_children[CHAOS_MAX_CHILDREN];
extern unsigned int chaos_nr_children;

#endif /* CHAOS_H */
