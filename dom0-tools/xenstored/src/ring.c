/* SPDX-License-Identifier: MIT */
/*
 * Serving a domain over its xenstore ring page (see ring.h for backends).
 * The page is shared with an untrusted guest: all index handling is
 * ring-io's byte ring, which never trusts an index back from the page and
 * marks the end broken if the guest moves one illegally.  A broken ring or
 * a framing error ends this domain's connection (with the page's `error`
 * field saying why) and nothing else.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <abi/errno.h>
#include <abi/io/xs_wire.h>
#include <ring_io/bytering.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "loop.h"
#include "ring.h"

struct ring_conn {
    struct pollable p;
    struct xenstore_domain_interface *intf;
    struct bytering req, rsp;
    struct evtchn *evt;
    struct conn *c;
};

static const struct ring_backend *backend;

void ring_set_backend(const struct ring_backend *b)
{
    backend = b;
}

static void ring_fail(struct ring_conn *rc, uint32_t error, const char *why)
{
    rc->intf->error = error;
    backend->notify(rc->evt);
    conn_kill(rc->c, why);
}

/* Move requests in and replies out until neither direction moves. */
static void ring_service(struct conn *c)
{
    struct ring_conn *rc = c->tp_data;
    size_t moved, total = 0;

    do {
        moved = 0;
        if (!conn_throttled(c)) {
            size_t n = bytering_read(&rc->req, c->in + c->in_len,
                                     sizeof(c->in) - c->in_len);
            c->in_len += n;
            moved += n;
        }
        if (!conn_process(c)) {
            ring_fail(rc, XENSTORE_ERROR_PROTO, "bad message length");
            return;
        }
        if (conn_out_pending(c)) {
            size_t n = bytering_write(&rc->rsp, c->out + c->out_off,
                                      conn_out_pending(c));
            conn_out_consumed(c, n);
            moved += n;
        }
        total += moved;
    } while (moved && !c->dead);
    if (bytering_broken(&rc->req) || bytering_broken(&rc->rsp)) {
        ring_fail(rc, XENSTORE_ERROR_RINGIDX, "bad ring index");
        return;
    }
    if (total)
        backend->notify(rc->evt);
}

static void ring_ready(struct pollable *p, uint32_t events)
{
    struct ring_conn *rc = (struct ring_conn *)p;

    (void)events;
    backend->ack(rc->evt);
    if (!rc->c->dead)
        ring_service(rc->c);
}

static void ring_close(struct conn *c)
{
    struct ring_conn *rc = c->tp_data;

    struct domain *d = domain_find(c->domid);

    if (d && d->conn == c)
        d->conn = NULL;
    if (!rc)
        return;             /* attach failed half-way; already undone */
    loop_del(&rc->p);
    backend->unbind(rc->evt);
    backend->unmap(rc->intf);
    free(rc);
}

static const struct conn_transport ring_transport = {
    .name = "ring", .service = ring_service, .close = ring_close,
};

int ring_attach(struct domain *d, struct conn **out)
{
    struct ring_conn *rc;
    struct xenstore_domain_interface *intf;

    *out = NULL;
    if (!backend)
        return 0;
    rc = calloc(1, sizeof(*rc));
    if (!rc)
        return XEN_ENOMEM;
    rc->intf = intf = backend->map(d->domid, d->mfn);
    if (!intf || !(rc->evt = backend->bind(d->domid, d->port))) {
        if (intf)
            backend->unmap(intf);
        free(rc);
        xs_log("dom%u: cannot map ring or bind port %u", d->domid, d->port);
        return XEN_EINVAL;
    }
    bytering_init_reader(&rc->req, intf->req, XENSTORE_RING_SIZE,
                         &intf->req_cons, &intf->req_prod);
    bytering_init_writer(&rc->rsp, intf->rsp, XENSTORE_RING_SIZE,
                         &intf->rsp_cons, &intf->rsp_prod);
    intf->server_features = XENSTORE_SERVER_FEATURE_ERROR;
    rc->c = conn_new(d->domid, d->domid == 0, &ring_transport, rc);
    rc->p.fd = backend->fd(rc->evt);
    rc->p.ready = ring_ready;
    if (!rc->c || loop_add(&rc->p, EPOLLIN)) {
        if (rc->c) {
            rc->c->tp_data = NULL;
            rc->c->dead = true;
        }
        backend->unbind(rc->evt);
        backend->unmap(intf);
        free(rc);
        return XEN_ENOMEM;
    }
    *out = rc->c;
    /* Requests may already be waiting (written before INTRODUCE). */
    ring_service(rc->c);
    return 0;
}

/* ---- the "sim" backend: files and FIFOs in a directory ---- */

struct evtchn {
    int up, down;
};

static char sim_dir[PATH_MAX - 32];

static void *sim_map(unsigned domid, uint64_t mfn)
{
    char path[PATH_MAX];
    void *page;
    int fd;

    (void)mfn;
    snprintf(path, sizeof(path), "%s/%u.page", sim_dir, domid);
    if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
        return NULL;
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return page == MAP_FAILED ? NULL : page;
}

static void sim_unmap(void *page)
{
    munmap(page, 4096);
}

static struct evtchn *sim_bind(unsigned domid, unsigned port)
{
    struct evtchn *e = malloc(sizeof(*e));
    char path[PATH_MAX];

    (void)port;
    if (!e)
        return NULL;
    /* O_RDWR: a FIFO opened so never blocks and never reads EOF. */
    snprintf(path, sizeof(path), "%s/%u.evtchn-up", sim_dir, domid);
    e->up = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    snprintf(path, sizeof(path), "%s/%u.evtchn-down", sim_dir, domid);
    e->down = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (e->up < 0 || e->down < 0) {
        if (e->up >= 0)
            close(e->up);
        if (e->down >= 0)
            close(e->down);
        free(e);
        return NULL;
    }
    return e;
}

static void sim_unbind(struct evtchn *e)
{
    close(e->up);
    close(e->down);
    free(e);
}

static int sim_fd(struct evtchn *e)
{
    return e->up;
}

static void sim_ack(struct evtchn *e)
{
    char buf[256];

    while (read(e->up, buf, sizeof(buf)) > 0)
        ;
}

static void sim_notify(struct evtchn *e)
{
    /* A full FIFO already holds a pending notification: nothing lost. */
    if (write(e->down, "!", 1) < 0)
        return;
}

static const struct ring_backend sim_backend = {
    .name = "sim", .map = sim_map, .unmap = sim_unmap, .bind = sim_bind,
    .unbind = sim_unbind, .fd = sim_fd, .ack = sim_ack, .notify = sim_notify,
};

const struct ring_backend *ring_sim_backend(const char *dir)
{
    snprintf(sim_dir, sizeof(sim_dir), "%s", dir);
    return &sim_backend;
}
