/* SPDX-License-Identifier: MIT */
/*
 * xenstored: command line, then the loop.  The socket path follows
 * libxenstore's search order so that Xen's client tools find us:
 * --socket, else $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else
 * /run/xenstored/socket (Debian's rundir).  The ring back end is "xen"
 * when /dev/xen/evtchn exists (we are dom0's store), else "none"; tests
 * choose "sim" with -r.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "loop.h"
#include "ops.h"
#include "perms.h"
#include "ring.h"
#include "store.h"

#define DEFAULT_RUNDIR "/run/xenstored"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: xenstored [options]\n"
"  -s, --socket PATH     Unix socket (default $XENSTORED_PATH,\n"
"                        $XENSTORED_RUNDIR/socket, " DEFAULT_RUNDIR "/socket)\n"
"  -r, --ring-dir DIR    serve simulated domain rings from DIR (tests)\n"
"  -R, --ring KIND       ring back end: xen or none (default xen when\n"
"                        /dev/xen/evtchn exists, else none)\n"
"  -g, --no-grant        xen: map guest rings by mfn only (no grant ref 1)\n"
"  -0, --dom0-nodes      write /local/domain/0/{name,domid} and\n"
"                        /tool/xenstored/domid (implied by the xen back end)\n"
"  -l, --log FILE        log to FILE instead of stderr\n"
"  -E N  nodes per domain (1000)      -S N  node size (2048)\n"
"  -W N  watches per domain (128)     -t N  transactions per domain (10)\n"
"  -Q N  nodes per transaction (1024) -A N  permissions per node (5)\n"
"  -M N  path length below the domain home (2048)   (0 disables a quota)\n");
}

static unsigned *quota_opt(int opt)
{
    switch (opt) {
    case 'E': return &quota.nodes;
    case 'S': return &quota.node_size;
    case 'W': return &quota.watches;
    case 't': return &quota.transactions;
    case 'Q': return &quota.txn_nodes;
    case 'A': return &quota.perms;
    case 'M': return &quota.path_max;
    default:  return NULL;
    }
}

/* What Xen's xen-init-dom0 and C xenstored write for the host itself. */
static int write_dom0_nodes(void)
{
    static const struct { const char *path, *val; } nodes[] = {
        { "/local/domain/0/name", "Domain-0" },
        { "/local/domain/0/domid", "0" },
        { "/tool/xenstored/domid", "0" },
    };
    struct xs_who dom0 = { .priv = true };
    struct op o = { .who = &dom0 };
    size_t i;
    int err;

    for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
        if ((err = store_write(&o, nodes[i].path, nodes[i].val,
                               strlen(nodes[i].val)))) {
            xs_log("cannot write %s: %s", nodes[i].path, ops_errname(err));
            return -1;
        }
    return 0;
}

static void make_parent(const char *path)
{
    char dir[4096];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    if ((slash = strrchr(dir, '/')) && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) && errno != EEXIST)
            fprintf(stderr, "xenstored: cannot create %s: %s\n", dir,
                    strerror(errno));
    }
}

static const char *default_socket(char *buf, size_t len)
{
    const char *p = getenv("XENSTORED_PATH");

    if (p && *p)
        return p;
    p = getenv("XENSTORED_RUNDIR");
    snprintf(buf, len, "%s/socket", p && *p ? p : DEFAULT_RUNDIR);
    return buf;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "socket", required_argument, NULL, 's' },
        { "ring-dir", required_argument, NULL, 'r' },
        { "log", required_argument, NULL, 'l' },
        { "ring", required_argument, NULL, 'R' },
        { "dom0-nodes", no_argument, NULL, '0' },
        { "no-grant", no_argument, NULL, 'g' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    char buf[4096];
    const char *sock = NULL;
    struct sigaction sa = { .sa_handler = on_signal };
    unsigned long v;
    const struct ring_backend *rb;
    bool chosen = false, xen = false, dom0_nodes = false, grants = true;
    unsigned *q;
    int opt;

    xs_log_to(stderr);
    while ((opt = getopt_long(argc, argv, "s:r:R:0gl:E:S:W:t:Q:A:M:h", longopts,
                              NULL)) != -1) {
        if ((q = quota_opt(opt))) {
            if (!parse_uint(optarg, UINT32_MAX, &v)) {
                fprintf(stderr, "xenstored: bad number %s\n", optarg);
                return 2;
            }
            *q = (unsigned)v;
            continue;
        }
        switch (opt) {
        case 's': sock = optarg; break;
        case 'r':
            ring_set_backend(ring_sim_backend(optarg));
            chosen = true;
            xen = false;            /* the last choice wins */
            break;
        case 'R':
            if (!strcmp(optarg, "xen")) {
                xen = true;
            } else if (!strcmp(optarg, "none")) {
                ring_set_backend(NULL);
                xen = false;
            } else {
                fprintf(stderr, "xenstored: unknown ring back end %s "
                        "(xen or none; sim is -r DIR)\n", optarg);
                return 2;
            }
            chosen = true;
            break;
        case '0': dom0_nodes = true; break;
        case 'g': grants = false; break;
        case 'l': {
            FILE *f = fopen(optarg, "a");
            if (!f) {
                perror(optarg);
                return 2;
            }
            xs_log_to(f);
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!sock) {
        sock = default_socket(buf, sizeof(buf));
        make_parent(sock);      /* a fresh initramfs has no /run/xenstored */
    }
    if (xen || (!chosen && access("/dev/xen/evtchn", F_OK) == 0)) {
        ring_set_backend(ring_xen_backend(grants));
        dom0_nodes = true;      /* we are dom0's store */
    }
    rb = ring_get_backend();
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    store_init();
    if (dom0_nodes && write_dom0_nodes())
        return 1;
    if (loop_init(sock))
        return 1;
    xs_log("ring back end: %s", rb ? rb->name : "none");
    if (rb && rb->init && rb->init()) {
        loop_fini();
        store_fini();
        return 1;
    }
    loop_run(&stop);
    xs_log("stopping");
    domain_fini();
    conn_kill_all();            /* rings closed before their back end */
    if (rb && rb->fini)
        rb->fini();
    loop_fini();
    store_fini();
    return 0;
}
