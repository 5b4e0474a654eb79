/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: which vCPU runs on a physical CPU, and for how long.
 *
 * Proportional share by virtual time.  Each vCPU carries `vtime`, the
 * nanoseconds it has run scaled by SCHED_DEFAULT_WEIGHT / its domain's
 * weight; the CPU runs the runnable vCPU with the smallest vtime for at
 * most one slice (sched_slice_ns, `sched_slice_ms=` on the command line),
 * so over a window two CPU-bound domains with weights 2:1 get 2:1 of the
 * CPU.  A vCPU that wakes from a block starts no further back than one
 * slice behind the CPU's virtual clock (`vclock`, the vtime of the last
 * vCPU picked): it runs soon, but sleeping earns no hoard of CPU time.
 * A blocked vCPU is never picked and costs nothing.
 *
 * Caps: a domain with a cap of N (percent of one CPU) runs at most
 * N * SCHED_CAP_PERIOD_NS / 100 ns per period; when it has used that, its
 * vCPUs wait for the next period even if the CPU would otherwise idle.
 *
 * Each physical CPU has its own run queue (all the vCPUs placed on it, with
 * their states) and lock.  Only the boot CPU runs vCPUs today; the lock is
 * taken where another CPU will contend for it (wake-ups and picks), and a
 * vCPU is on exactly one CPU's list.
 *
 * Switching happens only here and only with interrupts off: schedule() is
 * called by a vCPU that blocks or yields (inside its hypercall), on the way
 * back to the guest when the slice is over or a wake-up asks for it, and
 * by the idle loop.  The idle loop (sched_start) runs on the boot stack as
 * the CPU's idle vCPU and halts the CPU until an interrupt makes a vCPU
 * runnable.  Timers: every vCPU's one-shot deadline (VIRQ_TIMER) and block
 * timeout is checked on each timer interrupt, which is programmed for the
 * earliest of them and the end of the running slice.
 */
#include <abi/vcpu.h>
#include <mica/bug.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/printk.h>
#include <mica/sched.h>
#include <mica/time.h>

#define SCHED_CAP_PERIOD_NS 100000000ULL        /* 100 ms */

uint64_t sched_slice_ns = 10000000ULL;          /* 10 ms */

struct sched_cpu {
    struct spinlock lock;
    struct vcpu *curr;          /* running: a guest vCPU or &idle */
    struct vcpu idle;           /* the idle loop's context */
    struct vcpu *vcpus;         /* every vCPU placed here (sched_next) */
    uint64_t vclock;            /* vtime of the vCPU last picked */
    uint64_t slice_end;         /* system time the running slice ends */
    bool need_resched;
    struct vcpu *hint;          /* runs next if runnable (an event's target) */
    struct vcpu *yielder;       /* SCHEDOP_yield: anyone else first */
};

static struct sched_cpu cpu0;
static struct domain idle_domain = { .domain_id = DOMID_IDLE };

static struct sched_cpu *this_cpu(void)
{
    return &cpu0;
}

bool vcpu_is_idle(const struct vcpu *v)
{
    return v->domain == &idle_domain;
}

static uint64_t weight_of(const struct vcpu *v)
{
    return v->domain->sched_weight ? v->domain->sched_weight : SCHED_DEFAULT_WEIGHT;
}

/* ---- runstate (what Linux reads for steal time) ------------------------ */

static void runstate_set(struct vcpu *v, int state, uint64_t now)
{
    if (vcpu_is_idle(v))
        return;
    v->runstate.time[v->runstate.state] += now - v->runstate.state_entry_time;
    v->runstate.state = state;
    v->runstate.state_entry_time = now;
}

void runstate_fill(struct vcpu *v, struct vcpu_runstate_info *ri)
{
    uint64_t now = system_time_ns();

    *ri = v->runstate;
    ri->time[ri->state] += now - ri->state_entry_time;
    ri->state_entry_time = now;
}

/* ---- caps -------------------------------------------------------------- */

static void cap_roll(struct domain *d, uint64_t now)
{
    if (now - d->cap_period >= SCHED_CAP_PERIOD_NS) {
        d->cap_period = now - (now - d->cap_period) % SCHED_CAP_PERIOD_NS;
        d->cap_used = 0;
    }
}

