/* SPDX-License-Identifier: MIT */
/*
 * Watches: a (path, token) pair per registration on a connection.  A watch
 * on P fires for changes to P and everything below it; when a subtree is
 * removed, watches inside it fire with their own path.  The special names
 * @introduceDomain and @releaseDomain match only themselves.  An event
 * goes to a connection only if it may read the changed node.
 */
#ifndef XSD_WATCH_H
#define XSD_WATCH_H

#include <stdbool.h>

#include "perms.h"

struct conn;

/* abs: canonical path; relative: the client gave a relative path. */
int watch_add(struct conn *c, const char *abs, bool relative,
              const char *token);
int watch_remove(struct conn *c, const char *abs, const char *token);
void watch_remove_all(struct conn *c);
/* The event a new watch gets at once. */
void watch_fire_initial(struct conn *c, const char *abs, const char *token);
void watch_fire(const char *path, const struct xs_perm *p, unsigned np,
                bool recursive);
void watch_fire_special(const char *name);

#endif
