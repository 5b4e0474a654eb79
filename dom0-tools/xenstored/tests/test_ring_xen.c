/* SPDX-License-Identifier: MIT */
/*
 * The xen ring back end (src/ring_xen.c) against fake Xen libraries: this
 * file defines the libxenevtchn, libxenforeignmemory and libxengnttab
 * calls it uses (the test is linked without the real ones) and the libmica
 * seam, records what the back end asked for, and plays the guest on the
 * mapped page.  Checked: grant ref 1 first then the foreign mapping of the
 * mfn, bind/notify/unmask of the right ports, a request served through the
 * real event loop, VIRQ_DOM_EXC releasing a dead domain (unbind, unmap),
 * and clean failures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>

#include <abi/io/xs_wire.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "loop.h"
#include "ring.h"
#include "store.h"
#include "xen_state.h"

/* ---- fake libxenevtchn ---- */

struct xenevtchn_handle { int fd; };
static struct xenevtchn_handle the_xce;
static evtchn_port_t pending[16];
static unsigned npending, next_local;
static int bound_remote_dom[64], bound_remote_port[64];
static unsigned notified[64], unmasked[64], unbound[64];
static int virq_bound = -1, fail_bind_errno;
static volatile sig_atomic_t stop;

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *l, unsigned f)
{
    (void)l;
    (void)f;
    the_xce.fd = eventfd(0, EFD_CLOEXEC);
    return &the_xce;
}

int xenevtchn_close(xenevtchn_handle *x)
{
    close(x->fd);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *x)
{
    return x->fd;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *x,
                                                     uint32_t domid,
                                                     evtchn_port_t port)
{
    (void)x;
    if (fail_bind_errno) {
        errno = fail_bind_errno;
        return -1;
    }
    bound_remote_dom[next_local] = (int)domid;
    bound_remote_port[next_local] = (int)port;
    return (xenevtchn_port_or_error_t)next_local++;
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *x,
                                              unsigned int virq)
{
    (void)x;
    virq_bound = (int)virq;
    bound_remote_dom[next_local] = -1;
    return (xenevtchn_port_or_error_t)next_local++;
}

int xenevtchn_unbind(xenevtchn_handle *x, evtchn_port_t port)
{
    (void)x;
    unbound[port]++;
    return 0;
}

int xenevtchn_notify(xenevtchn_handle *x, evtchn_port_t port)
{
    (void)x;
    notified[port]++;
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *x)
{
    uint64_t v;

    if (!npending) {
        if (read(x->fd, &v, sizeof(v)) < 0) {
            /* drained already */
        }
        stop = 1;           /* the loop ends after this wake-up */
        errno = EAGAIN;
        return -1;
    }
    evtchn_port_t p = pending[0];
    memmove(pending, pending + 1, --npending * sizeof(pending[0]));
    return (xenevtchn_port_or_error_t)p;
}

int xenevtchn_unmask(xenevtchn_handle *x, evtchn_port_t port)
{
    (void)x;
    unmasked[port]++;
    return 0;
}

/* ---- fake libxenforeignmemory and libxengnttab ---- */

struct xenforeignmemory_handle { int unused; };
struct xengntdev_handle { int unused; };
static struct xenforeignmemory_handle the_fmem;
static struct xengntdev_handle the_xgt;
static bool grant_works;
static unsigned fmaps, funmaps, gmaps, gunmaps;
static uint32_t last_dom, last_ref;
static xen_pfn_t last_pfn;
static uint8_t *guest_page;         /* what the last map returned */

static void *new_page(void)
{
    guest_page = aligned_alloc(4096, 4096);
    assert_non_null(guest_page);
    memset(guest_page, 0, 4096);
    return guest_page;
}

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *l,
                                               unsigned f)
{
    (void)l;
    (void)f;
    return &the_fmem;
}

int xenforeignmemory_close(xenforeignmemory_handle *h)
{
    (void)h;
    return 0;
}

