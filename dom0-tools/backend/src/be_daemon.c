/* SPDX-License-Identifier: MIT */
/* Pid file and detaching (see be_daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "be_daemon.h"
#include "be_dev.h"
#include "be_loop.h"
#include "be_log.h"

int be_take_pidfile(const char *path, const char *prog)
{
    char buf[32];
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int n;

    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        ssize_t got = errno == EWOULDBLOCK ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
        long pid = got > 0 ? (buf[got] = '\0', strtol(buf, NULL, 10)) : 0;

        if (got < 0 || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
            int e = errno;
            close(fd);
            errno = e;
            return got < 0 ? -1 : -2;
        }
        be_log("%s %ld is gone but its I/O ring still holds %s: waiting", prog, pid, path);
        if (flock(fd, LOCK_EX)) {
            close(fd);
            return -1;
        }
    }
    n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
        close(fd);
        return -1;
    }
    return fd;                  /* stays open: the lock is ours */
}

void be_daemonize(int keep_fd, const char *prog)
{
    pid_t pid = fork();
    int fd;

    if (pid < 0) {
        fprintf(stderr, "%s: fork: %m\n", prog);
        exit(1);
    }
    if (pid > 0)
        _exit(0);
    setsid();
    for (fd = 3; fd < 1024; fd++)
        if (fd != keep_fd)
            close(fd);
    if ((fd = open("/dev/null", O_RDWR)) >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
}

static void usage(FILE *f, const char *prog, const char *default_pidfile, const char *usage_sim)
{
    fprintf(f,
"usage: %s [options]\n"
"  -d, --daemon          detach (fork, new session, stdio to /dev/null)\n"
"  -p, --pidfile FILE    lock FILE and write our pid to it; if another\n"
"                        %s holds it, exit 0 (%s)\n"
"  -l, --log FILE        log to FILE instead of stderr\n"
"  -r, --ring-dir DIR    simulated guests in DIR instead of the hypervisor\n"
"                        (tests: %s)\n", prog, prog, default_pidfile, usage_sim);
}

int be_daemon_start(int argc, char **argv, const char *prog, const char *default_pidfile,
                    const char *usage_sim, struct be_opts *o)
{
    static const struct option longopts[] = {
        { "daemon", no_argument, NULL, 'd' },
        { "pidfile", required_argument, NULL, 'p' },
        { "log", required_argument, NULL, 'l' },
        { "ring-dir", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *logpath = NULL;
    bool daemon = false;
    int opt;

    *o = (struct be_opts){ .prog = prog, .pidfile = default_pidfile, .pid_fd = -1 };
    while ((opt = getopt_long(argc, argv, "dp:l:r:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': daemon = true; break;
        case 'p': o->pidfile = optarg; break;
        case 'l': logpath = optarg; break;
        case 'r': o->ring_dir = optarg; break;
        case 'h': usage(stdout, prog, default_pidfile, usage_sim); return 0;
        default: usage(stderr, prog, default_pidfile, usage_sim); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr, prog, default_pidfile, usage_sim);
        return 2;
    }
    if (logpath && !(o->log = fopen(logpath, "a"))) {
        fprintf(stderr, "%s: %s: %s\n", prog, logpath, strerror(errno));
        return 2;
    }
    be_log_to(o->log ? o->log : stderr);
    if (daemon)
        be_daemonize(o->log ? fileno(o->log) : -1, prog);
    if ((o->pid_fd = be_take_pidfile(o->pidfile, prog)) < 0) {
        if (o->pid_fd == -2) {
            be_log("another %s holds %s: exiting", prog, o->pidfile);
            return 0;
        }
        be_log("pid file %s: %s", o->pidfile, strerror(errno));
        return 1;
    }
    return -1;
}

int be_daemon_serve(const struct be_opts *o, const struct be_type *type)
{
    int rc = 1;

    if (!(be.plat = o->ring_dir ? be_plat_sim(o->ring_dir) : be_plat_xen()))
        return 1;
    if (!(be.xs = xs_open(0))) {
        be_log("cannot reach xenstored: %s", strerror(errno));
    } else {
        if (!be_dev_init(type)) {
            be_log("%s %d serving %s devices (%s)", o->prog, (int)getpid(), type->name,
                   be.plat->name);
            be_loop_run();
            rc = 0;
        }
        be_dev_fini();
        xs_close(be.xs);
        be.xs = NULL;
    }
    be.plat->fini();
    be.plat = NULL;
    return rc;
}

void be_daemon_end(struct be_opts *o)
{
    unlink(o->pidfile);
    if (o->log)
        fclose(o->log);
}
