/* SPDX-License-Identifier: MIT */
/*
 * Rules of the real CPU that Mica's checks rely on and that QEMU's TCG does
 * not enforce (it takes any MXCSR in FXRSTOR), tried on the host CPU:
 * fxsave_image_ok() (include/mica/x86.h), which VCPUOP_initialise and the
 * control interface's setvcpucontext apply to a guest's FPU image, must
 * accept exactly the images the CPU's FXRSTOR takes without a #GP.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mica/x86.h>

static sigjmp_buf fault_jmp;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(fault_jmp, 1);
}

static uint32_t host_mxcsr_mask(uint8_t *img)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])img));
    uint32_t mask;
    memcpy(&mask, img + 28, 4);
    return mask ? mask : 0xffbf;
}

/* Whether the host CPU's FXRSTOR takes img (a #GP arrives as SIGSEGV). */
static bool host_fxrstor_takes(const uint8_t *img)
{
    uint8_t saved[512] __attribute__((aligned(16)));
    volatile bool ok = false;

    __asm__ volatile("fxsave64 %0" : "=m"(saved));
    if (sigsetjmp(fault_jmp, 1) == 0) {
        __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t (*)[512])img));
        ok = true;
    }
    __asm__ volatile("fxrstor64 %0" : : "m"(saved));
    return ok;
}

static void fxsave_image_ok_matches_the_cpu(void **state)
{
    uint8_t img[512] __attribute__((aligned(16)));
    struct sigaction sa = { .sa_handler = on_segv }, old;
    uint32_t mask = host_mxcsr_mask(img);
    uint32_t values[] = { 0x1f80, 0x1f80 | 0x40, 0x1f80 | 0x8000, 0xffff, 0x10000,
                          0x1f80 | (1u << 16), 0x80000000u, 0xffffffffu, mask, ~mask };

    unsigned int refused = 0;

    (void)state;
    sigaction(SIGSEGV, &sa, &old);
    for (unsigned int i = 0; i < sizeof(values) / sizeof(values[0]) + 32; i++) {
        /* The listed values, then each single bit. */
        uint32_t m = i < sizeof(values) / sizeof(values[0])
                         ? values[i] : 0x1f80u | (1u << (i - sizeof(values) / sizeof(values[0])));
        memcpy(img + 24, &m, 4);
        bool cpu = host_fxrstor_takes(img), mica = fxsave_image_ok(img, mask);
        refused += !cpu;
        if (cpu != mica)
            fail_msg("MXCSR %#x: the CPU %s it, fxsave_image_ok says %d (mask %#x)", m,
                     cpu ? "takes" : "faults on", mica, mask);
    }
    sigaction(SIGSEGV, &old, NULL);
    /* Every bit from 16 up is reserved on every CPU so far: a host that
     * took them all would not be testing anything. */
    assert_true(refused >= 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fxsave_image_ok_matches_the_cpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
