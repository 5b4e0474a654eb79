/* SPDX-License-Identifier: MIT */
/*
 * Request handling: one handler per xenstore message type, reached through
 * one table indexed by type.  Every handler decodes and validates its
 * arguments before it changes anything, and answers with exactly one
 * reply: the result, or XS_ERROR carrying an errno name.
 */
#ifndef XSD_OPS_H
#define XSD_OPS_H

#include <abi/io/xs_wire.h>

struct conn;

void ops_handle(struct conn *c, const struct xsd_sockmsg *h,
                const char *payload);
/* The name XS_ERROR carries for a Xen errno value (EINVAL if unknown). */
const char *ops_errname(int err);

#endif
