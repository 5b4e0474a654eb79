/* SPDX-License-Identifier: MIT */
/*
 * Power-off and restart.  Order of attempts for power-off: QEMU's
 * isa-debug-exit (a write to port 0xf4 ends QEMU with an exit status that
 * carries the code; on a machine without it the write goes nowhere), then
 * ACPI S5 through the FADT's PM1 control blocks, then halt with a message.
 * The ACPI facts are gathered at boot, while the tables are mapped and
 * nothing is broken yet, so the power-off path itself is a few port writes.
 * Firmware tables are checked (signatures, lengths, checksums) before use.
 */
#include <mica/paging.h>
#include <mica/power.h>
#include <mica/printk.h>
#include <mica/string.h>
#include <mica/x86.h>

#define DEBUG_EXIT_PORT 0xf4
#define ACPI_SLP_EN (1u << 13)
#define ACPI_HDR_LEN 36
#define ACPI_MAX_TABLE (1u << 20)

static struct {
    uint16_t pm1a_cnt, pm1b_cnt;
    uint8_t slp_typa, slp_typb;
    bool s5_ok;
} acpi;

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static bool checksum_ok(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return sum == 0;
}

/* Map a table by physical address if its header and checksum are sane. */
static const uint8_t *acpi_table(paddr_t pa, const char *sig)
{
    if (!pa || !phys_is_mapped(pa, ACPI_HDR_LEN))
        return NULL;
    const uint8_t *t = phys_to_virt(pa);
    uint32_t len = rd32(t + 4);
    if (len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE || !phys_is_mapped(pa, len))
        return NULL;
    if ((sig && memcmp(t, sig, 4) != 0) || !checksum_ok(t, len))
        return NULL;
    return t;
}

/*
 * \_S5 is a package in the DSDT's AML: NameOp '_S5_' PackageOp PkgLength
 * NumElements SLP_TYPa SLP_TYPb ...  Each value is a ByteConst (0x0a nn),
 * ZeroOp (0x00) or OneOp (0x01).  This reads that common encoding only; a
 * DSDT that computes _S5 some other way leaves ACPI power-off unused.
 */
static bool aml_byte(const uint8_t **p, const uint8_t *end, uint8_t *out)
{
    if (*p >= end)
        return false;
    if (**p == 0x0a) {
        if (*p + 1 >= end)
            return false;
        *out = (*p)[1];
        *p += 2;
        return true;
    }
    if (**p > 1)
        return false;
    *out = **p;
    (*p)++;
    return true;
}

static bool find_s5(const uint8_t *dsdt, uint32_t len)
{
    const uint8_t *end = dsdt + len;

    for (const uint8_t *p = dsdt + ACPI_HDR_LEN; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
            continue;
        const uint8_t *q = p + 5;
        q += 1 + (*q >> 6);             /* PkgLength: 1 to 4 bytes */
        q++;                            /* NumElements */
        if (q < end && aml_byte(&q, end, &acpi.slp_typa) &&
            aml_byte(&q, end, &acpi.slp_typb))
            return true;
    }
    return false;
}

void power_init(const struct mb2_info *info)
{
    if (!info->rsdp || info->rsdp_len < 20 || memcmp(info->rsdp, "RSD PTR ", 8) != 0)
        return;
    const uint8_t *rsdp = info->rsdp;
    if (!checksum_ok(rsdp, 20))
        return;

    const uint8_t *root = NULL;
    unsigned int esize = 4;
    if (rsdp[15] >= 2 && info->rsdp_len >= 36)
        root = acpi_table(rd64(rsdp + 24), "XSDT"), esize = 8;
    if (!root)
        root = acpi_table(rd32(rsdp + 16), "RSDT"), esize = 4;
    if (!root)
        return;

    const uint8_t *fadt = NULL;
    uint32_t rlen = rd32(root + 4);
    for (uint32_t off = ACPI_HDR_LEN; off + esize <= rlen && !fadt; off += esize)
        fadt = acpi_table(esize == 8 ? rd64(root + off) : rd32(root + off), "FACP");
    if (!fadt || rd32(fadt + 4) < 72)
        return;

    acpi.pm1a_cnt = (uint16_t)rd32(fadt + 64);
    acpi.pm1b_cnt = (uint16_t)rd32(fadt + 68);
    paddr_t dsdt_pa = rd32(fadt + 40);
    if (rd32(fadt + 4) >= 148 && rd64(fadt + 140))
        dsdt_pa = rd64(fadt + 140);
    const uint8_t *dsdt = acpi_table(dsdt_pa, "DSDT");
    acpi.s5_ok = acpi.pm1a_cnt && dsdt && find_s5(dsdt, rd32(dsdt + 4));
    pr_debug("ACPI: PM1a_CNT %#x, S5 %s", acpi.pm1a_cnt,
             acpi.s5_ok ? "found" : "not found");
}

bool power_port_is_ours(unsigned int port)
{
    return port == DEBUG_EXIT_PORT ||
           (acpi.pm1a_cnt && port - acpi.pm1a_cnt < 2) ||
           (acpi.pm1b_cnt && port - acpi.pm1b_cnt < 2);
}

void machine_power_off(enum mica_exit code)
{
    __asm__ volatile("cli");
    outb(DEBUG_EXIT_PORT, (uint8_t)code);
    if (acpi.s5_ok) {
        outw(acpi.pm1a_cnt, (uint16_t)(acpi.slp_typa << 10 | ACPI_SLP_EN));
        if (acpi.pm1b_cnt)
            outw(acpi.pm1b_cnt, (uint16_t)(acpi.slp_typb << 10 | ACPI_SLP_EN));
        for (volatile unsigned int i = 0; i < 10000000; i++)
            ;
    }
    fatal_printk("power-off failed (no isa-debug-exit device, no usable ACPI S5); halted");
    halt_forever();
}

void machine_restart(void)
{
    __asm__ volatile("cli");
    /* The keyboard controller's reset line: wait for its input buffer. */
    for (unsigned int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
        cpu_relax();
    outb(0x64, 0xfe);
    /* Still here: a triple fault resets every x86. */
    struct __packed { uint16_t limit; uint64_t base; } null_idt = { 0, 0 };
    __asm__ volatile("lidt %0; int3" : : "m"(null_idt));
    halt_forever();
}
