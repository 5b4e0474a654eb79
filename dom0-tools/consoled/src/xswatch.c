/* SPDX-License-Identifier: MIT */
/* The watch-only xenstore connection (see xswatch.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xswatch.h"

#define XS_WATCH        4
#define XS_WATCH_EVENT  15
#define XS_ERROR        16
#define XS_PAYLOAD_MAX  4096

struct xs_hdr {
    uint32_t type, req_id, tx_id, len;
};

struct xswatch {
    int fd;
    size_t have;
    uint8_t buf[sizeof(struct xs_hdr) + XS_PAYLOAD_MAX + 1];
};

static int connect_socket(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

struct xswatch *xswatch_open(void)
{
    const char *env = getenv("XENSTORED_PATH");
    struct xswatch *w = calloc(1, sizeof(*w));
    int fd;

    if (!w)
        return NULL;
    if (env && *env)
        fd = connect_socket(env);
    else if ((fd = connect_socket("/run/xenstored/socket")) < 0)
        fd = open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        free(w);
        return NULL;
    }
    w->fd = fd;
    return w;
}

void xswatch_close(struct xswatch *w)
{
    if (w) {
        close(w->fd);
        free(w);
    }
}

int xswatch_fd(const struct xswatch *w)
{
    return w->fd;
}

int xswatch_add(struct xswatch *w, const char *path, const char *token)
{
    size_t lp = strlen(path) + 1, lt = strlen(token) + 1;
    uint8_t msg[sizeof(struct xs_hdr) + XS_PAYLOAD_MAX];
    struct xs_hdr h = { .type = XS_WATCH, .len = (uint32_t)(lp + lt) };
    size_t n = sizeof(h) + lp + lt, off = 0;

    if (lp + lt > XS_PAYLOAD_MAX) {
        errno = E2BIG;
        return -1;
    }
    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), path, lp);
    memcpy(msg + sizeof(h) + lp, token, lt);
    /* Blocking send: a few dozen bytes to a local daemon. */
    while (off < n) {
        ssize_t r = write(w->fd, msg + off, n - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        off += (size_t)r;
    }
    return 0;
}

/* One complete message at the front of buf: handle it, drop it. */
static int take(struct xswatch *w, void (*fn)(const char *, const char *))
{
    struct xs_hdr h;
    size_t total;

    memcpy(&h, w->buf, sizeof(h));
    if (h.len > XS_PAYLOAD_MAX) {
        errno = EPROTO;
        return -1;
    }
    total = sizeof(h) + h.len;
    if (w->have < total)
        return 1;               /* wait for the rest */
    if (h.type == XS_WATCH_EVENT) {
        char *p = (char *)w->buf + sizeof(h);
        char saved = p[h.len];
        p[h.len] = '\0';        /* a path and a token, both NUL-ended */
        size_t lp = strnlen(p, h.len);
        if (lp + 1 < h.len)
            fn(p, p + lp + 1);
        p[h.len] = saved;
    } else if (h.type == XS_ERROR) {
        errno = EINVAL;         /* a refused WATCH: say so, keep going */
    }
    memmove(w->buf, w->buf + total, w->have - total);
    w->have -= total;
    return 0;
}

int xswatch_read(struct xswatch *w,
                 void (*fn)(const char *path, const char *token))
{
    ssize_t r = read(w->fd, w->buf + w->have,
                     sizeof(w->buf) - 1 - w->have);

    if (r == 0) {
        errno = ECONNRESET;
        return -1;
    }
    if (r < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    w->have += (size_t)r;
    while (w->have >= sizeof(struct xs_hdr)) {
        int t = take(w, fn);
        if (t < 0)
            return -1;
        if (t > 0)
            break;
    }
    return 0;
}
