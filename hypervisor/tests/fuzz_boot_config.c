/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the boot configuration parser: any blob, as the boot
 * loader might hand over a module that starts with the FDT magic.  Besides
 * crashes and sanitizer reports it checks what setup.c relies on: every ok
 * domain's values are in range, its modules exist, its command line lies
 * inside the blob, and every report is one bounded, printable line.
 * Seeds: tests/corpus/boot_config/ and the compiled docs/examples.
 */
#include <assert.h>
#include <stdlib.h>

#include <mica/boot_config.h>
#include <mica/errno.h>
#include <mica/string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned int nr_reports;

static void report(const char *msg)
{
    size_t n = strlen(msg);

    assert(n > 0 && n < 192);
    for (size_t i = 0; i < n; i++)
        assert(msg[i] >= 0x20 && msg[i] < 0x7f);
    nr_reports++;
}

static const char *const mods[] = { "linux", "initrd", "guest-linux", "config", "k" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_config cfg;
    /* An exact-size copy so ASan sees any overread. */
    uint8_t *buf = malloc(size ? size : 1);

    memcpy(buf, data, size);
    nr_reports = 0;
    int r = boot_config_parse(buf, size, mods, ARRAY_SIZE(mods), &cfg, report);
    if (r < 0) {
        assert(r == -EINVAL && cfg.nr == 0 && nr_reports >= 1);
        free(buf);
        return 0;
    }
    assert(boot_config_is_fdt(buf, size));
    assert(cfg.nr <= BOOT_MAX_DOMAINS);
    int ok = 0;
    for (unsigned int i = 0; i < cfg.nr; i++) {
        const struct boot_domain *d = &cfg.dom[i];

        assert(strnlen(d->name, BOOT_NAME_MAX) < BOOT_NAME_MAX);
        if (!d->ok)
            continue;
        ok++;
        assert(d->memory_kib > 0 && d->memory_kib <= BOOT_MAX_MEMORY_KIB);
        assert(d->memory_kib <= d->max_memory_kib);
        assert(d->max_memory_kib <= BOOT_MAX_MEMORY_KIB);
        assert(d->vcpus >= 1 && d->vcpus <= BOOT_MAX_VCPUS);
        assert(d->kernel_module >= 0 && d->kernel_module < (int)ARRAY_SIZE(mods));
        assert(d->ramdisk_module >= -1 && d->ramdisk_module < (int)ARRAY_SIZE(mods));
        assert(d->weight <= 65535 && d->cap <= 100);
        assert(!d->privileged || i == 0);
        for (unsigned int j = 0; j < i; j++)
            assert(!cfg.dom[j].ok || strcmp(cfg.dom[j].name, d->name) != 0);
        if (*d->cmdline) {
            size_t n = strlen(d->cmdline);
            assert(n < BOOT_CMDLINE_MAX);
            assert((const uint8_t *)d->cmdline >= buf &&
                   (const uint8_t *)d->cmdline + n < buf + size);
        }
    }
    assert(r == ok);
    assert(boot_config_check_memory(&cfg, KiB(64) * 1024, report) <= ok);
    free(buf);
    return 0;
}
