/* SPDX-License-Identifier: MIT */
/*
 * The registry of domains, by id.  A small table searched linearly: Mica
 * runs tens of domains, not thousands.  Creation and destruction
 * (common/lifecycle.c) fill and empty it; a dying domain stays in it until
 * its last frame is back, but only domain_by_id_any() finds it.
 */
#include <mica/domain.h>
#include <mica/errno.h>

static struct domain *domains[MAX_DOMAINS];

int domain_register(struct domain *d)
{
    int free_slot = -1;

    if (d->domain_id >= DOMID_FIRST_RESERVED)
        return -EINVAL;
    for (int i = 0; i < MAX_DOMAINS; i++) {
        if (domains[i] && domains[i]->domain_id == d->domain_id)
            return -EEXIST;
        if (!domains[i] && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0)
        return -ENOSPC;
    domains[free_slot] = d;
    return 0;
}

void domain_unregister(struct domain *d)
{
    for (int i = 0; i < MAX_DOMAINS; i++)
        if (domains[i] == d)
            domains[i] = NULL;
}

struct domain *domain_by_id_any(domid_t id)
{
    for (int i = 0; i < MAX_DOMAINS; i++)
        if (domains[i] && domains[i]->domain_id == id)
            return domains[i];
    return NULL;
}

struct domain *domain_by_id(domid_t id)
{
    struct domain *d = domain_by_id_any(id);

    return d && d->dying == DOMAIN_ALIVE ? d : NULL;
}

/* The registry in slot order, for walking every domain: slot <
 * MAX_DOMAINS; NULL for an empty slot. */
struct domain *domain_in_slot(unsigned int slot)
{
    return slot < MAX_DOMAINS ? domains[slot] : NULL;
}
