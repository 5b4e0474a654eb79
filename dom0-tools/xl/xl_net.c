/* SPDX-License-Identifier: MIT */
/*
 * Virtual network interfaces (see xl_net.h).  The layout is Xen's
 * (libxl's device add; shared/ref/toolstack-protocols.md §2), for
 * back-end domain 0:
 *
 *   /local/domain/N/device/vif/<devid>            guest owns, dom0 reads
 *     backend, backend-id, state=1, handle, mac, trusted[, mtu]
 *   /local/domain/0/backend/vif/N/<devid>         dom0 owns, guest reads
 *     frontend, frontend-id, online=1, state=1, handle, mac, bridge,
 *     type=vif, script, hotplug-status=""[, mtu, vifname, ip]
 *   /libxl/N/device/vif/<devid>                   dom0 only
 *     frontend, backend
 *
 * netback (dom0-tools/netback) serves every vif of every guest: it makes
 * the TAP vif<N>.<devid>, runs the script (vif-bridge: join `bridge`)
 * and writes hotplug-status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "xl_dev.h"
#include "xl_net.h"

#define NETBACK_PIDFILE "/run/netback.pid"
#define NETBACK_LOG     "/var/log/xen/netback.log"
#define SCRIPT_DIR      "/etc/xen/scripts"
#define DEFAULT_SCRIPT  "vif-bridge"
#define DEFAULT_BRIDGE  "xenbr0"
#define HOTPLUG_WAIT_MS 10000u

struct vif_add {
    domid_t domid;
    const struct xl_vif *v;
    uint8_t mac[6];
};

static void paths(domid_t domid, uint32_t devid, char fe[96], char be[96])
{
    snprintf(fe, 96, "/local/domain/%u/device/vif/%u", domid, devid);
    snprintf(be, 96, "/local/domain/%u/backend/vif/%u/%u", XL_DEV_BACKEND_DOMID, domid, devid);
}

static void write_trees(struct xl_put *c, const void *arg)
{
    const struct vif_add *a = arg;
    const struct xl_vif *v = a->v;
    const uint8_t *m = a->mac;
    const char *script = v->script && *v->script ? v->script : DEFAULT_SCRIPT;
    char fe[96], be[96], lx[96], mac[18];

    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
             m[5]);
    paths(a->domid, v->devid, fe, be);
    /* Leftovers of an earlier device with this id go first. */
    xs_rm(c->h, c->t, fe);
    xs_rm(c->h, c->t, be);

    xl_put_owner(c, a->domid, XL_DEV_BACKEND_DOMID);
    xl_put(c, fe, "", "%s", "");
    xl_put(c, fe, "backend", "%s", be);
    xl_put(c, fe, "backend-id", "%u", XL_DEV_BACKEND_DOMID);
    xl_put(c, fe, "state", "1");
    xl_put(c, fe, "handle", "%u", v->devid);
    xl_put(c, fe, "mac", "%s", mac);
    xl_put(c, fe, "trusted", "%d", v->trusted != 0);
    if (v->mtu)
        xl_put(c, fe, "mtu", "%u", v->mtu);

    xl_put_owner(c, XL_DEV_BACKEND_DOMID, a->domid);
    xl_put(c, be, "", "%s", "");
    xl_put(c, be, "frontend", "%s", fe);
    xl_put(c, be, "frontend-id", "%u", a->domid);
    xl_put(c, be, "online", "1");
    xl_put(c, be, "state", "1");
    xl_put(c, be, "handle", "%u", v->devid);
    xl_put(c, be, "mac", "%s", mac);
    xl_put(c, be, "bridge", "%s", v->bridge && *v->bridge ? v->bridge : DEFAULT_BRIDGE);
    xl_put(c, be, "type", "vif");
    /* As libxl: a script without a slash is one of Xen's. */
    xl_put(c, be, "script", "%s%s", strchr(script, '/') ? "" : SCRIPT_DIR "/", script);
    xl_put(c, be, "hotplug-status", "%s", "");
    if (v->mtu && v->mtu != 1500)
        xl_put(c, be, "mtu", "%u", v->mtu);
    if (v->vifname)
        xl_put(c, be, "vifname", "%s", v->vifname);
    if (v->ip)
        xl_put(c, be, "ip", "%s", v->ip);

    xl_put_owner(c, 0, 0);
    snprintf(lx, sizeof(lx), "/libxl/%u/device/vif/%u", a->domid, v->devid);
    xl_put(c, lx, "frontend", "%s", fe);
    xl_put(c, lx, "backend", "%s", be);
}

