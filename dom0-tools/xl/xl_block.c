/* SPDX-License-Identifier: MIT */
/*
 * Virtual block devices (see xl_block.h).  The layout is Xen's (libxl's
 * device add; shared/ref/toolstack-protocols.md §2), for back-end domain 0:
 *
 *   /local/domain/N/device/vbd/<devid>            guest owns, dom0 reads
 *     backend, backend-id, state=1, virtual-device, device-type, protocol
 *   /local/domain/0/backend/vbd/N/<devid>         dom0 owns, guest reads
 *     frontend, frontend-id, online=1, state=1, removable=0, bootable=1,
 *     dev, type, mode, device-type, params[, discard-enable]
 *   /libxl/N/device/vbd/<devid>                   dom0 only
 *     frontend, backend
 *
 * devid is the vdev's number (xen-vbd-interface(7): xvda = 51712).  Both
 * trees are written with state 1 before the guest runs, as blkfront needs.
 * blkback (dom0-tools/blkback) serves every such device of every guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xl_block.h"
#include "xl_dev.h"

#define BLKBACK_PIDFILE "/run/blkback.pid"
#define BLKBACK_LOG     "/var/log/xen/blkback.log"
#define BACKEND_DOMID   XL_DEV_BACKEND_DOMID

static const char *format_name(enum xl_disk_format f)
{
    switch (f) {
    case XL_DISK_FORMAT_RAW: return "raw";
    case XL_DISK_FORMAT_QCOW: return "qcow";
    case XL_DISK_FORMAT_QCOW2: return "qcow2";
    case XL_DISK_FORMAT_VHD: return "vhd";
    case XL_DISK_FORMAT_QED: return "qed";
    default: return "empty";
    }
}

static void paths(domid_t domid, uint32_t devid, char fe[96], char be[96])
{
    snprintf(fe, 96, "/local/domain/%u/device/vbd/%u", domid, devid);
    snprintf(be, 96, "/local/domain/%u/backend/vbd/%u/%u", BACKEND_DOMID, domid, devid);
}

struct disk_add {
    domid_t domid;
    const struct xl_disk *d;
};

static void write_trees(struct xl_put *c, const void *arg)
{
    domid_t domid = ((const struct disk_add *)arg)->domid;
    const struct xl_disk *d = ((const struct disk_add *)arg)->d;
    char fe[96], be[96], lx[96];
    const char *devtype = d->cdrom ? "cdrom" : "disk";

    paths(domid, d->devid, fe, be);
    /* Leftovers of an earlier device with this id go first. */
    xs_rm(c->h, c->t, fe);
    xs_rm(c->h, c->t, be);

    xl_put_owner(c, domid, BACKEND_DOMID);
    xl_put(c, fe, "", "%s", "");
    xl_put(c, fe, "backend", "%s", be);
    xl_put(c, fe, "backend-id", "%u", BACKEND_DOMID);
    xl_put(c, fe, "state", "1");
    xl_put(c, fe, "virtual-device", "%u", d->devid);
    xl_put(c, fe, "device-type", "%s", devtype);
    xl_put(c, fe, "protocol", "x86_64-abi");

    xl_put_owner(c, BACKEND_DOMID, domid);
    xl_put(c, be, "", "%s", "");
    xl_put(c, be, "frontend", "%s", fe);
    xl_put(c, be, "frontend-id", "%u", domid);
    xl_put(c, be, "online", "1");
    xl_put(c, be, "state", "1");
    xl_put(c, be, "removable", "0");
    xl_put(c, be, "bootable", "1");
    xl_put(c, be, "dev", "%s", d->vdev);
    xl_put(c, be, "type", "%s", d->backendtype ? d->backendtype : "phy");
    xl_put(c, be, "mode", "%s", d->readwrite ? "w" : "r");
    xl_put(c, be, "device-type", "%s", devtype);
    xl_put(c, be, "params", "%s", d->target);
    if (d->discard >= 0)
        xl_put(c, be, "discard-enable", "%d", d->discard);

    xl_put_owner(c, 0, 0);
    snprintf(lx, sizeof(lx), "/libxl/%u/device/vbd/%u", domid, d->devid);
    xl_put(c, lx, "frontend", "%s", fe);
    xl_put(c, lx, "backend", "%s", be);
}

