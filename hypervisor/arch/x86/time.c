/* SPDX-License-Identifier: MIT */
/*
 * Time.  System time is nanoseconds since Mica booted, from the TSC,
 * calibrated once against the PIT (channel 2, gated through port 0x61, so
 * no interrupt is needed).  Guests read it through vcpu_time_info (Xen's
 * pvclock: time = system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32)
 * and the wall clock in shared_info (the CMOS RTC at boot, as seconds since
 * the epoch at system time 0).  One-shot guest timers are served by the
 * local APIC timer in one-shot mode, calibrated against the TSC.
 *
 * Assumes an invariant TSC, as every machine Mica targets (and QEMU) has.
 */
#include <mica/paging.h>
#include <mica/printk.h>
#include <mica/time.h>
#include <mica/x86.h>

#define PIT_HZ        1193182UL
#define CALIBRATE_MS  20

#define LAPIC_BASE    0xfee00000UL
#define LAPIC_EOI     0x0b0
#define LAPIC_SVR     0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_CUR   0x390
#define LAPIC_TIMER_DIV   0x3e0

static uint64_t tsc_at_boot;
static uint64_t tsc_khz;
static uint32_t pv_mul;             /* pvclock scale: ns per tick << 32 >> shift */
static int8_t pv_shift;
static uint64_t lapic_ticks_per_ms;
static uint64_t boot_epoch_sec;     /* wall clock at system time 0 */

static volatile uint32_t *lapic(unsigned int reg)
{
    return (volatile uint32_t *)((uint8_t *)phys_to_virt(LAPIC_BASE) + reg);
}

/* Busy-wait ms milliseconds on PIT channel 2 (one-shot, gate via 0x61). */
static void pit_wait_ms(unsigned int ms)
{
    uint32_t count = (uint32_t)(PIT_HZ * ms / 1000);

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);     /* gate on, speaker off */
    outb(0x43, 0xb0);                           /* ch 2, lo/hi, mode 0 */
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    while (!(inb(0x61) & 0x20))
        cpu_relax();
}

/* Scale so that ns = (ticks << shift) * mul >> 32 for the given rate. */
static void pvclock_scale(uint64_t khz, uint32_t *mul, int8_t *shift)
{
    uint64_t num = 1000000ULL, den = khz;      /* ns per tick = 1e6 / khz */
    int s = 0;

    while (den > num * 2 && s > -31) {          /* keep num/den in [1/2, 2) */
        num <<= 1;
        s--;
    }
    while (num >= den * 2 && s < 31) {
        den <<= 1;
        s++;
    }
    /* Now 2^s * num / den = ns per tick with num/den in [1/2, 2):
     * ticks << s gives the power of two, mul carries num/den in 0.32. */
    if (num >= den) {                           /* ratio in [1, 2): halve it */
        den <<= 1;
        s++;
    }
    *mul = (uint32_t)((num << 32) / den);
    *shift = (int8_t)s;
}

static unsigned int bcd(uint8_t v, bool binary)
{
    return binary ? v : (v & 0xf) + (v >> 4) * 10;
}

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

/* Seconds since 1970 from the RTC (UTC assumed, as QEMU keeps it). */
static uint64_t rtc_epoch(void)
{
    while (cmos(0x0a) & 0x80)                   /* wait out an update */
        cpu_relax();
    bool binary = cmos(0x0b) & 0x04;
    unsigned int s = bcd(cmos(0x00), binary), m = bcd(cmos(0x02), binary);
    unsigned int h = bcd(cmos(0x04), binary), day = bcd(cmos(0x07), binary);
    unsigned int mon = bcd(cmos(0x08), binary), year = 2000 + bcd(cmos(0x09), binary);
    static const unsigned int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };

    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    uint64_t days = (year - 1970) * 365ULL + (year - 1969) / 4 + cum[mon - 1] + day - 1;
    if (mon > 2 && year % 4 == 0)
        days++;
    return ((days * 24 + h) * 60 + m) * 60 + s;
}

