/* SPDX-License-Identifier: MIT */
/* xl create and the per-domain monitor it leaves behind. */
#ifndef XL_CREATE_H
#define XL_CREATE_H

#include "xl.h"
#include "xl_cfg.h"

/* Make, build, describe in xenstore and (unless paused) start a domain.
 * XL_OK and *id, or XL_FAIL (said why; nothing of it is left). */
int xl_create_domain(struct xl *x, const struct xl_domain_config *dc, bool paused, domid_t *id);
/* Fork the domain's monitor (xl_monitor.c); returns in the parent. */
int xl_monitor_start(struct xl *x, const struct xl_domain_config *dc, domid_t id);

#endif /* XL_CREATE_H */
