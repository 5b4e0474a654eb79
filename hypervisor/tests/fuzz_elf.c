/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the PV kernel image checks (common/elf.c): the input
 * is the image.  Besides sanitizer reports, an accepted image must satisfy
 * what the domain builder relies on: file parts inside the image, segments
 * sorted, non-empty, non-overlapping, canonical and outside the hypervisor
 * hole, placed by p_paddr, ENTRY inside an executable segment, a page-
 * aligned virtual range covering them all, terminated strings; and the
 * answer must not depend on where the image sits in memory.
 */
#include <assert.h>
#include <stdlib.h>

#include <mica/elf.h>
#include <mica/string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool outside_hole(uint64_t start, uint64_t end)
{
    return end <= 0x0000800000000000ULL || start >= 0xffff880000000000ULL;
}

static void check_image(const struct elf_image *im, size_t size)
{
    const struct elf_xen_notes *n = &im->notes;
    bool entry_ok = false;

    assert(im->nr_seg >= 1 && im->nr_seg <= ELF_MAX_SEGMENTS);
    for (unsigned int i = 0; i < im->nr_seg; i++) {
        const struct elf_segment *s = &im->seg[i];

        assert(s->memsz > 0 && s->filesz <= s->memsz);
        assert(s->offset <= size && s->filesz <= size - s->offset);
        assert(s->paddr >= n->paddr_offset);
        assert(s->vaddr == n->virt_base + (s->paddr - n->paddr_offset));
        assert(s->vaddr >= n->virt_base);
        assert(s->vaddr + s->memsz > s->vaddr);             /* no wrap */
        assert(outside_hole(s->vaddr, s->vaddr + s->memsz));
        assert(s->vaddr >= im->virt_start && s->vaddr + s->memsz <= im->virt_end);
        if (i)
            assert(im->seg[i - 1].vaddr + im->seg[i - 1].memsz <= s->vaddr);
        if ((s->flags & ELF_PF_X) && n->entry >= s->vaddr &&
            n->entry - s->vaddr < s->memsz)
            entry_ok = true;
    }
    /* Absent ENTRY/VIRT_BASE take Xen's defaults: e_entry and 0. */
    assert(entry_ok && (n->has_virt_base || n->virt_base == 0));
    assert(IS_ALIGNED(im->virt_start, PAGE_SIZE) && IS_ALIGNED(im->virt_end, PAGE_SIZE));
    assert(IS_ALIGNED(n->virt_base, PAGE_SIZE));
    assert(im->virt_start < im->virt_end);
    assert(outside_hole(n->virt_base, im->virt_end));
    assert(strnlen(n->guest_os, sizeof(n->guest_os)) < sizeof(n->guest_os));
    assert(strnlen(n->features, sizeof(n->features)) < sizeof(n->features));
    assert(strcmp(n->xen_version, "xen-3.0") == 0);
    assert(!n->hv_start_low || n->hv_start_low == 0xffff800000000000ULL);
}

/* Field by field: struct padding is not part of the answer. */
static void check_same(const struct elf_image *a, const struct elf_image *b)
{
    assert(a->nr_seg == b->nr_seg && a->virt_start == b->virt_start &&
           a->virt_end == b->virt_end);
    for (unsigned int i = 0; i < a->nr_seg; i++)
        assert(a->seg[i].offset == b->seg[i].offset && a->seg[i].filesz == b->seg[i].filesz &&
               a->seg[i].memsz == b->seg[i].memsz && a->seg[i].vaddr == b->seg[i].vaddr &&
               a->seg[i].paddr == b->seg[i].paddr && a->seg[i].flags == b->seg[i].flags);
    const struct elf_xen_notes *x = &a->notes, *y = &b->notes;
    assert(x->entry == y->entry && x->virt_base == y->virt_base &&
           x->paddr_offset == y->paddr_offset && x->hypercall_page == y->hypercall_page &&
           x->hv_start_low == y->hv_start_low && x->init_p2m == y->init_p2m &&
           x->supported_features == y->supported_features &&
           x->mod_start_pfn == y->mod_start_pfn);
    assert(!strcmp(x->guest_os, y->guest_os) && !strcmp(x->xen_version, y->xen_version) &&
           !strcmp(x->features, y->features));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size copies, one aligned and one not, so ASan sees overreads. */
    uint8_t *a = malloc(size ? size : 1);
    uint8_t *u = malloc(size + 1);
    static struct elf_image im1, im2;
    char why1[128], why2[128];

    memcpy(a, data, size);
    memcpy(u + 1, data, size);
    int rc1 = elf_parse(a, size, &im1, why1, sizeof(why1));
    int rc2 = elf_parse(u + 1, size, &im2, why2, sizeof(why2));
    assert(rc1 == rc2);
    if (rc1 == 0) {
        check_image(&im1, size);
        check_same(&im1, &im2);
    } else {
        assert(rc1 == -1 && why1[0] && strcmp(why1, why2) == 0);
    }
    free(a);
    free(u);
    return 0;
}
