/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll set holding the listening Unix socket, every
 * client socket and every ring's event-channel fd.  Single-threaded; after
 * each wake-up every connection with queued output is serviced, then dead
 * connections are freed.
 */
#ifndef XSD_LOOP_H
#define XSD_LOOP_H

#include <signal.h>
#include <stdint.h>

struct pollable {
    int fd;
    void (*ready)(struct pollable *p, uint32_t events);
};

int loop_add(struct pollable *p, uint32_t events);
void loop_mod(struct pollable *p, uint32_t events);
void loop_del(struct pollable *p);

/* Create the socket (mode 0600) at path; 0 or -1 with a log line. */
int loop_init(const char *socket_path);
/* Serve until *stop becomes non-zero. */
void loop_run(volatile sig_atomic_t *stop);
void loop_fini(void);

#endif