int xl_net_check(const struct xl_vif *v, char *why, size_t why_len)
{
    if (v->backend && strcmp(v->backend, "0") && strcmp(v->backend, "Domain-0")) {
        snprintf(why, why_len, "vif %u: backend %s: only domain 0 serves networks", v->devid,
                 v->backend);
        return -1;
    }
    if (v->rate) {
        snprintf(why, why_len, "vif %u: rate=%s: netback has no rate limiting", v->devid,
                 v->rate);
        return -1;
    }
    if (v->vifname && (!*v->vifname || strlen(v->vifname) > 15 || strchr(v->vifname, '/'))) {
        snprintf(why, why_len, "vif %u: vifname '%s' is not a network device name",
                 v->devid, v->vifname);
        return -1;
    }
    return 0;
}

int xl_net_add(struct xs_handle *h, domid_t domid, const struct xl_vif *v, char *why,
               size_t why_len)
{
    struct vif_add a = { .domid = domid, .v = v };

    if (xl_net_check(v, why, why_len))
        return -1;
    if (v->have_mac) {
        memcpy(a.mac, v->mac, 6);
    } else {
        /* Xen's range, as libxl makes them: 00:16:3e and three random bytes. */
        a.mac[1] = 0x16;
        a.mac[2] = 0x3e;
        if (getrandom(&a.mac[3], 3, 0) != 3) {
            snprintf(why, why_len, "vif %u: random MAC: %s", v->devid, mica_strerror(errno));
            return -1;
        }
        a.mac[3] &= 0x7f;
    }
    return xl_dev_commit(h, write_trees, &a, why, why_len);
}

int xl_net_start_backend(char *why, size_t why_len)
{
    return xl_dev_start_backend("netback", "MICA_NETBACK", NETBACK_PIDFILE, NETBACK_LOG, why,
                                why_len);
}

int xl_net_wait_hotplug(struct xs_handle *h, domid_t domid, uint32_t devid, char *why,
                        size_t why_len)
{
    char fe[96], be[96], path[128];
    struct timespec ts = { .tv_nsec = 100 * 1000000 };

    paths(domid, devid, fe, be);
    snprintf(path, sizeof(path), "%s/hotplug-status", be);
    for (unsigned waited = 0; waited < HOTPLUG_WAIT_MS; waited += 100) {
        unsigned len;
        char *v = xs_read(h, XBT_NULL, path, &len);
        bool ok = v && !strcmp(v, "connected"), bad = v && !strcmp(v, "error");

        free(v);
        if (ok)
            return 0;
        if (bad) {
            snprintf(why, why_len, "vif %u: the hotplug script failed (is there a bridge? "
                     "see " NETBACK_LOG ")", devid);
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    snprintf(why, why_len, "vif %u: netback did not set it up in %u s (see " NETBACK_LOG ")",
             devid, HOTPLUG_WAIT_MS / 1000);
    return -1;
}

/* ---- commands ---- */

/* The lowest devid no vif of domain id uses (as libxl picks). */
static uint32_t free_devid(struct xs_handle *h, domid_t id)
{
    char dir[64];
    unsigned n = 0;
    char **ids;
    uint32_t devid = 0;
    bool used;

    snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", id);
    if (!(ids = xs_directory(h, XBT_NULL, dir, &n)))
        return 0;
    do {
        used = false;
        for (unsigned i = 0; i < n && !used; i++)
            used = strtoul(ids[i], NULL, 10) == devid;
        devid += used;
    } while (used);
    free(ids);
    return devid;
}

/* A vif netback could not set up: said why, and its trees removed (as
 * libxl does when a device's hotplug fails). */
static void remove_trees(struct xl *x, struct xs_handle *h, domid_t id, uint32_t devid,
                         const char *why)
{
    char fe[96], be[96], lx[96];

    fprintf(x->err, "xl: network-attach to domain %u: %s\n", id, why);
    paths(id, devid, fe, be);
    snprintf(lx, sizeof(lx), "/libxl/%u/device/vif/%u", id, devid);
    xs_rm(h, XBT_NULL, fe);
    xs_rm(h, XBT_NULL, be);
    xs_rm(h, XBT_NULL, lx);
}

int cmd_network_attach(struct xl *x, int argc, char **argv)
{
    struct xl_vif v;
    char spec[1024], why[256];
    struct xs_handle *h;
    domid_t id;
    int rc = XL_FAIL;

    optind = 1;
    if (xl_getopt(x, argc, argv, "") != -1)
        return XL_FAIL;
    if (argc - optind < 1)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[optind], &id))
        return XL_FAIL;
    if (xl_dev_join_spec(x, argc, argv, optind + 1, spec, sizeof(spec), "network-attach"))
        return XL_FAIL;
    if (!(h = xl_dev_xs(x, "network-attach")))
        return XL_FAIL;
    if (xl_cfg_vif(spec, "network-attach", free_devid(h, id), &v, x->err)) {
        xl_vif_free(&v);
        xs_close(h);
        return XL_FAIL;
    }
    if (xl_net_add(h, id, &v, why, sizeof(why)) || xl_net_start_backend(why, sizeof(why)))
        fprintf(x->err, "xl: network-attach to domain %u: %s\n", id, why);
    else if (xl_net_wait_hotplug(h, id, v.devid, why, sizeof(why)))
        remove_trees(x, h, id, v.devid, why);
    else
        rc = XL_OK;
    xs_close(h);
    xl_vif_free(&v);
    return rc;
}

