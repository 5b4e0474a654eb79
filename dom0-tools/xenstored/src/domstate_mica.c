/* SPDX-License-Identifier: MIT */
/*
 * Domain state for VIRQ_DOM_EXC from the hypervisor (libmica's
 * getdomaininfo): the only way xenstored learns that a domain shut down or
 * died.  A domain the hypervisor no longer knows (ESRCH) is gone; any
 * other failure leaves the domain alone, since releasing a live domain's
 * store connection would cut it off for good.
 */
#include <errno.h>

#include "libmica.h"

#include "domain.h"
#include "log.h"
#include "xen_state.h"

static struct mica *mica;

static int mica_state(unsigned domid, enum domstate *out)
{
    struct mica_ctl_domaininfo di;

    if (mica_domain_info(mica, (domid_t)domid, &di)) {
        int e = errno;

        if (e == ESRCH) {
            *out = DOMST_GONE;
            return 0;
        }
        xs_log("dom%u: getdomaininfo failed: %s", domid, mica_strerror(e));
        return e;
    }
    if (di.domain != domid)         /* not the domain asked about */
        *out = DOMST_GONE;
    else if (di.flags & MICA_DOMINF_dying)
        *out = DOMST_GONE;
    else if (di.flags & MICA_DOMINF_shutdown)
        *out = DOMST_SHUTDOWN;
    else
        *out = DOMST_RUNNING;
    return 0;
}

int xen_domstate_open(void)
{
    if (!(mica = mica_open())) {
        xs_log("cannot open the hypervisor control interface "
               "(/dev/xen/privcmd): %s; shut-down and dead domains will "
               "not be noticed", mica_strerror(errno));
        return -1;
    }
    domain_set_state_source(mica_state);
    return 0;
}

void xen_domstate_close(void)
{
    domain_set_state_source(NULL);
    mica_close(mica);
    mica = NULL;
}

const char *xen_errname(int err)
{
    return mica_strerror(err);
}
