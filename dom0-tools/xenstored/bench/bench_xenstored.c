/* SPDX-License-Identifier: MIT */
/*
 * make bench: starts the daemon given as argv[1] on a temporary socket and
 * measures, with 1, 10 and 100 concurrent socket clients (one thread and
 * one connection each, synchronous request/reply like libxenstore), the
 * operations per second of READ, WRITE, DIRECTORY and committed
 * transactions (START + WRITE + END), then the daemon's resident memory
 * per node after adding 100000 nodes.  Prints one plain table.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <abi/io/xs_wire.h>

#define SECONDS 0.3
#define RUNS 3              /* the median is printed: ping-pong is noisy */
#define MEM_NODES 100000

enum bench_op { B_READ, B_WRITE, B_DIR, B_TXN, B_NOPS };
static const char *op_name[] = { "read", "write", "directory",
                                  "transaction commit" };

static char sock_path[108];
static atomic_int stop_flag;
static pthread_barrier_t barrier;

static int xs_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, sock_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
        return -1;
    return fd;
}

static int io_all(int fd, void *buf, size_t n, int writing)
{
    char *p = buf;

    while (n) {
        ssize_t k = writing ? write(fd, p, n) : read(fd, p, n);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* One request, one reply; returns the reply type or -1. */
static int xs_req(int fd, uint32_t type, uint32_t tx, const void *payload,
                  size_t len, char *reply)
{
    struct xsd_sockmsg h = { .type = type, .tx_id = tx, .len = (uint32_t)len };
    char buf[16 + XENSTORE_PAYLOAD_MAX];

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), payload, len);
    if (io_all(fd, buf, sizeof(h) + len, 1) || io_all(fd, &h, sizeof(h), 0) ||
        h.len > XENSTORE_PAYLOAD_MAX || io_all(fd, buf, h.len, 0))
        return -1;
    if (reply) {
        memcpy(reply, buf, h.len);
        reply[h.len] = '\0';
    }
    return (int)h.type;
}

static int xs_write_path(int fd, uint32_t tx, const char *path,
                         const char *val)
{
    char p[512];
    size_t n = strlen(path) + 1;

    memcpy(p, path, n);
    memcpy(p + n, val, strlen(val));
    return xs_req(fd, XS_WRITE, tx, p, n + strlen(val), NULL);
}

struct worker {
    pthread_t th;
    int id;
    enum bench_op op;
    long ops;
    int failed;
};

