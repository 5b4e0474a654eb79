/* SPDX-License-Identifier: MIT */
/*
 * The epoll loop and the Unix-socket transport (see loop.h).  Socket
 * clients are dom0 processes and therefore privileged, as in Xen; the
 * socket is created mode 0600 so only root reaches it.  All sockets are
 * non-blocking: a client that stops reading only fills its own buffer.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "loop.h"

struct sock_conn {
    struct pollable p;
    struct conn *c;
    uint32_t events;
};

static int epfd = -1;
static struct pollable listener = { .fd = -1 };
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

int loop_add(struct pollable *p, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = p };

    return epoll_ctl(epfd, EPOLL_CTL_ADD, p->fd, &ev);
}

void loop_mod(struct pollable *p, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = p };

    epoll_ctl(epfd, EPOLL_CTL_MOD, p->fd, &ev);
}

void loop_del(struct pollable *p)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, p->fd, NULL);
}

static bool sock_flush(struct conn *c, int fd)
{
    while (conn_out_pending(c)) {
        ssize_t n = send(fd, c->out + c->out_off, conn_out_pending(c),
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return true;
            conn_kill(c, strerror(errno));
            return false;
        }
        conn_out_consumed(c, (size_t)n);
    }
    return true;
}

/*
 * Read what fits, handle it, write what the socket takes, and repeat while
 * draining the output un-throttles requests already buffered; then re-arm.
 */
static void sock_service(struct conn *c)
{
    struct sock_conn *sc = c->tp_data;
    size_t before;
    ssize_t n;

    if (!conn_throttled(c) && sc->events & EPOLLIN) {
        n = recv(sc->p.fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
                 MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            conn_kill(c, n == 0 ? "client closed" : strerror(errno));
            return;
        }
        if (n > 0)
            c->in_len += (size_t)n;
    }
    sc->events = 0;
    do {
        /* Flush first: that may lift the throttle on buffered requests. */
        if (!sock_flush(c, sc->p.fd))
            return;
        before = c->in_len;
        if (!conn_process(c)) {
            conn_kill(c, "bad message length");
            return;
        }
        if (!sock_flush(c, sc->p.fd) || c->dead)
            return;
    } while (c->in_len != before && !conn_throttled(c));
    loop_mod(&sc->p, (conn_throttled(c) ? 0 : EPOLLIN) |
                     (conn_out_pending(c) ? EPOLLOUT : 0));
}

static void sock_ready(struct pollable *p, uint32_t events)
{
    struct sock_conn *sc = (struct sock_conn *)p;

    if (sc->c->dead)
        return;
    sc->events = events;
    if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN))
        conn_kill(sc->c, "hang-up");
    else
        sock_service(sc->c);
}

static void sock_close(struct conn *c)
{
    struct sock_conn *sc = c->tp_data;

    loop_del(&sc->p);
    close(sc->p.fd);
    free(sc);
}

static const struct conn_transport sock_transport = {
    .name = "socket", .service = sock_service, .close = sock_close,
};

static void accept_ready(struct pollable *p, uint32_t events)
{
    struct sock_conn *sc;
    int fd;

    (void)events;
    fd = accept4(p->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    sc = calloc(1, sizeof(*sc));
    if (!sc || !(sc->c = conn_new(0, true, &sock_transport, sc))) {
        free(sc);
        close(fd);
        return;
    }
    sc->p.fd = fd;
    sc->p.ready = sock_ready;
    if (loop_add(&sc->p, EPOLLIN))
        conn_kill(sc->c, "epoll");
}

int loop_init(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    mode_t old;
    int fd;

    /* The socket is made under a temporary name and renamed into place
     * once it listens: whoever sees the path can connect (a client that
     * starts with the daemon would otherwise race bind() and listen()). */
    if (strlen(path) + 4 >= sizeof(sa.sun_path)) {
        xs_log("socket path too long: %s", path);
        return -1;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.new", path);
    strcpy(sock_path, path);
    /* A stale socket from a dead daemon may be replaced; nothing else. */
    if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
        xs_log("%s exists and is not a socket", path);
        return -1;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (epfd < 0 || fd < 0)
        return -1;
    if (lstat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(sa.sun_path);
    old = umask(077);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) ||
        chmod(sa.sun_path, 0600) || rename(sa.sun_path, path)) {
        umask(old);
        xs_log("cannot listen on %s: %s", path, strerror(errno));
        unlink(sa.sun_path);
        close(fd);
        return -1;
    }
    umask(old);
    listener.fd = fd;
    listener.ready = accept_ready;
    loop_add(&listener, EPOLLIN);
    xs_log("listening on %s", path);
    return 0;
}

void loop_run(volatile sig_atomic_t *stop)
{
    struct epoll_event ev[64];
    struct conn *c;
    int i, n;

    while (!*stop) {
        n = epoll_wait(epfd, ev, 64, -1);
        for (i = 0; i < n; i++) {
            struct pollable *p = ev[i].data.ptr;
            p->ready(p, ev[i].events);
        }
        /* Changes made for one client queue events for others. */
        for (c = conn_first(); c; c = c->next)
            if (!c->dead && conn_out_pending(c))
                c->tp->service(c);
        conn_reap();
    }
}

void loop_fini(void)
{
    conn_kill_all();
    if (listener.fd >= 0) {
        close(listener.fd);
        unlink(sock_path);
        listener.fd = -1;
    }
    if (epfd >= 0)
        close(epfd);
    epfd = -1;
}
