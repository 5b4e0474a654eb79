/* SPDX-License-Identifier: MIT */
/*
 * Tracking domains through xenstore (see domains.h).  Values are written
 * by the toolstack, but a key can still be malformed or half-written, so
 * each is parsed strictly and a bad one is logged and ignored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <xenstore.h>

#include "domains.h"
#include "log.h"
#include "loop.h"

#define DOMID_FIRST_RESERVED 0x7FF0u
#define MAX_PORT             (1u << 17)     /* FIFO ABI's limit */
#define QUEUE_MIN            4096u
#define QUEUE_MAX            (16u << 20)

struct dom {
    unsigned domid;
    struct console *con;
    bool seen;                  /* in the current /local/domain listing */
    struct dom *next;
};

static const struct console_cfg *cfg;
static struct dom *doms;
static struct pollable xs_p;

/* Decimal without sign, spaces or overflow: *v, or false. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    uint64_t x = 0;

    if (!s || !*s || strlen(s) > 20)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (x > (UINT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    if (x > max)
        return false;
    *v = x;
    return true;
}

static char *read_key(unsigned domid, const char *key)
{
    char path[96];
    unsigned len;

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
    return xs_read(cfg->xs, XBT_NULL, path, &len);
}

static void watch_dom(unsigned domid, bool on)
{
    static const char *const keys[] = { "console", "name" };
    char path[96];

    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, keys[i]);
        if (on ? !xs_watch(cfg->xs, path, "dom")
               : !xs_unwatch(cfg->xs, path, "dom"))
            cd_log("dom%u: cannot %swatch %s: %s", domid, on ? "" : "un",
                   path, strerror(errno));
    }
}

static struct dom *find(unsigned domid)
{
    for (struct dom *d = doms; d; d = d->next)
        if (d->domid == domid)
            return d;
    return NULL;
}

static void close_con(struct dom *d, const char *why)
{
    if (d->con) {
        console_close(d->con, why);
        d->con = NULL;
    }
}

/* The keys of a console we serve: false (and why) when there is none. */
struct keys {
    uint64_t mfn, port, limit;
    char *name;
};

static bool read_keys(unsigned domid, struct keys *k, const char **why)
{
    char *ref = read_key(domid, "console/ring-ref");
    char *port = read_key(domid, "console/port");
    char *type = read_key(domid, "console/type");
    char *limit = read_key(domid, "console/limit");
    bool ok = false;

    k->name = read_key(domid, "name");
    k->limit = 0;
    if (!ref || !port)
        *why = "console keys removed";
    else if (!k->name)
        *why = "domain name removed";
    else if (type && strcmp(type, "xenconsoled"))
        *why = "console type is not xenconsoled";
    else if (!parse_u64(ref, UINT64_MAX >> 12, &k->mfn))
        *why = "console/ring-ref is not a frame number";
    else if (!parse_u64(port, MAX_PORT - 1, &k->port) || !k->port)
        *why = "console/port is not an event channel port";
    else
        ok = true;
    /* A bad limit is not fatal: the default applies. */
    if (ok && limit && (!parse_u64(limit, UINT64_MAX, &k->limit) ||
                        k->limit < QUEUE_MIN))
        k->limit = 0;
    if (k->limit > QUEUE_MAX)
        k->limit = QUEUE_MAX;
    free(ref);
    free(port);
    free(type);
    free(limit);
    if (!ok) {
        free(k->name);
        k->name = NULL;
    }
    return ok;
}

/* Re-read one domain's keys and bring its console in line with them. */
static void eval(struct dom *d)
{
    const char *why = NULL;
    struct keys k;

    if (!read_keys(d->domid, &k, &why)) {
        /* Absent keys are normal (not yet written, or torn down). */
        if (d->con)
            close_con(d, why);
        else if (strstr(why, " is not "))
            cd_log("dom%u: %s: not served", d->domid, why);
        return;
    }
    if (d->con && console_same(d->con, k.mfn, (unsigned)k.port)) {
        free(k.name);           /* serving it, or stopped on these keys */
        return;
    }
    close_con(d, "console/ring-ref or console/port changed");
    d->con = console_open(cfg, d->domid, k.mfn, (unsigned)k.port, k.name,
                          k.limit);
    free(k.name);
}