void *xenforeignmemory_map(xenforeignmemory_handle *h, uint32_t dom,
                           int prot, size_t pages, const xen_pfn_t arr[],
                           int err[])
{
    (void)h;
    assert_int_equal(pages, 1);
    assert_int_equal(prot, PROT_READ | PROT_WRITE);
    last_dom = dom;
    last_pfn = arr[0];
    err[0] = 0;
    fmaps++;
    return new_page();
}

int xenforeignmemory_unmap(xenforeignmemory_handle *h, void *addr,
                           size_t pages)
{
    (void)h;
    assert_int_equal(pages, 1);
    funmaps++;
    free(addr);
    return 0;
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *l, unsigned f)
{
    (void)l;
    (void)f;
    return &the_xgt;
}

int xengnttab_close(xengnttab_handle *h)
{
    (void)h;
    return 0;
}

void *xengnttab_map_grant_ref(xengnttab_handle *h, uint32_t domid,
                              uint32_t ref, int prot)
{
    (void)h;
    assert_int_equal(prot, PROT_READ | PROT_WRITE);
    last_dom = domid;
    last_ref = ref;
    if (!grant_works) {
        errno = EINVAL;
        return NULL;
    }
    gmaps++;
    return new_page();
}

int xengnttab_unmap(xengnttab_handle *h, void *start, uint32_t count)
{
    (void)h;
    assert_int_equal(count, 1);
    gunmaps++;
    free(start);
    return 0;
}

/* ---- fake libmica seam ---- */

static enum domstate dom_state[8];

static int fake_state(unsigned domid, enum domstate *out)
{
    *out = domid < 8 ? dom_state[domid] : DOMST_GONE;
    return 0;
}

int xen_domstate_open(void)
{
    domain_set_state_source(fake_state);
    return 0;
}

void xen_domstate_close(void)
{
    domain_set_state_source(NULL);
}

const char *xen_errname(int err)
{
    return err == EINVAL ? "EINVAL" : err == ENOENT ? "ENOENT" : "E?";
}

/* ---- helpers ---- */

static char logbuf[16384];
static FILE *logf;
static char sockpath[64];
static const struct ring_backend *rb;

static void fire(evtchn_port_t port)
{
    uint64_t one = 1;

    pending[npending++] = port;
    assert_int_equal(write(the_xce.fd, &one, sizeof(one)), sizeof(one));
    stop = 0;
    loop_run(&stop);        /* one wake-up: fake pending() sets stop */
}

static bool logged(const char *s)
{
    fflush(logf);
    return strstr(logbuf, s) != NULL;
}

/* Guest side: put one request on the ring page. */
static void guest_request(uint8_t *page, uint32_t type, const char *arg)
{
    struct xenstore_domain_interface *intf = (void *)page;
    struct xsd_sockmsg h = { .type = type, .req_id = 7,
                             .len = (uint32_t)strlen(arg) + 1 };

    memcpy(intf->req + intf->req_prod, &h, sizeof(h));
    memcpy(intf->req + intf->req_prod + sizeof(h), arg, h.len);
    intf->req_prod += (uint32_t)sizeof(h) + h.len;
}

static int setup(void **st)
{
    (void)st;
    memset(logbuf, 0, sizeof(logbuf));
    logf = fmemopen(logbuf, sizeof(logbuf) - 1, "w");
    xs_log_to(logf);
    npending = 0;
    next_local = 40;
    memset(notified, 0, sizeof(notified));
    memset(unmasked, 0, sizeof(unmasked));
    memset(unbound, 0, sizeof(unbound));
    memset(dom_state, 0, sizeof(dom_state));
    fmaps = funmaps = gmaps = gunmaps = 0;
    grant_works = false;
    fail_bind_errno = 0;
    virq_bound = -1;
    store_init();
    snprintf(sockpath, sizeof(sockpath), "/tmp/xsd-test-%d.sock", getpid());
    assert_int_equal(loop_init(sockpath), 0);
    rb = ring_xen_backend(true);
    ring_set_backend(rb);
    assert_int_equal(rb->init(), 0);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    domain_fini();
    conn_kill_all();
    rb->fini();
    loop_fini();
    ring_set_backend(NULL);
    store_fini();
    assert_int_equal(fmaps, funmaps);
    assert_int_equal(gmaps, gunmaps);
    xs_log_to(NULL);
    fclose(logf);
    return 0;
}

