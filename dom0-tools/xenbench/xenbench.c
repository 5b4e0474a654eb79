// SPDX-License-Identifier: MIT
// xenbench: dom0's micro-benchmarks for `make bench-xen`, the same static
// binary in Mica's dom0 and in Xen's.  Everything goes through Linux's
// /dev/xen devices by way of Debian's stable Xen libraries (libxencall,
// libxenevtchn), so both hypervisors are measured along the path a real
// toolstack takes: ioctl, Linux's privcmd or evtchn driver, the hypercall.
//
//   xenbench null [N]   N null hypercalls (xen_version(XENVER_version))
//                       through /dev/xen/privcmd, and N getppid() system
//                       calls in the same run, alternating in batches
//   xenbench send [N]   N EVTCHNOP_send through /dev/xen/evtchn's notify
//                       ioctl, on an unbound port of our own
//   xenbench loop [N]   N loopback event round trips: two ports of dom0
//                       bound to each other; notify one, read() the other
//                       from the evtchn device, unmask it, notify back, read
//                       the first, unmask it
//
// Each prints one line "xenbench <row> <median µs> <min µs> <max µs>" over
// batches of N/BATCHES operations (the per-operation mean of each batch), so
// that a preempted batch moves the maximum and not the median.
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xencall.h>
#include <xenevtchn.h>

#define BATCHES 20
#define HYPERVISOR_xen_version 17       // Xen's public ABI numbers
#define XENVER_version 0

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *row, double *per, int n)
{
    qsort(per, n, sizeof(*per), cmp_double);
    double med = n % 2 ? per[n / 2] : (per[n / 2 - 1] + per[n / 2]) / 2;
    printf("xenbench %s %.2f %.2f %.2f\n", row, med, per[0], per[n - 1]);
}

static int bench_null(long n)
{
    xencall_handle *xc = xencall_open(NULL, 0);
    if (!xc) {
        perror("xenbench: xencall_open");
        return 1;
    }
    long per_batch = n / BATCHES > 0 ? n / BATCHES : 1;
    double hc[BATCHES], sc[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_us();
        for (long i = 0; i < per_batch; i++) {
            if (xencall2(xc, HYPERVISOR_xen_version, XENVER_version, 0) < 0) {
                perror("xenbench: xen_version");
                return 1;
            }
        }
        double t1 = now_us();
        for (long i = 0; i < per_batch; i++)
            (void)getppid();            // glibc does not cache it
        double t2 = now_us();
        hc[b] = (t1 - t0) / per_batch;
        sc[b] = (t2 - t1) / per_batch;
    }
    report("null_hypercall", hc, BATCHES);
    report("getppid", sc, BATCHES);
    xencall_close(xc);
    return 0;
}

// The evtchn benchmarks: one handle, the ports each needs, and one timed
// operation repeated in batches.
struct evt {
    xenevtchn_handle *xe;
    evtchn_port_t a, b;
};

static int timed_batches(const char *row, long n, int (*op)(struct evt *), struct evt *e)
{
    long per_batch = n / BATCHES > 0 ? n / BATCHES : 1;
    double us[BATCHES];
    for (int k = 0; k < BATCHES; k++) {
        double t0 = now_us();
        for (long i = 0; i < per_batch; i++) {
            if (op(e) < 0) {
                fprintf(stderr, "xenbench: %s: %s\n", row, strerror(errno));
                return 1;
            }
        }
        us[k] = (now_us() - t0) / per_batch;
    }
    report(row, us, BATCHES);
    return 0;
}

static int send_once(struct evt *e)
{
    return xenevtchn_notify(e->xe, e->a);
}

// Read ports from the evtchn device until WANT arrives, unmasking each one
// read (the driver masks a port when it delivers it).  Another port may come
// first: under Xen the one just unmasked is sometimes reported a second time.
static int wait_port(xenevtchn_handle *xe, evtchn_port_t want)
{
    for (;;) {
        xenevtchn_port_or_error_t got = xenevtchn_pending(xe);
        if (got < 0 || xenevtchn_unmask(xe, got) < 0)
            return -1;
        if ((evtchn_port_t)got == want)
            return 0;
    }
}

static int round_trip(struct evt *e)
{
    if (xenevtchn_notify(e->xe, e->a) < 0 || wait_port(e->xe, e->b) < 0 ||
        xenevtchn_notify(e->xe, e->b) < 0 || wait_port(e->xe, e->a) < 0)
        return -1;
    return 0;
}

// send: an unbound port offered to ourselves, so a send on it sets nothing
// pending anywhere: the hypercall and the driver alone.  loop: a second
// port bound to the first, so each send arrives back in this process.
static int bench_evtchn(long n, bool loop)
{
    struct evt e = { .xe = xenevtchn_open(NULL, 0) };
    if (!e.xe) {
        perror("xenbench: xenevtchn_open");
        return 1;
    }
    xenevtchn_port_or_error_t a = xenevtchn_bind_unbound_port(e.xe, 0);
    xenevtchn_port_or_error_t b = a < 0 || !loop ? a : xenevtchn_bind_interdomain(e.xe, 0, a);
    if (a < 0 || b < 0) {
        perror("xenbench: bind");
        return 1;
    }
    e.a = a;
    e.b = b;
    int rc = loop ? timed_batches("evtchn_loopback_rt", n, round_trip, &e)
                  : timed_batches("evtchn_send", n, send_once, &e);
    xenevtchn_close(e.xe);
    return rc;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? strtol(argv[2], NULL, 0) : 20000;
    if (argc < 2 || n <= 0) {
        fprintf(stderr, "usage: xenbench null|send|loop [N]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[1], "null"))
        return bench_null(n);
    if (!strcmp(argv[1], "send"))
        return bench_evtchn(n, false);
    if (!strcmp(argv[1], "loop"))
        return bench_evtchn(n, true);
    fprintf(stderr, "xenbench: unknown benchmark %s\n", argv[1]);
    return 2;
}
