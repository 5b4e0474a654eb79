/* SPDX-License-Identifier: MIT */
/*
 * Which domains have a console to serve, learnt from xenstore alone:
 * @introduceDomain and @releaseDomain make us re-list /local/domain
 * (vanished domains are forgotten); a watch on /local/domain re-reads
 * one domain's keys whenever /local/domain/N itself, its name or its
 * console directory changes (other paths are ignored):
 *
 *   console/ring-ref (frame number), console/port, console/type (absent
 *   or "xenconsoled"), console/limit (optional: bytes kept for the pty),
 *   name (the log file's name; a domain without one is not served)
 *
 * and opens, keeps, reopens (new ring-ref or port) or closes its console.
 */
#ifndef CD_DOMAINS_H
#define CD_DOMAINS_H

#include "console.h"

/* Watch and scan; 0, or -1 with a log line. */
int domains_init(const struct console_cfg *cfg);
/* Close every console (their logs stay). */
void domains_fini(void);

#endif
