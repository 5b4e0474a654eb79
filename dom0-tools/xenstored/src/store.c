/* SPDX-License-Identifier: MIT */
/*
 * The committed tree and the "view" an operation sees through an optional
 * transaction; the invariants are in store.h.  The view layer (view_get,
 * view_create, view_delete, view_touch) is the only code that knows
 * whether a change goes to the committed table or into a transaction's
 * private copies; the operations below it are written once for both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/errno.h>

#include "domain.h"
#include "log.h"
#include "path.h"
#include "store.h"
#include "watch.h"

struct tnode {
    struct hent h;          /* key: path (owned) */
    struct node *n;         /* private copy; NULL = absent */
    uint64_t base_gen;      /* committed generation when first seen */
    int dirty;
};

struct tevent {
    struct tevent *next;
    char *path;
    struct xs_perm *perms;
    unsigned nperms;
    int recursive;
};

static struct htab tree;
static uint64_t gen_counter;
static struct xs_perm special_perms[2][1366];
static unsigned special_n[2];

/* ---- nodes ---- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort();            /* out of memory: no sane partial state */
    return p;
}

static void *xmemdup(const void *src, size_t n)
{
    return memcpy(xmalloc(n), src, n);
}

static struct node *node_new(const char *path, const struct xs_perm *p,
                             unsigned np)
{
    struct node *n = calloc(1, sizeof(*n));

    if (!n)
        abort();
    n->h.key = xmemdup(path, strlen(path) + 1);
    n->perms = xmemdup(p, np * sizeof(*p));
    n->nperms = (uint16_t)np;
    return n;
}

static struct node *node_dup(const struct node *o)
{
    struct node *n = node_new(o->h.key, o->perms, o->nperms);

    n->gen = o->gen;
    n->vlen = o->vlen;
    n->value = o->vlen ? xmemdup(o->value, o->vlen) : NULL;
    n->clen = o->clen;
    n->children = o->clen ? xmemdup(o->children, o->clen) : NULL;
    return n;
}

static void node_free(struct node *n)
{
    if (!n)
        return;
    free(n->h.key);
    free(n->perms);
    free(n->value);
    free(n->children);
    free(n);
}

static unsigned node_size(const struct node *n)
{
    return n->vlen + n->clen + n->nperms * (unsigned)sizeof(struct xs_perm);
}

static unsigned node_owner(const struct node *n)
{
    return n->perms[0].domid;
}

/* ---- the view ---- */

static struct node *committed(const char *path)
{
    return (struct node *)htab_find(&tree, path);
}

static struct tnode *tnode_get(struct txn *t, const char *path)
{
    struct tnode *tn = (struct tnode *)htab_find(&t->nodes, path);
    struct node *cur;

    if (tn)
        return tn;
    cur = committed(path);
    tn = calloc(1, sizeof(*tn));
    if (!tn)
        abort();
    tn->h.key = xmemdup(path, strlen(path) + 1);
    tn->n = cur ? node_dup(cur) : NULL;
    tn->base_gen = cur ? cur->gen : 0;
    htab_insert(&t->nodes, &tn->h);
    return tn;
}

/*
 * The node at `path` as this operation sees it, or NULL (ENOENT).  Inside
 * a transaction the first look takes the private copy, so every path an
 * operation passes through is checked again at commit.
 */
static struct node *view_get(const struct op *o, const char *path)
{
    return o->t ? tnode_get(o->t, path)->n : committed(path);
}

/* Record that a node seen through the view was modified. */
static void view_touch(const struct op *o, struct node *n)
{
    if (o->t)
        ((struct tnode *)htab_find(&o->t->nodes, n->h.key))->dirty = 1;
    else
        n->gen = ++gen_counter;
}

static void account(const struct node *n, int delta)
{
    domain_nodes_add(node_owner(n), delta);
}

