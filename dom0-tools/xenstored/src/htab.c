/* SPDX-License-Identifier: MIT */
/*
 * Chained hash table keyed by NUL-terminated strings (FNV-1a).  Grows by
 * doubling when the load reaches one entry per bucket, so lookups stay
 * O(1) from a handful of nodes to millions.  Allocation failure while
 * growing is tolerated: the table just stays denser.
 */
#include <stdlib.h>
#include <string.h>

#include "htab.h"

#define HTAB_MIN 16

void htab_init(struct htab *t)
{
    t->nb = HTAB_MIN;
    t->n = 0;
    t->b = calloc(t->nb, sizeof(*t->b));
    if (!t->b)
        abort();
}

void htab_fini(struct htab *t)
{
    free(t->b);
    t->b = NULL;
    t->nb = t->n = 0;
}

uint32_t htab_hash(const char *key)
{
    uint32_t h = 2166136261u;

    while (*key)
        h = (h ^ (uint8_t)*key++) * 16777619u;
    return h;
}

struct hent *htab_find(const struct htab *t, const char *key)
{
    uint32_t h = htab_hash(key);
    struct hent *e;

    for (e = t->b[h & (t->nb - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void grow(struct htab *t)
{
    size_t nb = t->nb * 2, i;
    struct hent **b = calloc(nb, sizeof(*b)), *e, *next;

    if (!b)
        return;
    for (i = 0; i < t->nb; i++)
        for (e = t->b[i]; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

void htab_insert(struct htab *t, struct hent *e)
{
    struct hent **head;

    if (t->n >= t->nb)
        grow(t);
    e->hash = htab_hash(e->key);
    head = &t->b[e->hash & (t->nb - 1)];
    e->next = *head;
    *head = e;
    t->n++;
}

void htab_remove(struct htab *t, struct hent *e)
{
    struct hent **p = &t->b[e->hash & (t->nb - 1)];

    for (; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            t->n--;
            return;
        }
}
