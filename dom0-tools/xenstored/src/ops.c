/* SPDX-License-Identifier: MIT */
/*
 * The xenstore request handlers and their dispatch table (see ops.h).
 * Semantics follow docs/misc/xenstore.txt as C xenstored implements them;
 * docs/xenstore.md lists where Mica differs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "ops.h"
#include "path.h"
#include "store.h"
#include "watch.h"

#define ARGS_MAX 4
#define PERMS_MAX ((XENSTORE_PAYLOAD_MAX + 2) / 3)  /* "n0\0" each */

struct req {
    struct conn *c;
    const struct xsd_sockmsg *h;
    const char *data;
    unsigned len;
    struct xs_who who;
    struct op op;
    const char *argv[ARGS_MAX];
    unsigned argc;          /* NUL-terminated strings at the start */
    unsigned used;          /* bytes those strings cover */
};

const char *ops_errname(int err)
{
    size_t i;

    for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (xsd_errors[i].errnum == err)
            return xsd_errors[i].errstring;
    return "EINVAL";
}

/* Cut up to ARGS_MAX strings off the front of the payload. */
static void split(struct req *r)
{
    unsigned off = 0;

    r->argc = 0;
    while (r->argc < ARGS_MAX && off < r->len) {
        const char *nul = memchr(r->data + off, '\0', r->len - off);
        if (!nul)
            break;
        r->argv[r->argc++] = r->data + off;
        off = (unsigned)(nul - r->data) + 1;
    }
    r->used = off;
}

/* Exactly n strings and nothing else. */
static bool nargs(const struct req *r, unsigned n)
{
    return r->argc == n && r->used == r->len;
}

static int path_arg(const struct req *r, const char *in, char *out,
                    bool special)
{
    return path_canon(out, in, r->c->domid, r->who.priv ? 0 : quota.path_max,
                      special);
}

static int domid_arg(const char *s, unsigned *domid)
{
    unsigned long v;

    if (!parse_uint(s, DOMID_MAX, &v))
        return XEN_EINVAL;
    *domid = (unsigned)v;
    return 0;
}

static int reply(struct req *r, const void *data, size_t len)
{
    if (len > XENSTORE_PAYLOAD_MAX)
        return XEN_E2BIG;
    conn_send(r->c, r->h->type, r->h->req_id, r->h->tx_id, data, len);
    return 0;
}

static int reply_str(struct req *r, const char *s)
{
    return reply(r, s, strlen(s) + 1);
}

static int reply_ok(struct req *r)
{
    return reply_str(r, "OK");
}

/* ---- the tree ---- */

static int do_read(struct req *r)
{
    char path[PATH_BUF];
    const struct node *n;
    int err;

    if (!nargs(r, 1))
        return XEN_EINVAL;
    if ((err = path_arg(r, r->argv[0], path, false)) ||
        (err = store_read(&r->op, path, &n)))
        return err;
    return reply(r, n->value, n->vlen);
}

static int do_directory(struct req *r)
{
    char path[PATH_BUF];
    const struct node *n;
    int err;

    if (!nargs(r, 1))
        return XEN_EINVAL;
    if ((err = path_arg(r, r->argv[0], path, false)) ||
        (err = store_read(&r->op, path, &n)))
        return err;
    return reply(r, n->children, n->clen);
}

/*
 * The child list from a byte offset, as many whole names as fit after the
 * generation string; a final extra NUL says the list is complete.
 */
static int do_directory_part(struct req *r)
{
    char path[PATH_BUF], buf[XENSTORE_PAYLOAD_MAX];
    const struct node *n;
    unsigned long off;
    size_t len, glen;
    int err;

    if (!nargs(r, 2) || !parse_uint(r->argv[1], UINT32_MAX, &off))
        return XEN_EINVAL;
    if ((err = path_arg(r, r->argv[0], path, false)) ||
        (err = store_read(&r->op, path, &n)))
        return err;
    glen = (size_t)snprintf(buf, sizeof(buf), "%" PRIu64, n->gen) + 1;
    if (off >= n->clen) {
        buf[glen] = '\0';
        return reply(r, buf, glen + 1);
    }
    for (len = 0; off + len < n->clen;) {
        size_t l = strlen(n->children + off + len) + 1;
        if (glen + len + l >= sizeof(buf))
            break;
        len += l;
    }
    memcpy(buf + glen, n->children + off, len);
    if (off + len == n->clen)
        buf[glen + len++] = '\0';
    return reply(r, buf, glen + len);
}

