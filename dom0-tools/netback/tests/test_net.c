/* SPDX-License-Identifier: MIT */
/*
 * netback's packet path on the host: the real decoders, ring service and
 * TAP code (its sim form: a Unix datagram socket), against a fake
 * hypervisor whose "guest memory" is an array of pages (grant ref g is
 * page g; refs past the end are refused as Xen refuses a bad grant).  The
 * test is netfront and dom0's network stack at once: it puts requests on
 * the two ring pages as netfront would, reads what reaches the TAP, sends
 * frames from the TAP side and reads the responses.  Hostile requests sit
 * next to the normal ones, and after each the next good packet shows the
 * vif still serves.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include <ring_io/ring.h>

#include "be_log.h"
#include "net_req.h"
#include "net_ring.h"
#include "net_tap.h"

#define NPAGES 64u
#define DOMID  7u
#define GNTST_bad_gntref (-3)

static uint8_t guest[NPAGES][4096] __attribute__((aligned(4096)));
static unsigned notifies;

static int fake_copy(unsigned domid, unsigned n, struct be_copy *segs)
{
    assert_int_equal(domid, DOMID);
    for (unsigned i = 0; i < n; i++) {
        struct be_copy *c = &segs[i];
        /* The back end must never ask for more than one guest page. */
        assert_true((unsigned)c->offset + c->len <= 4096);
        if (c->gref >= NPAGES) {
            c->status = GNTST_bad_gntref;
            continue;
        }
        if (c->to_guest)
            memcpy(&guest[c->gref][c->offset], c->local, c->len);
        else
            memcpy(c->local, &guest[c->gref][c->offset], c->len);
        c->status = 0;
    }
    return 0;
}

static void fake_notify(struct be_evtchn *e)
{
    (void)e;
    notifies++;
}

static const struct be_plat fake = {
    .name = "fake", .grant_copy = fake_copy, .notify = fake_notify,
};

struct fix {
    char dir[64];
    int host;                   /* dom0's side of the TAP */
    struct sockaddr_un tap_addr;
    struct net_tap *tap;
    netif_tx_sring_t *txs;
    netif_rx_sring_t *rxs;
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    struct net_ring *ring;
    bool tap_on;
    unsigned broken;
};

static void fix_tap_poll(void *arg, bool on)
{
    ((struct fix *)arg)->tap_on = on;
}

static void fix_broken(void *arg)
{
    ((struct fix *)arg)->broken++;
}

static const struct net_ring_ops ops = { .tap_poll = fix_tap_poll, .broken = fix_broken };
static const struct net_rx_caps all_caps = { .csum = true, .gso_tcpv4 = true, .gso_tcpv6 = true };

