/* SPDX-License-Identifier: MIT */
/*
 * Xenstore path rules (docs/misc/xenstore.txt): absolute paths start with
 * "/", relative ones are taken under the caller's home /local/domain/<id>,
 * only [A-Za-z0-9/_@-] are allowed, no "//", no trailing "/" except "/"
 * itself, and the two special names @introduceDomain / @releaseDomain are
 * accepted only where a caller says so (watches and permissions).
 */
#ifndef XSD_PATH_H
#define XSD_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include <abi/io/xs_wire.h>

#define PATH_BUF (XENSTORE_ABS_PATH_MAX + 1)
#define XS_SPECIAL_INTRODUCE "@introduceDomain"
#define XS_SPECIAL_RELEASE   "@releaseDomain"

/*
 * Canonicalise `in` into out[PATH_BUF]; `rel_max` (0 = none) caps the part
 * after /local/domain/<id>/, the "path-max" quota.  Returns 0 or XEN_EINVAL.
 */
int path_canon(char *out, const char *in, unsigned domid, unsigned rel_max,
               bool allow_special);

bool path_is_special(const char *p);
/* True when `p` is `pre` or lies below it. */
bool path_is_below(const char *pre, const char *p);
/* Parent of an absolute non-root path into out[PATH_BUF]. */
void path_parent(char *out, const char *p);
const char *path_base(const char *p);
/* The event path for a relative watch: `abs` without "/local/domain/<id>/". */
const char *path_strip_home(const char *abs, unsigned domid);

#endif
