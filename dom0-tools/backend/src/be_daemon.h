/* SPDX-License-Identifier: MIT */
/*
 * What every back-end daemon does before its loop: hold its pid file's
 * lock for its lifetime (the toolstack starts a back end unless the lock
 * is held), and detach from the toolstack that started it.
 */
#ifndef BE_DAEMON_H
#define BE_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

/* What every back end's command line says (-d, -p, -l, -r). */
struct be_opts {
    const char *prog;           /* "blkback", for messages */
    const char *pidfile;
    const char *ring_dir;       /* the sim platform's directory, or NULL */
    FILE *log;                  /* NULL: stderr */
    int pid_fd;                 /* holds the pid file's lock */
};

/*
 * Parse the options (usage_sim: how the sim directory looks, for -h),
 * open the log, detach if asked, take the pid file.  -1: go on and
 * serve; otherwise the status to exit with (0 when another instance
 * holds the pid file).
 */
int be_daemon_start(int argc, char **argv, const char *prog, const char *default_pidfile,
                    const char *usage_sim, struct be_opts *o);
struct be_type;
/* With the loop made: the platform (sim or xen), xenstore, the devices
 * of `type` served until SIGTERM; everything let go again.  The exit
 * status. */
int be_daemon_serve(const struct be_opts *o, const struct be_type *type);
/* The pid file removed, the log closed. */
void be_daemon_end(struct be_opts *o);

/*
 * Lock `path` and write our pid to it: the fd (>= 0) that holds the lock
 * (keep it open), -2 if a live process holds it, -1 on error (errno).
 * A lock held although the pid written in the file no longer exists is
 * waited for (blkback's io_uring may hold it for a dead blkback; see its
 * main.c), with a log line naming `prog`.
 */
int be_take_pidfile(const char *path, const char *prog);
/* Fork, new session, stdio to /dev/null; of the descriptors the caller
 * had only keep_fd (the log) stays: whatever else the toolstack had open
 * (its xenstore connection) is not ours.  Exits on failure. */
void be_daemonize(int keep_fd, const char *prog);

#endif