static int do_write(struct req *r)
{
    char path[PATH_BUF];
    int err;

    if (r->argc < 1)
        return XEN_EINVAL;
    /* The value is every byte after the path's NUL, NULs included. */
    if ((err = path_arg(r, r->argv[0], path, false)) ||
        (err = store_write(&r->op, path, r->argv[0] + strlen(r->argv[0]) + 1,
                           r->len - (strlen(r->argv[0]) + 1))))
        return err;
    return reply_ok(r);
}

static int do_mkdir(struct req *r)
{
    char path[PATH_BUF];
    int err;

    if (!nargs(r, 1))
        return XEN_EINVAL;
    if ((err = path_arg(r, r->argv[0], path, false)) ||
        (err = store_mkdir(&r->op, path)))
        return err;
    return reply_ok(r);
}

static int do_rm(struct req *r)
{
    char path[PATH_BUF];
    int err;

    if (!nargs(r, 1))
        return XEN_EINVAL;
    if ((err = path_arg(r, r->argv[0], path, false)) ||
        (err = store_rm(&r->op, path)))
        return err;
    return reply_ok(r);
}

static int do_get_perms(struct req *r)
{
    char path[PATH_BUF], buf[XENSTORE_PAYLOAD_MAX + 16];
    const struct xs_perm *p;
    unsigned np;
    int err;

    if (!nargs(r, 1))
        return XEN_EINVAL;
    if ((err = path_arg(r, r->argv[0], path, true)) ||
        (err = store_get_perms(&r->op, path, &p, &np)))
        return err;
    if (np * 7 > sizeof(buf))   /* "b65535\0" per entry */
        return XEN_E2BIG;
    return reply(r, buf, perms_format(p, np, buf));
}

static int do_set_perms(struct req *r)
{
    char path[PATH_BUF];
    struct xs_perm p[PERMS_MAX];
    unsigned np, max = PERMS_MAX;
    size_t plen;
    int err;

    if (r->argc < 2)
        return XEN_EINVAL;
    if (!r->who.priv && quota.perms)
        max = quota.perms;
    plen = strlen(r->argv[0]) + 1;
    err = perms_parse(r->data + plen, r->len - plen, p, max, &np);
    if (err == XEN_ENOSPC)
        return quota_check(r->who.domid, "node-permissions", max, max + 1);
    if (err || (err = path_arg(r, r->argv[0], path, true)) ||
        (err = store_set_perms(&r->op, path, p, np)))
        return err;
    return reply_ok(r);
}

/* ---- watches ---- */

static int do_watch(struct req *r)
{
    char path[PATH_BUF];
    const char *given;
    int err;

    if (!nargs(r, 2))
        return XEN_EINVAL;
    given = r->argv[0];
    if ((err = path_arg(r, given, path, true)))
        return err;
    if (!r->who.priv && quota.watches &&
        (err = quota_check(r->who.domid, "watches", quota.watches,
                           r->c->nwatch + 1)))
        return err;
    if ((err = watch_add(r->c, path, given[0] != '/' && given[0] != '@',
                         r->argv[1])))
        return err;
    reply_ok(r);
    watch_fire_initial(r->c, path, r->argv[1]);
    return 0;
}

static int do_unwatch(struct req *r)
{
    char path[PATH_BUF];
    int err;

    if (!nargs(r, 2))
        return XEN_EINVAL;
    if ((err = path_arg(r, r->argv[0], path, true)) ||
        (err = watch_remove(r->c, path, r->argv[1])))
        return err;
    return reply_ok(r);
}

