/* SPDX-License-Identifier: MIT */
/* System time, guest clocks and the one-shot timer (arch/x86/time.c). */
#ifndef MICA_TIME_H
#define MICA_TIME_H

#include <abi/xen.h>
#include <mica/types.h>

#define TIMER_VECTOR 0xf0           /* local APIC timer */

struct vcpu;

void time_init(void);
uint64_t system_time_ns(void);      /* ns since Mica booted */
uint64_t time_tsc_khz(void);
void time_update_vcpu(struct vcpu *v, struct vcpu_time_info *t);
void time_set_wallclock(struct shared_info *s);
void timer_program(uint64_t deadline);  /* system time; 0 = off */
void lapic_eoi(void);

#endif /* MICA_TIME_H */
