/* SPDX-License-Identifier: MIT */
/*
 * Serving a domain over its xenstore ring page (see ring.h for backends).
 * The page is shared with an untrusted guest: all index handling is
 * ring-io's byte ring, which never trusts an index back from the page and
 * marks the end broken if the guest moves one illegally.  A broken ring or
 * a framing error ends this domain's connection (with the page's `error`
 * field saying why) and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
    struct xenstore_domain_interface *intf;
    void *map_cookie;
    struct bytering req, rsp;
    struct evtchn *evt;
    struct conn *c;
};

static const struct ring_backend *backend;

void ring_set_backend(const struct ring_backend *b)
{
    backend = b;
}

const struct ring_backend *ring_get_backend(void)
{
    return backend;
}

static void ring_fail(struct ring_conn *rc, uint32_t error, const char *why)
{
    rc->intf->error = error;
    if (rc->evt)
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
    /* Consumed requests free space for the guest, produced replies are
     * there to read: either is worth a signal. */
    if (total && rc->evt)
        backend->notify(rc->evt);
}

static void ring_fired(void *arg)
{
    struct ring_conn *rc = arg;

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
    if (rc->evt)
        backend->unbind(rc->evt);
    backend->unmap(rc->intf, rc->map_cookie);
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
    rc->intf = intf = backend->map(d->domid, d->mfn, &rc->map_cookie);
    if (!intf) {
        free(rc);
        xs_log("dom%u: cannot map its ring (mfn %llu): EINVAL", d->domid,
               (unsigned long long)d->mfn);
        return XEN_EINVAL;
    }
    bytering_init_reader(&rc->req, intf->req, XENSTORE_RING_SIZE,
                         &intf->req_cons, &intf->req_prod);
    bytering_init_writer(&rc->rsp, intf->rsp, XENSTORE_RING_SIZE,
                         &intf->rsp_cons, &intf->rsp_prod);
    intf->server_features = XENSTORE_SERVER_FEATURE_ERROR;
    rc->c = conn_new(d->domid, d->domid == 0, &ring_transport, rc);
    if (!rc->c) {
        backend->unmap(intf, rc->map_cookie);
        free(rc);
        return XEN_ENOMEM;
    }
    /* Bound last: from here on the guest's signal reaches a whole conn. */
    if (!(rc->evt = backend->bind(d->domid, d->port, ring_fired, rc))) {
        xs_log("dom%u: cannot bind its event channel port %u: EINVAL",
               d->domid, d->port);
        rc->c->tp_data = NULL;
        rc->c->dead = true;
        backend->unmap(intf, rc->map_cookie);
        free(rc);
        return XEN_EINVAL;
    }
    *out = rc->c;
    /* Requests may already be waiting (written before INTRODUCE). */
    ring_service(rc->c);
    return 0;
}

int ring_rebind(struct domain *d, unsigned port)
{
    struct ring_conn *rc;

    if (!d->conn || d->conn->dead)
        return 0;
    rc = d->conn->tp_data;
    if (rc->evt)
        backend->unbind(rc->evt);
    rc->evt = backend->bind(d->domid, port, ring_fired, rc);
    if (!rc->evt) {
        xs_log("dom%u: cannot rebind to port %u; connection dropped",
               d->domid, port);
        conn_kill(d->conn, "rebind failed");
        return XEN_EINVAL;
    }
    d->port = port;
    ring_service(d->conn);
    return 0;
}

/* ---- the "sim" backend: files and FIFOs in a directory ---- */

struct evtchn {
    struct pollable p;          /* on `up` */
    int up, down;
    evtchn_fired_fn *fired;
    void *arg;
};

static char sim_dir[PATH_MAX - 32];
static struct pollable sim_exc = { .fd = -1 };

static void *sim_map(unsigned domid, uint64_t mfn, void **cookie)
{
    char path[PATH_MAX];
    void *page;
    int fd;

    (void)mfn;
    *cookie = NULL;
    snprintf(path, sizeof(path), "%s/%u.page", sim_dir, domid);
    if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
        return NULL;
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return page == MAP_FAILED ? NULL : page;
}

static void sim_unmap(void *page, void *cookie)
{
    (void)cookie;
    munmap(page, 4096);
}

static void sim_ready(struct pollable *p, uint32_t events)
{
    struct evtchn *e = (struct evtchn *)p;
    char buf[256];

    (void)events;
    while (read(e->up, buf, sizeof(buf)) > 0)
        ;
    e->fired(e->arg);
}

static struct evtchn *sim_bind(unsigned domid, unsigned port,
                               evtchn_fired_fn *fired, void *arg)
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
    e->p.fd = e->up;
    e->p.ready = sim_ready;
    e->fired = fired;
    e->arg = arg;
    if (e->up < 0 || e->down < 0 || loop_add(&e->p, EPOLLIN)) {
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
    loop_del(&e->p);
    close(e->up);
    close(e->down);
    free(e);
}

static void sim_notify(struct evtchn *e)
{
    /* A full FIFO already holds a pending notification: nothing lost. */
    if (write(e->down, "!", 1) < 0)
        return;
}

/* <domid>.state: the hypervisor's view of a simulated domain. */
static int sim_state(unsigned domid, enum domstate *out)
{
    char path[PATH_MAX], buf[16] = "";
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/%u.state", sim_dir, domid);
    *out = DOMST_RUNNING;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return XEN_EIO;
    if (!strncmp(buf, "shutdown", 8))
        *out = DOMST_SHUTDOWN;
    else if (!strncmp(buf, "dying", 5) || !strncmp(buf, "gone", 4))
        *out = DOMST_GONE;
    else if (!strncmp(buf, "error", 5))
        return XEN_EACCES;          /* the hypervisor refused to say */
    return 0;
}

static void sim_exc_ready(struct pollable *p, uint32_t events)
{
    char buf[256];

    (void)events;
    while (read(p->fd, buf, sizeof(buf)) > 0)
        ;
    domain_check_all();
}

static int sim_init(void)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/dom-exc", sim_dir);
    if (mkfifo(path, 0600) && errno != EEXIST) {
        xs_log("sim: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    sim_exc.fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    sim_exc.ready = sim_exc_ready;
    if (sim_exc.fd < 0 || loop_add(&sim_exc, EPOLLIN)) {
        xs_log("sim: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    domain_set_state_source(sim_state);
    return 0;
}

static void sim_fini(void)
{
    if (sim_exc.fd >= 0) {
        loop_del(&sim_exc);
        close(sim_exc.fd);
        sim_exc.fd = -1;
    }
    domain_set_state_source(NULL);
}

static const struct ring_backend sim_backend = {
    .name = "sim", .init = sim_init, .fini = sim_fini,
    .map = sim_map, .unmap = sim_unmap, .bind = sim_bind,
    .unbind = sim_unbind, .notify = sim_notify,
};

const struct ring_backend *ring_sim_backend(const char *dir)
{
    snprintf(sim_dir, sizeof(sim_dir), "%s", dir);
    return &sim_backend;
}
