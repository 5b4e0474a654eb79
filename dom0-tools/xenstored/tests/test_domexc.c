/* SPDX-License-Identifier: MIT */
/*
 * VIRQ_DOM_EXC handling (domain_check_all) against a fake hypervisor: the
 * test says which domains are running, shut down, gone or unreadable, and
 * checks that @releaseDomain reaches a dom0 watcher exactly once per state
 * change, that a gone domain loses its ring connection, watches, nodes and
 * ring mapping, and that nothing else is touched.  The rings go through a
 * fake back end that counts maps, binds and their undoing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <abi/errno.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "ring.h"
#include "store.h"

/* ---- the fake hypervisor ---- */

#define NDOM 16
static enum domstate state[NDOM];
static int state_err[NDOM];
static unsigned asked[NDOM];

static int fake_state(unsigned domid, enum domstate *out)
{
    assert_true(domid < NDOM);
    asked[domid]++;
    if (state_err[domid])
        return state_err[domid];
    *out = state[domid];
    return 0;
}

/* ---- the fake ring back end ---- */

struct evtchn {
    unsigned domid, port;
};

static unsigned maps, unmaps, binds, unbinds, notifies;

static void *fake_map(unsigned domid, uint64_t mfn, void **cookie)
{
    void *page = aligned_alloc(4096, 4096);

    (void)domid;
    (void)mfn;
    *cookie = NULL;
    assert_non_null(page);
    memset(page, 0, 4096);          /* a fresh ring: indices at 0 */
    maps++;
    return page;
}

static void fake_unmap(void *page, void *cookie)
{
    (void)cookie;
    unmaps++;
    free(page);
}

static struct evtchn *fake_bind(unsigned domid, unsigned port,
                                evtchn_fired_fn *fired, void *arg)
{
    struct evtchn *e = malloc(sizeof(*e));

    (void)fired;
    (void)arg;
    e->domid = domid;
    e->port = port;
    binds++;
    return e;
}

static void fake_unbind(struct evtchn *e)
{
    unbinds++;
    free(e);
}

static void fake_notify(struct evtchn *e)
{
    (void)e;
    notifies++;
}

static const struct ring_backend fake_backend = {
    .name = "fake", .map = fake_map, .unmap = fake_unmap,
    .bind = fake_bind, .unbind = fake_unbind, .notify = fake_notify,
};

/* ---- a dom0 client in memory ---- */

static void mem_service(struct conn *c)
{
    (void)c;
}

static const struct conn_transport mem_transport = {
    .name = "test", .service = mem_service, .close = NULL,
};

static void request(struct conn *c, uint32_t type, const char *a,
                    const char *b)
{
    struct xsd_sockmsg h = { .type = type, .req_id = 9 };
    size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;

    h.len = (uint32_t)(la + lb);
    memcpy(c->in + c->in_len, &h, sizeof(h));
    memcpy(c->in + c->in_len + sizeof(h), a, la);
    if (b)
        memcpy(c->in + c->in_len + sizeof(h) + la, b, lb);
    c->in_len += sizeof(h) + h.len;
    assert_true(conn_process(c));
}

/* Watch events for `path` queued on c since the last call (consumed). */
static unsigned events(struct conn *c, const char *path)
{
    unsigned n = 0;
    size_t off = c->out_off;

    while (off + sizeof(struct xsd_sockmsg) <= c->out_len) {
        struct xsd_sockmsg h;

        memcpy(&h, c->out + off, sizeof(h));
        if (h.type == XS_WATCH_EVENT &&
            !strcmp((const char *)c->out + off + sizeof(h), path))
            n++;
        off += sizeof(h) + h.len;
    }
    conn_out_consumed(c, conn_out_pending(c));
    return n;
}

static struct conn *watcher;
static const struct xs_who dom0 = { .priv = true };

/* A toolstack-made home for `domid`, owned by the domain (so that release
 * must delete it), and the domain introduced over a fake ring. */
static void make_domain(unsigned domid)
{
    struct op o = { .who = &dom0 };
    struct xs_perm own = { .domid = (uint16_t)domid, .mode = XS_PERM_NONE };
    char path[64];

    snprintf(path, sizeof(path), "/local/domain/%u/data", domid);
    assert_int_equal(store_mkdir(&o, path), 0);
    assert_int_equal(store_set_perms(&o, path, &own, 1), 0);
    assert_int_equal(domain_introduce(domid, 100 + domid, 5), 0);
    assert_non_null(domain_find(domid));
    assert_non_null(domain_find(domid)->conn);
}

static bool node_exists(const char *path)
{
    struct op o = { .who = &dom0 };
    const struct node *n;

    return store_read(&o, path, &n) == 0;
}

static int setup(void **st)
{
    (void)st;
    xs_log_to(NULL);
    memset(state, 0, sizeof(state));
    memset(state_err, 0, sizeof(state_err));
    memset(asked, 0, sizeof(asked));
    maps = unmaps = binds = unbinds = notifies = 0;
    store_init();
    ring_set_backend(&fake_backend);
    domain_set_state_source(fake_state);
    watcher = conn_new(0, true, &mem_transport, NULL);
    request(watcher, XS_WATCH, "@releaseDomain", "tok");
    assert_int_equal(events(watcher, "@releaseDomain"), 1);  /* first one */
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    domain_fini();
    conn_kill_all();
    assert_int_equal(maps, unmaps);
    assert_int_equal(binds, unbinds);
    ring_set_backend(NULL);
    domain_set_state_source(NULL);
    assert_true(store_check());
    store_fini();
    return 0;
}

