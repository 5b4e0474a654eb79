/* SPDX-License-Identifier: MIT */
/*
 * xl uptime: how long each domain has run, from the start time xl create
 * wrote into /vm/<uuid>/start_time (seconds since the epoch), as Xen's xl
 * reads it.  Domain 0 has run as long as its own kernel (/proc/uptime).
 * A domain with no start time in xenstore (one from the boot
 * configuration) is left out rather than guessed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "xl.h"
#include "xl_xs.h"

static void print_one(struct xl *x, const char *name, domid_t id, double secs)
{
    unsigned long s = secs > 0 ? (unsigned long)secs : 0;
    unsigned long days = s / 86400;

    fprintf(x->out, "%-33s %4u ", name, id);
    if (days)
        fprintf(x->out, "%lu day%s, ", days, days == 1 ? "" : "s");
    fprintf(x->out, "%2lu:%02lu:%02lu\n", s / 3600 % 24, s / 60 % 60, s % 60);
}

static bool dom0_uptime(double *secs)
{
    FILE *f = fopen("/proc/uptime", "r");
    bool ok = f && fscanf(f, "%lf", secs) == 1;

    if (f)
        fclose(f);
    return ok;
}

/* now - /vm/<uuid>/start_time of domain id; false if xenstore has none. */
static bool started(struct xs_handle *h, domid_t id, double now, double *secs)
{
    char *vm = xl_xs_read(h, id, "vm"), path[160], *v = NULL, *end;
    unsigned int len;

    if (vm && strncmp(vm, "/vm/", 4) == 0 && strlen(vm) < 128) {
        snprintf(path, sizeof(path), "%s/start_time", vm);
        v = xs_read(h, XBT_NULL, path, &len);
    }
    free(vm);
    bool ok = v && (*secs = now - strtod(v, &end), end != v);
    free(v);
    return ok;
}

int cmd_uptime(struct xl *x, int argc, char **argv)
{
    struct mica_ctl_domaininfo *doms;
    unsigned int n;
    struct timeval tv;
    double secs;

    if (xl_getopt(x, argc, argv, "") != -1)
        return XL_FAIL;             /* it takes no options: xl_getopt said so */
    if (xl_select_domains(x, argc, argv, &doms, &n))
        return XL_FAIL;
    gettimeofday(&tv, NULL);
    double now = (double)tv.tv_sec + tv.tv_usec / 1e6;
    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);

    fprintf(x->out, "%-33s %4s %s\n", "Name", "ID", "Uptime");
    for (unsigned int i = 0; i < n; i++) {
        const struct mica_ctl_domaininfo *d = &doms[i];
        if (d->flags & MICA_DOMINF_dying)
            continue;
        if (d->domain == 0 ? dom0_uptime(&secs) : h && started(h, d->domain, now, &secs))
            print_one(x, d->name, d->domain, secs);
    }
    free(doms);
    if (h)
        xs_close(h);
    return XL_OK;
}
