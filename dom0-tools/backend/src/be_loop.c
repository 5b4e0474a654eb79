/* SPDX-License-Identifier: MIT */
/*
 * epoll with a signalfd (see be_loop.h): SIGTERM and SIGINT are blocked
 * and read as events, so a signal can never fall between "check the stop
 * flag" and "sleep".
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "be_log.h"
#include "be_loop.h"

static int epfd = -1, sigfd = -1;
static bool stopping;
static void **grave;
static size_t ngrave, capgrave;

void be_loop_free_later(void *obj)
{
    if (ngrave == capgrave) {
        size_t cap = capgrave ? capgrave * 2 : 16;
        void **g = realloc(grave, cap * sizeof(*g));
        if (!g) {
            be_log("out of memory: leaking one record rather than freeing it early");
            return;
        }
        grave = g;
        capgrave = cap;
    }
    grave[ngrave++] = obj;
}

static void bury(void)
{
    while (ngrave)
        free(grave[--ngrave]);
}

int be_loop_init(void)
{
    sigset_t set;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (epfd < 0 || sigfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev)) {
        be_log("event loop: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void be_loop_fini(void)
{
    if (epfd >= 0)
        close(epfd);
    if (sigfd >= 0)
        close(sigfd);
    epfd = sigfd = -1;
    bury();
    free(grave);
    grave = NULL;
    capgrave = 0;
}

int be_loop_add(struct pollable *p, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = p };

    p->dead = false;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, p->fd, &ev)) {
        be_log("epoll add fd %d: %s", p->fd, strerror(errno));
        return -1;
    }
    return 0;
}

void be_loop_del(struct pollable *p)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, p->fd, NULL);
    p->dead = true;
}

void be_loop_stop(void)
{
    stopping = true;
}

void be_loop_run(void)
{
    struct epoll_event evs[32];

    while (!stopping) {
        int n = epoll_wait(epfd, evs, 32, -1);

        if (n < 0 && errno != EINTR) {
            be_log("epoll_wait: %s", strerror(errno));
            return;
        }
        for (int i = 0; i < n && !stopping; i++) {
            struct pollable *p = evs[i].data.ptr;
            if (!p) {
                struct signalfd_siginfo si;
                if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                    be_log("signal %u: stopping", si.ssi_signo);
                    return;
                }
                continue;
            }
            /* A deleted pollable's memory is freed only after the batch
             * (be_loop_free_later). */
            if (!p->dead)
                p->ready(p, evs[i].events);
        }
        bury();
    }
}