static void open_ring(struct fix *f)
{
    f->ring = net_ring_open(&fake, "vif-7-0", DOMID, f->txs, f->rxs, f->tap, &all_caps, &ops, f);
    assert_non_null(f->ring);
    net_ring_set_evtchn(f->ring, (struct be_evtchn *)f);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    snprintf(f->dir, sizeof(f->dir), "/tmp/test_net.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(a.sun_path, sizeof(a.sun_path), "%s/vif7.0.host", f->dir);
    f->host = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_int_equal(bind(f->host, (struct sockaddr *)&a, sizeof(a)), 0);
    f->tap_addr.sun_family = AF_UNIX;
    snprintf(f->tap_addr.sun_path, sizeof(f->tap_addr.sun_path), "%s/vif7.0.tap", f->dir);
    f->tap = net_tap_open("vif7.0", f->dir);
    assert_non_null(f->tap);
    f->txs = (netif_tx_sring_t *)guest[0];
    f->rxs = (netif_rx_sring_t *)guest[1];
    memset(guest, 0, sizeof(guest));
    assert_true(ring_front_init(&f->tx, f->txs, 4096));
    assert_true(ring_front_init(&f->rx, f->rxs, 4096));
    open_ring(f);
    notifies = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char path[128];

    if (f->ring)
        net_ring_close(f->ring);
    net_tap_close(f->tap, true);
    snprintf(path, sizeof(path), "%s/vif7.0.host", f->dir);
    unlink(path);
    close(f->host);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- helpers: netfront's side ---- */

static void tx_put(struct fix *f, uint32_t gref, uint16_t off, uint16_t flags, uint16_t id,
                   uint16_t size)
{
    struct netif_tx_request r = { .gref = gref, .offset = off, .flags = flags, .id = id,
                                  .size = size };
    assert_true(ring_front_put_request(&f->tx, &r));
}

static void tx_put_extra(struct fix *f, const struct netif_extra_info *e)
{
    struct netif_tx_request r;

    memset(&r, 0, sizeof(r));
    memcpy(&r, e, sizeof(*e));
    assert_true(ring_front_put_request(&f->tx, &r));
}

static void tx_go(struct fix *f)
{
    ring_front_push(&f->tx);
    net_ring_kick(f->ring);
}

/* The next tx response, which must exist. */
static struct netif_tx_response tx_rsp(struct fix *f)
{
    struct netif_tx_response r;
    assert_true(ring_front_get_response(&f->tx, &r));
    return r;
}

static void tx_expect(struct fix *f, uint16_t id, int16_t status)
{
    struct netif_tx_response r = tx_rsp(f);
    assert_int_equal(r.status, status);
    if (status != NETIF_RSP_NULL)
        assert_int_equal(r.id, id);
}

/* What reached dom0: header + frame, or -1 if nothing. */
static ssize_t host_recv(struct fix *f, uint8_t *buf, size_t len)
{
    return recv(f->host, buf, len, 0);
}

static void host_send(struct fix *f, const struct virtio_net_hdr *h, const uint8_t *frame,
                      size_t len)
{
    static uint8_t buf[NET_VNET_HDR + NET_FRAME_MAX];

    memcpy(buf, h, sizeof(*h));
    memcpy(buf + sizeof(*h), frame, len);
    assert_int_equal(sendto(f->host, buf, sizeof(*h) + len, 0, (struct sockaddr *)&f->tap_addr,
                            sizeof(f->tap_addr)), (ssize_t)(sizeof(*h) + len));
}

static void rx_post(struct fix *f, unsigned n, uint32_t first_gref)
{
    for (unsigned i = 0; i < n; i++) {
        struct netif_rx_request r = { .id = (uint16_t)(f->rx.req_prod_pvt & 255),
                                      .gref = first_gref + i };
        assert_true(ring_front_put_request(&f->rx, &r));
    }
    ring_front_push(&f->rx);
}

/* An Ethernet + IPv4 + TCP frame of len bytes (len >= 54), payload filled. */
static void make_tcp4(uint8_t *fr, size_t len)
{
    memset(fr, 0, len);
    memcpy(fr, "\x00\x16\x3e\x00\x00\x01\x00\x16\x3e\x00\x00\x02\x08\x00", 14);
    fr[14] = 0x45;
    fr[16] = (uint8_t)((len - 14) >> 8);
    fr[17] = (uint8_t)(len - 14);
    fr[23] = 6;
    fr[14 + 20 + 12] = 5 << 4;
    for (size_t i = 54; i < len; i++)
        fr[i] = (uint8_t)(i * 7);
}

/* ---- transmit ---- */

static void tx_one_slot_packet_reaches_the_tap(void **state)
{
    struct fix *f = *state;
    uint8_t buf[200];
    struct virtio_net_hdr h;

    make_tcp4(&guest[5][100], 60);
    tx_put(f, 5, 100, 0, 9, 60);
    tx_go(f);
    assert_int_equal(host_recv(f, buf, sizeof(buf)), NET_VNET_HDR + 60);
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.flags, 0);
    assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
    assert_memory_equal(buf + NET_VNET_HDR, &guest[5][100], 60);
    tx_expect(f, 9, NETIF_RSP_OKAY);
    assert_true(notifies >= 1);
    assert_int_equal(net_ring_stats(f->ring)->tx_packets, 1);
}

static void tx_gso_packet_over_two_pages_with_an_extra(void **state)
{
    struct fix *f = *state;
    static uint8_t frame[3000], buf[4000];
    struct netif_extra_info e = { .type = XEN_NETIF_EXTRA_TYPE_GSO };
    struct virtio_net_hdr h;

    make_tcp4(frame, sizeof(frame));
    /* Head: the last 1096 bytes of page 6; the rest on page 7. */
    memcpy(&guest[6][3000], frame, 1096);
    memcpy(&guest[7][0], frame + 1096, 1904);
    e.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    e.u.gso.size = 1448;
    tx_put(f, 6, 3000, NETTXF_csum_blank | NETTXF_data_validated | NETTXF_extra_info |
           NETTXF_more_data, 1, 3000);
    tx_put_extra(f, &e);
    tx_put(f, 7, 0, 0, 2, 1904);
    tx_go(f);
    assert_int_equal(host_recv(f, buf, sizeof(buf)), NET_VNET_HDR + 3000);
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(h.csum_start, 34);
    assert_int_equal(h.csum_offset, 16);
    assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
    assert_int_equal(h.gso_size, 1448);
    assert_int_equal(h.hdr_len, 54);
    assert_memory_equal(buf + NET_VNET_HDR, frame, sizeof(frame));
    tx_expect(f, 1, NETIF_RSP_OKAY);
    tx_expect(f, 0, NETIF_RSP_NULL);
    tx_expect(f, 2, NETIF_RSP_OKAY);
}

static void tx_packet_whose_last_slot_comes_later_waits(void **state)
{
    struct fix *f = *state;
    uint8_t buf[200];
    struct netif_tx_response r;

    make_tcp4(&guest[8][0], 100);
    tx_put(f, 8, 0, NETTXF_more_data, 1, 100);
    tx_go(f);
    assert_false(ring_front_get_response(&f->tx, &r));
    assert_int_equal(host_recv(f, buf, sizeof(buf)), -1);
    tx_put(f, 8, 60, 0, 2, 40);
    tx_go(f);
    assert_int_equal(host_recv(f, buf, sizeof(buf)), NET_VNET_HDR + 100);
    tx_expect(f, 1, NETIF_RSP_OKAY);
    tx_expect(f, 2, NETIF_RSP_OKAY);
}

/* One hostile packet, answered ERROR slot by slot; nothing reaches dom0;
 * a good packet after it still goes through. */
static void refused(struct fix *f, unsigned nslots)
{
    uint8_t buf[200];

    tx_go(f);
    for (unsigned i = 0; i < nslots; i++) {
        struct netif_tx_response r = tx_rsp(f);
        assert_true(r.status == NETIF_RSP_ERROR || r.status == NETIF_RSP_NULL);
    }
    assert_int_equal(host_recv(f, buf, sizeof(buf)), -1);
    make_tcp4(&guest[9][0], 60);
    tx_put(f, 9, 0, 0, 77, 60);
    tx_go(f);
    assert_int_equal(host_recv(f, buf, sizeof(buf)), NET_VNET_HDR + 60);
    tx_expect(f, 77, NETIF_RSP_OKAY);
    assert_int_equal(f->broken, 0);
}

static void tx_hostile_packets_are_refused_and_serving_goes_on(void **state)
{
    struct fix *f = *state;
    struct netif_extra_info e = { .type = XEN_NETIF_EXTRA_TYPE_GSO };

    make_tcp4(&guest[10][0], 1000);
    tx_put(f, 10, 4000, 0, 1, 200);                     /* past the page */
    refused(f, 1);
    tx_put(f, 10, 0, NETTXF_more_data, 1, 100);         /* rest bigger than the whole */
    tx_put(f, 10, 0, 0, 2, 200);
    refused(f, 2);
    tx_put(f, 10, 0, NETTXF_more_data, 1, 300);         /* a later slot past its page */
    tx_put(f, 10, 4090, 0, 2, 100);
    refused(f, 2);
    tx_put(f, 10, 0, 0, 1, 10);                         /* shorter than Ethernet */
    refused(f, 1);
    tx_put(f, 1000, 0, 0, 1, 60);                       /* a grant it does not have */
    refused(f, 1);
    tx_put(f, 10, 0, NETTXF_extra_info, 1, 60);         /* extra of no type */
    e.type = 0;
    tx_put_extra(f, &e);
    refused(f, 2);
    e.type = XEN_NETIF_EXTRA_TYPE_GSO;                  /* GSO of size 0 */
    e.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    e.u.gso.size = 0;
    tx_put(f, 10, 0, NETTXF_extra_info | NETTXF_csum_blank, 1, 60);
    tx_put_extra(f, &e);
    refused(f, 2);
    e.u.gso.size = 1448;                                /* two GSO extras */
    e.flags = XEN_NETIF_EXTRA_FLAG_MORE;
    tx_put(f, 10, 0, NETTXF_extra_info | NETTXF_csum_blank, 1, 60);
    tx_put_extra(f, &e);
    e.flags = 0;
    tx_put_extra(f, &e);
    refused(f, 3);
    tx_put(f, 10, 0, NETTXF_extra_info, 1, 60);         /* GSO without csum_blank */
    tx_put_extra(f, &e);
    refused(f, 2);
    memcpy(&guest[11][12], "\x08\x06", 2);              /* csum_blank on ARP */
    tx_put(f, 11, 0, NETTXF_csum_blank, 1, 60);
    refused(f, 1);
    for (unsigned i = 0; i < NET_TX_MAX_DATA + 1; i++)  /* 19 data slots */
        tx_put(f, 10, 0, i < NET_TX_MAX_DATA ? NETTXF_more_data : 0, (uint16_t)i,
               i ? 1 : NET_TX_MAX_DATA + 60);
    refused(f, NET_TX_MAX_DATA + 1);
    assert_int_equal(net_ring_stats(f->ring)->tx_errors, 11);
}

static void tx_endless_chain_stops_only_this_vif(void **state)
{
    struct fix *f = *state;
    struct netif_tx_response r;

    for (unsigned i = 0; i < NET_TX_MAX_SLOTS; i++)
        tx_put(f, 10, 0, NETTXF_more_data, (uint16_t)i, 60);
    tx_go(f);
    assert_int_equal(f->broken, 1);
    assert_false(ring_front_get_response(&f->tx, &r));
    tx_put(f, 10, 0, 0, 99, 60);                        /* nothing more is read */
    tx_go(f);
    assert_false(ring_front_get_response(&f->tx, &r));
}

static void tx_impossible_producer_index_stops_only_this_vif(void **state)
{
    struct fix *f = *state;

    f->txs->req_prod = 300;     /* more requests than the ring holds */
    net_ring_kick(f->ring);
    assert_int_equal(f->broken, 1);
    assert_false(f->tap_on);
}

static void tx_restart_resumes_at_the_response_index(void **state)
{
    struct fix *f = *state;
    uint8_t buf[200];

    /* Two packets; a dead netback had answered the first one only. */
    make_tcp4(&guest[12][0], 60);
    make_tcp4(&guest[13][0], 70);
    tx_put(f, 12, 0, 0, 1, 60);
    tx_put(f, 13, 0, 0, 2, 70);
    ring_front_push(&f->tx);
    f->txs->ring[0].rsp = (struct netif_tx_response){ .id = 1, .status = NETIF_RSP_OKAY };
    f->txs->rsp_prod = 1;
    net_ring_close(f->ring);
    open_ring(f);
    net_ring_kick(f->ring);
    assert_int_equal(host_recv(f, buf, sizeof(buf)), NET_VNET_HDR + 70);
    assert_int_equal(host_recv(f, buf, sizeof(buf)), -1);
    tx_expect(f, 1, NETIF_RSP_OKAY);
    tx_expect(f, 2, NETIF_RSP_OKAY);
}

/* ---- receive ---- */

static void rx_frame_lands_in_the_slot_of_its_buffer(void **state)
{
    struct fix *f = *state;
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
    struct netif_rx_response r;
    uint8_t frame[100];

    make_tcp4(frame, sizeof(frame));
    net_ring_kick(f->ring);
    assert_true(f->tap_on);
    rx_post(f, 4, 20);
    host_send(f, &h, frame, sizeof(frame));
    net_ring_tap_ready(f->ring);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.id, 0);
    assert_int_equal(r.offset, 0);
    assert_int_equal(r.status, 100);
    assert_int_equal(r.flags, NETRXF_data_validated);
    assert_memory_equal(guest[20], frame, sizeof(frame));
    assert_false(ring_front_get_response(&f->rx, &r));
    assert_int_equal(net_ring_stats(f->ring)->rx_packets, 1);
}

