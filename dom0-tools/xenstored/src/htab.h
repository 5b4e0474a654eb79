/* SPDX-License-Identifier: MIT */
/*
 * A small intrusive string-keyed hash table.  The store's nodes and each
 * transaction's private copies embed a struct hent as their first member
 * and are found by full path; the table never owns or frees entries.
 */
#ifndef XSD_HTAB_H
#define XSD_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hent {
    struct hent *next;
    char *key;
    uint32_t hash;
};

struct htab {
    struct hent **b;
    size_t nb;              /* buckets, a power of two */
    size_t n;               /* entries */
};

void htab_init(struct htab *t);
void htab_fini(struct htab *t);     /* frees the bucket array only */
uint32_t htab_hash(const char *key);
struct hent *htab_find(const struct htab *t, const char *key);
void htab_insert(struct htab *t, struct hent *e);   /* e->key set */
void htab_remove(struct htab *t, struct hent *e);

#define htab_for_each(t, i, e)                                          \
    for ((i) = 0; (i) < (t)->nb; (i)++)                                 \
        for ((e) = (t)->b[i]; (e); (e) = (e)->next)

#endif