/*
 * The local APIC timer's ticks per ms, against the TSC.  Each end of a
 * measurement reads the count and the TSC back to back, so a stall of the
 * CPU (an emulator's, an SMI) between starting the count and reading the
 * TSC cannot inflate the rate; the median of three measurements is taken.
 * (One measurement over a fixed TSC wait was once 4 % high under QEMU:
 * every timer then fired 4 % late.)
 */
static uint64_t lapic_rate(void)
{
    uint64_t r[3];

    for (unsigned int i = 0; i < 3; i++) {
        *lapic(LAPIC_TIMER_INIT) = 0xffffffff;
        uint32_t c0 = *lapic(LAPIC_TIMER_CUR);
        uint64_t s0 = rdtsc();
        while (rdtsc() - s0 < tsc_khz * CALIBRATE_MS)
            cpu_relax();
        uint32_t c1 = *lapic(LAPIC_TIMER_CUR);
        uint64_t s1 = rdtsc();
        r[i] = (uint64_t)(c0 - c1) * tsc_khz / (s1 - s0);
    }
    /* The median of three. */
    uint64_t lo = MIN(r[0], r[1]), hi = MAX(r[0], r[1]);
    return MAX(lo, MIN(hi, r[2]));
}

void time_init(void)
{
    uint64_t t0 = rdtsc();
    pit_wait_ms(CALIBRATE_MS);
    uint64_t t1 = rdtsc();

    tsc_khz = (t1 - t0) / CALIBRATE_MS;
    tsc_at_boot = t0;
    pvclock_scale(tsc_khz, &pv_mul, &pv_shift);
    boot_epoch_sec = rtc_epoch();

    /* Local APIC: software-enabled, spurious vector 0xff; timer one-shot on
     * TIMER_VECTOR, divide by 16, calibrated against the TSC. */
    *lapic(LAPIC_SVR) = 0x100 | 0xff;
    *lapic(LAPIC_TIMER_DIV) = 0x3;
    *lapic(LAPIC_LVT_TIMER) = TIMER_VECTOR | (1U << 16);   /* masked while measuring */
    lapic_ticks_per_ms = lapic_rate();
    *lapic(LAPIC_TIMER_INIT) = 0;
    *lapic(LAPIC_LVT_TIMER) = TIMER_VECTOR;                /* one-shot, unmasked */
    pr_info("time: TSC %lu.%03lu MHz, local APIC timer %lu kHz, wall clock %lu s",
            tsc_khz / 1000, tsc_khz % 1000, lapic_ticks_per_ms, boot_epoch_sec);
}

uint64_t time_tsc_khz(void)
{
    return tsc_khz;
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
    uint64_t t = pv_shift >= 0 ? ticks << pv_shift : ticks >> -pv_shift;
    return (uint64_t)(((unsigned __int128)t * pv_mul) >> 32);
}

uint64_t system_time_ns(void)
{
    return ticks_to_ns(rdtsc() - tsc_at_boot);
}

/* Publish the clock for v: version odd while writing, even when done. */
void time_update_vcpu(struct vcpu *v, struct vcpu_time_info *t)
{
    (void)v;
    uint64_t tsc = rdtsc();

    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->tsc_timestamp = tsc;
    t->system_time = ticks_to_ns(tsc - tsc_at_boot);
    t->tsc_to_system_mul = pv_mul;
    t->tsc_shift = pv_shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE);
}

void time_set_wallclock(struct shared_info *s)
{
    s->wc_version++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_sec = (uint32_t)boot_epoch_sec;
    s->wc_sec_hi = (uint32_t)(boot_epoch_sec >> 32);
    s->wc_nsec = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_version++;
}

/* Program the one-shot timer to fire at system time `deadline` (0: off). */
void timer_program(uint64_t deadline)
{
    if (!deadline) {
        *lapic(LAPIC_TIMER_INIT) = 0;
        return;
    }
    uint64_t now = system_time_ns();
    uint64_t ns = deadline > now ? deadline - now : 0;
    uint64_t ticks = ns / 1000 * lapic_ticks_per_ms / 1000 + 1;
    *lapic(LAPIC_TIMER_INIT) = ticks > 0xffffffffULL ? 0xffffffff : (uint32_t)ticks;
}

void lapic_eoi(void)
{
    *lapic(LAPIC_EOI) = 0;
}
