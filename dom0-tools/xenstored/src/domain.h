/* SPDX-License-Identifier: MIT */
/*
 * Domains as xenstored sees them: which are introduced (and over which
 * ring), SET_TARGET relations, the per-domain quotas and the count of
 * nodes each domain owns.  Quotas bind unprivileged domains only; a value
 * of 0 disables that quota.
 */
#ifndef XSD_DOMAIN_H
#define XSD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

struct conn;

struct xs_quota {
    unsigned nodes;         /* nodes owned per domain          (-E) */
    unsigned node_size;     /* value + child names + perms     (-S) */
    unsigned watches;       /* watches per domain              (-W) */
    unsigned transactions;  /* open transactions per domain    (-t) */
    unsigned txn_nodes;     /* nodes touched per transaction   (-Q) */
    unsigned perms;         /* permission entries per node     (-A) */
    unsigned path_max;      /* path length below the home dir  (-M) */
};

extern struct xs_quota quota;

struct domain {
    uint16_t domid;
    bool has_target;
    uint16_t target;
    bool shutdown_seen;     /* @releaseDomain fired for this shutdown */
    uint64_t mfn;
    unsigned port;
    struct conn *conn;      /* the ring connection; NULL without a ring */
};

struct domain *domain_find(unsigned domid);
int domain_introduce(unsigned domid, uint64_t mfn, unsigned port);
int domain_release(unsigned domid);
int domain_resume(unsigned domid);
int domain_set_target(unsigned domid, unsigned tdomid);
void domain_fini(void);             /* forget all domains (tests) */

/*
 * What the hypervisor says about a domain, behind a seam so that tests can
 * play the hypervisor.  GONE covers "dying" and "no longer exists".
 */
enum domstate { DOMST_RUNNING, DOMST_SHUTDOWN, DOMST_GONE };
/* 0 with *out set, or an errno value (the domain is then left alone). */
typedef int domstate_fn(unsigned domid, enum domstate *out);
void domain_set_state_source(domstate_fn *fn);     /* NULL: none */

/*
 * A domain changed state (VIRQ_DOM_EXC): ask about every introduced
 * domain but dom0.  A gone one is released as RELEASE does; a newly shut
 * down one is marked (RESUME re-arms it).  @releaseDomain fires once if
 * anything changed, as in C xenstored.  Returns how many changed.
 */
unsigned domain_check_all(void);

unsigned domain_nodes(unsigned domid);
void domain_nodes_add(unsigned domid, int delta);

/* ENOSPC (and a log line naming the quota) when `needed` exceeds `limit`. */
int quota_check(unsigned domid, const char *name, unsigned limit,
                unsigned needed);
/* CONTROL "quota [name [value]]": list or set; returns bytes in out. */
int quota_control(const char *name, const char *value, char *out,
                  unsigned cap);

#endif
