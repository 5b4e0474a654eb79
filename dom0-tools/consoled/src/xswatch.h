/* SPDX-License-Identifier: MIT */
/*
 * A watch-only xenstore connection, speaking the wire protocol itself
 * (xs_wire.h: 16-byte header, then payload).  Debian's static
 * libxenstore, which dom0's static binaries link, has no reader thread:
 * its watch events are only read while a request waits for its reply,
 * so there is no fd that becomes readable when an event arrives, and an
 * event arriving while it waits for a reply breaks the connection.  Here
 * the socket itself is polled and events are read as they come; requests
 * (reads, writes) stay on libxenstore's own connection.
 *
 * Where: $XENSTORED_PATH, else /run/xenstored/socket, else the kernel's
 * /dev/xen/xenbus (same wire format), as libxenstore looks.
 */
#ifndef CD_XSWATCH_H
#define CD_XSWATCH_H

#include <stddef.h>

struct xswatch;

/* NULL with errno set. */
struct xswatch *xswatch_open(void);
void xswatch_close(struct xswatch *w);
int xswatch_fd(const struct xswatch *w);
/* Ask for a watch; the reply is read (and dropped) with the events. */
int xswatch_add(struct xswatch *w, const char *path, const char *token);
/*
 * Read what arrived and call fn for each event.  0, or -1 when the
 * connection is gone or spoke nonsense (errno set).
 */
int xswatch_read(struct xswatch *w,
                 void (*fn)(const char *path, const char *token));

#endif
