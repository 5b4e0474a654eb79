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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xl_block.h"
#include "xl_xs.h"

#define BLKBACK_PIDFILE "/run/blkback.pid"
#define BLKBACK_LOG     "/var/log/xen/blkback.log"
#define BACKEND_DOMID   0u
#define DETACH_WAIT_MS  10000   /* libxl: the back end has 10 s to close */

struct put_ctx {
    struct xs_handle *h;
    xs_transaction_t t;
    struct xs_permissions perms[2];
    bool failed;
    char failed_path[160];
};

static void put(struct put_ctx *c, const char *dir, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(struct put_ctx *c, const char *dir, const char *key, const char *fmt, ...)
{
    char path[160], val[256];
    va_list ap;

    if (c->failed)
        return;
    snprintf(path, sizeof(path), "%s%s%s", dir, *key ? "/" : "", key);
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (!xs_write(c->h, c->t, path, val, (unsigned)strlen(val)) ||
        !xs_set_permissions(c->h, c->t, path, c->perms, 2)) {
        c->failed = true;
        snprintf(c->failed_path, sizeof(c->failed_path), "%s", path);
    }
}

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

static void write_trees(struct put_ctx *c, domid_t domid, const struct xl_disk *d)
{
    char fe[96], be[96], lx[96];
    const char *devtype = d->cdrom ? "cdrom" : "disk";

    paths(domid, d->devid, fe, be);
    /* Leftovers of an earlier device with this id go first. */
    xs_rm(c->h, c->t, fe);
    xs_rm(c->h, c->t, be);

    c->perms[0] = (struct xs_permissions){ .id = domid, .perms = XS_PERM_NONE };
    c->perms[1] = (struct xs_permissions){ .id = BACKEND_DOMID, .perms = XS_PERM_READ };
    put(c, fe, "", "%s", "");
    put(c, fe, "backend", "%s", be);
    put(c, fe, "backend-id", "%u", BACKEND_DOMID);
    put(c, fe, "state", "1");
    put(c, fe, "virtual-device", "%u", d->devid);
    put(c, fe, "device-type", "%s", devtype);
    put(c, fe, "protocol", "x86_64-abi");

    c->perms[0] = (struct xs_permissions){ .id = BACKEND_DOMID, .perms = XS_PERM_NONE };
    c->perms[1] = (struct xs_permissions){ .id = domid, .perms = XS_PERM_READ };
    put(c, be, "", "%s", "");
    put(c, be, "frontend", "%s", fe);
    put(c, be, "frontend-id", "%u", domid);
    put(c, be, "online", "1");
    put(c, be, "state", "1");
    put(c, be, "removable", "0");
    put(c, be, "bootable", "1");
    put(c, be, "dev", "%s", d->vdev);
    put(c, be, "type", "%s", d->backendtype ? d->backendtype : "phy");
    put(c, be, "mode", "%s", d->readwrite ? "w" : "r");
    put(c, be, "device-type", "%s", devtype);
    put(c, be, "params", "%s", d->target);
    if (d->discard >= 0)
        put(c, be, "discard-enable", "%d", d->discard);

    c->perms[0] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_NONE };
    c->perms[1] = c->perms[0];
    snprintf(lx, sizeof(lx), "/libxl/%u/device/vbd/%u", domid, d->devid);
    put(c, lx, "frontend", "%s", fe);
    put(c, lx, "backend", "%s", be);
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

struct trees_ctx {
    struct put_ctx put;
    domid_t domid;
    const struct xl_disk *d;
};

static int trees_body(struct xs_handle *h, xs_transaction_t t, void *ctx)
{
    struct trees_ctx *c = ctx;

    c->put = (struct put_ctx){ .h = h, .t = t };
    write_trees(&c->put, c->domid, c->d);
    return c->put.failed ? -1 : 0;
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
    struct trees_ctx c = { .domid = domid, .d = d };
    return xl_xs_transact_why(h, trees_body, &c, c.put.failed_path, why, why_len);
}

int xl_block_start_backend(char *why, size_t why_len)
{
    const char *bin = getenv("MICA_BLKBACK");
    int fd = open(BLKBACK_PIDFILE, O_RDONLY | O_CLOEXEC);
    pid_t pid;
    int st;

    if (fd >= 0) {
        int held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
        char buf[32];
        ssize_t got = held ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
        long pid = got > 0 ? (buf[got] = '\0', strtol(buf, NULL, 10)) : 0;

        close(fd);
        /* Held by a live blkback: it finds the new devices itself.  Held
         * by a dead one's I/O ring (blkback's main.c): start one, which
         * waits for the ring to finish. */
        if (held && !(pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH))
            return 0;
    }
    if (!bin || !*bin)
        bin = "blkback";
    /* blkback --daemon forks again and this child returns at once; two
     * xl's racing here start two, and the pid file's lock keeps one. */
    if ((pid = fork()) < 0) {
        snprintf(why, why_len, "start blkback: fork: %s", mica_strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execlp(bin, bin, "--daemon", "--log", BLKBACK_LOG, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        snprintf(why, why_len, "start blkback (%s): it failed to start (see %s)", bin,
                 BLKBACK_LOG);
        return -1;
    }
    return 0;
}

/* ---- commands ---- */

static struct xs_handle *xs_or_fail(struct xl *x, const char *what)
{
    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);

    if (!h)
        fprintf(x->err, "xl: %s: cannot reach xenstored: %s\n", what, mica_strerror(errno));
    return h;
}

int cmd_block_attach(struct xl *x, int argc, char **argv)
{
    struct xl_disk d;
    char spec[1024] = "", why[256];
    struct xs_handle *h;
    domid_t id;
    size_t used = 0;
    int rc = XL_FAIL;

    optind = 1;
    if (xl_getopt(x, argc, argv, "") != -1)
        return XL_FAIL;
    if (argc - optind < 2)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[optind], &id))
        return XL_FAIL;
    /* Xen joins the remaining arguments into one disk spec. */
    for (int i = optind + 1; i < argc; i++) {
        int n = snprintf(spec + used, sizeof(spec) - used, "%s%s", used ? "," : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof(spec) - used) {
            fprintf(x->err, "xl: block-attach: disk spec too long\n");
            return XL_FAIL;
        }
        used += (size_t)n;
    }
    if (xl_cfg_disk(spec, "block-attach", &d, x->err)) {
        xl_disk_free(&d);
        return XL_FAIL;
    }
    if (xl_block_check(&d, why, sizeof(why))) {
        fprintf(x->err, "xl: block-attach to domain %u: %s\n", id, why);
        xl_disk_free(&d);
        return XL_FAIL;
    }
    if (!(h = xs_or_fail(x, "block-attach")))
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

static int read_int(struct xs_handle *h, const char *dir, const char *key, int dflt)
{
    char path[160], *v, *end;
    unsigned len;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (!(v = xs_read(h, XBT_NULL, path, &len)))
        return dflt;
    n = strtol(v, &end, 10);
    if (*v == '\0' || *end)
        n = dflt;
    free(v);
    return (int)n;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

int cmd_block_detach(struct xl *x, int argc, char **argv)
{
    char fe[96], be[96], lx[96], path[160];
    struct xs_handle *h;
    uint32_t devid;
    domid_t id;
    int state = -1;

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
    if (!(h = xs_or_fail(x, "block-detach")))
        return XL_FAIL;
    paths(id, devid, fe, be);
    if (read_int(h, be, "state", -1) < 0) {
        fprintf(x->err, "xl: block-detach: domain %u has no disk %u\n", id, devid);
        xs_close(h);
        return XL_FAIL;
    }
    /* Ask the back end to close (online=0, state=5); the front end closes
     * too; when the back end says Closed, or after 10 s, both go. */
    snprintf(path, sizeof(path), "%s/online", be);
    xs_write(h, XBT_NULL, path, "0", 1);
    if (read_int(h, be, "state", -1) != 6) {
        snprintf(path, sizeof(path), "%s/state", be);
        xs_write(h, XBT_NULL, path, "5", 1);
    }
    for (unsigned waited = 0; waited < DETACH_WAIT_MS; waited += 100) {
        if ((state = read_int(h, be, "state", -1)) == 6)
            break;
        sleep_ms(100);
    }
    if (state != 6)
        fprintf(x->err, "xl: block-detach: the back end of disk %u did not close in 10 s: "
                "removed anyway\n", devid);
    xs_rm(h, XBT_NULL, fe);
    xs_rm(h, XBT_NULL, be);
    snprintf(lx, sizeof(lx), "/libxl/%u/device/vbd/%u", id, devid);
    xs_rm(h, XBT_NULL, lx);
    xs_close(h);
    return XL_OK;
}

/* Xen's columns: Vdev BE handle state evt-ch ring-ref BE-path (handle is
 * the front end's domain; -1 where the front end has not said). */
static void list_one(struct xl *x, struct xs_handle *h, domid_t id)
{
    char dir[64], fe[96], be[96];
    unsigned n = 0;
    char **ids;

    snprintf(dir, sizeof(dir), "/local/domain/%u/device/vbd", id);
    if (!(ids = xs_directory(h, XBT_NULL, dir, &n)))
        return;
    for (unsigned i = 0; i < n; i++) {
        char *end;
        unsigned long devid = strtoul(ids[i], &end, 10);
        char *bep, path[160];
        unsigned len;

        if (*end || !*ids[i])
            continue;
        snprintf(fe, sizeof(fe), "%s/%s", dir, ids[i]);
        snprintf(path, sizeof(path), "%s/backend", fe);
        bep = xs_read(h, XBT_NULL, path, &len);
        snprintf(be, sizeof(be), "%s", bep ? bep : "");
        free(bep);
        fprintf(x->out, "%-5lu %-3d %-6u %-5d %-6d %-8d %-30s\n", devid,
                read_int(h, fe, "backend-id", -1), id, read_int(h, fe, "state", -1),
                read_int(h, fe, "event-channel", -1), read_int(h, fe, "ring-ref", -1), be);
    }
    free(ids);
}

int cmd_block_list(struct xl *x, int argc, char **argv)
{
    struct mica_ctl_domaininfo *doms;
    struct xs_handle *h;
    unsigned n;

    optind = 1;
    if (xl_getopt(x, argc, argv, "") != -1)
        return XL_FAIL;
    if (argc - optind < 1)
        return xl_usage(x, argv[0]);
    if (xl_select_domains(x, argc, argv, &doms, &n))
        return XL_FAIL;
    if (!(h = xs_or_fail(x, "block-list"))) {
        free(doms);
        return XL_FAIL;
    }
    fprintf(x->out, "%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", "Vdev", "BE", "handle", "state",
            "evt-ch", "ring-ref", "BE-path");
    for (unsigned i = 0; i < n; i++)
        list_one(x, h, doms[i].domain);
    xs_close(h);
    free(doms);
    return XL_OK;
}