static void forget(struct dom **dp)
{
    struct dom *d = *dp;

    *dp = d->next;
    close_con(d, "domain gone from xenstore");
    watch_dom(d->domid, false);
    free(d);
}

/* List /local/domain: track the new, forget the vanished. */
static void scan(void)
{
    unsigned n = 0;
    char **ents = xs_directory(cfg->xs, XBT_NULL, "/local/domain", &n);
    struct dom *d, **dp;

    for (d = doms; d; d = d->next)
        d->seen = false;
    for (unsigned i = 0; ents && i < n; i++) {
        uint64_t id;
        if (!parse_u64(ents[i], DOMID_FIRST_RESERVED - 1, &id))
            continue;
        if ((d = find((unsigned)id))) {
            d->seen = true;
            continue;
        }
        if (!(d = calloc(1, sizeof(*d)))) {
            cd_log("dom%u: out of memory", (unsigned)id);
            continue;
        }
        d->domid = (unsigned)id;
        d->seen = true;
        d->next = doms;
        doms = d;
        watch_dom(d->domid, true);  /* its first event evaluates it */
    }
    free(ents);
    for (dp = &doms; *dp;) {
        if (!(*dp)->seen)
            forget(dp);
        else
            dp = &(*dp)->next;
    }
}

/* "/local/domain/N/..." -> N. */
static bool path_domid(const char *path, unsigned *domid)
{
    static const char pre[] = "/local/domain/";
    char digits[8];
    size_t i;
    uint64_t v;

    if (strncmp(path, pre, sizeof(pre) - 1))
        return false;
    path += sizeof(pre) - 1;
    for (i = 0; path[i] && path[i] != '/' && i < sizeof(digits) - 1; i++)
        digits[i] = path[i];
    digits[i] = '\0';
    if (path[i] && path[i] != '/')
        return false;
    if (!parse_u64(digits, DOMID_FIRST_RESERVED - 1, &v))
        return false;
    *domid = (unsigned)v;
    return true;
}

static void on_watch(const char *path, const char *token)
{
    unsigned domid;
    struct dom *d;

    if (!strcmp(token, "domains")) {
        scan();
        return;
    }
    if (path_domid(path, &domid) && (d = find(domid)))
        eval(d);
}

static void xs_ready(struct pollable *p, uint32_t events)
{
    char **w;

    (void)events;
    while ((w = xs_check_watch(cfg->xs))) {
        on_watch(w[XS_WATCH_PATH], w[XS_WATCH_TOKEN]);
        free(w);
    }
    if (errno != EAGAIN) {
        /* Consoles we have keep working; new ones cannot be learnt. */
        cd_log("lost the xenstore connection: %s (serving the consoles "
               "already open)", strerror(errno));
        loop_del(p);
    }
}

int domains_init(const struct console_cfg *c)
{
    cfg = c;
    xs_p.fd = xs_fileno(cfg->xs);
    xs_p.ready = xs_ready;
    if (xs_p.fd < 0 || loop_add(&xs_p, EPOLLIN)) {
        cd_log("cannot wait for xenstore watch events");
        return -1;
    }
    if (!xs_watch(cfg->xs, "@introduceDomain", "domains") ||
        !xs_watch(cfg->xs, "@releaseDomain", "domains")) {
        cd_log("cannot watch @introduceDomain/@releaseDomain: %s",
               strerror(errno));
        return -1;
    }
    return 0;
}

void domains_fini(void)
{
    while (doms) {
        struct dom *d = doms;
        doms = d->next;
        close_con(d, "consoled stopping");
        free(d);
    }
    loop_del(&xs_p);
}
