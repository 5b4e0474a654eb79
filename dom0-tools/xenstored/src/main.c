/* SPDX-License-Identifier: MIT */
/*
 * xenstored: command line, then the loop.  The socket path follows
 * libxenstore's search order so that Xen's client tools find us:
 * --socket, else $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else
 * /run/xenstored/socket (Debian's rundir).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "loop.h"
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
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    char buf[4096];
    const char *sock = NULL;
    struct sigaction sa = { .sa_handler = on_signal };
    unsigned long v;
    unsigned *q;
    int opt;

    xs_log_to(stderr);
    while ((opt = getopt_long(argc, argv, "s:r:l:E:S:W:t:Q:A:M:h", longopts,
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
        case 'r': ring_set_backend(ring_sim_backend(optarg)); break;
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
    if (!sock)
        sock = default_socket(buf, sizeof(buf));
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    store_init();
    if (loop_init(sock))
        return 1;
    loop_run(&stop);
    xs_log("stopping");
    domain_fini();
    loop_fini();
    store_fini();
    return 0;
}
