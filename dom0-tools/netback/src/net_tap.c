/* SPDX-License-Identifier: MIT */
/* TAP devices (see net_tap.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "be_log.h"
#include "net_tap.h"

struct net_tap {
    int fd;
    bool sim;
    char name[IFNAMSIZ];
    struct sockaddr_un peer;    /* sim: where frames for dom0 go */
    char self[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int open_sim(struct net_tap *t, const char *dir)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    t->sim = true;
    t->peer.sun_family = AF_UNIX;
    if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s.tap", dir, t->name) >=
            sizeof(a.sun_path) ||
        (size_t)snprintf(t->peer.sun_path, sizeof(t->peer.sun_path), "%s/%s.host", dir,
                         t->name) >= sizeof(t->peer.sun_path)) {
        be_log("%s: sim directory %s: path too long", t->name, dir);
        return -1;
    }
    snprintf(t->self, sizeof(t->self), "%s", a.sun_path);
    t->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    unlink(a.sun_path);         /* left by a killed predecessor */
    if (t->fd < 0 || bind(t->fd, (struct sockaddr *)&a, sizeof(a))) {
        be_log("%s: %s: %s", t->name, a.sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

static int open_tap(struct net_tap *t)
{
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
    /* Xen's vif address: never the lowest on a bridge, so the bridge
     * keeps its own. */
    static const unsigned char mac[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
    if ((t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0 ||
        ioctl(t->fd, TUNSETIFF, &ifr) || ioctl(t->fd, TUNSETPERSIST, 1)) {
        be_log("%s: TAP device: %s", t->name, strerror(errno));
        return -1;
    }
    memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, mac, sizeof(mac));
    if (ioctl(t->fd, SIOCSIFHWADDR, &ifr))
        be_log("%s: cannot set its address: %s", t->name, strerror(errno));
    return 0;
}

struct net_tap *net_tap_open(const char *name, const char *sim_dir)
{
    struct net_tap *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->fd = -1;
    snprintf(t->name, sizeof(t->name), "%s", name);
    if (sim_dir ? open_sim(t, sim_dir) : open_tap(t)) {
        if (t->fd >= 0)
            close(t->fd);
        free(t);
        return NULL;
    }
    return t;
}

int net_tap_fd(const struct net_tap *t)
{
    return t->fd;
}

int net_tap_offload(struct net_tap *t, const struct net_rx_caps *caps)
{
    unsigned off = 0;

    if (t->sim)
        return 0;
    if (caps->csum) {
        off |= TUN_F_CSUM;
        if (caps->gso_tcpv4)
            off |= TUN_F_TSO4;
        if (caps->gso_tcpv6)
            off |= TUN_F_TSO6;
    }
    if (ioctl(t->fd, TUNSETOFFLOAD, off)) {
        be_log("%s: offloads: %s", t->name, strerror(errno));
        return -1;
    }
    return 0;
}

ssize_t net_tap_read(struct net_tap *t, void *buf, size_t len)
{
    ssize_t n = t->sim ? recv(t->fd, buf, len, 0) : read(t->fd, buf, len);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return n;
}

int net_tap_write(struct net_tap *t, const void *buf, size_t len)
{
    ssize_t n = t->sim ? sendto(t->fd, buf, len, 0, (struct sockaddr *)&t->peer,
                                sizeof(t->peer))
                       : write(t->fd, buf, len);

    if (n < 0)
        return -1;
    if ((size_t)n != len) {
        errno = EMSGSIZE;
        return -1;
    }
    return 0;
}

void net_tap_close(struct net_tap *t, bool destroy)
{
    if (!t)
        return;
    if (destroy && !t->sim && ioctl(t->fd, TUNSETPERSIST, 0))
        be_log("%s: cannot remove the TAP device: %s", t->name, strerror(errno));
    if (destroy && t->sim)
        unlink(t->self);
    close(t->fd);
    free(t);
}
