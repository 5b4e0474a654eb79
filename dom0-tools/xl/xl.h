/* SPDX-License-Identifier: MIT */
/*
 * xl: Xen's command-line toolstack, on Mica.  Subcommands, options and
 * output follow Xen's xl so that a Xen user's habits and scripts work; a
 * command table names each one with its help (xl.c), one file per area:
 * xl_list.c (list, domid, domname, vcpu-list), xl_host.c (info, dmesg),
 * xl_dom.c (pause, unpause, destroy), xl_create.c (create) with
 * xl_monitor.c (the per-domain monitor), xl_shutdown.c (shutdown, reboot, sysrq),
 * xl_console.c (console), xl_uptime.c (uptime), xl_rename.c (rename),
 * xl_sched.c (sched-credit2), xl_mem.c (mem-set, mem-max), xl_block.c
 * (block-attach, block-detach, block-list), xl_net.c (network-attach, network-detach,
 * network-list), xl_dev.c (what disks and networks share), xl_cfg.c (xl.cfg files), xl_xs.c (xenstore).
 */
#ifndef XL_H
#define XL_H

#include <stdbool.h>
#include <stdio.h>

#include "libmica.h"

/* What every command gets: the hypervisor, where to write, and its
 * arguments (argv[0] is the command's name). */
struct xl {
    struct mica *m;
    FILE *out, *err;
};

struct xl_cmd {
    const char *name;
    int (*fn)(struct xl *x, int argc, char **argv);
    const char *summary;
    const char *usage;          /* options and arguments */
};

/* Exit statuses: 0, or 1 for any failure (as xl does). */
#define XL_OK   0
#define XL_FAIL 1

/* Run one command line (argv[0] is "xl"); the program's exit status. */
int xl_main(struct xl *x, int argc, char **argv);

/* One line "xl: <what>: <error>" on x->err; returns XL_FAIL. */
int xl_error(struct xl *x, const char *what, int err);
/* A domain named by id or by name: 0 and *id, or XL_FAIL (said why). */
int xl_find_domain(struct xl *x, const char *spec, domid_t *id);
/* The same against a list the caller has already (NULL: fetch one). */
int xl_find_domain_in(struct xl *x, const char *spec, const struct mica_ctl_domaininfo *all,
                      unsigned int n, domid_t *id);
/* The domains named by argv[optind..] (all of them if none), in a
 * malloc'ed array: 0, or XL_FAIL (said why). */
int xl_select_domains(struct xl *x, int argc, char **argv,
                      struct mica_ctl_domaininfo **out, unsigned int *n);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
void xl_uuid_str(const uint8_t u[16], char out[37]);
/* Is a live domain other than `except` (DOMID_INVALID: none) called
 * `name`?  Names are unique, as in Xen.  1 and *who (if not NULL), 0, or
 * -1 (said why). */
int xl_name_in_use(struct xl *x, const char *name, domid_t except, domid_t *who);
/* A random (version 4) UUID. */
void xl_uuid_generate(uint8_t u[16]);
/* The options of a command: getopt over `opts`; '?' said why already. */
int xl_getopt(struct xl *x, int argc, char **argv, const char *opts);
int xl_usage(struct xl *x, const char *cmd);

int cmd_list(struct xl *x, int argc, char **argv);
int cmd_domid(struct xl *x, int argc, char **argv);
int cmd_domname(struct xl *x, int argc, char **argv);
int cmd_vcpu_list(struct xl *x, int argc, char **argv);
int cmd_info(struct xl *x, int argc, char **argv);
int cmd_dmesg(struct xl *x, int argc, char **argv);
int cmd_pause(struct xl *x, int argc, char **argv);
int cmd_unpause(struct xl *x, int argc, char **argv);
int cmd_destroy(struct xl *x, int argc, char **argv);
int cmd_create(struct xl *x, int argc, char **argv);
int cmd_console(struct xl *x, int argc, char **argv);
int cmd_shutdown(struct xl *x, int argc, char **argv);
int cmd_reboot(struct xl *x, int argc, char **argv);
int cmd_uptime(struct xl *x, int argc, char **argv);
int cmd_rename(struct xl *x, int argc, char **argv);
int cmd_sched_credit2(struct xl *x, int argc, char **argv);
int cmd_mem_set(struct xl *x, int argc, char **argv);
int cmd_sysrq(struct xl *x, int argc, char **argv);
int cmd_mem_max(struct xl *x, int argc, char **argv);
/* xl_mem.c: dom0's memory/target and static-max, written on first use;
 * room for a domain that needs need_kib (autoballoon from dom0 if
 * xl.conf allows), or a line saying why not. */
struct xs_handle;
int xl_dom0_memory_nodes(struct xl *x, struct xs_handle *h);
int xl_make_room(struct xl *x, struct xs_handle *h, const char *name, uint64_t need_kib);
/* Attach this terminal to domain id's console (xl_console.c). */
int xl_console_attach(struct xl *x, domid_t id);

#endif /* XL_H */
