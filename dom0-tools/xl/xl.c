/* SPDX-License-Identifier: MIT */
/*
 * xl's command table and the pieces every command shares: finding a
 * domain by name or id, options, errors (one line naming what failed and
 * the Xen errno), usage.  main() lives in xl_main.c so that the tests can
 * drive xl_main() against a fake hypervisor.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "xl.h"
#include "xl_block.h"
#include "xl_net.h"

static int cmd_help(struct xl *x, int argc, char **argv);

static const struct xl_cmd cmds[] = {
    { "list", cmd_list, "List information about all/some domains",
      "[-l] [-v] [Domain...]" },
    { "create", cmd_create, "Create a domain from config file <filename>",
      "[-c] [-p] [-q] <ConfigFile> [options] [vars]\n\n"
      "  -c  connect to the console after the domain is created\n"
      "  -p  leave the domain paused after it is created\n"
      "  -q  quiet\n"
      "  key=value  a config line after the file's (e.g. memory=512)" },
    { "console", cmd_console, "Attach to domain's console", "[-t pv] [-n 0] <Domain>\n\n"
      "  Ctrl-] detaches" },
    { "shutdown", cmd_shutdown, "Issue a shutdown signal to a domain", "[-a] [-w] <Domain>\n\n"
      "  -a  all domains but domain 0\n"
      "  -w  wait for the domain to shut down" },
    { "reboot", cmd_reboot, "Issue a reboot signal to a domain", "[-a] [-w] <Domain>" },
    { "sysrq", cmd_sysrq, "Send a sysrq to a domain", "<Domain> <letter>" },
    { "destroy", cmd_destroy, "Terminate a domain immediately", "<Domain>" },
    { "pause", cmd_pause, "Pause execution of a domain", "<Domain>" },
    { "unpause", cmd_unpause, "Unpause a paused domain", "<Domain>" },
    { "mem-set", cmd_mem_set, "Set the current memory usage for a domain",
      "[-t SECONDS] [--no-wait] <Domain> <Memory>\n\n"
      "  Memory: a number with a unit b, k, m (the default), g or t\n"
      "  -t SECONDS  how long to wait for the guest to get there (default 60)\n"
      "  --no-wait   set the target and return (Xen's xl)\n"
      "  exit 0 reached, 1 refused, 2 deadline while moving, 3 guest stopped short,\n"
      "  4 host has no free memory, 5 target changed by another mem-set" },
    { "mem-max", cmd_mem_max, "Set the maximum amount reservation for a domain",
      "<Domain> <Memory>" },
    { "rename", cmd_rename, "Rename a domain", "<Domain> <NewDomainName>" },
    { "sched-credit2", cmd_sched_credit2, "Get/set credit2 scheduler parameters",
      "[-d <Domain> [-w[=WEIGHT]] [-c[=CAP]]] [-s]\n\n"
      "  -d DOMAIN  domain to show or change\n"
      "  -w WEIGHT  its weight, 1 to 65535 (default 256): its share of the CPU\n"
      "  -c CAP     its cap, percent of one CPU (0 = none, at most 100)\n"
      "  -s         the scheduler's own parameters (Mica's have no rate limit)" },
    { "domid", cmd_domid, "Convert a domain name to domain id", "<DomainName>" },
    { "domname", cmd_domname, "Convert a domain id to domain name", "<DomainId>" },
    { "vcpu-list", cmd_vcpu_list, "List the VCPUs for all/some domains", "[Domain...]" },
    { "uptime", cmd_uptime, "Print uptime for all/some domains", "[Domain...]" },
    { "info", cmd_info, "Get information about Xen host", "" },
    { "dmesg", cmd_dmesg, "Read and/or clear dmesg buffer", "[-c]" },
    { "block-attach", cmd_block_attach, "Create a new virtual block device",
      "<Domain> <disk-spec-component(s)>..." },
    { "block-detach", cmd_block_detach, "Destroy a domain's virtual block device",
      "<Domain> <DevId>" },
    { "block-list", cmd_block_list, "List virtual block devices for a domain",
      "<Domain(s)>" },
    { "network-attach", cmd_network_attach, "Create a new virtual network device",
      "<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] [ip=<ip>] [script=<script>] "
      "[backend=<BackDomain>] [vifname=<name>] [mtu=<mtu>] [model=<model>]" },
    { "network-detach", cmd_network_detach, "Destroy a domain's virtual network device",
      "<Domain> <DevId|mac>" },
    { "network-list", cmd_network_list, "List virtual network interfaces for a domain",
      "<Domain(s)>" },
    { "help", cmd_help, "Print this help", "[command]" },
};

static const struct xl_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(cmds[i].name, name))
            return &cmds[i];
    return NULL;
}

int xl_error(struct xl *x, const char *what, int err)
{
    fprintf(x->err, "xl: %s: %s\n", what, mica_strerror(err));
    return XL_FAIL;
}

int xl_usage(struct xl *x, const char *name)
{
    const struct xl_cmd *c = find_cmd(name);

    if (c)
        fprintf(x->err, "Usage: xl %s %s\n\n%s.\n", c->name, c->usage, c->summary);
    return XL_FAIL;
}

int xl_getopt(struct xl *x, int argc, char **argv, const char *opts)
{
    int c;

    opterr = 0;
    c = getopt(argc, argv, opts);
    if (c == '?') {
        fprintf(x->err, "xl %s: unknown option '-%c'\n", argv[0], optopt);
        xl_usage(x, argv[0]);
    }
    return c;
}

int xl_find_domain_in(struct xl *x, const char *spec, const struct mica_ctl_domaininfo *all,
                      unsigned int n, domid_t *id)
{
    struct mica_ctl_domaininfo *fetched = NULL;
    char *end;

    if (*spec >= '0' && *spec <= '9') {
        unsigned long v = strtoul(spec, &end, 10);
        if (*end || v >= DOMID_FIRST_RESERVED) {
            fprintf(x->err, "xl: '%s' is not a domain id (0 to %u)\n", spec,
                    DOMID_FIRST_RESERVED - 1);
            return XL_FAIL;
        }
        *id = (domid_t)v;
        return 0;
    }
    if (!all) {
        if (mica_domain_list(x->m, &fetched, &n))
            return xl_error(x, "listing domains", errno);
        all = fetched;
    }
    for (unsigned int i = 0; i < n; i++) {
        if (!strncmp(all[i].name, spec, sizeof(all[i].name)) &&
            strlen(spec) < sizeof(all[i].name)) {
            *id = all[i].domain;
            free(fetched);
            return 0;
        }
    }
    free(fetched);
    fprintf(x->err, "xl: '%s' is an invalid domain identifier\n", spec);
    return XL_FAIL;
}

int xl_find_domain(struct xl *x, const char *spec, domid_t *id)
{
    return xl_find_domain_in(x, spec, NULL, 0, id);
}

static int cmd_help(struct xl *x, int argc, char **argv)
{
    if (argc > 1 && find_cmd(argv[1])) {
        const struct xl_cmd *c = find_cmd(argv[1]);
        fprintf(x->out, "Usage: xl %s %s\n\n%s.\n", c->name, c->usage, c->summary);
        return XL_OK;
    }
    fprintf(x->out, "Usage xl [-v] <subcommand> [args]\n\nxl full list of subcommands:\n\n");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(x->out, " %-19s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(x->out, "\n");
    return argc > 1 ? XL_FAIL : XL_OK;
}

int xl_main(struct xl *x, int argc, char **argv)
{
    /* xl's own options come before the subcommand (-v is accepted). */
    int i = 1;
    while (i < argc && argv[i][0] == '-' && strcmp(argv[i], "-h") && strcmp(argv[i], "--help"))
        i++;
    if (i >= argc || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
        char *help[] = { "help", NULL };
        cmd_help(x, 1, help);
        return i >= argc ? XL_FAIL : XL_OK;
    }
    const struct xl_cmd *c = find_cmd(argv[i]);
    if (!c) {
        fprintf(x->err, "xl: command not implemented: '%s'\n", argv[i]);
        char *help[] = { "help", NULL };
        cmd_help(x, 1, help);
        return XL_FAIL;
    }
    optind = 1;                 /* getopt over the command's own arguments */
    return c->fn(x, argc - i, argv + i);
}

