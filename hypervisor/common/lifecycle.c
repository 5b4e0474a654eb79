/* SPDX-License-Identifier: MIT */
/*
 * A domain's life: creation (boot-time domains and the control interface
 * share it) and destruction.
 *
 * Destruction ("kill") runs in stages, each of which can be continued, as
 * Xen's domain_relinquish_resources is:
 *
 *   0. The domain stops for good: dying, paused, every vCPU down.  What
 *      links it to other domains goes at once, so that no other domain
 *      meets it half torn down: its event channels close (a peer's end
 *      becomes unbound, naming it), its grant mappings of other domains'
 *      frames give their pins back, its own grant table goes unless other
 *      domains still map its grants, its console leaves the serial line.
 *      Each vCPU drops its base pointers, GDT/LDT frames and vcpu_info.
 *   1. Its page tables let go of everything (pt_relinquish): pins, parked
 *      validations, and the devalidation cascade.  Bounded work per call.
 *   2. It lets go of every frame (allocation references), and its vCPUs
 *      are freed.  It is now a zombie.
 *
 * A zombie is freed (unregistered) by domain_reap() once it owns no frame
 * and has no grant table: at once, unless another domain still has its
 * grants mapped; then when that domain unmaps them (or dies itself).
 * Until then its id stays taken and getdomaininfo shows it dying.
 */
#include <mica/bug.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/grant.h>
#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/sched.h>
#include <mica/string.h>
#include <mica/time.h>

/* Frames Mica allocates for d beyond its memory: shared_info and the grant
 * table's frames, all charged to it (tot_pages) with max_pages raised. */
uint64_t domain_own_frames(const struct domain *d)
{
    return (d->shared_info_mfn != INVALID_MFN) + gnttab_nr_frames(d);
}

void domain_set_max_pages(struct domain *d, uint64_t max_pages)
{
    d->max_pages = max_pages + domain_own_frames(d);
}

static int alloc_shared_info(struct domain *d)
{
    d->max_pages++;
    if ((d->shared_info_mfn = alloc_domain_frame(d)) == INVALID_MFN) {
        d->max_pages--;
        return -ENOMEM;
    }
    /* Mica writes event bits and time into it: never a page table. */
    BUG_ON(mm_hold_writable(d, d->shared_info_mfn));
    struct shared_info *s = mm_map_frame(d->shared_info_mfn);
    for (unsigned int i = 0; i < MAX_VCPUS; i++)
        s->vcpu_info[i].evtchn_upcall_mask = 1;
    time_set_wallclock(s);
    return 0;
}

void domain_kill_now(struct domain *d)
{
    while (domain_kill(d) == -ERESTART)
        ;
}

struct domain *domain_create(domid_t id, const struct domain_params *p, bool paused,
                             int *err)
{
    struct domain *d;

    if (p->max_vcpus == 0 || p->max_vcpus > MAX_VCPUS || id >= DOMID_FIRST_RESERVED) {
        *err = -EINVAL;
        return NULL;
    }
    if (!(d = xzalloc_obj(struct domain))) {
        *err = -ENOMEM;
        return NULL;
    }
    d->domain_id = id;
    d->is_privileged = p->privileged;
    d->max_vcpus = p->max_vcpus;
    d->cons_mfn = d->start_info_mfn = d->shared_info_mfn = INVALID_MFN;
    mica_strlcpy(d->name, p->name, sizeof(d->name));
    domain_mm_init(d, p->max_pages);
    if (paused) {
        d->ctl_pause_count = 1;
        d->pause_count = 1;
    }
    if ((*err = domain_register(d)) < 0) {
        xfree(d);
        return NULL;
    }
    if ((*err = evtchn_domain_init(d)) < 0 ||
        (*err = gnttab_domain_init(d, p->grant_frames)) < 0 ||
        (*err = alloc_shared_info(d)) < 0)
        goto fail;
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (!vcpu_create(d, i)) {
            *err = -ENOMEM;
            goto fail;
        }
    return d;

fail:
    domain_kill_now(d);
    return NULL;
}

/* Stage 0: see the top of the file. */
static void kill_links(struct domain *d)
{
    d->dying = DOMAIN_DYING;
    d->pause_count++;                   /* never runs again */
    for (unsigned int i = 0; i < MAX_VCPUS; i++)
        if (d->vcpu[i])
            vcpu_down(d->vcpu[i]);
    if (!d->is_stopped) {
        d->is_stopped = true;
        console_domain_stopped(d);
    }
    console_detach(d);
    evtchn_domain_destroy(d);
    (void)gnttab_domain_destroy(d);     /* -EBUSY: others map its grants; reaped later */
    for (unsigned int i = 0; i < MAX_VCPUS; i++)
        if (d->vcpu[i])
            vcpu_arch_relinquish(d->vcpu[i]);
}

long domain_kill(struct domain *d)
{
    struct pt_ctx c = { d, PT_BUDGET, NULL };

    BUG_ON(current && d == current->domain);
    switch (d->kill_stage) {
    case 0:
        kill_links(d);
        d->kill_stage = 1;
        /* fall through */
    case 1:
        if (pt_relinquish(&c) == -ERESTART)
            return -ERESTART;
        d->kill_stage = 2;
        /* fall through */
    case 2:
        if (d->shared_info_mfn != INVALID_MFN)
            mm_drop_writable(d, d->shared_info_mfn);
        mm_release_all(d);
        for (unsigned int i = 0; i < MAX_VCPUS; i++)
            if (d->vcpu[i])
                vcpu_destroy(d->vcpu[i]);
        d->shared_info_mfn = INVALID_MFN;
        d->dying = DOMAIN_ZOMBIE;
        d->kill_stage = 3;
        domain_notify_controllers(d);   /* dead: xenstored's @releaseDomain */
        break;
    default:
        break;                          /* killed already */
    }
    domain_reap();
    return 0;
}

void domain_notify_controllers(const struct domain *d)
{
    for (unsigned int s = 0; s < MAX_DOMAINS; s++) {
        struct domain *c = domain_in_slot(s);
        if (c && c != d && c->is_privileged && c->vcpu0 && c->dying == DOMAIN_ALIVE)
            (void)evtchn_send_virq(c->vcpu0, VIRQ_DOM_EXC);
    }
}

void domain_reap(void)
{
    for (unsigned int slot = 0; slot < MAX_DOMAINS; slot++) {
        struct domain *d = domain_in_slot(slot);

        if (!d || d->dying != DOMAIN_ZOMBIE)
            continue;
        if (d->grant && gnttab_domain_destroy(d) == -EBUSY)
            continue;
        if (d->tot_pages)
            continue;
        domain_unregister(d);
        domain_notify_controllers(d);   /* gone from the list too */
        xfree(d);
    }
}
