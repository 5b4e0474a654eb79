/* SPDX-License-Identifier: MIT */
/*
 * xl rename, and the renaming a monitor does when it keeps a domain aside
 * for a restart (on_* = rename-restart).  A domain's name lives in three
 * places, as on Xen: the hypervisor (Mica keeps one for its log and the
 * console prefix; `xl list` reads it), /local/domain/N/name and
 * /vm/<uuid>/name.  The hypervisor goes first (it refuses what it cannot
 * hold), then xenstore in one transaction; a failed transaction puts the
 * hypervisor's name back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

#include "xl.h"
#include "xl_xs.h"
#include "xl_cfg.h"
#include "xl_rename.h"


static char *read_node(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    unsigned int len;
    return xs_read(h, t, path, &len);
}

/* Copy the subtree at `from` to `to` (values and permissions). */
static bool copy_tree(struct xs_handle *h, xs_transaction_t t, const char *from, const char *to)
{
    unsigned int len, nperms, n;
    char *v = xs_read(h, t, from, &len);
    struct xs_permissions *perms = xs_get_permissions(h, t, from, &nperms);
    bool ok = v && perms && xs_write(h, t, to, v, len) &&
              xs_set_permissions(h, t, to, perms, nperms);
    char **kids = ok ? xs_directory(h, t, from, &n) : NULL;

    free(v);
    free(perms);
    if (ok && kids)
        for (unsigned int i = 0; i < n && ok; i++) {
            char f[512], d[512];
            snprintf(f, sizeof(f), "%s/%s", from, kids[i]);
            snprintf(d, sizeof(d), "%s/%s", to, kids[i]);
            ok = copy_tree(h, t, f, d);
        }
    free(kids);
    return ok;
}

/*
 * In one transaction: the name in the domain's home and /vm entry, and
 * with new_vm set its /vm entry moved there (uuid updated).  A domain
 * without a home (a boot-time domain nobody introduced) has nothing to
 * change.  0, or -1 with errno.
 */
struct rename_ctx {
    domid_t id;
    const char *name, *new_uuid;
};

static int rename_body(struct xs_handle *h, xs_transaction_t t, void *ctx)
{
    const struct rename_ctx *c = ctx;
    char home[64], path[256];

    snprintf(home, sizeof(home), "/local/domain/%u", c->id);
    char *have = read_node(h, t, home);
    if (!have)
        return errno == ENOENT ? 0 : -1;        /* no home: nothing to change */
    free(have);
    snprintf(path, sizeof(path), "%s/name", home);
    bool ok = xs_write(h, t, path, c->name, strlen(c->name));
    snprintf(path, sizeof(path), "%s/vm", home);
    char *vm = ok ? read_node(h, t, path) : NULL;
    if (ok && vm && !strncmp(vm, "/vm/", 4) && strlen(vm) < 128) {
        char target[128];
        if (c->new_uuid) {
            snprintf(target, sizeof(target), "/vm/%s", c->new_uuid);
            ok = copy_tree(h, t, vm, target) && xs_rm(h, t, vm) &&
                 xs_write(h, t, path, target, strlen(target));
            snprintf(path, sizeof(path), "%s/uuid", target);
            ok = ok && xs_write(h, t, path, c->new_uuid, strlen(c->new_uuid));
        } else {
            snprintf(target, sizeof(target), "%s", vm);
        }
        snprintf(path, sizeof(path), "%s/name", target);
        ok = ok && xs_write(h, t, path, c->name, strlen(c->name));
    }
    int err = errno;
    free(vm);
    errno = err;
    return ok ? 0 : -1;
}

static int xs_rename(struct xs_handle *h, domid_t id, const char *name, const char *new_uuid)
{
    struct rename_ctx c = { .id = id, .name = name, .new_uuid = new_uuid };

    return xl_xs_transact(h, rename_body, &c);
}

int xl_rename_domain(struct xl *x, struct xs_handle *h, domid_t id, const char *name,
                     const uint8_t *new_handle)
{
    struct mica_ctl_domaininfo info;
    const char *why;
    domid_t other;
    int used;
    char what[96], uuid[37];

    if ((why = xl_name_problem(name))) {
        fprintf(x->err, "xl: rename: '%s' %s\n", name, why);
        return XL_FAIL;
    }
    if (mica_domain_info(x->m, id, &info)) {
        snprintf(what, sizeof(what), "rename domain %u", id);
        return xl_error(x, what, errno);
    }
    if ((used = xl_name_in_use(x, name, id, &other)) != 0) {
        if (used > 0)
            fprintf(x->err, "xl: rename: domain %u is already called '%s'\n", other, name);
        return XL_FAIL;
    }
    struct xs_handle *own = NULL;
    if (!h && !(h = own = xs_open(XS_OPEN_SOCKETONLY)))
        return xl_error(x, "rename: cannot reach xenstored", errno);
    int rc = XL_OK;
    if (mica_domain_rename(x->m, id, name)) {
        snprintf(what, sizeof(what), "rename domain %u to '%s'", id, name);
        rc = xl_error(x, what, errno);
    } else {
        if (new_handle)
            xl_uuid_str(new_handle, uuid);
        if ((new_handle && mica_domain_sethandle(x->m, id, new_handle)) ||
            xs_rename(h, id, name, new_handle ? uuid : NULL)) {
            int err = errno;
            char old[MICA_NAME_LEN + 1];
            snprintf(old, sizeof(old), "%.*s", MICA_NAME_LEN, info.name);
            (void)mica_domain_rename(x->m, id, old);
            (void)mica_domain_sethandle(x->m, id, info.handle);
            snprintf(what, sizeof(what), "rename domain %u in xenstore", id);
            rc = xl_error(x, what, err);
        }
    }
    if (own)
        xs_close(own);
    return rc;
}

int xl_preserve_domain(struct xl *x, struct xs_handle *h, domid_t id, const char *name)
{
    char stamp[24], kept[MICA_NAME_LEN];
    uint8_t handle[16];
    struct tm tm;
    time_t now = time(NULL);

    /* name-YYYYMMDDTHHMMZ, as Xen's xl; the name is cut to make room. */
    if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "-%Y%m%dT%H%MZ", &tm)) {
        fprintf(x->err, "xl: preserve domain %u: cannot read the time\n", id);
        return XL_FAIL;
    }
    int room = (int)(sizeof(kept) - 1 - strlen(stamp));
    snprintf(kept, sizeof(kept), "%.*s%s", room, name, stamp);
    xl_uuid_generate(handle);
    return xl_rename_domain(x, h, id, kept, handle);
}

int cmd_rename(struct xl *x, int argc, char **argv)
{
    domid_t id;

    if (argc != 3)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[1], &id))
        return XL_FAIL;
    return xl_rename_domain(x, NULL, id, argv[2], NULL);
}
