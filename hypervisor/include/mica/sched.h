/* SPDX-License-Identifier: MIT */
/* Blocking a vCPU (common/schedule.c). */
#ifndef MICA_SCHED_H
#define MICA_SCHED_H

struct vcpu;

/* SCHEDOP_block: unmask v's events and wait until one is pending. */
void sched_block(struct vcpu *v);

#endif /* MICA_SCHED_H */
