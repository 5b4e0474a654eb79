/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll set holding the xenstore watch fd, the
 * event-channel fd(s), every console's pty master and a signalfd for
 * SIGTERM/SIGINT.  Single-threaded: a handler runs to completion, so no
 * console state is ever touched from two places at once.
 *
 * A handler that stopped early to give others a turn (a guest flooding
 * output) asks for another pass with loop_again(); the loop then polls
 * without sleeping until nobody asks.
 */
#ifndef CD_LOOP_H
#define CD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct pollable {
    int fd;
    void (*ready)(struct pollable *p, uint32_t events);
    /* Deferred work: set by loop_again, run once per loop pass. */
    bool again;
    bool dead;                  /* loop_del'd: no more calls */
    struct pollable *next_again;
};

int loop_init(void);            /* 0, or -1 with a log line */
void loop_fini(void);
int loop_add(struct pollable *p, uint32_t events);
void loop_mod(struct pollable *p, uint32_t events);
/* Also forgets a pending loop_again for p. */
void loop_del(struct pollable *p);
void loop_again(struct pollable *p);
/*
 * free(obj) once the current batch of events is handled: events already
 * fetched may still name a pollable inside obj (loop_del marked it dead,
 * so it is skipped, but its memory must stay valid until then).
 */
void loop_free_later(void *obj);
/* Serve until SIGTERM or SIGINT. */
void loop_run(void);

#endif