/* Caller has looked the path up through the view (so a tnode exists). */
static struct node *view_create(const struct op *o, const char *path,
                                const struct node *parent)
{
    struct node *n = node_new(path, parent->perms, parent->nperms);

    /* A node made by a domain belongs to it; dom0's inherit the owner. */
    if (!o->who->priv)
        n->perms[0].domid = o->who->domid;
    if (o->t) {
        struct tnode *tn = (struct tnode *)htab_find(&o->t->nodes, path);
        tn->n = n;
        tn->dirty = 1;
        if (!o->who->priv)
            o->t->created++;
    } else {
        n->gen = ++gen_counter;
        htab_insert(&tree, &n->h);
        account(n, 1);
    }
    return n;
}

static void view_delete(const struct op *o, struct node *n)
{
    if (o->t) {
        struct tnode *tn = (struct tnode *)htab_find(&o->t->nodes, n->h.key);
        tn->n = NULL;
        tn->dirty = 1;
    } else {
        htab_remove(&tree, &n->h);
        account(n, -1);
    }
    node_free(n);
}

/* A change to announce: now, or at commit inside a transaction. */
static void note_change(const struct op *o, const char *path,
                        const struct xs_perm *p, unsigned np, int recursive)
{
    struct tevent *e;

    if (!o->t) {
        watch_fire(path, p, np, recursive);
        return;
    }
    e = xmalloc(sizeof(*e));
    e->next = NULL;
    e->path = xmemdup(path, strlen(path) + 1);
    e->perms = xmemdup(p, np * sizeof(*p));
    e->nperms = np;
    e->recursive = recursive;
    *o->t->events_tail = e;
    o->t->events_tail = &e->next;
}

/* ---- checks ---- */

static int allowed(const struct op *o, const struct node *n, unsigned need)
{
    unsigned have = perms_access(o->who, n->perms, n->nperms);

    return (have & need) == need ? 0 : XEN_EACCES;
}

/*
 * A path is missing: say ENOENT only if the nearest existing ancestor
 * grants `need`, so a domain cannot probe names it may not see.
 */
static int missing(const struct op *o, const char *path, unsigned need)
{
    char p[PATH_BUF];
    struct node *n = NULL;

    strcpy(p, path);
    while (!n && strcmp(p, "/") != 0) {
        path_parent(p, p);
        n = view_get(o, p);
    }
    if (n && allowed(o, n, need))
        return XEN_EACCES;
    return XEN_ENOENT;
}

/* Look up with an access check; the errors follow the rule above. */
static struct node *get_checked(const struct op *o, const char *path,
                                unsigned need, int *err)
{
    struct node *n = view_get(o, path);

    if (!n)
        *err = missing(o, path, need);
    else if ((*err = allowed(o, n, need)))
        n = NULL;
    return n;
}

static int size_check(const struct op *o, const struct node *n,
                      unsigned extra)
{
    if (o->who->priv || !quota.node_size)
        return 0;
    /* extra may be "negative": unsigned wrap-around gives the new size. */
    return quota_check(o->who->domid, "node-size", quota.node_size,
                       node_size(n) + extra);
}

/* ---- operations ---- */

int store_read(const struct op *o, const char *path, const struct node **out)
{
    int err;

    *out = get_checked(o, path, XS_PERM_READ, &err);
    return err;
}

static void add_child(const struct op *o, struct node *parent,
                      const char *name)
{
    size_t len = strlen(name) + 1;
    char *c = realloc(parent->children, parent->clen + len);

    if (!c)
        abort();
    memcpy(c + parent->clen, name, len);
    parent->children = c;
    parent->clen += (uint32_t)len;
    view_touch(o, parent);
}

static void del_child(const struct op *o, struct node *parent,
                      const char *name)
{
    size_t len = strlen(name) + 1, off = 0;

    while (off < parent->clen) {
        size_t l = strlen(parent->children + off) + 1;
        if (l == len && memcmp(parent->children + off, name, len) == 0) {
            memmove(parent->children + off, parent->children + off + len,
                    parent->clen - off - len);
            parent->clen -= (uint32_t)len;
            view_touch(o, parent);
            return;
        }
        off += l;
    }
}

