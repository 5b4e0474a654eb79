/* SPDX-License-Identifier: MIT */
/* Domains' consoles on the serial line (common/console.c). */
#ifndef MICA_CONSOLE_H
#define MICA_CONSOLE_H

#include <mica/types.h>

struct domain;

/* Bytes of `want` that d may write to the serial line now (rate limit of
 * unprivileged domains); with all_or_none, want or 0. */
size_t console_take_tokens(struct domain *d, size_t want, bool all_or_none);
/* Give d a console ring (its page d->cons_mfn, set by the builder): a port
 * whose other end is Mica, written into its start_info if Mica built it
 * (d->start_info_mfn), else left to the toolstack's builder. */
int console_attach(struct domain *d);
/* A dying domain's ring is no longer served (its frame is let go). */
void console_detach(struct domain *d);
/* console_io output of d (not rate-limited here), and a note on its
 * console ("[N bytes of output dropped]"). */
void console_io_write(struct domain *d, const char *s, size_t n);
void console_io_note(struct domain *d, const char *note);
/* Copy what d wrote to its ring to the serial line (as the rate allows). */
void console_ring_drain(struct domain *d);
/* Out with everything d has written, unfinished lines too. */
void console_flush(struct domain *d);
/* d stopped: console_flush, and the input moves to the first domain still
 * running if d had it. */
void console_domain_stopped(struct domain *d);
/* Every timer tick: drain every ring. */
void console_tick(void);
/* Serial input arrived (the COM1 interrupt): route it to the focus. */
void console_rx(void);
void console_set_initial_focus(void);
/* The privileged domain's input (CONSOLEIO_read): look, then take. */
size_t console_read(char *buf, size_t len);
void console_read_done(size_t n);

#endif /* MICA_CONSOLE_H */