static void drop_transactions(struct conn *c)
{
    struct txn *t;

    while ((t = c->txns)) {
        c->txns = t->next;
        txn_free(t);
    }
    c->ntxn = 0;
}

static int do_reset_watches(struct req *r)
{
    watch_remove_all(r->c);
    drop_transactions(r->c);
    return reply_ok(r);
}

/* ---- transactions ---- */

static struct txn **txn_slot(struct conn *c, uint32_t id)
{
    struct txn **p;

    for (p = &c->txns; *p; p = &(*p)->next)
        if ((*p)->id == id)
            return p;
    return NULL;
}

static int do_transaction_start(struct req *r)
{
    struct conn *c = r->c;
    struct txn *t;
    char buf[16];
    int err;

    if (r->h->tx_id)
        return txn_slot(c, r->h->tx_id) ? XEN_EBUSY : XEN_ENOENT;
    if (!r->who.priv && quota.transactions &&
        (err = quota_check(r->who.domid, "transactions", quota.transactions,
                           c->ntxn + 1)))
        return err;
    /* Ids are per connection; never 0, never one still open. */
    while (c->next_txid == 0 || txn_slot(c, c->next_txid))
        c->next_txid++;
    t = txn_new(c->next_txid++);
    t->next = c->txns;
    c->txns = t;
    c->ntxn++;
    snprintf(buf, sizeof(buf), "%u", t->id);
    return reply_str(r, buf);
}

static int do_transaction_end(struct req *r)
{
    struct txn **slot, *t;
    bool commit;
    int err = 0;

    if (!nargs(r, 1) || (strcmp(r->argv[0], "T") && strcmp(r->argv[0], "F")))
        return XEN_EINVAL;
    commit = r->argv[0][0] == 'T';
    if (!r->h->tx_id || !(slot = txn_slot(r->c, r->h->tx_id)))
        return XEN_ENOENT;
    t = *slot;
    *slot = t->next;
    r->c->ntxn--;
    if (commit)
        err = txn_commit(t);
    txn_free(t);
    return err ? err : reply_ok(r);
}

/* ---- domains ---- */

static int do_introduce(struct req *r)
{
    unsigned domid;
    unsigned long long mfn;
    unsigned long port;
    char *end;
    int err;

    if (!nargs(r, 3) || (err = domid_arg(r->argv[0], &domid)))
        return XEN_EINVAL;
    /* The mfn is informative (the ring is found through the grant). */
    mfn = strtoull(r->argv[1], &end, 10);
    if (*end || end == r->argv[1] || !parse_uint(r->argv[2], UINT32_MAX, &port)
        || port == 0)
        return XEN_EINVAL;
    if ((err = domain_introduce(domid, mfn, (unsigned)port)))
        return err;
    return reply_ok(r);
}

static int domid_op(struct req *r, int (*fn)(unsigned))
{
    unsigned domid;
    int err;

    if (!nargs(r, 1) || domid_arg(r->argv[0], &domid))
        return XEN_EINVAL;
    if ((err = fn(domid)))
        return err;
    return reply_ok(r);
}

static int do_release(struct req *r)
{
    return domid_op(r, domain_release);
}

static int do_resume(struct req *r)
{
    return domid_op(r, domain_resume);
}

static int do_get_domain_path(struct req *r)
{
    char buf[32];
    unsigned domid;

    if (!nargs(r, 1) || domid_arg(r->argv[0], &domid))
        return XEN_EINVAL;
    snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
    return reply_str(r, buf);
}

static int do_is_domain_introduced(struct req *r)
{
    unsigned domid;

    if (!nargs(r, 1) || domid_arg(r->argv[0], &domid))
        return XEN_EINVAL;
    return reply_str(r, domid == 0 || domain_find(domid) ? "T" : "F");
}