/* The domains named on the command line, or all of them. */
int xl_select_domains(struct xl *x, int argc, char **argv,
                      struct mica_ctl_domaininfo **out, unsigned int *n)
{
    struct mica_ctl_domaininfo *all;
    unsigned int nall, kept = 0;

    if (mica_domain_list(x->m, &all, &nall))
        return xl_error(x, "listing domains", errno);
    if (optind >= argc) {
        *out = all, *n = nall;
        return 0;
    }
    struct mica_ctl_domaininfo *sel = calloc((size_t)(argc - optind), sizeof(*sel));
    for (int a = optind; sel && a < argc; a++) {
        domid_t id;
        unsigned int i;
        if (xl_find_domain_in(x, argv[a], all, nall, &id)) {
            free(all), free(sel);
            return XL_FAIL;
        }
        for (i = 0; i < nall && all[i].domain != id; i++)
            ;
        if (i == nall) {
            fprintf(x->err, "xl: domain %u does not exist\n", id);
            free(all), free(sel);
            return XL_FAIL;
        }
        sel[kept++] = all[i];
    }
    free(all);
    if (!sel)
        return xl_error(x, "listing domains", ENOMEM);
    *out = sel, *n = kept;
    return 0;
}

void xl_uuid_str(const uint8_t u[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
             u[13], u[14], u[15]);
}

void xl_uuid_generate(uint8_t u[16])
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, u, 16) : -1;

    if (fd >= 0)
        close(fd);
    if (got != 16) {                /* no urandom: time and pid, still unique enough */
        struct timeval tv;
        gettimeofday(&tv, NULL);
        uint64_t a = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec, b = (uint64_t)getpid();
        memcpy(u, &a, 8);
        memcpy(u + 8, &b, 8);
    }
    u[6] = (u[6] & 0x0f) | 0x40;    /* version 4 (random), RFC 4122 variant */
    u[8] = (u[8] & 0x3f) | 0x80;
}

int xl_name_in_use(struct xl *x, const char *name, domid_t except, domid_t *who)
{
    struct mica_ctl_domaininfo *doms;
    unsigned int n;
    int found = 0;

    if (mica_domain_list(x->m, &doms, &n)) {
        xl_error(x, "list domains", errno);
        return -1;
    }
    for (unsigned int i = 0; i < n && !found; i++)
        if (doms[i].domain != except && !(doms[i].flags & MICA_DOMINF_dying) &&
            !strncmp(doms[i].name, name, sizeof(doms[i].name))) {
            if (who)
                *who = doms[i].domain;
            found = 1;
        }
    free(doms);
    return found;
}
