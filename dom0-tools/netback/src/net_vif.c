/* SPDX-License-Identifier: MIT */
/* The vif device type (see net_vif.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "be_log.h"
#include "be_loop.h"
#include "net_ring.h"
#include "net_vif.h"

#define MAX_PORT (1u << 17)
#define DEFAULT_SCRIPT "/etc/xen/scripts/vif-bridge"
#define DEFAULT_BRIDGE "xenbr0"

const char *net_vif_sim_dir;

struct vif {
    struct pollable tap_p;      /* first: the loop hands it back */
    struct be_dev *d;
    char ifname[16];
    char *script;               /* NULL: none to run */
    char bridge[16];
    char mac[18];
    struct net_tap *tap;
    void *tx_sring, *rx_sring;
    struct net_ring *ring;
    struct be_evtchn *evtchn;
    bool failed;                /* setup failed: its TAP goes too */
};

static void vif_release(struct be_dev *d);

/* The hotplug script, as Xen's udev rules run it: `script online|offline`
 * with vif, bridge, mac and XENBUS_PATH in its environment.  What it
 * needs is read at setup: at removal the keys are gone.  0 if it exited
 * 0 (or there is none to run). */
static int run_script(struct be_dev *d, struct vif *v, const char *action)
{
    int st = 0;
    pid_t pid;

    if (!v->script)
        return 0;
    if ((pid = fork()) == 0) {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);  /* the loop blocks SIGTERM */
        setenv("vif", v->ifname, 1);
        setenv("bridge", v->bridge, 1);
        setenv("mac", v->mac, 1);
        setenv("XENBUS_PATH", d->be_path, 1);
        execl(v->script, v->script, action, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        be_log("%s: %s %s %s failed (status %d)", d->name, v->script, action, v->ifname,
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    return 0;
}

/* The script, bridge and MAC the toolstack gave. */
static void read_keys(struct be_dev *d, struct vif *v)
{
    char *script = be_read(d, false, "script");
    char *bridge = be_read(d, false, "bridge");
    char *mac = be_read(d, false, "mac");

    if (script && *script)
        v->script = strdup(script);
    else if (!net_vif_sim_dir)
        v->script = strdup(DEFAULT_SCRIPT);
    snprintf(v->bridge, sizeof(v->bridge), "%s", bridge && *bridge ? bridge : DEFAULT_BRIDGE);
    snprintf(v->mac, sizeof(v->mac), "%s", mac ? mac : "");
    free(script);
    free(bridge);
    free(mac);
}

static int vif_setup(struct be_dev *d)
{
    struct vif *v = calloc(1, sizeof(*v));
    char *name = be_read(d, false, "vifname");

    if (!v) {
        free(name);
        return -1;
    }
    v->d = d;
    v->tap_p.fd = -1;
    v->tap_p.dead = true;
    if (name && *name && strlen(name) < sizeof(v->ifname))
        snprintf(v->ifname, sizeof(v->ifname), "%s", name);
    else
        snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", d->fe_domid, d->devid);
    free(name);
    read_keys(d, v);
    d->priv = v;
    if (!(v->tap = net_tap_open(v->ifname, net_vif_sim_dir)) || run_script(d, v, "online")) {
        be_write(d, "hotplug-status", "error");
        v->failed = true;
        vif_release(d);
        return -1;
    }
    /* What netfront reads when it sees InitWait.  No multi-queue, no
     * split event channels, no multicast control, no control ring. */
    if (be_write(d, "hotplug-status", "connected") || be_write(d, "feature-rx-copy", "1") ||
        be_write(d, "feature-rx-flip", "0") || be_write(d, "feature-sg", "1") ||
        be_write(d, "feature-gso-tcpv4", "1") || be_write(d, "feature-gso-tcpv6", "1") ||
        be_write(d, "feature-ipv6-csum-offload", "1")) {
        vif_release(d);
        return -1;
    }
    be_log("%s: %s", d->name, v->ifname);
    return 0;
}

static bool fe_flag(struct be_dev *d, const char *key)
{
    uint64_t v = 0;

    return !be_read_uint(d, true, key, 1, &v) && v == 1;
}

static void tap_ready(struct pollable *p, uint32_t events)
{
    struct vif *v = (struct vif *)p;

    (void)events;
    if (v->ring)
        net_ring_tap_ready(v->ring);
}

static void tap_poll(void *arg, bool on)
{
    struct vif *v = arg;

    if (on && v->tap_p.dead) {
        v->tap_p.fd = net_tap_fd(v->tap);
        v->tap_p.ready = tap_ready;
        if (be_loop_add(&v->tap_p, EPOLLIN))
            v->tap_p.dead = true;
    } else if (!on && !v->tap_p.dead) {
        be_loop_del(&v->tap_p);
    }
}

static void ring_broken(void *arg)
{
    struct vif *v = arg;

    /* netfront sees Closing and closes; the machine does the rest. */
    be_write(v->d, "state", "5");
}

static const struct net_ring_ops ring_ops = { .tap_poll = tap_poll, .broken = ring_broken };

/* The front end's keys: its two rings, its port, what it takes. */
static int read_front(struct be_dev *d, uint32_t refs[2], unsigned *port,
                      struct net_rx_caps *caps)
{
    uint64_t tx, rx, p, nq;

    if (!be_read_uint(d, true, "multi-queue-num-queues", UINT32_MAX, &nq) && nq != 1) {
        be_log("%s: front end asks for %llu queues; one is offered", d->name,
               (unsigned long long)nq);
        return -1;
    }
    if (be_read_uint(d, true, "tx-ring-ref", UINT32_MAX, &tx) ||
        be_read_uint(d, true, "rx-ring-ref", UINT32_MAX, &rx)) {
        be_log("%s: front end's tx-ring-ref or rx-ring-ref missing or bad", d->name);
        return -1;
    }
    if (be_read_uint(d, true, "event-channel", MAX_PORT - 1, &p) || p == 0) {
        be_log("%s: front end's event-channel missing or bad (split channels are not "
               "offered)", d->name);
        return -1;
    }
    if (!fe_flag(d, "request-rx-copy")) {
        be_log("%s: front end does not ask for rx-copy (page flipping is not offered)",
               d->name);
        return -1;
    }
    if (!fe_flag(d, "feature-rx-notify")) {
        be_log("%s: front end does not promise rx notifications", d->name);
        return -1;
    }
    refs[0] = (uint32_t)tx;
    refs[1] = (uint32_t)rx;
    *port = (unsigned)p;
    caps->csum = !fe_flag(d, "feature-no-csum-offload");
    caps->gso_tcpv4 = caps->csum && fe_flag(d, "feature-sg") && fe_flag(d, "feature-gso-tcpv4");
    caps->gso_tcpv6 = caps->csum && fe_flag(d, "feature-sg") && fe_flag(d, "feature-gso-tcpv6");
    return 0;
}

static void unmap(struct vif *v)
{
    if (v->tx_sring)
        be.plat->unmap_ring(v->tx_sring, 1);
    if (v->rx_sring)
        be.plat->unmap_ring(v->rx_sring, 1);
    v->tx_sring = v->rx_sring = NULL;
}

static int vif_connect(struct be_dev *d)
{
    struct vif *v = d->priv;
    struct net_rx_caps caps;
    uint32_t refs[2];
    unsigned port;

    if (read_front(d, refs, &port, &caps))
        return -1;
    if (!(v->tx_sring = be.plat->map_ring(d->fe_domid, &refs[0], 1)) ||
        !(v->rx_sring = be.plat->map_ring(d->fe_domid, &refs[1], 1)))
        goto fail;
    if (net_tap_offload(v->tap, &caps))
        goto fail;
    v->ring = net_ring_open(be.plat, d->name, d->fe_domid, v->tx_sring, v->rx_sring, v->tap,
                            &caps, &ring_ops, v);
    if (!v->ring) {
        be_log("%s: cannot serve the rings", d->name);
        goto fail;
    }
    if (!(v->evtchn = be.plat->bind(d->fe_domid, port, net_ring_kick, v->ring)))
        goto fail;
    net_ring_set_evtchn(v->ring, v->evtchn);
    be_log("%s: rings from grants %u/%u, event channel %u%s%s%s", d->name, refs[0], refs[1],
           port, caps.csum ? ", rx checksum offload" : "", caps.gso_tcpv4 ? ", rx GSO v4" : "",
           caps.gso_tcpv6 ? ", rx GSO v6" : "");
    /* Requests may be waiting already (a restart, or a quick front end). */
    net_ring_kick(v->ring);
    return 0;
fail:
    if (v->ring)
        net_ring_close(v->ring);
    v->ring = NULL;
    unmap(v);
    return -1;
}

static void vif_disconnect(struct be_dev *d)
{
    struct vif *v = d->priv;
    const struct net_ring_stats *s;

    if (!v || !v->ring)
        return;
    s = net_ring_stats(v->ring);
    be_log("%s: tx %llu packets (%llu bytes, %llu refused, %llu dropped), rx %llu packets "
           "(%llu bytes, %llu failed, %llu dropped)", d->name,
           (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
           (unsigned long long)s->tx_errors, (unsigned long long)s->tx_dropped,
           (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
           (unsigned long long)s->rx_errors, (unsigned long long)s->rx_dropped);
    be.plat->unbind(v->evtchn);
    net_ring_close(v->ring);
    unmap(v);
    v->evtchn = NULL;
    v->ring = NULL;
}

/* Is the device going away for good (rather than netback stopping)? */
static bool going(struct be_dev *d)
{
    uint64_t online = 1, st;
    char *dir = be_read(d, false, "frontend");
    bool gone = !dir || be_read_uint(d, false, "online", 1, &online) || !online ||
                be_read_uint(d, true, "state", 8, &st);

    free(dir);
    return gone;
}

static void vif_release(struct be_dev *d)
{
    struct vif *v = d->priv;
    bool destroy;

    if (!v)
        return;
    vif_disconnect(d);
    tap_poll(v, false);
    destroy = v->failed || going(d);
    if (v->tap && destroy)
        run_script(d, v, "offline");
    net_tap_close(v->tap, destroy);
    if (destroy)
        be_log("%s: %s removed", d->name, v->ifname);
    free(v->script);
    be_loop_free_later(v);
    d->priv = NULL;
}

const struct be_type net_vif_type = {
    .name = "vif", .setup = vif_setup, .connect = vif_connect,
    .disconnect = vif_disconnect, .release = vif_release,
};
