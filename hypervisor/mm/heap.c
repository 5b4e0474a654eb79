/* SPDX-License-Identifier: MIT */
/*
 * Heap (see heap.h).  Each frame used for small objects holds objects of
 * one size class only, so xfree() finds the class from the frame: the
 * frame's page_info records it (type PGT_none, owner DOMID_XEN, the class
 * in nr_done).  Free objects of a class form a singly-linked list threaded
 * through the objects themselves (which is why the smallest class is 16
 * bytes: a link and a poison word).  Frames are not returned to the pool
 * once carved; hypervisor objects are few and long-lived.
 *
 * Invariants: every pointer on a free list is the start of an object of
 * that list's class inside a heap frame; an object is never on a list
 * while allocated (double frees are caught: BUG).
 */
#include <mica/bug.h>
#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/string.h>

#define MIN_SHIFT 4                             /* 16 bytes */
#define MAX_SHIFT (PAGE_SHIFT - 1)              /* 2048 bytes */
#define NR_CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define CLASS_WHOLE_PAGE 0xffff                 /* nr_done marker: one object */

/* A free object: the list link, then a poison word so that a double free
 * is noticed cheaply (only a poisoned object pays for the list scan). */
#define FREE_POISON 0x6d6963614672ee00UL
struct free_obj {
    struct free_obj *next;
    uint64_t poison;
};

static struct free_obj *free_list[NR_CLASSES];

static unsigned int class_of(size_t size)
{
    unsigned int shift = MIN_SHIFT;

    while (((size_t)1 << shift) < size)
        shift++;
    return shift - MIN_SHIFT;
}

static bool refill(unsigned int cls)
{
    mfn_t mfn = alloc_xen_frame();
    size_t size = (size_t)1 << (cls + MIN_SHIFT);

    if (mfn == INVALID_MFN)
        return false;
    mfn_to_page(mfn)->nr_done = (uint16_t)cls;
    uint8_t *base = mm_map_frame(mfn);
    for (size_t off = PAGE_SIZE; off >= size; off -= size) {
        struct free_obj *o = (struct free_obj *)(base + off - size);
        o->poison = FREE_POISON;
        o->next = free_list[cls];
        free_list[cls] = o;
    }
    return true;
}

static bool on_free_list(unsigned int cls, const void *p)
{
    for (const struct free_obj *o = free_list[cls]; o; o = o->next)
        if (o == p)
            return true;
    return false;
}

void *xzalloc(size_t size)
{
    if (size == 0 || size > PAGE_SIZE)
        return NULL;
    if (size > ((size_t)1 << MAX_SHIFT)) {
        mfn_t mfn = alloc_xen_frame();          /* zeroed */
        if (mfn == INVALID_MFN)
            return NULL;
        mfn_to_page(mfn)->nr_done = CLASS_WHOLE_PAGE;
        return mm_map_frame(mfn);
    }
    unsigned int cls = class_of(size);
    if (!free_list[cls] && !refill(cls))
        return NULL;
    struct free_obj *o = free_list[cls];
    free_list[cls] = o->next;
    memset(o, 0, (size_t)1 << (cls + MIN_SHIFT));
    return o;
}

void xfree(void *p)
{
    if (!p)
        return;
    mfn_t mfn = mm_virt_to_mfn(p);
    struct page_info *pg = mfn_to_page(mfn);
    BUG_ON(pg->owner != DOMID_XEN);
    if (pg->nr_done == CLASS_WHOLE_PAGE) {
        BUG_ON((uintptr_t)p & (PAGE_SIZE - 1));
        pg->nr_done = 0;
        free_xen_frame(mfn);
        return;
    }
    unsigned int cls = pg->nr_done;
    BUG_ON(cls >= NR_CLASSES);
    BUG_ON((uintptr_t)p & (((uintptr_t)1 << (cls + MIN_SHIFT)) - 1));
    struct free_obj *o = p;
    BUG_ON(o->poison == FREE_POISON && on_free_list(cls, p));  /* double free */
    o->poison = FREE_POISON;
    o->next = free_list[cls];
    free_list[cls] = o;
}