static int do_set_target(struct req *r)
{
    unsigned domid, target;
    int err;

    if (!nargs(r, 2) || domid_arg(r->argv[0], &domid) ||
        domid_arg(r->argv[1], &target))
        return XEN_EINVAL;
    if ((err = domain_set_target(domid, target)))
        return err;
    return reply_ok(r);
}

/* xenstore-control: "print <text>", "quota [<name> [<value>]]". */
static int do_control(struct req *r)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    int n;

    if (r->argc < 1 || r->used != r->len)
        return XEN_EINVAL;
    if (strcmp(r->argv[0], "print") == 0 && r->argc == 2) {
        xs_log("control print: %s", r->argv[1]);
        return reply_ok(r);
    }
    if (strcmp(r->argv[0], "quota") == 0 && r->argc <= 3) {
        n = quota_control(r->argc > 1 ? r->argv[1] : NULL,
                          r->argc > 2 ? r->argv[2] : NULL, buf, sizeof(buf));
        if (n < 0)
            return -n;
        return reply(r, buf, (size_t)n);
    }
    return XEN_EINVAL;
}

/* ---- dispatch ---- */

static const struct handler {
    int (*fn)(struct req *r);
    bool priv;              /* privileged callers only */
    bool txn;               /* honours the header's tx_id */
} handlers[XS_TYPE_COUNT] = {
    [XS_CONTROL]              = { do_control, true, false },
    [XS_DIRECTORY]            = { do_directory, false, true },
    [XS_READ]                 = { do_read, false, true },
    [XS_GET_PERMS]            = { do_get_perms, false, true },
    [XS_WATCH]                = { do_watch, false, false },
    [XS_UNWATCH]              = { do_unwatch, false, false },
    [XS_TRANSACTION_START]    = { do_transaction_start, false, false },
    [XS_TRANSACTION_END]      = { do_transaction_end, false, false },
    [XS_INTRODUCE]            = { do_introduce, true, false },
    [XS_RELEASE]              = { do_release, true, false },
    [XS_GET_DOMAIN_PATH]      = { do_get_domain_path, false, false },
    [XS_WRITE]                = { do_write, false, true },
    [XS_MKDIR]                = { do_mkdir, false, true },
    [XS_RM]                   = { do_rm, false, true },
    [XS_SET_PERMS]            = { do_set_perms, false, true },
    [XS_IS_DOMAIN_INTRODUCED] = { do_is_domain_introduced, true, false },
    [XS_RESUME]               = { do_resume, true, false },
    [XS_SET_TARGET]           = { do_set_target, true, false },
    [XS_RESET_WATCHES]        = { do_reset_watches, false, false },
    [XS_DIRECTORY_PART]       = { do_directory_part, false, true },
};

static int dispatch(struct req *r)
{
    const struct handler *hd;

    if (r->h->type >= XS_TYPE_COUNT || !handlers[r->h->type].fn)
        return XEN_ENOSYS;
    hd = &handlers[r->h->type];
    if (hd->priv && !r->who.priv)
        return XEN_EACCES;
    if (hd->txn && r->h->tx_id) {
        struct txn **slot = txn_slot(r->c, r->h->tx_id);
        if (!slot)
            return XEN_ENOENT;
        r->op.t = *slot;
        if (!r->who.priv && quota.txn_nodes)
            /* Checked per request; one request may overshoot a little. */
            if (quota_check(r->who.domid, "transaction-nodes",
                            quota.txn_nodes, (unsigned)r->op.t->nodes.n))
                return XEN_ENOSPC;
    }
    split(r);
    return hd->fn(r);
}

void ops_handle(struct conn *c, const struct xsd_sockmsg *h,
                const char *payload)
{
    struct req r = { .c = c, .h = h, .data = payload, .len = h->len };
    int err;

    r.who = conn_who(c);
    r.op.who = &r.who;
    err = dispatch(&r);
    if (err) {
        const char *name = ops_errname(err);
        conn_send(c, XS_ERROR, h->req_id, h->tx_id, name, strlen(name) + 1);
    }
}
