/* SPDX-License-Identifier: MIT */
/*
 * consoled: serves every guest's PV console in dom0, like Xen's
 * xenconsoled.  Command line, then the loop.  xenstore is reached as
 * libxenstore finds it ($XENSTORED_PATH, else /run/xenstored/socket, else
 * /dev/xen/xenbus).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "backend.h"
#include "domains.h"
#include "log.h"
#include "loop.h"

#define DEFAULT_LOG_DIR "/var/log/xen/console"
#define DEFAULT_QUEUE   (64 * 1024)

static void usage(FILE *f)
{
    fprintf(f,
"usage: consoled [options]\n"
"  -o, --log-dir DIR     guest logs DIR/guest-NAME.log (" DEFAULT_LOG_DIR ")\n"
"  -q, --queue BYTES     output kept per console while nobody reads its\n"
"                        pty (65536; console/limit overrides, 4 KiB..16 MiB)\n"
"  -r, --ring-dir DIR    simulated domains in DIR instead of the hypervisor\n"
"                        (tests: <domid>.page, <domid>.evtchn-{up,down})\n"
"  -l, --log FILE        daemon log to FILE instead of stderr\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "log-dir", required_argument, NULL, 'o' },
        { "queue", required_argument, NULL, 'q' },
        { "ring-dir", required_argument, NULL, 'r' },
        { "log", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct console_cfg cfg = { .log_dir = DEFAULT_LOG_DIR,
                               .pty_queue = DEFAULT_QUEUE };
    const char *ring_dir = NULL;
    FILE *logf = NULL;
    char *end;
    int opt, rc = 1;

    cd_log_to(stderr);
    while ((opt = getopt_long(argc, argv, "o:q:r:l:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': cfg.log_dir = optarg; break;
        case 'r': ring_dir = optarg; break;
        case 'q':
            errno = 0;
            cfg.pty_queue = strtoul(optarg, &end, 10);
            if (errno || *end || cfg.pty_queue < 4096 ||
                cfg.pty_queue > (16u << 20)) {
                fprintf(stderr, "consoled: bad queue size %s (4096..16777216)\n",
                        optarg);
                return 2;
            }
            break;
        case 'l':
            if (logf)
                fclose(logf);
            if (!(logf = fopen(optarg, "a"))) {
                fprintf(stderr, "consoled: %s: %s\n", optarg, strerror(errno));
                return 2;
            }
            cd_log_to(logf);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (loop_init())
        goto out;
    cfg.be = ring_dir ? backend_sim(ring_dir) : backend_xen();
    if (!cfg.be)
        goto out;
    if (!(cfg.xs = xs_open(0))) {
        cd_log("cannot reach xenstored: %s", strerror(errno));
        cfg.be->fini();
        goto out;
    }
    if (!domains_init(&cfg)) {
        cd_log("serving consoles (%s back end), logs in %s", cfg.be->name,
               cfg.log_dir);
        loop_run();
        rc = 0;
    }
    domains_fini();
    cfg.be->fini();
    xs_close(cfg.xs);
out:
    loop_fini();
    if (logf)
        fclose(logf);
    return rc;
}
