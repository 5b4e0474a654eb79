/* SPDX-License-Identifier: MIT */
/*
 * Ring throughput benchmark: a front-end thread and a back-end thread,
 * pinned to two different CPUs, exchange N request/response pairs through
 * one 4 KiB shared ring (64 slots of 32-byte requests / 16-byte
 * responses).  Variants: notifications as eventfd writes (the idle side
 * sleeps in read()) or as a counter bump (the idle side spins), each with
 * a push after every message and with batches of 32; and, in the same
 * run, a mutex + condition-variable queue pair of the same capacity moving
 * the same messages.  "kicks" counts notifications sent each way (for the
 * queue: condvar signals).  Usage: bench_ring [messages]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "../tests/test_types.h"

#define RING_BYTES 4096
#define CAP 64                  /* == ring slots, for the queue variant */

enum kind { RING_EVENTFD, RING_COUNTER, MUTEX_QUEUE };

struct variant {
    const char *name;
    enum kind kind;
    unsigned int batch;
};

struct run {
    const struct variant *v;
    uint64_t n;
    tmsg_sring_t *s;
    int req_fd, rsp_fd;
    uint64_t kicks_req, kicks_rsp;
    uint64_t errors;
    /* counter kicks: the sleeper's wakeup source in RING_COUNTER mode */
    uint64_t req_bell, rsp_bell;
};

static void pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
        fprintf(stderr, "bench: could not pin to CPU %d\n", cpu);
}

static void kick(struct run *r, int fd, uint64_t *bell, uint64_t *count)
{
    uint64_t one = 1;

    (*count)++;
    if (r->v->kind == RING_COUNTER) {
        __atomic_fetch_add(bell, 1, __ATOMIC_RELEASE);
    } else if (write(fd, &one, sizeof(one)) != sizeof(one)) {
        perror("eventfd write");
        exit(1);
    }
}

/* Wait for a kick: sleep in read() or spin on the counter. */
static void await(struct run *r, int fd, uint64_t *bell, uint64_t *seen)
{
    uint64_t v;

    if (r->v->kind == RING_COUNTER) {
        while (__atomic_load_n(bell, __ATOMIC_ACQUIRE) == *seen)
            __builtin_ia32_pause();
        *seen = __atomic_load_n(bell, __ATOMIC_ACQUIRE);
    } else if (read(fd, &v, sizeof(v)) != sizeof(v)) {
        perror("eventfd read");
        exit(1);
    }
}

static void *ring_back(void *arg)
{
    struct run *r = arg;
    tmsg_back_ring_t b;
    uint64_t done = 0, seen = 0;

    pin(1);
    ring_back_attach(&b, r->s, 0, RING_BYTES);
    while (done < r->n) {
        struct t_msg_req q;
        unsigned int unpushed = 0, got = 0;

        while (ring_back_get_request(&b, &q)) {
            struct t_msg_rsp p = { .seq = q.seq, .sum = q.a + q.b };
            r->errors += q.seq != done;
            ring_back_put_response(&b, &p);
            done++;
            got++;
            if (++unpushed == r->v->batch) {
                if (ring_back_push(&b))
                    kick(r, r->rsp_fd, &r->rsp_bell, &r->kicks_rsp);
                unpushed = 0;
            }
        }
        if (unpushed && ring_back_push(&b))
            kick(r, r->rsp_fd, &r->rsp_bell, &r->kicks_rsp);
        if (!got && !ring_back_final_check(&b))
            await(r, r->req_fd, &r->req_bell, &seen);
    }
    return NULL;
}

static void ring_front(struct run *r)
{
    tmsg_front_ring_t f;
    uint64_t sent = 0, done = 0, seen = 0;

    ring_front_attach(&f, r->s, 0, RING_BYTES);
    while (done < r->n) {
        struct t_msg_rsp p;
        unsigned int progress = 0, i;

        for (i = 0; i < r->v->batch && sent < r->n; i++) {
            struct t_msg_req q = { .seq = sent, .a = sent, .b = 1 };
            if (!ring_front_put_request(&f, &q))
                break;
            sent++;
            progress++;
        }
        if (progress && ring_front_push(&f))
            kick(r, r->req_fd, &r->req_bell, &r->kicks_req);
        while (ring_front_get_response(&f, &p)) {
            r->errors += p.seq != done || p.sum != done + 1;
            done++;
            progress++;
        }
        if (!progress && !ring_front_final_check(&f))
            await(r, r->rsp_fd, &r->rsp_bell, &seen);
    }
}

/* The comparison: a bounded FIFO under one mutex, a condvar to wait on. */
struct queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    struct t_msg_req slot[CAP];
    unsigned int head, count;
    uint64_t signals;
};