static void test_shutdown_fires_once(void **st)
{
    (void)st;
    make_domain(3);
    make_domain(4);
    assert_int_equal(domain_check_all(), 0);        /* all running */
    assert_int_equal(events(watcher, "@releaseDomain"), 0);

    state[3] = DOMST_SHUTDOWN;
    assert_int_equal(domain_check_all(), 1);
    assert_int_equal(events(watcher, "@releaseDomain"), 1);
    assert_int_equal(domain_check_all(), 0);        /* same state: quiet */
    assert_int_equal(events(watcher, "@releaseDomain"), 0);
    /* Shut down is not gone: the domain keeps its ring and nodes. */
    assert_non_null(domain_find(3));
    assert_false(domain_find(3)->conn->dead);
    assert_true(node_exists("/local/domain/3/data"));

    /* RESUME re-arms: the next shutdown is a new state change. */
    request(watcher, XS_RESUME, "3", NULL);
    events(watcher, "@releaseDomain");
    assert_int_equal(domain_check_all(), 1);
    assert_int_equal(events(watcher, "@releaseDomain"), 1);
}

static void test_gone_is_released(void **st)
{
    struct conn *ring;

    (void)st;
    make_domain(3);
    make_domain(4);
    ring = domain_find(3)->conn;
    /* The guest's own watch must go with it. */
    request(ring, XS_WATCH, "data", "g");
    assert_int_equal(ring->nwatch, 1);

    state[3] = DOMST_GONE;
    assert_int_equal(domain_check_all(), 1);
    assert_int_equal(events(watcher, "@releaseDomain"), 1);
    assert_null(domain_find(3));
    assert_true(ring->dead);
    assert_int_equal(ring->nwatch, 0);
    assert_false(node_exists("/local/domain/3/data"));
    assert_true(node_exists("/local/domain/4/data"));
    assert_non_null(domain_find(4));
    assert_false(domain_find(4)->conn->dead);
    conn_reap();
    assert_int_equal(unbinds, 1);                   /* dom3's port only */
    assert_int_equal(unmaps, 1);

    /* Gone stays gone: no more events, and dom3 is not asked about. */
    asked[3] = 0;
    assert_int_equal(domain_check_all(), 0);
    assert_int_equal(events(watcher, "@releaseDomain"), 0);
    assert_int_equal(asked[3], 0);
}

static void test_shutdown_then_gone_fires_twice(void **st)
{
    (void)st;
    make_domain(5);
    state[5] = DOMST_SHUTDOWN;
    assert_int_equal(domain_check_all(), 1);
    assert_int_equal(events(watcher, "@releaseDomain"), 1);
    state[5] = DOMST_GONE;
    assert_int_equal(domain_check_all(), 1);
    assert_int_equal(events(watcher, "@releaseDomain"), 1);
    assert_null(domain_find(5));
}

static void test_many_gone_one_event(void **st)
{
    (void)st;
    for (unsigned d = 1; d <= 6; d++)
        make_domain(d);
    state[2] = state[3] = state[6] = DOMST_GONE;   /* incl. the last slot */
    state[4] = DOMST_SHUTDOWN;
    assert_int_equal(domain_check_all(), 4);
    assert_int_equal(events(watcher, "@releaseDomain"), 1);
    assert_null(domain_find(2));
    assert_null(domain_find(3));
    assert_null(domain_find(6));
    assert_non_null(domain_find(1));
    assert_non_null(domain_find(4));
    assert_non_null(domain_find(5));
    for (unsigned d = 1; d <= 6; d++)
        assert_int_equal(asked[d], 1);              /* each asked once */
}

static void test_unreadable_or_dom0_kept(void **st)
{
    (void)st;
    assert_int_equal(domain_introduce(0, 0, 9), 0);     /* dom0's ring */
    make_domain(7);
    state[0] = DOMST_GONE;          /* must never be asked, let alone obey */
    state[7] = DOMST_GONE;
    state_err[7] = XEN_EACCES;      /* the hypervisor refused to say */
    assert_int_equal(domain_check_all(), 0);
    assert_int_equal(events(watcher, "@releaseDomain"), 0);
    assert_non_null(domain_find(7));
    assert_non_null(domain_find(0));
    assert_int_equal(asked[0], 0);
    assert_int_equal(asked[7], 1);

    /* Without a state source a VIRQ changes nothing. */
    state_err[7] = 0;
    domain_set_state_source(NULL);
    assert_int_equal(domain_check_all(), 0);
    assert_non_null(domain_find(7));
}

static void test_reintroduce_rebinds(void **st)
{
    struct conn *ring;

    (void)st;
    make_domain(3);
    ring = domain_find(3)->conn;
    assert_int_equal(binds, 1);
    assert_int_equal(domain_introduce(3, 103, 11), 0);
    assert_int_equal(binds, 2);
    assert_int_equal(unbinds, 1);
    assert_ptr_equal(domain_find(3)->conn, ring);   /* same connection */
    assert_int_equal(domain_find(3)->port, 11);
    assert_int_equal(events(watcher, "@introduceDomain"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shutdown_fires_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gone_is_released, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_then_gone_fires_twice,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_gone_one_event, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_or_dom0_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reintroduce_rebinds, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
