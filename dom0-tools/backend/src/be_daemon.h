/* SPDX-License-Identifier: MIT */
/*
 * What every back-end daemon does before its loop: hold its pid file's
 * lock for its lifetime (the toolstack starts a back end unless the lock
 * is held), and detach from the toolstack that started it.
 */
#ifndef BE_DAEMON_H
#define BE_DAEMON_H

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