/* ---- tests ---- */

static void test_init(void **st)
{
    (void)st;
    assert_int_equal(virq_bound, VIRQ_DOM_EXC);
    assert_true(logged("VIRQ_DOM_EXC bound as local port 40"));
    /* No xenfs or xenbus_backend on the test machine: said, not fatal. */
    if (access("/proc/xen/xsd_port", F_OK))
        assert_true(logged("dom0: its kernel's xenbus is not served"));
}

static void test_foreign_map_serve_and_death(void **st)
{
    struct xenstore_domain_interface *intf;
    uint8_t *page;
    unsigned port;

    (void)st;
    assert_int_equal(domain_introduce(5, 0x1234, 7), 0);
    /* Grant ref 1 first, then the mfn. */
    assert_int_equal(last_ref, 1);
    assert_int_equal(last_dom, 5);
    assert_int_equal(last_pfn, 0x1234);
    assert_int_equal(fmaps, 1);
    assert_true(logged("dom5: grant ref 1 not mapped (EINVAL)"));
    port = next_local - 1;
    assert_int_equal(bound_remote_dom[port], 5);
    assert_int_equal(bound_remote_port[port], 7);
    assert_int_equal(notified[port], 1);            /* right after bind */
    page = guest_page;
    intf = (void *)page;
    assert_int_equal(intf->server_features, XENSTORE_SERVER_FEATURE_ERROR);

    /* The guest asks; its signal is served through the loop. */
    guest_request(page, XS_GET_DOMAIN_PATH, "5");
    fire(port);
    assert_int_equal(intf->req_cons, intf->req_prod);
    assert_true(intf->rsp_prod > sizeof(struct xsd_sockmsg));
    assert_memory_equal(intf->rsp + sizeof(struct xsd_sockmsg),
                        "/local/domain/5", 16);
    assert_int_equal(notified[port], 2);
    assert_int_equal(unmasked[port], 1);

    /* VIRQ_DOM_EXC with dom5 dead: released, unbound, unmapped. */
    dom_state[5] = DOMST_GONE;
    fire(40);
    assert_null(domain_find(5));
    assert_int_equal(unmasked[40], 1);
    assert_int_equal(unbound[port], 1);
    assert_int_equal(funmaps, 1);

    /* A signal for the port after it went: ignored, not unmasked. */
    fire(port);
    assert_int_equal(unmasked[port], 1);
}

static void test_grant_map(void **st)
{
    (void)st;
    grant_works = true;
    assert_int_equal(domain_introduce(6, 99, 3), 0);
    assert_int_equal(gmaps, 1);
    assert_int_equal(fmaps, 0);
    assert_true(logged("dom6: ring mapped through grant ref 1"));
    assert_int_equal(domain_release(6), 0);
    conn_reap();
    assert_int_equal(gunmaps, 1);
}

static void test_failures(void **st)
{
    (void)st;
    fail_bind_errno = EINVAL;
    assert_int_equal(domain_introduce(5, 1, 7), XEN_EINVAL);
    assert_null(domain_find(5));
    assert_true(logged("dom5: bind_interdomain to port 7 failed: EINVAL"));
    conn_reap();
    assert_int_equal(funmaps, 1);                   /* page given back */
    fail_bind_errno = 0;
    assert_int_equal(domain_introduce(5, 1, 1u << 17), XEN_EINVAL);
    assert_true(logged("dom5: event channel port 131072 out of range"));
    conn_reap();
    assert_int_equal(funmaps, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_map_serve_and_death,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
