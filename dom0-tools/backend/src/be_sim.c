/* SPDX-License-Identifier: MIT */
/*
 * The "sim" platform (see be_plat.h): a directory stands in for the
 * hypervisor, so the whole daemon runs on a development host against a
 * real xenstored, with a test program as the guest.
 *
 *   <dir>/<domid>.mem          the guest's granted pages: grant ref g is
 *                              the 4 KiB page at offset g * 4096; a ref
 *                              past the end of the file is refused as Xen
 *                              refuses a bad grant (GNTST_bad_gntref)
 *   <dir>/<domid>.<port>.up    FIFO, guest -> back end (a notification
 *                              is any byte)
 *   <dir>/<domid>.<port>.down  FIFO, back end -> guest
 *
 * The guest creates the files and FIFOs before it writes its ring-ref and
 * event-channel, as a guest allocates its page and port first.
 */
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

#include "be_log.h"
#include "be_loop.h"
#include "be_plat.h"

#define GNTST_bad_gntref (-3)

struct be_evtchn {
    struct pollable p;          /* on `up` */
    int up, down;
    void (*kick)(void *arg);
    void *arg;
};

static char sim_dir[PATH_MAX - 64];

static int open_mem(unsigned domid, off_t *size)
{
    char path[PATH_MAX];
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "%s/%u.mem", sim_dir, domid);
    if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(fd, &st)) {
        close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}

static void *sim_map_ring(unsigned domid, const uint32_t *refs, unsigned n)
{
    off_t size;
    int fd = open_mem(domid, &size);
    uint8_t *area;

    if (fd < 0) {
        be_log("dom%u: no guest memory file: %s", domid, strerror(errno));
        return NULL;
    }
    area = mmap(NULL, (size_t)n * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (unsigned i = 0; area != MAP_FAILED && i < n; i++) {
        /* A short file would SIGBUS us on first touch: refuse instead. */
        if ((off_t)refs[i] * 4096 + 4096 > size ||
            mmap(area + (size_t)i * 4096, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                 fd, (off_t)refs[i] * 4096) == MAP_FAILED) {
            be_log("dom%u: cannot map ring grant %u", domid, refs[i]);
            munmap(area, (size_t)n * 4096);
            area = MAP_FAILED;
        }
    }
    close(fd);
    return area == MAP_FAILED ? NULL : area;
}

static void sim_unmap_ring(void *addr, unsigned n)
{
    munmap(addr, (size_t)n * 4096);
}

static int sim_grant_copy(unsigned domid, unsigned n, struct be_copy *segs)
{
    off_t size;
    int fd = open_mem(domid, &size);

    if (fd < 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        struct be_copy *c = &segs[i];
        off_t off = (off_t)c->gref * 4096 + c->offset;
        ssize_t r;

        if ((unsigned)c->offset + c->len > 4096 || (off_t)c->gref * 4096 + 4096 > size) {
            c->status = GNTST_bad_gntref;
            continue;
        }
        r = c->to_guest ? pwrite(fd, c->local, c->len, off) : pread(fd, c->local, c->len, off);
        c->status = r == c->len ? 0 : GNTST_bad_gntref;
    }
    close(fd);
    return 0;
}

static void sim_ready(struct pollable *p, uint32_t events)
{
    struct be_evtchn *e = (struct be_evtchn *)p;
    char buf[256];

    (void)events;
    while (read(e->up, buf, sizeof(buf)) > 0)
        ;
    e->kick(e->arg);
}

static struct be_evtchn *sim_bind(unsigned domid, unsigned port, void (*kick)(void *arg),
                                  void *arg)
{
    struct be_evtchn *e = calloc(1, sizeof(*e));
    char path[PATH_MAX];

    if (!e)
        return NULL;
    /* O_RDWR: a FIFO opened so never blocks and never reads EOF. */
    snprintf(path, sizeof(path), "%s/%u.%u.up", sim_dir, domid, port);
    e->up = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    snprintf(path, sizeof(path), "%s/%u.%u.down", sim_dir, domid, port);
    e->down = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    e->kick = kick;
    e->arg = arg;
    e->p.fd = e->up;
    e->p.ready = sim_ready;
    if (e->up < 0 || e->down < 0 || be_loop_add(&e->p, EPOLLIN)) {
        be_log("dom%u: cannot bind event channel port %u (no FIFOs in %s)", domid, port,
               sim_dir);
        if (e->up >= 0)
            close(e->up);
        if (e->down >= 0)
            close(e->down);
        free(e);
        return NULL;
    }
    return e;
}

static void sim_unbind(struct be_evtchn *e)
{
    be_loop_del(&e->p);
    close(e->up);
    close(e->down);
    be_loop_free_later(e);
}

static void sim_notify(struct be_evtchn *e)
{
    /* A full FIFO already holds a pending notification: nothing lost. */
    if (write(e->down, "!", 1) < 0)
        return;
}

static void sim_fini(void)
{
}

static const struct be_plat sim_plat = {
    .name = "sim", .map_ring = sim_map_ring, .unmap_ring = sim_unmap_ring,
    .bind = sim_bind, .unbind = sim_unbind, .notify = sim_notify,
    .grant_copy = sim_grant_copy, .fini = sim_fini,
};

const struct be_plat *be_plat_sim(const char *dir)
{
    snprintf(sim_dir, sizeof(sim_dir), "%s", dir);
    return &sim_plat;
}