static void q_init(struct queue *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
}

static void q_put(struct queue *q, const struct t_msg_req *m, unsigned int n)
{
    unsigned int i;

    pthread_mutex_lock(&q->lock);
    for (i = 0; i < n; i++)
        q->slot[(q->head + q->count++) % CAP] = m[i];
    q->signals++;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
}

/* Take up to max messages; wait for at least one if `block`. */
static unsigned int q_take(struct queue *q, struct t_msg_req *m,
                           unsigned int max, int block)
{
    unsigned int n = 0;

    pthread_mutex_lock(&q->lock);
    while (block && q->count == 0)
        pthread_cond_wait(&q->nonempty, &q->lock);
    while (n < max && q->count) {
        m[n++] = q->slot[q->head];
        q->head = (q->head + 1) % CAP;
        q->count--;
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}

static struct queue reqq, rspq;

static void *queue_back(void *arg)
{
    struct run *r = arg;
    struct t_msg_req m[CAP];
    uint64_t done = 0;

    pin(1);
    while (done < r->n) {
        unsigned int n = q_take(&reqq, m, r->v->batch, 1), i;
        for (i = 0; i < n; i++) {
            r->errors += m[i].seq != done++;
            m[i].b = m[i].a + m[i].b;       /* the "response" */
        }
        q_put(&rspq, m, n);
    }
    return NULL;
}

static void queue_front(struct run *r)
{
    struct t_msg_req m[CAP];
    uint64_t sent = 0, done = 0;

    while (done < r->n) {
        unsigned int n = 0, i;

        while (n < r->v->batch && sent < r->n && sent - done < CAP) {
            m[n] = (struct t_msg_req){ .seq = sent, .a = sent, .b = 1 };
            n++;
            sent++;
        }
        if (n)
            q_put(&reqq, m, n);
        n = q_take(&rspq, m, CAP, n == 0);
        for (i = 0; i < n; i++, done++)
            r->errors += m[i].seq != done || m[i].b != done + 1;
    }
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double run_one(struct run *r)
{
    pthread_t t;
    double t0, t1;

    r->req_fd = eventfd(0, 0);
    r->rsp_fd = eventfd(0, 0);
    r->s = aligned_alloc(4096, RING_BYTES);
    ring_shared_init(r->s);
    q_init(&reqq);
    q_init(&rspq);
    pin(0);
    t0 = now();
    if (r->v->kind == MUTEX_QUEUE) {
        pthread_create(&t, NULL, queue_back, r);
        queue_front(r);
    } else {
        pthread_create(&t, NULL, ring_back, r);
        ring_front(r);
    }
    pthread_join(t, NULL);
    t1 = now();
    if (r->v->kind == MUTEX_QUEUE) {
        r->kicks_req = reqq.signals;
        r->kicks_rsp = rspq.signals;
    }
    close(r->req_fd);
    close(r->rsp_fd);
    free(r->s);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    static const struct variant variants[] = {
        { "ring, eventfd kick, push every msg", RING_EVENTFD, 1 },
        { "ring, eventfd kick, batch 32", RING_EVENTFD, 32 },
        { "ring, counter kick (spin), every msg", RING_COUNTER, 1 },
        { "ring, counter kick (spin), batch 32", RING_COUNTER, 32 },
        { "mutex+condvar queue, every msg", MUTEX_QUEUE, 1 },
        { "mutex+condvar queue, batch 32", MUTEX_QUEUE, 32 },
    };
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t i;
    int bad = 0;

    printf("ring-io bench: %llu request/response round trips per row, "
           "front on CPU 0, back on CPU 1 (%ld CPUs online)\n",
           (unsigned long long)n, cpus);
    printf("ring: 4 KiB, %u slots; queue: mutex+condvar, capacity %u\n",
           ring_io_nr_ents(RING_BYTES, sizeof(union tmsg_sring_entry)), CAP);
    printf("%-38s %8s %10s %9s %11s %11s\n", "variant", "seconds",
           "Mmsg/s", "ns/msg", "kicks req", "kicks rsp");
    for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        struct run r = { .v = &variants[i], .n = n };
        double secs = run_one(&r);
        printf("%-38s %8.3f %10.2f %9.1f %11llu %11llu\n", r.v->name, secs,
               n / secs / 1e6, secs * 1e9 / n,
               (unsigned long long)r.kicks_req,
               (unsigned long long)r.kicks_rsp);
        if (r.errors) {
            printf("  ^ %llu messages out of order or corrupt\n",
                   (unsigned long long)r.errors);
            bad = 1;
        }
    }
    return bad;
}
