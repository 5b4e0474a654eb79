/* SPDX-License-Identifier: MIT */
/*
 * A fake hypervisor for xl's tests: the control interface (hypercall 56)
 * and xen_version over an in-memory table of domains and a console ring,
 * behind libmica's transport.  It follows abi/mica/control.h's rules
 * (interface version first, ESRCH for missing domains, getdomaininfo's
 * "first id at or above") so that xl meets what the real one says.
 */
#ifndef FAKE_HV_H
#define FAKE_HV_H

#include "libmica.h"

#define FAKE_MAX_DOMAINS 200

struct fake_hv {
    struct mica_ctl_domaininfo dom[FAKE_MAX_DOMAINS];   /* ids ascending */
    unsigned int nr;
    char console[65536];
    size_t console_len;
    uint32_t interface_version;     /* what the hypervisor speaks */
    unsigned int calls;
};

extern struct fake_hv fake;

void fake_reset(void);
/* Add a domain (ids must be added in ascending order). */
struct mica_ctl_domaininfo *fake_add(domid_t id, const char *name, uint64_t pages,
                                     uint32_t vcpus, uint32_t flags);
struct mica *fake_open(void);

#endif /* FAKE_HV_H */