static bool over_cap(struct domain *d, uint64_t now)
{
    if (!d->sched_cap)
        return false;
    cap_roll(d, now);
    return d->cap_used >= d->sched_cap * (SCHED_CAP_PERIOD_NS / 100);
}

/* ---- picking ----------------------------------------------------------- */

/* Charge the running vCPU for the time since it was put on the CPU. */
static void account(struct vcpu *v, uint64_t now)
{
    if (vcpu_is_idle(v) || now <= v->ran_since)
        return;
    uint64_t ran = now - v->ran_since, since = v->ran_since;
    v->vtime += ran * SCHED_DEFAULT_WEIGHT / weight_of(v);
    v->ran_since = now;
    if (v->domain->sched_cap) {
        /* Only the part in the current period counts against its cap. */
        cap_roll(v->domain, now);
        v->domain->cap_used += now - MAX(since, v->domain->cap_period);
    }
}

/* How long a capped domain may still run in this period (it can run). */
static uint64_t cap_left(struct domain *d, uint64_t now)
{
    uint64_t budget = d->sched_cap * (SCHED_CAP_PERIOD_NS / 100);

    cap_roll(d, now);
    return d->cap_used < budget ? budget - d->cap_used : 0;
}

static bool can_run(struct vcpu *v, uint64_t now)
{
    return (v->state == VCPU_RUNNABLE || v->state == VCPU_RUNNING) &&
           !v->domain->pause_count && !over_cap(v->domain, now);
}

static struct vcpu *pick(struct sched_cpu *c, uint64_t now)
{
    struct vcpu *best = NULL, *hint = c->hint, *yielder = c->yielder;

    c->hint = c->yielder = NULL;
    for (struct vcpu *v = c->vcpus; v; v = v->sched_next)
        if (can_run(v, now) && v != yielder && (!best || v->vtime < best->vtime))
            best = v;
    if (!best && yielder && can_run(yielder, now))
        best = yielder;                 /* nobody else wants the CPU */
    /* The hint goes first only while it is within a slice of its fair
     * place: a domain signalling its own vCPUs cannot starve others. */
    if (hint && best && can_run(hint, now) && hint->vtime <= best->vtime + sched_slice_ns)
        return hint;
    return best;
}

/* The next time something must happen on this CPU: a vCPU's timer or block
 * timeout, the end of the slice, a capped domain's next period. */
static uint64_t next_event(struct sched_cpu *c, uint64_t now)
{
    uint64_t t = vcpu_is_idle(c->curr) ? 0 : c->slice_end;

    for (struct vcpu *v = c->vcpus; v; v = v->sched_next) {
        if (v->state == VCPU_DOWN)
            continue;
        if (v->timer_deadline && (!t || v->timer_deadline < t))
            t = v->timer_deadline;
        if (v->state == VCPU_BLOCKED && v->wake_at && (!t || v->wake_at < t))
            t = v->wake_at;
        if (v->domain->sched_cap && v->state != VCPU_BLOCKED && over_cap(v->domain, now)) {
            uint64_t p = v->domain->cap_period + SCHED_CAP_PERIOD_NS;
            if (!t || p < t)
                t = p;
        }
    }
    return t;
}

void schedule(void)
{
    struct sched_cpu *c = this_cpu();
    uint64_t now = system_time_ns();
    struct vcpu *prev = c->curr, *next;

    spin_lock(&c->lock);
    c->need_resched = false;
    account(prev, now);
    next = pick(c, now);
    if (!next)
        next = &c->idle;
    if (!vcpu_is_idle(next) && next->vtime > c->vclock)
        c->vclock = next->vtime;
    c->slice_end = now + sched_slice_ns;
    /* A capped domain's slice ends when its budget does, not a whole
     * slice later (or a cap of 25 % would run three 10 ms slices: 30 %). */
    if (!vcpu_is_idle(next) && next->domain->sched_cap)
        c->slice_end = MIN(c->slice_end, now + cap_left(next->domain, now));
    if (prev->state == VCPU_RUNNING && prev != next)
        prev->state = VCPU_RUNNABLE;
    if (prev != next) {
        runstate_set(prev, prev->state == VCPU_BLOCKED ? RUNSTATE_blocked
                         : prev->state == VCPU_DOWN   ? RUNSTATE_offline
                                                      : RUNSTATE_runnable, now);
        runstate_set(next, RUNSTATE_running, now);
    }
    next->state = VCPU_RUNNING;
    next->ran_since = now;
    c->curr = next;
    spin_unlock(&c->lock);
    timer_program(next_event(c, now));
    if (prev != next)
        context_switch(prev, next);
    /* Back on prev's stack: prev runs again. */
}

