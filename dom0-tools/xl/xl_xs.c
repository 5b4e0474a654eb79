/* SPDX-License-Identifier: MIT */
/*
 * A domain's xenstore tree, as Xen's toolstack writes it (facts in
 * shared/ref/toolstack-protocols.md §2): the home directory
 * /local/domain/N that dom0 owns and the guest reads, the few nodes the
 * guest itself writes (control/shutdown and friends, data, ...), the
 * console keys consoled serves, /vm/<uuid> and /libxl/N.  Written in one
 * transaction (retried when xenstored says EAGAIN), so a watcher never
 * sees half a domain; then XS_INTRODUCE hands the store ring to xenstored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "xl.h"
#include "xl_xs.h"

/* Who may do what: the home and what dom0 keeps ("RO": dom0 owns, the guest
 * reads), and what the guest writes itself ("GW": the guest owns it). */
enum xs_who { RO, GW, PRIV };

struct xs_batch {
    struct xs_handle *h;
    xs_transaction_t t;
    domid_t domid;
    bool failed;
    char failed_path[256];
};

static void put(struct xs_batch *b, enum xs_who who, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(struct xs_batch *b, enum xs_who who, const char *value, const char *fmt, ...)
{
    char path[256];
    va_list ap;

    if (b->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);

    struct xs_permissions perms[2] = {
        { .id = who == GW ? b->domid : 0, .perms = XS_PERM_NONE },
        { .id = b->domid, .perms = XS_PERM_READ },
    };
    if (!xs_write(b->h, b->t, path, value, strlen(value)) ||
        !xs_set_permissions(b->h, b->t, path, perms, who == RO ? 2 : 1)) {
        b->failed = true;
        snprintf(b->failed_path, sizeof(b->failed_path), "%s", path);
    }
}

static void write_tree(struct xs_batch *b, const struct xl_xs_domain *d)
{
    const char *home = "/local/domain";
    unsigned int n = d->domid;
    char num[32];

    /* Leftovers of an earlier domain with this id go first. */
    xs_rm(b->h, b->t, d->home);
    put(b, RO, "", "%s/%u", home, n);
    put(b, RO, d->vm_path, "%s/%u/vm", home, n);
    put(b, RO, d->name, "%s/%u/name", home, n);
    snprintf(num, sizeof(num), "%u", n);
    put(b, RO, num, "%s/%u/domid", home, n);

    snprintf(num, sizeof(num), "%" PRIu64, d->static_max_kib);
    put(b, RO, num, "%s/%u/memory/static-max", home, n);
    snprintf(num, sizeof(num), "%" PRIu64, d->target_kib);
    put(b, RO, num, "%s/%u/memory/target", home, n);
    put(b, RO, "0", "%s/%u/memory/videoram", home, n);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        put(b, RO, i < d->vcpus ? "online" : "offline", "%s/%u/cpu/%u/availability", home, n, i);

    snprintf(num, sizeof(num), "%u", d->store_port);
    put(b, RO, num, "%s/%u/store/port", home, n);
    snprintf(num, sizeof(num), "%" PRIu64, d->store_mfn);
    put(b, RO, num, "%s/%u/store/ring-ref", home, n);

    /* Console 0: consoled maps ring-ref (an MFN) and binds port, then
     * fills tty with its pty's path. */
    put(b, RO, "", "%s/%u/console", home, n);
    snprintf(num, sizeof(num), "/local/domain/%u", d->console_backend);
    put(b, RO, num, "%s/%u/console/backend", home, n);
    snprintf(num, sizeof(num), "%u", d->console_backend);
    put(b, RO, num, "%s/%u/console/backend-id", home, n);
    put(b, RO, "1048576", "%s/%u/console/limit", home, n);
    put(b, RO, "xenconsoled", "%s/%u/console/type", home, n);
    put(b, RO, "pty", "%s/%u/console/output", home, n);
    put(b, RO, "", "%s/%u/console/tty", home, n);
    snprintf(num, sizeof(num), "%u", d->console_port);
    put(b, RO, num, "%s/%u/console/port", home, n);
    snprintf(num, sizeof(num), "%" PRIu64, d->console_mfn);
    put(b, RO, num, "%s/%u/console/ring-ref", home, n);

    /* What the guest writes: its answers to control requests, its own
     * data, device trees. */
    put(b, RO, "", "%s/%u/control", home, n);
    put(b, GW, "", "%s/%u/control/shutdown", home, n);
    put(b, GW, "", "%s/%u/control/sysrq", home, n);
    put(b, GW, "", "%s/%u/control/feature-poweroff", home, n);
    put(b, GW, "", "%s/%u/control/feature-reboot", home, n);
    put(b, GW, "", "%s/%u/control/feature-suspend", home, n);
    put(b, RO, "1", "%s/%u/control/platform-feature-multiprocessor-suspend", home, n);
    put(b, RO, "1", "%s/%u/control/platform-feature-xs_reset_watches", home, n);
    put(b, RO, "", "%s/%u/device", home, n);
    put(b, GW, "", "%s/%u/device/suspend/event-channel", home, n);
    for (const char *const *g = (const char *const[]){ "data", "drivers", "feature", "attr",
                                                     "error", NULL }; *g; g++)
        put(b, GW, "", "%s/%u/%s", home, n, *g);

    /* /vm/<uuid>: what the domain was made from; /libxl/N: ours. */
    put(b, RO, "", "%s", d->vm_path);
    put(b, RO, d->uuid, "%s/uuid", d->vm_path);
    put(b, RO, d->name, "%s/name", d->vm_path);
    put(b, RO, "linux", "%s/image/ostype", d->vm_path);
    put(b, RO, d->kernel, "%s/image/kernel", d->vm_path);
    put(b, RO, d->ramdisk ? d->ramdisk : "", "%s/image/ramdisk", d->vm_path);
    put(b, RO, d->cmdline ? d->cmdline : "", "%s/image/cmdline", d->vm_path);
    snprintf(num, sizeof(num), "%.2f", d->start_time);
    put(b, RO, num, "%s/start_time", d->vm_path);
    snprintf(num, sizeof(num), "%" PRIu64, d->target_kib / 1024);
    put(b, RO, num, "%s/memory", d->vm_path);
    put(b, PRIV, "pv", "/libxl/%u/type", n);
}

int xl_xs_transact(struct xs_handle *h, int (*body)(struct xs_handle *h, xs_transaction_t t,
                                                    void *ctx), void *ctx)
{
    for (unsigned int attempt = 0; attempt < XL_XS_TRIES; attempt++) {
        xs_transaction_t t = xs_transaction_start(h);

        if (t == XBT_NULL)
            return -1;
        if (body(h, t, ctx)) {
            int err = errno;
            xs_transaction_end(h, t, true);
            errno = err;
            return -1;
        }
        if (xs_transaction_end(h, t, false))
            return 0;
        if (errno != EAGAIN)
            return -1;
    }
    errno = EAGAIN;
    return -1;
}

int xl_xs_transact_why(struct xs_handle *h, int (*body)(struct xs_handle *h,
                                                        xs_transaction_t t, void *ctx),
                       void *ctx, const char *failed_path, char *why, size_t why_len)
{
    if (!xl_xs_transact(h, body, ctx))
        return 0;
    if (*failed_path)
        snprintf(why, why_len, "xenstore write of %s: %s", failed_path, mica_strerror(errno));
    else
        snprintf(why, why_len, "xenstore transaction: %s", mica_strerror(errno));
    return -1;
}

struct tree_ctx {
    struct xs_batch b;
    const struct xl_xs_domain *d;
};

static int tree_body(struct xs_handle *h, xs_transaction_t t, void *ctx)
{
    struct tree_ctx *c = ctx;

    c->b = (struct xs_batch){ .h = h, .t = t, .domid = c->d->domid };
    write_tree(&c->b, c->d);
    return c->b.failed ? -1 : 0;
}

int xl_xs_make_domain(struct xs_handle *h, struct xl_xs_domain *d, char *why, size_t why_len)
{
    struct tree_ctx c = { .d = d };

    snprintf(d->home, sizeof(d->home), "/local/domain/%u", d->domid);
    snprintf(d->vm_path, sizeof(d->vm_path), "/vm/%s", d->uuid);
    if (xl_xs_transact_why(h, tree_body, &c, c.b.failed_path, why, why_len))
        return -1;
    if (!xs_introduce_domain(h, d->domid, d->store_mfn, d->store_port)) {
        snprintf(why, why_len, "xenstore introduce of domain %u: %s", d->domid,
                 mica_strerror(errno));
        return -1;
    }
    return 0;
}

void xl_xs_forget_domain(struct xs_handle *h, domid_t domid)
{
    char path[64], vm[128];
    char *vm_path;
    unsigned int len;

    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    vm_path = xs_read(h, XBT_NULL, path, &len);
    if (vm_path && strncmp(vm_path, "/vm/", 4) == 0 && len < sizeof(vm)) {
        snprintf(vm, sizeof(vm), "%s", vm_path);
        xs_rm(h, XBT_NULL, vm);
    }
    free(vm_path);
    snprintf(path, sizeof(path), "/local/domain/%u", domid);
    xs_rm(h, XBT_NULL, path);
    snprintf(path, sizeof(path), "/libxl/%u", domid);
    xs_rm(h, XBT_NULL, path);
    /* Its devices' back-end directories (dom0 serves them all): the back
     * ends see them go and let go of the rings and disks. */
    for (const char *const *k = (const char *const[]){ "vbd", "vif", NULL }; *k; k++) {
        snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u", *k, domid);
        xs_rm(h, XBT_NULL, path);
    }
}

char *xl_xs_read(struct xs_handle *h, domid_t domid, const char *rel)
{
    char path[256];
    unsigned int len;

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
    return xs_read(h, XBT_NULL, path, &len);
}

int xl_xs_write(struct xs_handle *h, domid_t domid, const char *rel, const char *value)
{
    char path[256];

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
    return xs_write(h, XBT_NULL, path, value, strlen(value)) ? 0 : -1;
}

int xl_xs_read_u64(struct xs_handle *h, xs_transaction_t t, const char *path, uint64_t *out)
{
    unsigned int len;
    char *v = xs_read(h, t, path, &len), *end;

    if (!v)
        return -1;
    errno = 0;
    *out = strtoull(v, &end, 10);
    int bad = errno || end == v || *end || *v == '-';
    free(v);
    return bad ? (errno = EPROTO, -1) : 0;
}