static void rx_gso_frame_spans_buffers_with_its_extra(void **state)
{
    struct fix *f = *state;
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
                                .csum_offset = 16, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                .gso_size = 1448, .hdr_len = 54 };
    static uint8_t frame[10000];
    struct netif_rx_response r;
    struct netif_extra_info e;

    make_tcp4(frame, sizeof(frame));
    net_ring_kick(f->ring);
    rx_post(f, 8, 20);
    host_send(f, &h, frame, sizeof(frame));
    net_ring_tap_ready(f->ring);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.status, 4096);
    assert_int_equal(r.flags, NETRXF_csum_blank | NETRXF_data_validated | NETRXF_extra_info |
                              NETRXF_more_data);
    assert_true(ring_front_get_response(&f->rx, &r));
    memcpy(&e, &r, sizeof(e));
    assert_int_equal(e.type, XEN_NETIF_EXTRA_TYPE_GSO);
    assert_int_equal(e.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
    assert_int_equal(e.u.gso.size, 1448);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.id, 2);
    assert_int_equal(r.status, 4096);
    assert_int_equal(r.flags, NETRXF_more_data);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.id, 3);
    assert_int_equal(r.status, 10000 - 8192);
    assert_int_equal(r.flags, 0);
    assert_memory_equal(guest[20], frame, 4096);
    assert_memory_equal(guest[22], frame + 4096, 4096);
    assert_memory_equal(guest[23], frame + 8192, 10000 - 8192);
}

