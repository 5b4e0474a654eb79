/* SPDX-License-Identifier: MIT */
/* Pid file and detaching (see be_daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "be_daemon.h"
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