/* Create the missing levels from the existing ancestor `n` down to path. */
static struct node *create_path(const struct op *o, struct node *n,
                                const char *path)
{
    char p[PATH_BUF];
    size_t plen = strlen(n->h.key), end;

    if (plen == 1)
        plen = 0;           /* below "/" names start at index 1 */
    while (strcmp(n->h.key, path) != 0) {
        struct node *child;

        for (end = plen + 1; path[end] && path[end] != '/'; end++)
            ;
        memcpy(p, path, end);
        p[end] = '\0';
        add_child(o, n, p + plen + 1);
        /* The walk up in get_or_create already recorded p as absent. */
        child = view_create(o, p, n);
        n = child;
        plen = end;
    }
    return n;
}

/*
 * Find `path` for writing, or create it and any missing parents with empty
 * values (one watch event, for `path`, comes from the caller).  All checks (write access on the nearest existing ancestor, node
 * size and node quotas) happen before the first node is created.
 */
static struct node *get_or_create(const struct op *o, const char *path,
                                  int *err)
{
    char p[PATH_BUF];
    struct node *n = view_get(o, path), *anc = NULL;
    unsigned levels = 0;
    const char *name;

    if (n) {
        *err = allowed(o, n, XS_PERM_WRITE);
        return *err ? NULL : n;
    }
    strcpy(p, path);
    while (!anc) {
        levels++;
        path_parent(p, p);
        anc = view_get(o, p);
    }
    /* anc gains one child name: the component of path just below it. */
    name = path + (strlen(p) == 1 ? 1 : strlen(p) + 1);
    if ((*err = allowed(o, anc, XS_PERM_WRITE)) ||
        (*err = size_check(o, anc, (unsigned)strcspn(name, "/") + 1)))
        return NULL;
    if (!o->who->priv && quota.nodes &&
        (*err = quota_check(o->who->domid, "nodes", quota.nodes,
                            domain_nodes(o->who->domid) +
                            (o->t ? o->t->created : 0) + levels)))
        return NULL;
    return create_path(o, anc, path);
}

int store_write(const struct op *o, const char *path, const void *val,
                size_t len)
{
    struct node *n;
    uint8_t *v;
    int err;

    if (!o->who->priv && quota.node_size && len > quota.node_size)
        return quota_check(o->who->domid, "node-size", quota.node_size,
                           (unsigned)len);
    n = get_or_create(o, path, &err);
    if (!n)
        return err;
    if ((err = size_check(o, n, (unsigned)len - n->vlen)))
        return err;
    v = len ? xmemdup(val, len) : NULL;
    free(n->value);
    n->value = v;
    n->vlen = (uint32_t)len;
    view_touch(o, n);
    note_change(o, path, n->perms, n->nperms, 0);
    return 0;
}

int store_mkdir(const struct op *o, const char *path)
{
    struct node *n;
    int err;

    if (view_get(o, path))
        return get_or_create(o, path, &err) ? 0 : err;  /* access check */
    if (!(n = get_or_create(o, path, &err)))
        return err;
    note_change(o, path, n->perms, n->nperms, 0);
    return 0;
}

/* Delete n and everything below it, children first. */
static void delete_tree(const struct op *o, struct node *n)
{
    /* On the heap: the recursion may be 1500 levels deep. */
    char *name = xmalloc(PATH_BUF);
    size_t plen = strlen(n->h.key);

    if (plen == 1)
        plen = 0;
    memcpy(name, n->h.key, plen);
    name[plen] = '/';
    while (n->clen) {
        struct node *c;

        strcpy(name + plen + 1, n->children);
        c = view_get(o, name);
        if (c)              /* always, by the invariant */
            delete_tree(o, c);
        del_child(o, n, name + plen + 1);
    }
    free(name);
    view_delete(o, n);
}

int store_rm(const struct op *o, const char *path)
{
    char parent_path[PATH_BUF];
    struct node *n, *parent;
    struct xs_perm *old;
    unsigned nold;
    int err;

    if (strcmp(path, "/") == 0)
        return XEN_EINVAL;
    path_parent(parent_path, path);
    n = get_checked(o, path, XS_PERM_WRITE, &err);
    if (!n) {
        if (err == XEN_ENOENT && view_get(o, parent_path))
            return 0;       /* already gone */
        return err;
    }
    parent = view_get(o, parent_path);
    nold = n->nperms;
    old = xmemdup(n->perms, nold * sizeof(*old));
    delete_tree(o, n);
    del_child(o, parent, path_base(path));
    /* Watchers may see the removal if they could read the node before. */
    note_change(o, path, old, nold, 1);
    free(old);
    return 0;
}