static void rx_waits_for_buffers_and_asks_to_be_told(void **state)
{
    struct fix *f = *state;
    struct virtio_net_hdr h = { 0 };
    struct netif_rx_response r;
    uint8_t frame[5000];

    make_tcp4(frame, sizeof(frame));
    net_ring_kick(f->ring);
    rx_post(f, 1, 20);                  /* one buffer; the frame needs two */
    host_send(f, &h, frame, sizeof(frame));
    net_ring_tap_ready(f->ring);
    assert_false(ring_front_get_response(&f->rx, &r));
    assert_false(f->tap_on);            /* the TAP waits too */
    assert_int_equal(f->rxs->req_event, f->rx.rsp_cons + 2);
    rx_post(f, 1, 21);
    net_ring_kick(f->ring);
    assert_true(f->tap_on);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.status, 4096);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.status, 5000 - 4096);
}

static void rx_bad_buffer_grant_fails_that_frame_only(void **state)
{
    struct fix *f = *state;
    struct virtio_net_hdr h = { 0 };
    struct netif_rx_response r;
    uint8_t frame[100];

    make_tcp4(frame, sizeof(frame));
    net_ring_kick(f->ring);
    rx_post(f, 1, 1000);                /* not a grant of the guest's */
    rx_post(f, 1, 20);
    host_send(f, &h, frame, sizeof(frame));
    host_send(f, &h, frame, sizeof(frame));
    net_ring_tap_ready(f->ring);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.status, NETIF_RSP_ERROR);
    assert_true(ring_front_get_response(&f->rx, &r));
    assert_int_equal(r.status, 100);
    assert_int_equal(f->broken, 0);
}

