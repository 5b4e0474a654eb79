/* SPDX-License-Identifier: MIT */
/*
 * One domain's console: its ring page (struct xencons_interface), its
 * event channel, a pty whose path is published as console/tty, and its
 * log file.  Everything on the page is the guest's and hostile: the
 * indices go through ring-io's byte rings, which never trust an index
 * back from the page, and an illegal one stops this console (the pty and
 * binding are released, the log kept) and nothing else.
 *
 * Output is never allowed to stall the guest: the out ring is drained
 * whenever the guest notifies, into the log file and a bounded queue for
 * the pty that drops its oldest bytes when nobody reads (buf.h).  The
 * daemon holds the pty's slave side open itself, so the master never
 * sees a hang-up when a reader (xl console) comes and goes.
 */
#ifndef CD_CONSOLE_H
#define CD_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

struct xs_handle;
struct console;

struct console_cfg {
    const struct cons_backend *be;
    struct xs_handle *xs;       /* to publish console/tty */
    const char *log_dir;        /* guest-NAME.log; created if missing */
    size_t pty_queue;           /* default bytes kept for the pty */
};

/*
 * Start serving domid's console (page mfn, guest port `port`, logs as
 * `name`, queue_limit bytes for the pty or 0 for the default); NULL with
 * a log line.
 */
struct console *console_open(const struct console_cfg *cfg, unsigned domid,
                             uint64_t mfn, unsigned port, const char *name,
                             size_t queue_limit);
/* Release everything; console/tty is removed.  why goes to the log. */
void console_close(struct console *c, const char *why);

/* What the console was opened with, to notice a changed key. */
bool console_same(const struct console *c, uint64_t mfn, unsigned port);
/* Stopped after a ring-index violation: serves nothing, waits for new keys. */
bool console_stopped(const struct console *c);

#endif
