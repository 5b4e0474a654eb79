/* SPDX-License-Identifier: MIT */
/*
 * The event loop every back end runs: one epoll set holding the xenstore
 * watch connection, the event-channel device, the I/O engine's completion
 * fd and a signalfd for SIGTERM/SIGINT.  Single-threaded: a handler runs
 * to completion, so no device is ever touched from two places at once.
 *
 * Why one process for every device rather than one per device: the work
 * per request is a grant copy (one ioctl) and an io_uring submission; a
 * process per device would add a process, an event-channel handle, a
 * gntdev handle and an io_uring per disk for nothing, and a guest with
 * four disks would need four daemons supervised.  One loop also makes
 * restart one command.  Isolation between guests does not depend on it:
 * every guest value is validated before use, and a broken ring stops only
 * its own device.  If one core stops being enough, the loop can be run
 * once per thread with devices spread over them.
 */
#ifndef BE_LOOP_H
#define BE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct pollable {
    int fd;
    void (*ready)(struct pollable *p, uint32_t events);
    bool dead;                  /* be_loop_del'd: no more calls */
};

int be_loop_init(void);         /* 0, or -1 with a log line */
void be_loop_fini(void);
int be_loop_add(struct pollable *p, uint32_t events);
void be_loop_del(struct pollable *p);
/*
 * free(obj) once the current batch of events is handled: an event already
 * fetched may still name a pollable inside obj (be_loop_del marked it
 * dead, so it is skipped, but its memory must stay valid until then).
 */
void be_loop_free_later(void *obj);
/* Serve until SIGTERM or SIGINT (or be_loop_stop). */
void be_loop_run(void);
void be_loop_stop(void);

#endif