/* ---- waking and blocking ----------------------------------------------- */

void vcpu_wake(struct vcpu *v)
{
    struct sched_cpu *c = this_cpu();

    spin_lock(&c->lock);
    if (v->state == VCPU_BLOCKED) {
        uint64_t floor = c->vclock > sched_slice_ns ? c->vclock - sched_slice_ns : 0;
        if (v->vtime < floor)
            v->vtime = floor;
        v->state = VCPU_RUNNABLE;
        v->polling = false;
        v->wake_at = 0;
        runstate_set(v, RUNSTATE_runnable, system_time_ns());
        /* Run it at the next way out if it is owed the CPU more than the
         * running vCPU is (always when the CPU idles). */
        if (vcpu_is_idle(c->curr) || v->vtime < c->curr->vtime)
            c->need_resched = true;
    }
    spin_unlock(&c->lock);
}

/* v (the running vCPU) waits: until vcpu_wake, or `until` (system time,
 * 0 = no limit).  Callers re-check what they wait for: a wake-up is a
 * hint, not a promise. */
void vcpu_block(struct vcpu *v, uint64_t until)
{
    v->state = VCPU_BLOCKED;
    v->wake_at = until;
    schedule();
}

/*
 * An event for v.  A blocked v wakes.  A runnable v that the running vCPU
 * of its own domain signals (an IPI: Linux then spins until the target
 * answers, e.g. a TLB shootdown) runs next rather than after the sender's
 * slice.  It is charged for its time as always, so the order changes but
 * the shares do not.
 */
static void run_next_if_sibling(struct sched_cpu *c, struct vcpu *v)
{
    if (v->state == VCPU_RUNNABLE && v != c->curr && v->domain == c->curr->domain) {
        c->hint = v;
        c->need_resched = true;
    }
}

void vcpu_kick(struct vcpu *v)
{
    if (v->state == VCPU_BLOCKED && !v->polling)
        vcpu_wake(v);
    run_next_if_sibling(this_cpu(), v);
}

void domain_poll_kick(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i] && d->vcpu[i]->polling && d->vcpu[i]->state == VCPU_BLOCKED) {
            vcpu_wake(d->vcpu[i]);
            run_next_if_sibling(this_cpu(), d->vcpu[i]);
        }
}

/* SCHEDOP_yield: any other runnable vCPU runs before the caller again. */
void sched_yield(void)
{
    this_cpu()->yielder = current;
    schedule();
}

/* ---- the timer interrupt and the way back to a guest ------------------- */

void sched_tick(void)
{
    struct sched_cpu *c = this_cpu();
    uint64_t now = system_time_ns();

    account(c->curr, now);              /* caps see the time used so far */
    for (struct vcpu *v = c->vcpus; v; v = v->sched_next) {
        if (v->state == VCPU_DOWN)
            continue;
        if (v->timer_deadline && now + 50000 >= v->timer_deadline) {
            v->timer_deadline = 0;
            time_update_vcpu(v, &vcpu_info_of(v)->time);
            evtchn_send_virq(v, VIRQ_TIMER);    /* wakes it (vcpu_kick) */
        }
        if (v->state == VCPU_BLOCKED && v->wake_at && now >= v->wake_at)
            vcpu_wake(v);
    }
    /* The idle loop looks for work after every interrupt; a guest yields
     * the CPU at the end of its slice. */
    if (vcpu_is_idle(c->curr) || now + 50000 >= c->slice_end)
        c->need_resched = true;
    if (!vcpu_is_idle(c->curr) && over_cap(c->curr->domain, now))
        c->need_resched = true;
    timer_program(next_event(c, now));
}