static int special_index(const char *path)
{
    return strcmp(path, XS_SPECIAL_INTRODUCE) == 0 ? 0 : 1;
}

void store_special_perms(const char *name, const struct xs_perm **p,
                         unsigned *n)
{
    int i = special_index(name);

    *p = special_perms[i];
    *n = special_n[i];
}

int store_get_perms(const struct op *o, const char *path,
                    const struct xs_perm **p, unsigned *np)
{
    struct node *n;
    int err;

    if (path_is_special(path)) {
        store_special_perms(path, p, np);
        return (perms_access(o->who, *p, *np) & XS_PERM_READ) ? 0
                                                              : XEN_EACCES;
    }
    n = get_checked(o, path, XS_PERM_READ, &err);
    if (!n)
        return err;
    *p = n->perms;
    *np = n->nperms;
    return 0;
}

/* Only the owner may change permissions, and a domain may not give away. */
static int perms_change_ok(const struct op *o, const struct xs_perm *cur,
                           unsigned ncur, const struct xs_perm *p)
{
    if (!(perms_access(o->who, cur, ncur) & XS_PERM_OWNER))
        return XEN_EACCES;
    if (!o->who->priv && p[0].domid != cur[0].domid)
        return XEN_EPERM;
    return 0;
}

int store_set_perms(const struct op *o, const char *path,
                    const struct xs_perm *p, unsigned np)
{
    struct node *n;
    int err;

    if (path_is_special(path)) {
        int i = special_index(path);
        if ((err = perms_change_ok(o, special_perms[i], special_n[i], p)))
            return err;
        memcpy(special_perms[i], p, np * sizeof(*p));
        special_n[i] = np;
        return 0;
    }
    n = get_checked(o, path, XS_PERM_WRITE, &err);
    if (!n)
        return err;
    if ((err = perms_change_ok(o, n->perms, n->nperms, p)) ||
        (err = size_check(o, n, (unsigned)(np - n->nperms) *
                                    (unsigned)sizeof(*p))))
        return err;
    if (!o->t)
        account(n, -1);
    free(n->perms);
    n->perms = xmemdup(p, np * sizeof(*p));
    n->nperms = (uint16_t)np;
    if (!o->t)
        account(n, 1);
    view_touch(o, n);
    note_change(o, path, p, np, 0);
    return 0;
}

/* ---- transactions ---- */

struct txn *txn_new(uint32_t id)
{
    struct txn *t = calloc(1, sizeof(*t));

    if (!t)
        abort();
    t->id = id;
    htab_init(&t->nodes);
    t->events_tail = &t->events;
    return t;
}

void txn_free(struct txn *t)
{
    struct tevent *e, *next;
    struct hent *h, *hn;
    size_t i;

    for (i = 0; i < t->nodes.nb; i++)
        for (h = t->nodes.b[i]; h; h = hn) {
            struct tnode *tn = (struct tnode *)h;
            hn = h->next;
            node_free(tn->n);
            free(tn->h.key);
            free(tn);
        }
    htab_fini(&t->nodes);
    for (e = t->events; e; e = next) {
        next = e->next;
        free(e->path);
        free(e->perms);
        free(e);
    }
    free(t);
}

int txn_commit(struct txn *t)
{
    struct hent *h;
    struct tevent *e;
    size_t i;

    htab_for_each(&t->nodes, i, h) {
        struct tnode *tn = (struct tnode *)h;
        struct node *cur = committed(tn->h.key);
        if ((cur ? cur->gen : 0) != tn->base_gen)
            return XEN_EAGAIN;
    }
    htab_for_each(&t->nodes, i, h) {
        struct tnode *tn = (struct tnode *)h;
        struct node *cur = committed(tn->h.key);
        if (!tn->dirty)
            continue;
        if (cur) {
            htab_remove(&tree, &cur->h);
            account(cur, -1);
            node_free(cur);
        }
        if (tn->n) {
            tn->n->gen = ++gen_counter;
            htab_insert(&tree, &tn->n->h);
            account(tn->n, 1);
            tn->n = NULL;
        }
    }
    for (e = t->events; e; e = e->next)
        watch_fire(e->path, e->perms, e->nperms, e->recursive);
    return 0;
}