static void rx_impossible_producer_index_stops_only_this_vif(void **state)
{
    struct fix *f = *state;
    struct virtio_net_hdr h = { 0 };
    uint8_t frame[100];

    make_tcp4(frame, sizeof(frame));
    net_ring_kick(f->ring);
    f->rxs->req_prod = 1000;
    host_send(f, &h, frame, sizeof(frame));
    net_ring_tap_ready(f->ring);
    assert_int_equal(f->broken, 1);
    assert_false(f->tap_on);
}

/* ---- header decoding ---- */

static void ipv6_tcp_checksum_offsets(void **state)
{
    uint8_t fr[14 + 40 + 8 + 20] = { 0 };
    struct net_tx_pkt p = { .flags = NETTXF_csum_blank, .len = sizeof(fr) };
    struct virtio_net_hdr h;

    (void)state;
    fr[12] = 0x86;
    fr[13] = 0xdd;
    fr[14] = 0x60;
    fr[14 + 6] = 0;             /* hop-by-hop options first */
    fr[54] = 6;                 /* then TCP */
    fr[55] = 0;
    fr[62 + 12] = 5 << 4;
    assert_int_equal(net_tx_vnet_hdr(fr, sizeof(fr), &p, &h), 0);
    assert_int_equal(h.csum_start, 62);
    assert_int_equal(h.csum_offset, 16);
    fr[14 + 6] = 44;            /* a fragment: no */
    assert_int_equal(net_tx_vnet_hdr(fr, sizeof(fr), &p, &h), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(tx_one_slot_packet_reaches_the_tap),
        T(tx_gso_packet_over_two_pages_with_an_extra),
        T(tx_packet_whose_last_slot_comes_later_waits),
        T(tx_hostile_packets_are_refused_and_serving_goes_on),
        T(tx_endless_chain_stops_only_this_vif),
        T(tx_impossible_producer_index_stops_only_this_vif),
        T(tx_restart_resumes_at_the_response_index),
        T(rx_frame_lands_in_the_slot_of_its_buffer),
        T(rx_gso_frame_spans_buffers_with_its_extra),
        T(rx_waits_for_buffers_and_asks_to_be_told),
        T(rx_bad_buffer_grant_fails_that_frame_only),
        T(rx_impossible_producer_index_stops_only_this_vif),
        cmocka_unit_test(ipv6_tcp_checksum_offsets),
#undef T
    };

    be_log_to(stderr);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
