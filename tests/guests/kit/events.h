/* SPDX-License-Identifier: MIT */
/*
 * Taking event upcalls in a kit kernel (events.c): kit_events_init() maps
 * shared_info (scratch slot KIT_SHINFO_SLOT) and registers an event
 * callback that stamps the TSC, counts the upcall and consumes every
 * pending port the 2-level way (selector, then words), recording the ports
 * of the first word, then returns with HYPERVISOR_iret like Linux.
 * Events stay masked until the test unmasks them.
 */
#ifndef KIT_EVENTS_H
#define KIT_EVENTS_H

#include <abi/xen.h>
#include "kit.h"

extern volatile struct shared_info *kit_shared;
extern volatile struct vcpu_info *kit_vi;       /* the live vcpu_info */
extern volatile unsigned int kit_upcalls;       /* callbacks taken */
extern volatile uint64_t kit_upcall_ports;      /* ports 0-63 seen pending */
extern volatile uint64_t kit_upcall_tsc;        /* TSC at the last callback */

/* Map shared_info and register the callback; 0 or the failing call's rc. */
long kit_events_init(void);
void kit_events_on(void);       /* unmask; a pending event arrives at once */
void kit_events_off(void);

#endif /* KIT_EVENTS_H */
