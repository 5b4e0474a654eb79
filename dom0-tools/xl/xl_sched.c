/* SPDX-License-Identifier: MIT */
/*
 * xl sched-credit2: a domain's scheduler weight and cap, with Xen's
 * options and columns.  Mica's scheduler (docs/scheduler.md) is not
 * Xen's credit2, but it takes the same two numbers with the same meaning:
 * weight is a relative share of the CPU (1 to 65535, default 256), cap the
 * most a domain may use in percent of one CPU (0 = none).  There is one
 * pool, Pool-0, and no pool-wide parameter (Xen's ratelimit).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "xl.h"

#define POOL "Pool-0"

static void header(struct xl *x)
{
    fprintf(x->out, "%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
}

static int line(struct xl *x, const struct mica_ctl_domaininfo *d)
{
    uint32_t weight, cap;

    if (mica_sched_get(x->m, d->domain, &weight, &cap)) {
        char what[64];
        snprintf(what, sizeof(what), "scheduler parameters of domain %u", d->domain);
        return xl_error(x, what, errno);
    }
    fprintf(x->out, "%-33.*s %4u %6u %4u\n", (int)sizeof(d->name), d->name, d->domain, weight,
            cap);
    return XL_OK;
}

static void pool_line(struct xl *x)
{
    fprintf(x->out, "Cpupool %s: [sched params unavailable]\n", POOL);
}

/* A number in [lo, hi] from an option's argument: 0, or XL_FAIL (said). */
static int number(struct xl *x, const char *what, const char *arg, unsigned long lo,
                  unsigned long hi, uint32_t *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || *arg == '-' || v < lo || v > hi) {
        fprintf(x->err, "xl: sched-credit2: %s '%s' is out of range (%lu to %lu)\n", what, arg,
                lo, hi);
        return XL_FAIL;
    }
    *out = (uint32_t)v;
    return XL_OK;
}

static int show_all(struct xl *x)
{
    struct mica_ctl_domaininfo *doms;
    unsigned int n;
    int rc = XL_OK;

    if (mica_domain_list(x->m, &doms, &n))
        return xl_error(x, "list domains", errno);
    pool_line(x);
    header(x);
    for (unsigned int i = 0; i < n && rc == XL_OK; i++)
        if (!(doms[i].flags & MICA_DOMINF_dying))
            rc = line(x, &doms[i]);
    free(doms);
    return rc;
}

int cmd_sched_credit2(struct xl *x, int argc, char **argv)
{
    const char *dom = NULL, *pool = NULL;
    bool set_w = false, set_c = false, params = false, ratelimit = false;
    uint32_t weight = 0, cap = 0;
    int c;

    optind = 1;
    while ((c = xl_getopt(x, argc, argv, "d:w:c:p:r:s")) != -1) {
        switch (c) {
        case 'd': dom = optarg; break;
        case 'w':
            if (number(x, "weight", optarg, 1, 65535, &weight))
                return XL_FAIL;
            set_w = true;
            break;
        case 'c':
            if (number(x, "cap", optarg, 0, 100, &cap))
                return XL_FAIL;
            set_c = true;
            break;
        case 'p': pool = optarg; break;
        case 'r': ratelimit = true; break;
        case 's': params = true; break;
        default: return XL_FAIL;
        }
    }
    if (optind != argc)
        return xl_usage(x, argv[0]);
    if (pool && (dom || set_w || set_c)) {
        fprintf(x->err, "Specifying a cpupool is not allowed with other options.\n");
        return XL_FAIL;
    }
    if (!dom && (set_w || set_c)) {
        fprintf(x->err, "Must specify a domain.\n");
        return XL_FAIL;
    }
    if (pool && strcmp(pool, POOL) && strcmp(pool, "0")) {
        fprintf(x->err, "unknown cpupool '%s'\n", pool);
        return XL_FAIL;
    }
    if (ratelimit) {
        fprintf(x->err, "xl: sched-credit2: Mica's scheduler has no rate limit (-r)\n");
        return XL_FAIL;
    }
    if (params) {
        pool_line(x);
        return XL_OK;
    }
    if (!dom)
        return show_all(x);

    domid_t id;
    struct mica_ctl_domaininfo info;
    char what[64];
    if (xl_find_domain(x, dom, &id))
        return XL_FAIL;
    if (mica_domain_info(x->m, id, &info)) {
        snprintf(what, sizeof(what), "domain %u", id);
        return xl_error(x, what, errno);
    }
    if (!set_w && !set_c) {
        header(x);
        return line(x, &info);
    }

    /* Change what was given, keep the other. */
    uint32_t w, k;
    snprintf(what, sizeof(what), "scheduler parameters of domain %u", id);
    if (mica_sched_get(x->m, id, &w, &k))
        return xl_error(x, what, errno);
    if (mica_sched_set(x->m, id, set_w ? weight : w, set_c ? cap : k))
        return xl_error(x, what, errno);
    return XL_OK;
}
