/* SPDX-License-Identifier: MIT */
/* The "sim" back end: files and FIFOs in a directory (see backend.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "loop.h"

struct evtchn {
    struct pollable p;          /* on `up` */
    int up, down;
    void (*kick)(void *arg);
    void *arg;
};

static char sim_dir[PATH_MAX - 32];

static void *sim_map(unsigned domid, uint64_t mfn)
{
    char path[PATH_MAX];
    struct stat st;
    void *page;
    int fd;

    (void)mfn;
    snprintf(path, sizeof(path), "%s/%u.page", sim_dir, domid);
    if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
        cd_log("dom%u: cannot open %s: %s", domid, path, strerror(errno));
        return NULL;
    }
    /* A short file would SIGBUS us on first touch. */
    if (fstat(fd, &st) || st.st_size < 4096) {
        cd_log("dom%u: %s is not a 4 KiB page", domid, path);
        close(fd);
        return NULL;
    }
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (page == MAP_FAILED) {
        cd_log("dom%u: cannot map %s: %s", domid, path, strerror(errno));
        return NULL;
    }
    return page;
}

static void sim_unmap(void *page)
{
    munmap(page, 4096);
}

static void sim_ready(struct pollable *p, uint32_t events)
{
    struct evtchn *e = (struct evtchn *)p;
    char buf[256];

    (void)events;
    while (read(e->up, buf, sizeof(buf)) > 0)
        ;
    e->kick(e->arg);
}

static struct evtchn *sim_bind(unsigned domid, unsigned port,
                               void (*kick)(void *arg), void *arg)
{
    struct evtchn *e = calloc(1, sizeof(*e));
    char path[PATH_MAX];

    (void)port;
    if (!e)
        return NULL;
    /* O_RDWR: a FIFO opened so never blocks and never reads EOF. */
    snprintf(path, sizeof(path), "%s/%u.evtchn-up", sim_dir, domid);
    e->up = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    snprintf(path, sizeof(path), "%s/%u.evtchn-down", sim_dir, domid);
    e->down = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    e->kick = kick;
    e->arg = arg;
    e->p.fd = e->up;
    e->p.ready = sim_ready;
    if (e->up < 0 || e->down < 0 || loop_add(&e->p, EPOLLIN)) {
        cd_log("dom%u: cannot open event channel FIFOs in %s", domid, sim_dir);
        if (e->up >= 0)
            close(e->up);
        if (e->down >= 0)
            close(e->down);
        free(e);
        return NULL;
    }
    return e;
}

static void sim_unbind(struct evtchn *e)
{
    loop_del(&e->p);
    close(e->up);
    close(e->down);
    loop_free_later(e);
}

static void sim_notify(struct evtchn *e)
{
    /* A full FIFO already holds a pending notification: nothing lost. */
    if (write(e->down, "!", 1) < 0)
        return;
}

static void sim_fini(void)
{
}

static const struct cons_backend sim_backend = {
    .name = "sim", .map = sim_map, .unmap = sim_unmap, .bind = sim_bind,
    .unbind = sim_unbind, .notify = sim_notify, .fini = sim_fini,
};

const struct cons_backend *backend_sim(const char *dir)
{
    snprintf(sim_dir, sizeof(sim_dir), "%s", dir);
    return &sim_backend;
}
