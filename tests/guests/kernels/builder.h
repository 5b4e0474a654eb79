/* SPDX-License-Identifier: MIT */
/*
 * What the builder kernel's two files share: builder.c (building and
 * watching children, the control interface's checks, many children, the
 * test table) and builder_links.c (what a dying child leaves of its links
 * to us).  The helpers below are builder.c's.
 */
#ifndef BUILDER_H
#define BUILDER_H

#include <abi/event_channel.h>
#include "hypercall.h"
#include "kit.h"
#include "pvbuild.h"

#define NR_AT_ONCE 4                /* children alive at once: the slots of kids[] */
#define WAIT_NS    (30 * 1000000000ULL)   /* the longest wait for a child */
#define M2P ((const volatile uint64_t *)MACH2PHYS_VIRT_START)

extern struct kit_pv_domain kids[NR_AT_ONCE];   /* domid 0: the slot is empty */
extern evtchn_port_t dom_exc;                   /* VIRQ_DOM_EXC */
extern char builder_text[16384];                /* readconsole's buffer; a frame of ours */

static inline long evtchn_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, KIT_UL(arg));
}

/* Create child n in slot k and populate it (ticks: per phase, or NULL). */
long create_child(unsigned int k, unsigned int n, uint64_t *ticks);
/* Load the child kernel into child n (slot k), its command line from mode. */
long load_image(unsigned int k, unsigned int n, const char *mode, uint64_t *ticks);
/* setvcpucontext of the loaded child in slot k: it runs once unpaused. */
long start_vcpu(unsigned int k, uint64_t *ticks);
/* Whether our port is pending; clears it. */
bool take_port(evtchn_port_t port);
/* Whether VIRQ_DOM_EXC is pending; clears it. */
bool take_dom_exc(void);
/* destroydomain of id; getdomaininfo of id must then report next (or ESRCH). */
int destroy_and_check_gone(domid_t id, domid_t next);
/* After a failure: take down whatever children exist. */
void destroy_leftovers(void);

/* builder_links.c: tests of the table. */
int dying_peer_leaves_our_port_unbound(void);
int dying_grantee_gives_our_frame_back(void);
int dying_granter_waits_for_our_mapping(void);

#endif /* BUILDER_H */