/* ---- life cycle ---- */

void store_init(void)
{
    static const struct xs_perm dom0_only = { .domid = 0,
                                              .mode = XS_PERM_NONE };
    struct xs_who root_who = { .priv = true };
    struct op o = { .who = &root_who };
    struct node *root = node_new("/", &dom0_only, 1);

    htab_init(&tree);
    gen_counter = 0;
    root->gen = ++gen_counter;
    htab_insert(&tree, &root->h);
    account(root, 1);
    store_mkdir(&o, "/tool/xenstored");
    for (int i = 0; i < 2; i++) {
        special_perms[i][0] = dom0_only;
        special_n[i] = 1;
    }
}

void store_fini(void)
{
    struct hent *h, *next;
    size_t i;

    for (i = 0; i < tree.nb; i++)
        for (h = tree.b[i]; h; h = next) {
            next = h->next;
            account((struct node *)h, -1);
            node_free((struct node *)h);
        }
    htab_fini(&tree);
}

size_t store_nodes(void)
{
    return tree.n;
}

void store_forget_domain(unsigned domid)
{
    struct xs_who root = { .priv = true };
    struct op o = { .who = &root };
    char **doomed = NULL;
    size_t ndoomed = 0, i, cap = 0;
    struct hent *h;

    htab_for_each(&tree, i, h) {
        struct node *n = (struct node *)h;
        unsigned j, k;

        if (node_owner(n) == domid && domid != 0) {
            if (ndoomed == cap) {
                cap = cap ? cap * 2 : 16;
                doomed = realloc(doomed, cap * sizeof(*doomed));
                if (!doomed)
                    abort();
            }
            doomed[ndoomed++] = xmemdup(n->h.key, strlen(n->h.key) + 1);
            continue;
        }
        for (j = k = 1; j < n->nperms; j++)
            if (n->perms[j].domid != domid)
                n->perms[k++] = n->perms[j];
        if (k != n->nperms) {
            n->nperms = (uint16_t)k;
            n->gen = ++gen_counter;
        }
    }
    /* Removing a parent may already have removed a later entry. */
    for (i = 0; i < ndoomed; i++) {
        if (committed(doomed[i]))
            store_rm(&o, doomed[i]);
        free(doomed[i]);
    }
    free(doomed);
}

/*
 * Check the invariants in store.h over the whole committed tree (tests
 * and the fuzzer): each node's parent exists and lists it once, each
 * listed child exists, and the ownership counts match.  O(nodes^2) worst
 * case; not for production paths.
 */
bool store_check(void)
{
    static uint32_t owned[DOMID_MAX + 1];
    char parent[PATH_BUF], child[PATH_BUF];
    struct hent *h;
    size_t i;

    memset(owned, 0, sizeof(owned));
    htab_for_each(&tree, i, h) {
        struct node *n = (struct node *)h, *p;
        const char *base = path_base(n->h.key);
        size_t off, hits = 0, plen = strlen(n->h.key);

        owned[node_owner(n)]++;
        if (n->nperms == 0 || n->gen == 0)
            return false;
        for (off = 0; off < n->clen; off += strlen(n->children + off) + 1) {
            snprintf(child, sizeof(child), "%s/%s", plen == 1 ? "" : n->h.key,
                     n->children + off);
            if (!committed(child))
                return false;
        }
        if (n->clen && n->children[n->clen - 1] != '\0')
            return false;
        if (strcmp(n->h.key, "/") == 0)
            continue;
        path_parent(parent, n->h.key);
        if (!(p = committed(parent)))
            return false;
        for (off = 0; off < p->clen; off += strlen(p->children + off) + 1)
            hits += strcmp(p->children + off, base) == 0;
        if (hits != 1)
            return false;
    }
    for (i = 0; i <= DOMID_MAX; i++)
        if (owned[i] != domain_nodes((unsigned)i))
            return false;
    return true;
}