int xl_block_check(const struct xl_disk *d, char *why, size_t why_len)
{
    struct stat st;
    int fd;

    if (d->format != XL_DISK_FORMAT_RAW) {
        snprintf(why, why_len, "disk %s: format %s: blkback serves raw images and block "
                 "devices only", d->vdev, format_name(d->format));
        return -1;
    }
    fd = open(d->target, (d->readwrite ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        snprintf(why, why_len, "disk %s: %s: %s", d->vdev, d->target, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        snprintf(why, why_len, "disk %s: %s is neither a file nor a block device", d->vdev,
                 d->target);
        return -1;
    }
    return 0;
}

int xl_block_add(struct xs_handle *h, domid_t domid, const struct xl_disk *d, char *why,
                 size_t why_len)
{
    if (d->format != XL_DISK_FORMAT_RAW) {
        snprintf(why, why_len, "disk %s: format %s: blkback serves raw images and block "
                 "devices only", d->vdev, format_name(d->format));
        return -1;
    }
    if (d->backend && strcmp(d->backend, "0") && strcmp(d->backend, "Domain-0")) {
        snprintf(why, why_len, "disk %s: backend %s: only domain 0 serves disks", d->vdev,
                 d->backend);
        return -1;
    }
    struct disk_add add = { .domid = domid, .d = d };

    return xl_dev_commit(h, write_trees, &add, why, why_len);
}

int xl_block_start_backend(char *why, size_t why_len)
{
    return xl_dev_start_backend("blkback", "MICA_BLKBACK", BLKBACK_PIDFILE, BLKBACK_LOG, why,
                                why_len);
}

/* ---- commands ---- */

int cmd_block_attach(struct xl *x, int argc, char **argv)
{
    struct xl_disk d;
    char spec[1024], why[256];
    struct xs_handle *h;
    domid_t id;
    int rc = XL_FAIL;

    optind = 1;
    if (xl_getopt(x, argc, argv, "") != -1)
        return XL_FAIL;
    if (argc - optind < 2)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[optind], &id))
        return XL_FAIL;
    if (xl_dev_join_spec(x, argc, argv, optind + 1, spec, sizeof(spec), "block-attach"))
        return XL_FAIL;
    if (xl_cfg_disk(spec, "block-attach", &d, x->err)) {
        xl_disk_free(&d);
        return XL_FAIL;
    }
    if (xl_block_check(&d, why, sizeof(why))) {
        fprintf(x->err, "xl: block-attach to domain %u: %s\n", id, why);
        xl_disk_free(&d);
        return XL_FAIL;
    }
    if (!(h = xl_dev_xs(x, "block-attach")))
        goto out;
    if (xl_block_add(h, id, &d, why, sizeof(why)) || xl_block_start_backend(why, sizeof(why)))
        fprintf(x->err, "xl: block-attach to domain %u: %s\n", id, why);
    else
        rc = XL_OK;
    xs_close(h);
out:
    xl_disk_free(&d);
    return rc;
}

int cmd_block_detach(struct xl *x, int argc, char **argv)
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
    if (xl_vdev_to_devid(argv[optind + 1], &devid)) {
        fprintf(x->err, "xl: block-detach: '%s' is not a vdev or device number\n",
                argv[optind + 1]);
        return XL_FAIL;
    }
    if (!(h = xl_dev_xs(x, "block-detach")))
        return XL_FAIL;
    paths(id, devid, fe, be);
    if (xl_dev_read_int(h, be, "state", -1) < 0) {
        fprintf(x->err, "xl: block-detach: domain %u has no disk %u\n", id, devid);
        xs_close(h);
        return XL_FAIL;
    }
    snprintf(lx, sizeof(lx), "/libxl/%u/device/vbd/%u", id, devid);
    snprintf(what, sizeof(what), "block-detach: the back end of disk %u", devid);
    xl_dev_detach(x, h, fe, be, lx, what);
    xs_close(h);
    return XL_OK;
}

/* Xen's columns: Vdev BE handle state evt-ch ring-ref BE-path (handle is
 * the front end's domain; -1 where the front end has not said). */
static void list_row(struct xl *x, struct xs_handle *h, domid_t id, const char *fe,
                     unsigned long devid)
{
    char path[160], *be;
    unsigned len;

    snprintf(path, sizeof(path), "%s/backend", fe);
    be = xs_read(h, XBT_NULL, path, &len);
    fprintf(x->out, "%-5lu %-3d %-6u %-5d %-6d %-8d %-30s\n", devid,
            xl_dev_read_int(h, fe, "backend-id", -1), id, xl_dev_read_int(h, fe, "state", -1),
            xl_dev_read_int(h, fe, "event-channel", -1), xl_dev_read_int(h, fe, "ring-ref", -1),
            be ? be : "");
    free(be);
}

int cmd_block_list(struct xl *x, int argc, char **argv)
{
    char head[96];

    snprintf(head, sizeof(head), "%-5s %-3s %-6s %-5s %-6s %-8s %-30s", "Vdev", "BE", "handle",
             "state", "evt-ch", "ring-ref", "BE-path");
    return xl_dev_list(x, argc, argv, "vbd", head, list_row);
}
