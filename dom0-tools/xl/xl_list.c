/* SPDX-License-Identifier: MIT */
/*
 * xl list, domid, domname, vcpu-list: what the hypervisor says about its
 * domains, in Xen's columns.  Memory is what a domain owns now, in MiB;
 * time is the CPU time of all its vCPUs, in seconds.  State, one letter a
 * column as xl prints it: r running, b blocked, p paused, s shut down,
 * c crashed, d dying.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xenstore.h>

#include <abi/sched.h>

#include "xl.h"
#include "xl_xs.h"

static unsigned long mem_mib(const struct mica_ctl_domaininfo *d)
{
    return (unsigned long)(d->tot_pages * 4096 / (1024 * 1024));
}

static void state(const struct mica_ctl_domaininfo *d, char s[7])
{
    bool shut = d->flags & MICA_DOMINF_shutdown;
    bool crashed = shut && d->shutdown_reason == SHUTDOWN_crash;

    s[0] = d->flags & MICA_DOMINF_running ? 'r' : '-';
    s[1] = d->flags & MICA_DOMINF_blocked ? 'b' : '-';
    s[2] = d->flags & MICA_DOMINF_paused ? 'p' : '-';
    s[3] = shut && !crashed ? 's' : '-';
    s[4] = crashed ? 'c' : '-';
    s[5] = d->flags & MICA_DOMINF_dying ? 'd' : '-';
    s[6] = 0;
}

static void print_row(struct xl *x, const struct mica_ctl_domaininfo *d, bool verbose)
{
    char s[7], u[37];

    state(d, s);
    fprintf(x->out, "%-40.*s %5u %5lu %5u     %s  %8.1f", (int)sizeof(d->name), d->name,
            d->domain, mem_mib(d), d->nr_online_vcpus, s, (double)d->cpu_time / 1e9);
    if (verbose) {
        xl_uuid_str(d->handle, u);
        fprintf(x->out, " %s %5s", u,
                d->flags & MICA_DOMINF_shutdown ? "" : "-");
        if (d->flags & MICA_DOMINF_shutdown)
            fprintf(x->out, "%5u", d->shutdown_reason);
    }
    fputc('\n', x->out);
}

/* A KiB value under /local/domain/N/memory, or `dflt`. */
static json_int_t memory_kib(struct xs_handle *h, domid_t id, const char *key, uint64_t dflt)
{
    char path[64];
    uint64_t v;

    snprintf(path, sizeof(path), "/local/domain/%u/memory/%s", id, key);
    return (json_int_t)(h && xl_xs_read_u64(h, XBT_NULL, path, &v) == 0 ? v : dflt);
}

/* One domain as xl list -l shows it: its id and the configuration the
 * toolstack knows -- memory target and maximum from xenstore, what the
 * hypervisor holds for a domain without them -- and, Mica's addition,
 * the memory it has now ("actual_memkb"). */
static json_t *domain_json(struct xs_handle *h, const struct mica_ctl_domaininfo *d)
{
    char u[37];

    xl_uuid_str(d->handle, u);
    return json_pack("{s:i, s:I, s:{s:{s:s, s:s, s:s}, s:{s:i, s:I, s:I}}}",
                     "domid", d->domain,
                     "actual_memkb", (json_int_t)(d->tot_pages * 4),
                     "config",
                       "c_info", "type", "pv", "name", d->name, "uuid", u,
                       "b_info", "max_vcpus", d->max_vcpu_id + 1,
                                 "max_memkb", memory_kib(h, d->domain, "static-max",
                                                         d->max_pages * 4),
                                 "target_memkb", memory_kib(h, d->domain, "target",
                                                            d->tot_pages * 4));
}

int cmd_list(struct xl *x, int argc, char **argv)
{
    bool lng = false, verbose = false;
    struct mica_ctl_domaininfo *d;
    unsigned int n;
    int c;

    while ((c = xl_getopt(x, argc, argv, "lv")) != -1) {
        if (c == 'l')
            lng = true;
        else if (c == 'v')
            verbose = true;
        else
            return XL_FAIL;
    }
    if (xl_select_domains(x, argc, argv, &d, &n))
        return XL_FAIL;
    if (lng) {
        json_t *arr = json_array();
        struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);     /* NULL: hypervisor only */
        for (unsigned int i = 0; i < n; i++)
            json_array_append_new(arr, domain_json(h, &d[i]));
        if (h)
            xs_close(h);
        char *text = json_dumps(arr, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        fprintf(x->out, "%s\n", text ? text : "[]");
        free(text);
        json_decref(arr);
    } else {
        fprintf(x->out, "%-40s %5s %5s %5s\t%s\t%s%s\n", "Name", "ID", "Mem", "VCPUs",
                "State", "Time(s)", verbose ? "   UUID                            Reason-Code" : "");
        for (unsigned int i = 0; i < n; i++)
            print_row(x, &d[i], verbose);
    }
    free(d);
    return XL_OK;
}

int cmd_domid(struct xl *x, int argc, char **argv)
{
    domid_t id;

    if (argc != 2)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[1], &id))
        return XL_FAIL;
    fprintf(x->out, "%u\n", id);
    return XL_OK;
}

int cmd_domname(struct xl *x, int argc, char **argv)
{
    struct mica_ctl_domaininfo d;
    domid_t id;

    if (argc != 2)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[1], &id))
        return XL_FAIL;
    if (mica_domain_info(x->m, id, &d)) {
        char what[48];
        snprintf(what, sizeof(what), "domain %u", id);
        return xl_error(x, what, errno);
    }
    fprintf(x->out, "%.*s\n", (int)sizeof(d.name), d.name);
    return XL_OK;
}

int cmd_vcpu_list(struct xl *x, int argc, char **argv)
{
    struct mica_ctl_domaininfo *d;
    unsigned int n;

    if (xl_select_domains(x, argc, argv, &d, &n))
        return XL_FAIL;
    fprintf(x->out, "%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU", "State",
            "Time(s)", "Affinity (Hard / Soft)");
    for (unsigned int i = 0; i < n; i++) {
        for (uint32_t v = 0; v <= d[i].max_vcpu_id; v++) {
            struct mica_ctl_getvcpuinfo vi;
            if (mica_vcpu_info(x->m, d[i].domain, v, &vi))
                continue;               /* gone meanwhile */
            /* Xen's letters: running, blocked, and p for a vCPU not online. */
            char st[4] = { vi.running ? 'r' : '-', vi.blocked ? 'b' : '-',
                           vi.online ? '-' : 'p', 0 };
            fprintf(x->out, "%-32.*s %5u %5u ", (int)sizeof(d[i].name), d[i].name,
                    d[i].domain, v);
            if (vi.online)
                fprintf(x->out, "%5u", vi.cpu);
            else
                fprintf(x->out, "%5s", "-");
            fprintf(x->out, "   %s   %9.1f  all / all\n", st, (double)vi.cpu_time / 1e9);
        }
    }
    free(d);
    return XL_OK;
}
