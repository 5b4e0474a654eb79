/* SPDX-License-Identifier: MIT */
/*
 * Domain table, INTRODUCE / RELEASE / RESUME / SET_TARGET, node ownership
 * counts and quotas (see domain.h).  A host has few domains, so the table
 * is a plain array searched linearly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "ops.h"
#include "path.h"
#include "perms.h"
#include "ring.h"
#include "store.h"
#include "watch.h"

/* Xen's defaults (tools/xenstored/domain.c). */
struct xs_quota quota = {
    .nodes = 1000, .node_size = 2048, .watches = 128, .transactions = 10,
    .txn_nodes = 1024, .perms = 5, .path_max = XENSTORE_REL_PATH_MAX,
};

static struct domain **doms;
static size_t ndoms, capdoms;
static uint32_t nodes_owned[DOMID_MAX + 1];

static struct domain **slot(unsigned domid)
{
    size_t i;

    for (i = 0; i < ndoms; i++)
        if (doms[i]->domid == domid)
            return &doms[i];
    return NULL;
}

struct domain *domain_find(unsigned domid)
{
    struct domain **s = slot(domid);

    return s ? *s : NULL;
}

int domain_introduce(unsigned domid, uint64_t mfn, unsigned port)
{
    struct domain *d = domain_find(domid), **nd;
    int err;

    if (d) {
        /* As in Xen: a known domain only gets its event channel rebound
         * (a resumed guest has a new port). */
        xs_log("dom%u introduced again (port %u)", domid, port);
        return ring_rebind(d, port);
    }
    if (ndoms == capdoms) {
        nd = realloc(doms, (capdoms ? capdoms * 2 : 8) * sizeof(*doms));
        if (!nd)
            return XEN_ENOMEM;
        doms = nd;
        capdoms = capdoms ? capdoms * 2 : 8;
    }
    d = calloc(1, sizeof(*d));
    if (!d)
        return XEN_ENOMEM;
    d->domid = (uint16_t)domid;
    d->mfn = mfn;
    d->port = port;
    if ((err = ring_attach(d, &d->conn))) {
        free(d);
        return err;
    }
    doms[ndoms++] = d;
    xs_log("dom%u introduced (mfn %llu, port %u, %s)", domid,
           (unsigned long long)mfn, port, d->conn ? "ring" : "no ring");
    watch_fire_special(XS_SPECIAL_INTRODUCE);
    return 0;
}

/* Forget the domain in slot s: everything RELEASE does but the watch. */
static void release_slot(struct domain **s, const char *why)
{
    struct domain *d = *s;
    unsigned domid = d->domid;
    size_t i;

    if (d->conn)
        conn_kill(d->conn, why);
    for (i = 0; i < ndoms; i++)     /* nobody may act as it any more */
        if (doms[i]->has_target && doms[i]->target == domid)
            doms[i]->has_target = false;
    *s = doms[--ndoms];
    free(d);
    store_forget_domain(domid);
    xs_log("dom%u released (%s)", domid, why);
}

int domain_release(unsigned domid)
{
    struct domain **s;

    if (domid == 0)
        return XEN_EINVAL;
    if (!(s = slot(domid)))
        return XEN_ENOENT;
    release_slot(s, "domain released");
    watch_fire_special(XS_SPECIAL_RELEASE);
    return 0;
}

static domstate_fn *state_source;

void domain_set_state_source(domstate_fn *fn)
{
    state_source = fn;
}

unsigned domain_check_all(void)
{
    enum domstate st;
    unsigned changed = 0;
    size_t i = 0;
    int err;

    if (!state_source) {
        xs_log("domain state changed, but no way to ask the hypervisor");
        return 0;
    }
    while (i < ndoms) {
        struct domain *d = doms[i];

        if (d->domid == 0) {        /* our own host: never released */
            i++;
            continue;
        }
        if ((err = state_source(d->domid, &st))) {
            xs_log("dom%u: cannot read its state: %s; kept", d->domid,
                   ops_errname(err));
            i++;
            continue;
        }
        if (st == DOMST_GONE) {
            release_slot(&doms[i], "domain is dying or gone");
            changed++;
            continue;               /* slot i now holds another domain */
        }
        if (st == DOMST_SHUTDOWN && !d->shutdown_seen) {
            d->shutdown_seen = true;
            xs_log("dom%u has shut down", d->domid);
            changed++;
        }
        i++;
    }
    if (changed)
        watch_fire_special(XS_SPECIAL_RELEASE);
    return changed;
}

int domain_resume(unsigned domid)
{
    struct domain *d = domain_find(domid);

    if (!d)
        return XEN_ENOENT;
    d->shutdown_seen = false;
    return 0;
}

int domain_set_target(unsigned domid, unsigned tdomid)
{
    struct domain *d = domain_find(domid);

    if (!d || (tdomid != 0 && !domain_find(tdomid)))
        return XEN_ENOENT;
    if (domid == tdomid)
        return XEN_EINVAL;
    d->has_target = true;
    d->target = (uint16_t)tdomid;
    return 0;
}

void domain_fini(void)
{
    while (ndoms) {
        struct domain *d = doms[--ndoms];
        if (d->conn)
            conn_kill(d->conn, "shutdown");
        free(d);
    }
    free(doms);
    doms = NULL;
    capdoms = 0;
}

unsigned domain_nodes(unsigned domid)
{
    return nodes_owned[domid & DOMID_MAX];
}

void domain_nodes_add(unsigned domid, int delta)
{
    nodes_owned[domid & DOMID_MAX] += (uint32_t)delta;
}

int quota_check(unsigned domid, const char *name, unsigned limit,
                unsigned needed)
{
    if (needed <= limit)
        return 0;
    xs_log("dom%u: quota \"%s\" (%u) reached: ENOSPC", domid, name, limit);
    return XEN_ENOSPC;
}

static const struct {
    const char *name;
    unsigned *val;
} quota_names[] = {
    { "nodes", &quota.nodes },
    { "node-size", &quota.node_size },
    { "watches", &quota.watches },
    { "transactions", &quota.transactions },
    { "transaction-nodes", &quota.txn_nodes },
    { "node-permissions", &quota.perms },
    { "path-max", &quota.path_max },
};

int quota_control(const char *name, const char *value, char *out,
                  unsigned cap)
{
    unsigned long v;
    size_t i;
    int n = 0;

    for (i = 0; i < sizeof(quota_names) / sizeof(quota_names[0]); i++) {
        if (name && strcmp(name, quota_names[i].name))
            continue;
        if (value) {
            if (!parse_uint(value, UINT32_MAX, &v))
                return -XEN_EINVAL;
            *quota_names[i].val = (unsigned)v;
            xs_log("quota \"%s\" set to %lu", name, v);
        }
        n += snprintf(out + n, cap - (unsigned)n, "%-18s %u\n",
                      quota_names[i].name, *quota_names[i].val);
        if (name)
            return n + 1;
    }
    return name ? -XEN_EINVAL : n + 1;
}
