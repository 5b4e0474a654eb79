/* SPDX-License-Identifier: MIT */
/*
 * A watch-only xenstore connection speaking the wire protocol itself
 * (xs_wire.h: a 16-byte header, then the payload).  Debian's static
 * libxenstore, which dom0's static binaries link, has no reader thread:
 * its watch events are read only while a request waits for its reply, so
 * no fd becomes readable when an event arrives.  Here the socket is polled
 * and events are read as they come; reads and writes stay on a
 * libxenstore connection of their own.  (consoled's xswatch.c is the same
 * idea without UNWATCH, which back ends need: one watch per front end.)
 *
 * Where: $XENSTORED_PATH, else /run/xenstored/socket, else the kernel's
 * /dev/xen/xenbus (same wire format), as libxenstore looks.
 */
#ifndef BE_WATCH_H
#define BE_WATCH_H

struct be_watch;

/* NULL with errno set. */
struct be_watch *be_watch_open(void);
void be_watch_close(struct be_watch *w);
int be_watch_fd(const struct be_watch *w);
/* Ask for (or drop) a watch; replies are read, and dropped, with events. */
int be_watch_add(struct be_watch *w, const char *path, const char *token);
int be_watch_del(struct be_watch *w, const char *path, const char *token);
/*
 * Read what arrived and call fn for each event.  0, or -1 when the
 * connection is gone or spoke nonsense (errno set).
 */
int be_watch_read(struct be_watch *w, void (*fn)(const char *path, const char *token));

#endif
