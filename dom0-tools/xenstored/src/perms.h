/* SPDX-License-Identifier: MIT */
/*
 * Node permissions.  A list of (domid, mode) entries: entry 0 names the
 * owner (who always has full access) and its mode is the default for any
 * domain not listed later; later entries grant one domain a mode, first
 * match wins.  Wire form: one string per entry, a letter n/r/w/b followed
 * by the decimal domid ("n0", "r5").  Privileged callers bypass all of it,
 * and a domain given a target by SET_TARGET also has the target's rights.
 */
#ifndef XSD_PERMS_H
#define XSD_PERMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Xen's xenstore_lib.h values, defined here because we keep no libxenstore. */
#define XS_PERM_NONE  0
#define XS_PERM_READ  1
#define XS_PERM_WRITE 2
#define XS_PERM_BOTH  3
#define XS_PERM_OWNER 8     /* only in access requests, never stored */

#define DOMID_MAX 65535u

struct xs_perm {
    uint16_t domid;
    uint8_t mode;           /* XS_PERM_NONE/READ/WRITE/BOTH */
};

/* Who is asking: derived from the connection. */
struct xs_who {
    uint16_t domid;
    bool priv;
    bool has_target;
    uint16_t target;
};

/*
 * Parse `n` consecutive NUL-terminated entries from buf[len] into out[max].
 * Returns 0, XEN_EINVAL (bad string) or XEN_ENOSPC (more than max).
 */
int perms_parse(const char *buf, size_t len, struct xs_perm *out,
                unsigned max, unsigned *n);
/* Format as "n0\0r5\0"; returns bytes written (out must hold n * 8). */
size_t perms_format(const struct xs_perm *p, unsigned n, char *out);
/* The access bits (XS_PERM_*, plus XS_PERM_OWNER) `who` has. */
unsigned perms_access(const struct xs_who *who, const struct xs_perm *p,
                      unsigned n);
/* Strict decimal in [0, max]; false on junk, empty or overflow. */
bool parse_uint(const char *s, unsigned long max, unsigned long *out);

#endif
