/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for guest descriptor validation (common/desc_check.c).
 * The input's 8-byte words are the first slots of a GDT/LDT page (the rest
 * stay zero, i.e. not present, so short inputs can make acceptable pages)
 * and, in a second run, its last slots.  Besides sanitizer reports:
 * desc_page_check accepts exactly when every slot passes desc_check alone;
 * an accepted page holds the per-slot fix-ups and is a fixed point; a
 * refused page is unchanged; and desc_check leaves a refused value alone.
 */
#include <assert.h>

#include <mica/desc_check.h>
#include <mica/errno.h>
#include <mica/string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t page[DESC_PER_PAGE], orig[DESC_PER_PAGE], want[DESC_PER_PAGE];

static void check_page(void)
{
    bool all_ok = true;

    memcpy(orig, page, sizeof(page));
    for (unsigned int i = 0; i < DESC_PER_PAGE; i++) {
        want[i] = orig[i];
        bool ok = desc_check(&want[i]);
        assert(ok || want[i] == orig[i]);
        all_ok &= ok;
    }

    int rc = desc_page_check(page);
    assert(rc == 0 || rc == -EINVAL);
    assert((rc == 0) == all_ok);
    if (rc) {
        assert(memcmp(page, orig, sizeof(page)) == 0);
        return;
    }
    assert(memcmp(page, want, sizeof(page)) == 0);
    assert(desc_page_check(page) == 0);
    assert(memcmp(page, want, sizeof(page)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = MIN(size / 8, (size_t)DESC_PER_PAGE);

    memset(page, 0, sizeof(page));
    memcpy(page, data, n * 8);
    check_page();

    memset(page, 0, sizeof(page));
    memcpy(&page[DESC_PER_PAGE - n], data, n * 8);
    check_page();
    return 0;
}