/* A devid, or a MAC of one of the domain's vifs (Xen takes either). */
static int find_vif(struct xs_handle *h, domid_t id, const char *spec, uint32_t *devid)
{
    char dir[64], path[128], *end, *mac;
    unsigned long n = strtoul(spec, &end, 10);
    unsigned cnt = 0, len;
    char **ids;
    int rc = -1;

    if (*spec && !*end && n <= 0xffff) {
        *devid = (uint32_t)n;
        return 0;
    }
    snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", id);
    if (!(ids = xs_directory(h, XBT_NULL, dir, &cnt)))
        return -1;
    for (unsigned i = 0; i < cnt && rc; i++) {
        snprintf(path, sizeof(path), "%s/%s/mac", dir, ids[i]);
        if ((mac = xs_read(h, XBT_NULL, path, &len)) && !strcasecmp(mac, spec)) {
            *devid = (uint32_t)strtoul(ids[i], NULL, 10);
            rc = 0;
        }
        free(mac);
    }
    free(ids);
    return rc;
}

int cmd_network_detach(struct xl *x, int argc, char **argv)
{
    char fe[96], be[96], lx[96], what[64];
    struct xs_handle *h;
    uint32_t devid;
    domid_t id;

    optind = 1;
    if (xl_getopt(x, argc, argv, "") != -1)
        return XL_FAIL;
    if (argc - optind != 2)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[optind], &id))
        return XL_FAIL;
    if (!(h = xl_dev_xs(x, "network-detach")))
        return XL_FAIL;
    if (find_vif(h, id, argv[optind + 1], &devid)) {
        fprintf(x->err, "xl: network-detach: '%s' is not a device number or MAC of domain "
                "%u\n", argv[optind + 1], id);
        xs_close(h);
        return XL_FAIL;
    }
    paths(id, devid, fe, be);
    if (xl_dev_read_int(h, be, "state", -1) < 0) {
        fprintf(x->err, "xl: network-detach: domain %u has no vif %u\n", id, devid);
        xs_close(h);
        return XL_FAIL;
    }
    snprintf(lx, sizeof(lx), "/libxl/%u/device/vif/%u", id, devid);
    snprintf(what, sizeof(what), "network-detach: the back end of vif %u", devid);
    xl_dev_detach(x, h, fe, be, lx, what);
    xs_close(h);
    return XL_OK;
}

/* Xen's columns: Idx BE Mac Addr. handle state evt-ch tx-/rx-ring-ref
 * BE-path (the front end's view; -1 where it has not written). */
static void list_row(struct xl *x, struct xs_handle *h, domid_t id, const char *fe,
                     unsigned long devid)
{
    char path[160], *be, *mac;
    unsigned len;

    (void)id;
    snprintf(path, sizeof(path), "%s/backend", fe);
    be = xs_read(h, XBT_NULL, path, &len);
    snprintf(path, sizeof(path), "%s/mac", fe);
    mac = xs_read(h, XBT_NULL, path, &len);
    fprintf(x->out, "%-3lu %-2d %-17s %-6d %-5d %-6d %5d/%-11d %-30s\n", devid,
            xl_dev_read_int(h, fe, "backend-id", -1), mac ? mac : "-",
            xl_dev_read_int(h, fe, "handle", -1), xl_dev_read_int(h, fe, "state", -1),
            xl_dev_read_int(h, fe, "event-channel", -1),
            xl_dev_read_int(h, fe, "tx-ring-ref", -1), xl_dev_read_int(h, fe, "rx-ring-ref", -1),
            be ? be : "");
    free(be);
    free(mac);
}

int cmd_network_list(struct xl *x, int argc, char **argv)
{
    char head[128];

    snprintf(head, sizeof(head), "%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-11s %-30s", "Idx", "BE",
             "Mac Addr.", "handle", "state", "evt-ch", "tx-", "rx-ring-ref", "BE-path");
    return xl_dev_list(x, argc, argv, "vif", head, list_row);
}
