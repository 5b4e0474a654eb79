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
#include "xswatch.h"
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
/* Watches live on a connection of their own (see xswatch.h). */
static struct xswatch *wh;

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
    free(d);
}

static struct dom *find_or_add(unsigned domid)
{
    struct dom *d = find(domid);

    if (d)
        return d;
    if (!(d = calloc(1, sizeof(*d)))) {
        cd_log("dom%u: out of memory", domid);
        return NULL;
    }
    d->domid = domid;
    d->next = doms;
    doms = d;
    return d;
}

/* List /local/domain: evaluate every domain, forget the vanished. */
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
        if ((d = find_or_add((unsigned)id))) {
            d->seen = true;
            eval(d);
        }
    }
    free(ents);
    for (dp = &doms; *dp;) {
        if (!(*dp)->seen)
            forget(dp);
        else
            dp = &(*dp)->next;
    }
}

/*
 * "/local/domain/N", "/local/domain/N/name" or "/local/domain/N/console..."
 * -> N: the only paths whose change can matter to N's console.
 */
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
    if (path[i] && strcmp(path + i, "/name") && strncmp(path + i, "/console", 8))
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
    if (path_domid(path, &domid) && (d = find_or_add(domid)))
        eval(d);
}

static void xs_ready(struct pollable *p, uint32_t events)
{
    (void)events;
    if (xswatch_read(wh, on_watch)) {
        /* Consoles we have keep working; new ones cannot be learnt. */
        cd_log("lost the xenstore watch connection: %s (serving the "
               "consoles already open)", strerror(errno));
        loop_del(p);
    }
}

int domains_init(const struct console_cfg *c)
{
    cfg = c;
    if (!(wh = xswatch_open())) {
        cd_log("cannot reach xenstored for watches: %s", strerror(errno));
        return -1;
    }
    xs_p.fd = xswatch_fd(wh);
    xs_p.ready = xs_ready;
    if (loop_add(&xs_p, EPOLLIN) ||
        xswatch_add(wh, "@introduceDomain", "domains") ||
        xswatch_add(wh, "@releaseDomain", "domains") ||
        xswatch_add(wh, "/local/domain", "dom")) {
        cd_log("cannot set xenstore watches: %s", strerror(errno));
        return -1;
    }
    return 0;                   /* each watch's first event scans */
}

void domains_fini(void)
{
    while (doms) {
        struct dom *d = doms;
        doms = d->next;
        close_con(d, "consoled stopping");
        free(d);
    }
    if (wh) {
        loop_del(&xs_p);
        xswatch_close(wh);
        wh = NULL;
    }
}
