/* SPDX-License-Identifier: MIT */
/* The vbd device type (see blk_vbd.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "be_log.h"
#include "blk_ring.h"
#include "blk_vbd.h"

#define MAX_PORT (1u << 17)

struct vbd {
    int fd;
    struct blk_limits lim;
    unsigned info;              /* VDISK_* */
    void *sring;
    unsigned npages;
    struct blk_ring *ring;
    struct be_evtchn *evtchn;
};

static void vbd_release(struct be_dev *d);

/* The disk: open it as the mode says and learn its size. */
static int open_disk(struct be_dev *d, struct vbd *v)
{
    char *params = be_read(d, false, "params");
    char *mode = be_read(d, false, "mode");
    char *devtype = be_read(d, false, "device-type");
    char *discard = be_read(d, false, "discard-enable");
    struct stat st;
    uint64_t bytes = 0;
    int rc = -1;

    v->fd = -1;
    if (!params || !*params || !mode) {
        be_log("%s: no params or mode in %s", d->name, d->be_path);
        goto out;
    }
    v->lim.readonly = mode[0] != 'w';
    if (devtype && !strcmp(devtype, "cdrom")) {
        v->info |= VDISK_CDROM;
        v->lim.readonly = true;
    }
    if (v->lim.readonly)
        v->info |= VDISK_READONLY;
    v->fd = open(params, (v->lim.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (v->fd < 0 || fstat(v->fd, &st)) {
        be_log("%s: %s: %s", d->name, params, strerror(errno));
        goto out;
    }
    if (S_ISREG(st.st_mode)) {
        bytes = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(v->fd, BLKGETSIZE64, &bytes)) {
            be_log("%s: %s: size: %s", d->name, params, strerror(errno));
            goto out;
        }
    } else {
        be_log("%s: %s is neither a file nor a block device", d->name, params);
        goto out;
    }
    v->lim.sectors = bytes / BLK_SECTOR;
    v->lim.discard = !v->lim.readonly && !(discard && !strcmp(discard, "0"));
    v->lim.max_indirect_segs = BLK_MAX_INDIRECT_SEGS;
    be_log("%s: %s, %llu sectors, %s", d->name, params, (unsigned long long)v->lim.sectors,
           v->lim.readonly ? "read-only" : "read-write");
    rc = 0;
out:
    if (rc && v->fd >= 0) {
        close(v->fd);
        v->fd = -1;
    }
    free(params);
    free(mode);
    free(devtype);
    free(discard);
    return rc;
}

static int vbd_setup(struct be_dev *d)
{
    struct vbd *v = calloc(1, sizeof(*v));

    if (!v || open_disk(d, v)) {
        free(v);
        return -1;
    }
    d->priv = v;
    /* What blkfront reads when it sees InitWait (ring size) and when it
     * sees Connected (the rest): all of it now, so both find it. */
    if (be_write(d, "feature-flush-cache", "1") ||
        be_write(d, "feature-max-indirect-segments", "%u", v->lim.max_indirect_segs) ||
        be_write(d, "max-ring-page-order", "%u", BLK_MAX_RING_ORDER) ||
        be_write(d, "feature-discard", "%u", v->lim.discard ? 1 : 0) ||
        (v->lim.discard &&
         (be_write(d, "discard-granularity", "4096") || be_write(d, "discard-alignment", "0") ||
          be_write(d, "discard-secure", "0")))) {
        vbd_release(d);
        return -1;
    }
    return 0;
}

/* The front end's ring grants: ring-ref, or ring-ref0.. for order > 0. */
static int read_refs(struct be_dev *d, uint32_t *refs, unsigned *n)
{
    uint64_t order = 0, v;
    char key[24];

    if (be_read_uint(d, true, "ring-page-order", BLK_MAX_RING_ORDER, &order)) {
        char *s = be_read(d, true, "ring-page-order");
        if (s) {
            be_log("%s: bad ring-page-order '%.16s'", d->name, s);
            free(s);
            return -1;
        }
        order = 0;
    }
    *n = 1u << order;
    for (unsigned i = 0; i < *n; i++) {
        if (order == 0)
            snprintf(key, sizeof(key), "ring-ref");
        else
            snprintf(key, sizeof(key), "ring-ref%u", i);
        if (be_read_uint(d, true, key, UINT32_MAX, &v)) {
            be_log("%s: front end's %s missing or bad", d->name, key);
            return -1;
        }
        refs[i] = (uint32_t)v;
    }
    return 0;
}

static int vbd_connect(struct be_dev *d)
{
    struct vbd *v = d->priv;
    uint32_t refs[1u << BLK_MAX_RING_ORDER];
    uint64_t port, nq;
    char *proto = be_read(d, true, "protocol");
    bool native = !proto || !strcmp(proto, "x86_64-abi");

    free(proto);
    if (!native) {
        be_log("%s: front end's protocol is not x86_64-abi", d->name);
        return -1;
    }
    if (!be_read_uint(d, true, "multi-queue-num-queues", UINT32_MAX, &nq) && nq != 1) {
        be_log("%s: front end asks for %llu queues; one is offered", d->name,
               (unsigned long long)nq);
        return -1;
    }
    if (read_refs(d, refs, &v->npages))
        return -1;
    if (be_read_uint(d, true, "event-channel", MAX_PORT - 1, &port) || port == 0) {
        be_log("%s: front end's event-channel missing or bad", d->name);
        return -1;
    }
    if (be_write(d, "sectors", "%llu", (unsigned long long)v->lim.sectors) ||
        be_write(d, "info", "%u", v->info) || be_write(d, "sector-size", "%u", BLK_SECTOR) ||
        be_write(d, "physical-sector-size", "%u", BLK_SECTOR))
        return -1;
    if (!(v->sring = be.plat->map_ring(d->fe_domid, refs, v->npages)))
        return -1;
    v->ring = blk_ring_open(be.plat, d->name, d->fe_domid, v->sring, (size_t)v->npages * 4096,
                            v->fd, &v->lim);
    if (!v->ring) {
        be_log("%s: cannot serve the ring", d->name);
        goto fail;
    }
    if (!(v->evtchn = be.plat->bind(d->fe_domid, (unsigned)port, blk_ring_kick, v->ring)))
        goto fail;
    blk_ring_set_evtchn(v->ring, v->evtchn);
    be_log("%s: ring of %u page(s) from grant %u, event channel %llu", d->name, v->npages,
           refs[0], (unsigned long long)port);
    /* Requests may be waiting already (a restart, or a quick front end). */
    blk_ring_kick(v->ring);
    return 0;
fail:
    if (v->ring)
        blk_ring_close(v->ring);
    be.plat->unmap_ring(v->sring, v->npages);
    v->ring = NULL;
    v->sring = NULL;
    return -1;
}

static void vbd_disconnect(struct be_dev *d)
{
    struct vbd *v = d->priv;
    const struct blk_ring_stats *s;

    if (!v || !v->ring)
        return;
    s = blk_ring_stats(v->ring);
    be_log("%s: %llu reads (%llu bytes), %llu writes (%llu bytes), %llu flushes, "
           "%llu discards, %llu errors", d->name, (unsigned long long)s->reads,
           (unsigned long long)s->bytes_read, (unsigned long long)s->writes,
           (unsigned long long)s->bytes_written, (unsigned long long)s->flushes,
           (unsigned long long)s->discards, (unsigned long long)s->errors);
    be.plat->unbind(v->evtchn);
    blk_ring_close(v->ring);
    be.plat->unmap_ring(v->sring, v->npages);
    v->evtchn = NULL;
    v->ring = NULL;
    v->sring = NULL;
}

static void vbd_release(struct be_dev *d)
{
    struct vbd *v = d->priv;

    if (!v)
        return;
    vbd_disconnect(d);
    if (v->fd >= 0)
        close(v->fd);
    free(v);
    d->priv = NULL;
}

const struct be_type blk_vbd_type = {
    .name = "vbd", .setup = vbd_setup, .connect = vbd_connect,
    .disconnect = vbd_disconnect, .release = vbd_release,
};
