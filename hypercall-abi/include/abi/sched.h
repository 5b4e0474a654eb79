/* SPDX-License-Identifier: MIT */
/*
 * Scheduler operations (hypercall 29, sched_op(cmd, arg)): yield, block
 * until an event, poll a set of ports, and shut the domain down.  Linux
 * relies on SCHEDOP_block clearing the upcall mask (its idle "sti; hlt")
 * and on SCHEDOP_shutdown never returning.
 */
#ifndef ABI_SCHED_H
#define ABI_SCHED_H

#include <abi/event_channel.h>

#define SCHEDOP_yield            0  /* arg unused */
#define SCHEDOP_block            1  /* arg unused; unmasks events */
#define SCHEDOP_shutdown         2  /* struct sched_shutdown */
#define SCHEDOP_poll             3  /* struct sched_poll */
#define SCHEDOP_remote_shutdown  4  /* struct sched_remote_shutdown */
#define SCHEDOP_shutdown_code    5  /* struct sched_shutdown: record only */
#define SCHEDOP_watchdog         6  /* struct sched_watchdog */
#define SCHEDOP_pin_override     7  /* struct sched_pin_override (dom0) */

struct sched_shutdown {
    uint32_t reason;        /* IN: SHUTDOWN_* */
};
typedef struct sched_shutdown sched_shutdown_t;
DEFINE_XEN_GUEST_HANDLE(sched_shutdown_t);
_Static_assert(sizeof(struct sched_shutdown) == 4, "sched_shutdown");

/* Block until one of the ports is pending or the timeout passes. */
struct sched_poll {
    XEN_GUEST_HANDLE(evtchn_port_t) ports;  /* IN */
    uint32_t nr_ports;                      /* IN */
    uint8_t  _pad[4];                       /* Xen: implicit padding */
    uint64_t timeout;                       /* IN: absolute ns, 0 = none */
};
typedef struct sched_poll sched_poll_t;
DEFINE_XEN_GUEST_HANDLE(sched_poll_t);
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll");

struct sched_remote_shutdown {
    domid_t  domain_id;     /* IN */
    uint8_t  _pad[2];       /* Xen: implicit padding */
    uint32_t reason;        /* IN: SHUTDOWN_* */
};
typedef struct sched_remote_shutdown sched_remote_shutdown_t;
DEFINE_XEN_GUEST_HANDLE(sched_remote_shutdown_t);
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "sched_remote_shutdown");

struct sched_watchdog {
    uint32_t id;            /* IN: 0 = new watchdog; OUT: its id */
    uint32_t timeout;       /* IN: seconds; 0 = destroy */
};
typedef struct sched_watchdog sched_watchdog_t;
DEFINE_XEN_GUEST_HANDLE(sched_watchdog_t);
_Static_assert(sizeof(struct sched_watchdog) == 8, "sched_watchdog");

struct sched_pin_override {
    int32_t pcpu;           /* IN: physical CPU, or -1 to end the override */
};
typedef struct sched_pin_override sched_pin_override_t;
DEFINE_XEN_GUEST_HANDLE(sched_pin_override_t);
_Static_assert(sizeof(struct sched_pin_override) == 4, "sched_pin_override");

/* Shutdown reasons (also reported to the toolstack). */
#define SHUTDOWN_poweroff    0
#define SHUTDOWN_reboot      1
#define SHUTDOWN_suspend     2
#define SHUTDOWN_crash       3
#define SHUTDOWN_watchdog    4
#define SHUTDOWN_soft_reset  5
#define SHUTDOWN_MAX         5

#endif /* ABI_SCHED_H */
