/* SPDX-License-Identifier: MIT */
/*
 * epoll loop with signalfd: SIGTERM and SIGINT are blocked and read as
 * events, so a signal can never arrive between "check the stop flag" and
 * "sleep" and be lost.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

static int epfd = -1, sigfd = -1;
static struct pollable *again_head;
static void **graveyard;
static size_t ngrave, capgrave;

void loop_free_later(void *obj)
{
    if (ngrave == capgrave) {
        size_t cap = capgrave ? capgrave * 2 : 16;
        void **g = realloc(graveyard, cap * sizeof(*g));
        if (!g) {
            /* Leak rather than free under a pending event. */
            cd_log("out of memory: leaking one console record");
            return;
        }
        graveyard = g;
        capgrave = cap;
    }
    graveyard[ngrave++] = obj;
}

static void bury(void)
{
    while (ngrave)
        free(graveyard[--ngrave]);
}

int loop_init(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (epfd < 0 || sigfd < 0) {
        cd_log("event loop: %s", strerror(errno));
        return -1;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev)) {
        cd_log("event loop: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void loop_fini(void)
{
    if (epfd >= 0)
        close(epfd);
    if (sigfd >= 0)
        close(sigfd);
    epfd = sigfd = -1;
    bury();
    free(graveyard);
    graveyard = NULL;
    capgrave = 0;
}

int loop_add(struct pollable *p, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = p };

    p->again = false;
    p->dead = false;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, p->fd, &ev)) {
        cd_log("epoll add fd %d: %s", p->fd, strerror(errno));
        return -1;
    }
    return 0;
}

void loop_mod(struct pollable *p, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = p };

    epoll_ctl(epfd, EPOLL_CTL_MOD, p->fd, &ev);
}

void loop_del(struct pollable *p)
{
    struct pollable **pp;

    epoll_ctl(epfd, EPOLL_CTL_DEL, p->fd, NULL);
    p->dead = true;
    if (!p->again)
        return;
    for (pp = &again_head; *pp; pp = &(*pp)->next_again)
        if (*pp == p) {
            *pp = p->next_again;
            break;
        }
    p->again = false;
}

void loop_again(struct pollable *p)
{
    if (p->again)
        return;
    p->again = true;
    p->next_again = again_head;
    again_head = p;
}

/* Run each deferred handler once; they may defer themselves again. */
static void run_again(void)
{
    struct pollable *list = again_head;

    again_head = NULL;
    while (list) {
        struct pollable *p = list;
        list = p->next_again;
        p->again = false;
        if (!p->dead)           /* torn down by an earlier handler */
            p->ready(p, 0);
    }
}

void loop_run(void)
{
    struct epoll_event evs[32];

    for (;;) {
        int n = epoll_wait(epfd, evs, 32, again_head ? 0 : -1);

        if (n < 0 && errno != EINTR) {
            cd_log("epoll_wait: %s", strerror(errno));
            return;
        }
        for (int i = 0; i < n; i++) {
            struct pollable *p = evs[i].data.ptr;
            if (!p) {
                struct signalfd_siginfo si;
                if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                    cd_log("signal %u: stopping", si.ssi_signo);
                    return;
                }
                continue;
            }
            if (!p->dead)
                p->ready(p, evs[i].events);
        }
        run_again();
        bury();
    }
}
