/* SPDX-License-Identifier: MIT */
/*
 * xl shutdown and xl reboot: ask the guest, through xenstore, to power off
 * or restart itself.  The toolstack writes control/shutdown; the guest's
 * xenbus control watch acknowledges by clearing it and shuts down in order,
 * then tells the hypervisor why (SCHEDOP_shutdown); the domain's monitor
 * (xl_monitor.c) carries out on_poweroff or on_reboot.  -w waits for that
 * to happen: until the domain is gone or stopped with that reason.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xl.h"
#include "xl_xs.h"

/* Done waiting when the domain is gone, or shut down (preserved). */
static bool finished(struct xl *x, domid_t id)
{
    struct mica_ctl_domaininfo info;

    if (mica_domain_info(x->m, id, &info))
        return errno == ESRCH;
    return info.domain != id || (info.flags & (MICA_DOMINF_shutdown | MICA_DOMINF_dying));
}

static int ask(struct xl *x, struct xs_handle *h, domid_t id, const char *verb)
{
    char what[64];

    snprintf(what, sizeof(what), "%s domain %u", verb, id);
    if (id == 0) {
        fprintf(x->err, "xl: %s: domain 0 shuts down from its own shell\n", what);
        return XL_FAIL;
    }
    if (xl_xs_write(h, id, "control/shutdown", verb))
        return xl_error(x, what, errno);
    return XL_OK;
}

static int shutdown_or_reboot(struct xl *x, int argc, char **argv, const char *verb)
{
    bool all = false, wait = false;
    int c, rc = XL_OK;

    optind = 1;
    while ((c = xl_getopt(x, argc, argv, "awF")) != -1) {
        if (c == '?')
            return XL_FAIL;
        all |= c == 'a';
        wait |= c == 'w';
    }
    if (all ? optind != argc : optind + 1 != argc)
        return xl_usage(x, argv[0]);

    struct mica_ctl_domaininfo *doms = NULL;
    unsigned int n = 0;
    if (mica_domain_list(x->m, &doms, &n))
        return xl_error(x, "list domains", errno);

    domid_t ids[DOMID_FIRST_RESERVED];
    unsigned int nr = 0;
    if (all) {
        for (unsigned int i = 0; i < n; i++)
            if (doms[i].domain != 0 && !(doms[i].flags & MICA_DOMINF_dying))
                ids[nr++] = doms[i].domain;
    } else if (xl_find_domain_in(x, argv[optind], doms, n, &ids[nr++])) {
        free(doms);
        return XL_FAIL;
    }
    free(doms);

    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
    if (!h)
        return xl_error(x, "connect to xenstored", errno);
    for (unsigned int i = 0; i < nr; i++)
        if (ask(x, h, ids[i], verb))
            rc = XL_FAIL;
    xs_close(h);

    /* The guest needs its time: a Linux shutdown under emulation takes
     * seconds.  Xen's xl waits as long as it takes, so do we. */
    for (unsigned int i = 0; wait && rc == XL_OK && i < nr; i++) {
        fprintf(x->out, "Waiting for domain %u to %s.\n", ids[i],
                strcmp(verb, "reboot") ? "shut down" : "reboot");
        fflush(x->out);
        while (!finished(x, ids[i]))
            usleep(200 * 1000);
        fprintf(x->out, "Domain %u has shut down, reason code %s.\n", ids[i], verb);
    }
    return rc;
}

int cmd_shutdown(struct xl *x, int argc, char **argv)
{
    return shutdown_or_reboot(x, argc, argv, "poweroff");
}

int cmd_reboot(struct xl *x, int argc, char **argv)
{
    return shutdown_or_reboot(x, argc, argv, "reboot");
}

/* xl sysrq: a magic SysRq key for the guest (its xenbus control watch
 * reads control/sysrq and hands the key to the kernel's sysrq handler). */
int cmd_sysrq(struct xl *x, int argc, char **argv)
{
    domid_t id;
    char what[64];

    if (argc != 3)
        return xl_usage(x, argv[0]);
    if (strlen(argv[2]) != 1 || argv[2][0] <= ' ' || argv[2][0] > '~') {
        fprintf(x->err, "xl: sysrq: '%s' is not one key\n", argv[2]);
        return XL_FAIL;
    }
    if (xl_find_domain(x, argv[1], &id))
        return XL_FAIL;
    snprintf(what, sizeof(what), "sysrq to domain %u", id);
    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
    if (!h)
        return xl_error(x, "sysrq: cannot reach xenstored", errno);
    int rc = xl_xs_write(h, id, "control/sysrq", argv[2]) ? xl_error(x, what, errno) : XL_OK;
    xs_close(h);
    return rc;
}
