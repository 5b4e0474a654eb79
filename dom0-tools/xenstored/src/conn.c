/* SPDX-License-Identifier: MIT */
/*
 * Connection life cycle, message framing and output buffering; see conn.h.
 * Connections are killed in two steps so that a handler may kill any
 * connection (RELEASE drops a domain's ring) while the caller still holds
 * a pointer to it: conn_kill() detaches it from the store at once, and
 * conn_reap() frees it when no handler is running.
 */
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "ops.h"
#include "store.h"
#include "watch.h"

static struct conn *conns;
static unsigned next_id = 1;

struct conn *conn_new(uint16_t domid, bool priv,
                      const struct conn_transport *tp, void *tp_data)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->id = next_id++;
    c->domid = domid;
    c->priv = priv;
    c->tp = tp;
    c->tp_data = tp_data;
    c->next_txid = 1;
    c->next = conns;
    if (conns)
        conns->prev = c;
    conns = c;
    return c;
}

struct conn *conn_first(void)
{
    return conns;
}

struct xs_who conn_who(const struct conn *c)
{
    struct xs_who who = { .domid = c->domid, .priv = c->priv };
    struct domain *d = c->priv ? NULL : domain_find(c->domid);

    if (d && d->has_target) {
        who.has_target = true;
        who.target = d->target;
    }
    return who;
}

void conn_kill(struct conn *c, const char *why)
{
    struct txn *t;

    if (c->dead)
        return;
    xs_log("conn %u (%s, dom%u) closed: %s", c->id, c->tp->name, c->domid,
           why);
    c->dead = true;
    watch_remove_all(c);
    while ((t = c->txns)) {
        c->txns = t->next;
        txn_free(t);
    }
    c->ntxn = 0;
}

void conn_reap(void)
{
    struct conn *c = conns, *next;

    for (; c; c = next) {
        next = c->next;
        if (!c->dead)
            continue;
        if (c->prev)
            c->prev->next = c->next;
        else
            conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        if (c->tp->close)
            c->tp->close(c);
        free(c->out);
        free(c);
    }
}

void conn_kill_all(void)
{
    struct conn *c;

    for (c = conns; c; c = c->next)
        conn_kill(c, "shutdown");
    conn_reap();
}

void conn_out_consumed(struct conn *c, size_t n)
{
    c->out_off += n;
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
}

static bool out_reserve(struct conn *c, size_t n)
{
    size_t cap;
    uint8_t *p;

    if (c->out_off && c->out_len + n > c->out_cap) {
        memmove(c->out, c->out + c->out_off, conn_out_pending(c));
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + n <= c->out_cap)
        return true;
    for (cap = c->out_cap ? c->out_cap : 4096; cap < c->out_len + n;)
        cap *= 2;
    p = realloc(c->out, cap);
    if (!p)
        return false;
    c->out = p;
    c->out_cap = cap;
    return true;
}

void conn_send(struct conn *c, uint32_t type, uint32_t req_id,
               uint32_t tx_id, const void *data, size_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req_id,
                             .tx_id = tx_id, .len = (uint32_t)len };

    if (c->dead)
        return;
    if (conn_out_pending(c) + sizeof(h) + len > CONN_OUT_HARD) {
        conn_kill(c, "output buffer cap reached (client not reading)");
        return;
    }
    if (!out_reserve(c, sizeof(h) + len)) {
        conn_kill(c, "out of memory for output");
        return;
    }
    memcpy(c->out + c->out_len, &h, sizeof(h));
    if (len)
        memcpy(c->out + c->out_len + sizeof(h), data, len);
    c->out_len += sizeof(h) + len;
}

bool conn_process(struct conn *c)
{
    size_t off = 0;

    while (!c->dead && !conn_throttled(c) &&
           c->in_len - off >= sizeof(struct xsd_sockmsg)) {
        struct xsd_sockmsg h;

        memcpy(&h, c->in + off, sizeof(h));
        if (h.len > XENSTORE_PAYLOAD_MAX) {
            xs_log("conn %u: payload length %u > %u", c->id, h.len,
                   XENSTORE_PAYLOAD_MAX);
            return false;
        }
        if (c->in_len - off < sizeof(h) + h.len)
            break;
        ops_handle(c, &h, (const char *)c->in + off + sizeof(h));
        off += sizeof(h) + h.len;
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    return true;
}
