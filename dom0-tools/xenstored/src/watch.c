/* SPDX-License-Identifier: MIT */
/*
 * Watch registry and event delivery; the matching rules are in watch.h.
 * Events are queued on the watcher's output buffer in the order changes
 * are committed, after any reply already queued, so a client sees its
 * replies and events in the order the store changed.  Matching is a scan
 * of every watch: fine for the tens to hundreds a host has.
 */
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>

#include "conn.h"
#include "path.h"
#include "store.h"
#include "watch.h"

struct watch {
    struct watch *next;
    char *abs;
    char *token;
    bool relative;
};

int watch_add(struct conn *c, const char *abs, bool relative,
              const char *token)
{
    struct watch *w;

    for (w = c->watches; w; w = w->next)
        if (strcmp(w->abs, abs) == 0 && strcmp(w->token, token) == 0)
            return XEN_EEXIST;
    w = calloc(1, sizeof(*w));
    if (!w || !(w->abs = strdup(abs)) || !(w->token = strdup(token))) {
        if (w)
            free(w->abs);
        free(w);
        return XEN_ENOMEM;
    }
    w->relative = relative;
    w->next = c->watches;
    c->watches = w;
    c->nwatch++;
    return 0;
}

static void watch_free(struct watch *w)
{
    free(w->abs);
    free(w->token);
    free(w);
}

int watch_remove(struct conn *c, const char *abs, const char *token)
{
    struct watch **p, *w;

    for (p = &c->watches; (w = *p); p = &w->next)
        if (strcmp(w->abs, abs) == 0 && strcmp(w->token, token) == 0) {
            *p = w->next;
            c->nwatch--;
            watch_free(w);
            return 0;
        }
    return XEN_ENOENT;
}

void watch_remove_all(struct conn *c)
{
    struct watch *w;

    while ((w = c->watches)) {
        c->watches = w->next;
        watch_free(w);
    }
    c->nwatch = 0;
}

static void send_event(struct conn *c, const struct watch *w,
                       const char *path)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    const char *shown = w->relative ? path_strip_home(path, c->domid) : path;
    size_t pl = strlen(shown) + 1, tl = strlen(w->token) + 1;

    /* Paths and tokens come from requests, so this always fits. */
    if (pl + tl > sizeof(buf))
        return;
    memcpy(buf, shown, pl);
    memcpy(buf + pl, w->token, tl);
    conn_send(c, XS_WATCH_EVENT, 0, 0, buf, pl + tl);
}

void watch_fire_initial(struct conn *c, const char *abs, const char *token)
{
    struct watch *w;

    for (w = c->watches; w; w = w->next)
        if (strcmp(w->abs, abs) == 0 && strcmp(w->token, token) == 0)
            send_event(c, w, abs);
}

void watch_fire(const char *path, const struct xs_perm *p, unsigned np,
                bool recursive)
{
    struct conn *c;
    struct watch *w;

    for (c = conn_first(); c; c = c->next) {
        struct xs_who who;

        if (c->dead || !c->watches)
            continue;
        who = conn_who(c);
        if (!(perms_access(&who, p, np) & XS_PERM_READ))
            continue;
        /* A send may kill c (output cap), which frees its watches. */
        for (w = c->watches; w && !c->dead; w = w->next) {
            if (path_is_below(w->abs, path))
                send_event(c, w, path);
            else if (recursive && path_is_below(path, w->abs))
                send_event(c, w, w->abs);
        }
    }
}

void watch_fire_special(const char *name)
{
    const struct xs_perm *p;
    unsigned np;

    store_special_perms(name, &p, &np);
    watch_fire(name, p, np, false);
}
