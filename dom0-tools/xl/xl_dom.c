/* SPDX-License-Identifier: MIT */
/* xl pause, unpause, destroy: one control call on one domain (destroy
 * also removes the domain's xenstore tree, as Xen's does: a domain kept by
 * on_* = preserve has no monitor left to do it). */
#include <errno.h>

#include <xenstore.h>

#include "xl.h"
#include "xl_xs.h"

static int one(struct xl *x, int argc, char **argv, int (*op)(struct mica *, domid_t))
{
    domid_t id;

    if (argc != 2)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[1], &id))
        return XL_FAIL;
    if (op(x->m, id)) {
        char what[64];
        snprintf(what, sizeof(what), "%s domain %u", argv[0], id);
        return xl_error(x, what, errno);
    }
    return XL_OK;
}

int cmd_pause(struct xl *x, int argc, char **argv)
{
    return one(x, argc, argv, mica_domain_pause);
}

int cmd_unpause(struct xl *x, int argc, char **argv)
{
    return one(x, argc, argv, mica_domain_unpause);
}

static int destroy(struct mica *m, domid_t id)
{
    if (mica_domain_destroy(m, id))
        return -1;
    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
    if (h) {                        /* best effort: the domain is gone anyway */
        xl_xs_forget_domain(h, id);
        xs_close(h);
    }
    return 0;
}

int cmd_destroy(struct xl *x, int argc, char **argv)
{
    return one(x, argc, argv, destroy);
}