static int one_op(int fd, struct worker *w, const char *path)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    uint32_t tx;

    switch (w->op) {
    case B_READ:
        return xs_req(fd, XS_READ, 0, path, strlen(path) + 1, NULL) == XS_READ;
    case B_WRITE:
        return xs_write_path(fd, 0, path, "value-0123456789") == XS_WRITE;
    case B_DIR:
        return xs_req(fd, XS_DIRECTORY, 0, "/bench/dir", 11, NULL) ==
               XS_DIRECTORY;
    default:
        if (xs_req(fd, XS_TRANSACTION_START, 0, "", 1, reply) !=
            XS_TRANSACTION_START)
            return 0;
        tx = (uint32_t)strtoul(reply, NULL, 10);
        if (xs_write_path(fd, tx, path, "committed") != XS_WRITE)
            return 0;
        return xs_req(fd, XS_TRANSACTION_END, tx, "T", 2, NULL) ==
               XS_TRANSACTION_END;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char path[64];
    int fd = xs_connect();

    snprintf(path, sizeof(path), "/bench/c%d/v", w->id);
    if (fd < 0 || xs_write_path(fd, 0, path, "init") != XS_WRITE)
        w->failed = 1;
    pthread_barrier_wait(&barrier);
    while (!w->failed && !atomic_load(&stop_flag)) {
        if (!one_op(fd, w, path))
            w->failed = 1;
        else
            w->ops++;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(enum bench_op op, int nclients)
{
    struct worker *w = calloc((size_t)nclients, sizeof(*w));
    double t0, t1;
    long total = 0;
    int i, failed = 0;

    atomic_store(&stop_flag, 0);
    pthread_barrier_init(&barrier, NULL, (unsigned)nclients + 1);
    for (i = 0; i < nclients; i++) {
        w[i].id = i;
        w[i].op = op;
        pthread_create(&w[i].th, NULL, worker_main, &w[i]);
    }
    pthread_barrier_wait(&barrier);
    t0 = now();
    usleep((useconds_t)(SECONDS * 1e6));
    atomic_store(&stop_flag, 1);
    for (i = 0; i < nclients; i++) {
        pthread_join(w[i].th, NULL);
        total += w[i].ops;
        failed |= w[i].failed;
    }
    t1 = now();
    pthread_barrier_destroy(&barrier);
    free(w);
    return failed ? -1 : (double)total / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median_run(enum bench_op op, int nclients)
{
    double r[RUNS];
    int i;

    for (i = 0; i < RUNS; i++)
        if ((r[i] = run(op, nclients)) < 0)
            return -1;
    qsort(r, RUNS, sizeof(r[0]), cmp_double);
    return r[RUNS / 2];
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Pipelined writes of MEM_NODES nodes (100 per directory). */
static double bytes_per_node(pid_t pid)
{
    int fd = xs_connect(), i, inflight = 0;
    long before, after;
    char buf[256];
    struct xsd_sockmsg h;

    before = rss_kb(pid);
    for (i = 0; i < MEM_NODES; i++) {
        int n = snprintf(buf + 16, 200, "/mem/d%04d/n%02d", i / 100, i % 100);
        h = (struct xsd_sockmsg){ .type = XS_WRITE, .len = (uint32_t)n + 1 + 16 };
        memcpy(buf + 16 + n + 1, "value-0123456789", 16);
        memcpy(buf, &h, 16);
        if (io_all(fd, buf, 16 + h.len, 1))
            return -1;
        if (++inflight == 64 || i == MEM_NODES - 1)
            for (; inflight; inflight--)
                if (io_all(fd, &h, 16, 0) || io_all(fd, buf, h.len, 0) ||
                    h.type != XS_WRITE)
                    return -1;
    }
    after = rss_kb(pid);
    close(fd);
    return (double)(after - before) * 1024.0 / MEM_NODES;
}

int main(int argc, char **argv)
{
    static const int clients[] = { 1, 10, 100 };
    char dir[] = "/tmp/xsbench.XXXXXX", log[160];
    pid_t pid;
    int i, fd = -1, op;

    if (argc != 2 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: bench_xenstored XENSTORED\n");
        return 2;
    }
    snprintf(sock_path, sizeof(sock_path), "%s/socket", dir);
    snprintf(log, sizeof(log), "%s/log", dir);
    if ((pid = fork()) == 0) {
        execl(argv[1], argv[1], "-s", sock_path, "-l", log, (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 500 && (fd = xs_connect()) < 0; i++)
        usleep(10000);
    if (fd < 0) {
        fprintf(stderr, "bench: daemon did not start\n");
        return 1;
    }
    for (i = 0; i < 20; i++) {
        char p[32];
        snprintf(p, sizeof(p), "/bench/dir/entry%02d", i);
        xs_write_path(fd, 0, p, "");
    }
    close(fd);
    printf("xenstored benchmark (Unix socket, synchronous clients; "
           "median of %d runs of %.1f s per cell)\n", RUNS, SECONDS);
    printf("%-20s %14s %14s %14s\n", "operations/s", "1 client", "10 clients",
           "100 clients");
    for (op = 0; op < B_NOPS; op++) {
        printf("%-20s", op_name[op]);
        for (i = 0; i < 3; i++) {
            double r = median_run((enum bench_op)op, clients[i]);
            if (r < 0)
                printf(" %14s", "FAILED");
            else
                printf(" %14.0f", r);
            fflush(stdout);
        }
        printf("\n");
    }
    printf("%-20s %14.0f bytes (RSS growth over %d nodes, 16-byte values)\n",
           "memory per node", bytes_per_node(pid), MEM_NODES);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(log);
    rmdir(dir);
    return 0;
}