/* A vCPU's timer changed: the CPU's timer may have to come sooner. */
void sched_timer_changed(void)
{
    struct sched_cpu *c = this_cpu();

    timer_program(next_event(c, system_time_ns()));
}

void sched_resched(void)
{
    while (this_cpu()->need_resched)
        schedule();
}

/* ---- vCPUs joining and leaving, and the idle loop ----------------------- */

void sched_add_vcpu(struct vcpu *v)
{
    struct sched_cpu *c = this_cpu();

    spin_lock(&c->lock);
    v->state = VCPU_DOWN;
    v->vtime = c->vclock;
    v->runstate.state = RUNSTATE_offline;
    v->runstate.state_entry_time = system_time_ns();
    v->sched_next = c->vcpus;
    c->vcpus = v;
    spin_unlock(&c->lock);
}

void sched_remove_vcpu(struct vcpu *v)
{
    struct sched_cpu *c = this_cpu();

    BUG_ON(c->curr == v);
    spin_lock(&c->lock);
    if (c->hint == v)
        c->hint = NULL;
    if (c->yielder == v)
        c->yielder = NULL;
    for (struct vcpu **p = &c->vcpus; *p; p = &(*p)->sched_next)
        if (*p == v) {
            *p = v->sched_next;
            break;
        }
    spin_unlock(&c->lock);
}

/* Make a DOWN vCPU runnable (its context is set). */
void vcpu_up(struct vcpu *v)
{
    struct sched_cpu *c = this_cpu();

    spin_lock(&c->lock);
    if (v->state == VCPU_DOWN) {
        v->state = VCPU_RUNNABLE;
        if (v->vtime < c->vclock)
            v->vtime = c->vclock;
        runstate_set(v, RUNSTATE_runnable, system_time_ns());
        c->need_resched = true;
    }
    spin_unlock(&c->lock);
}

/* A domain's pause count went to zero: pick again. */
void sched_domain_unpaused(struct domain *d)
{
    (void)d;
    this_cpu()->need_resched = true;
}

/* Take v off the CPU for good (VCPUOP_down, a dying domain); if it is the
 * running vCPU, this returns only once it is brought up again. */
void vcpu_down(struct vcpu *v)
{
    struct sched_cpu *c = this_cpu();

    spin_lock(&c->lock);
    v->state = VCPU_DOWN;
    v->polling = false;
    runstate_set(v, RUNSTATE_offline, system_time_ns());
    spin_unlock(&c->lock);
    if (c->curr == v)
        schedule();
}

/* Any vCPU of any domain that could still run (the idle loop's question
 * of whether the machine has anything left to do). */
static bool sched_anything_runnable(struct sched_cpu *c)
{
    uint64_t now = system_time_ns();

    for (struct vcpu *v = c->vcpus; v; v = v->sched_next)
        if (can_run(v, now))
            return true;
    return false;
}

static bool sched_anything_alive(void)
{
    for (struct vcpu *v = this_cpu()->vcpus; v; v = v->sched_next)
        if (v->state != VCPU_DOWN)
            return true;
    return false;
}

void sched_start(void)
{
    struct sched_cpu *c = this_cpu();

    c->idle.domain = &idle_domain;
    c->idle.state = VCPU_RUNNING;
    c->curr = &c->idle;
    current = &c->idle;
    pr_info("scheduler: proportional share, slice %lu ms, cap period %llu ms",
            sched_slice_ns / 1000000, SCHED_CAP_PERIOD_NS / 1000000);
    for (;;) {
        schedule();
        /* Nothing to run: halt until an interrupt (timer, console input)
         * makes something runnable. */
        if (!c->need_resched || !sched_anything_runnable(c)) {
            if (!sched_anything_alive())
                sched_all_down();
            timer_program(next_event(c, system_time_ns()));
            __asm__ volatile("sti; hlt; cli" ::: "memory");
        }
    }
}
