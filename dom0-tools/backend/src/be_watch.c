/* SPDX-License-Identifier: MIT */
/* The watch-only xenstore connection (see be_watch.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <abi/io/xs_wire.h>

#include "be_watch.h"

#define PAYLOAD_MAX 4096        /* XENSTORE_PAYLOAD_MAX */

struct hdr {
    uint32_t type, req_id, tx_id, len;
};

struct be_watch {
    int fd;
    size_t have;
    uint8_t buf[sizeof(struct hdr) + PAYLOAD_MAX + 1];
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

struct be_watch *be_watch_open(void)
{
    const char *env = getenv("XENSTORED_PATH");
    struct be_watch *w = calloc(1, sizeof(*w));
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

void be_watch_close(struct be_watch *w)
{
    if (w) {
        close(w->fd);
        free(w);
    }
}

int be_watch_fd(const struct be_watch *w)
{
    return w->fd;
}

static int send_two(struct be_watch *w, uint32_t type, const char *a, const char *b)
{
    size_t la = strlen(a) + 1, lb = strlen(b) + 1;
    uint8_t msg[sizeof(struct hdr) + PAYLOAD_MAX];
    struct hdr h = { .type = type, .len = (uint32_t)(la + lb) };
    size_t n = sizeof(h) + la + lb, off = 0;

    if (la + lb > PAYLOAD_MAX) {
        errno = E2BIG;
        return -1;
    }
    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), a, la);
    memcpy(msg + sizeof(h) + la, b, lb);
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

int be_watch_add(struct be_watch *w, const char *path, const char *token)
{
    return send_two(w, XS_WATCH, path, token);
}

int be_watch_del(struct be_watch *w, const char *path, const char *token)
{
    return send_two(w, XS_UNWATCH, path, token);
}

/* One complete message at the front of buf: handle it, drop it.  1 when
 * the message is not all there yet. */
static int take(struct be_watch *w, void (*fn)(const char *, const char *))
{
    struct hdr h;
    size_t total;

    memcpy(&h, w->buf, sizeof(h));
    if (h.len > PAYLOAD_MAX) {
        errno = EPROTO;
        return -1;
    }
    total = sizeof(h) + h.len;
    if (w->have < total)
        return 1;
    if (h.type == XS_WATCH_EVENT) {
        char *p = (char *)w->buf + sizeof(h);
        char saved = p[h.len];
        size_t lp;

        p[h.len] = '\0';        /* a path and a token, both NUL-ended */
        lp = strnlen(p, h.len);
        if (lp + 1 < h.len)
            fn(p, p + lp + 1);
        p[h.len] = saved;
    }
    /* Replies (OK, or ERROR for an UNWATCH of a watch already gone) carry
     * nothing we act on. */
    memmove(w->buf, w->buf + total, w->have - total);
    w->have -= total;
    return 0;
}

int be_watch_read(struct be_watch *w, void (*fn)(const char *path, const char *token))
{
    ssize_t r = read(w->fd, w->buf + w->have, sizeof(w->buf) - 1 - w->have);

    if (r == 0) {
        errno = ECONNRESET;
        return -1;
    }
    if (r < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    w->have += (size_t)r;
    while (w->have >= sizeof(struct hdr)) {
        int t = take(w, fn);
        if (t < 0)
            return -1;
        if (t > 0)
            break;
    }
    return 0;
}
