/* SPDX-License-Identifier: MIT */
/*
 * System time from vCPU 0's pvclock (vcpu_time_info in shared_info), for
 * kernels that have called kit_events_init(): nanoseconds since boot, the
 * clock SCHEDOP_poll timeouts and timers are given in.  The pvclock rules:
 * retry while the version is odd or changes under us.
 */
#ifndef KIT_CLOCK_H
#define KIT_CLOCK_H

#include "events.h"
#include "kit.h"

/* TSC ticks to nanoseconds by the pvclock's scale. */
static inline uint64_t kit_tsc_to_ns(uint64_t ticks)
{
    int8_t shift = kit_vi->time.tsc_shift;
    uint32_t mul = kit_vi->time.tsc_to_system_mul;

    ticks = shift >= 0 ? ticks << shift : ticks >> -shift;
    return (uint64_t)(((unsigned __int128)ticks * mul) >> 32);
}

static inline uint64_t kit_system_time(void)
{
    for (;;) {
        uint32_t v1 = __atomic_load_n(&kit_vi->time.version, __ATOMIC_ACQUIRE);
        uint64_t ts = kit_vi->time.tsc_timestamp, st = kit_vi->time.system_time;
        uint64_t ns = kit_tsc_to_ns(kit_rdtsc() - ts);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (!(v1 & 1) && v1 == __atomic_load_n(&kit_vi->time.version, __ATOMIC_ACQUIRE))
            return st + ns;
    }
}

#endif /* KIT_CLOCK_H */
