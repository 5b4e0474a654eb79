/* SPDX-License-Identifier: MIT */
/*
 * Log output and panic().  Lines are formatted into a small buffer and
 * written to the serial console with the "(mica) " prefix.  Before SMP this
 * needs no lock; the console lock arrives with the second CPU.
 */
#include <mica/bug.h>
#include <mica/printk.h>
#include <mica/string.h>
#include <mica/serial.h>
#include <mica/power.h>
#include <mica/traps.h>

static enum log_level log_level = LOG_INFO;
static bool console_on = true;
static bool in_panic;

void log_set_level(enum log_level level)
{
    log_level = level;
}

void log_set_console(bool enabled)
{
    console_on = enabled;
}

void console_write(const char *s, size_t len)
{
    if (console_on)
        serial_write(s, len);
}

/*
 * The hypervisor's own messages are also kept in a ring, for the control
 * interface's readconsole (`xl dmesg`).  Positions count every byte ever
 * written; the ring holds the last CONRING_SIZE of them.  Domains' console
 * output is not kept (Xen keeps its hardware domain's out of the ring too).
 */
#define CONRING_SIZE 16384
static char conring[CONRING_SIZE];
static uint64_t conring_prod, conring_first;   /* first: after the last clear */

static void log_write(const char *s, size_t len)
{
    console_write(s, len);
    for (size_t i = 0; i < len; i++)
        conring[conring_prod++ % CONRING_SIZE] = s[i];
}

size_t log_ring_read(uint64_t *pos, char *buf, size_t len)
{
    uint64_t oldest = conring_prod > CONRING_SIZE ? conring_prod - CONRING_SIZE : 0;
    size_t n = 0;

    if (oldest < conring_first)
        oldest = conring_first;
    if (*pos < oldest)
        *pos = oldest;
    while (n < len && *pos < conring_prod)
        buf[n++] = conring[(*pos)++ % CONRING_SIZE];
    return n;
}

uint64_t log_ring_start(void)
{
    return conring_first;
}

void log_ring_clear(void)
{
    conring_first = conring_prod;
}

static void console_vprintf(const char *prefix, const char *fmt, va_list ap)
{
    char buf[512];
    int n = mica_vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    size_t start = 0;

    /* Prefix every line of a multi-line message. */
    for (size_t i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            if (i > start || i < len) {
                log_write(prefix, strlen(prefix));
                log_write(buf + start, i - start);
                log_write("\n", 1);
            }
            start = i + 1;
        }
    }
}

void fatal_printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    console_vprintf("(mica) ", fmt, ap);
    va_end(ap);
}

void printk(enum log_level level, const char *fmt, ...)
{
    static const char *const prefixes[] = {
        [LOG_ERR] = "(mica) error: ",
        [LOG_WARN] = "(mica) warning: ",
        [LOG_INFO] = "(mica) ",
        [LOG_DEBUG] = "(mica) ",
    };
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    console_vprintf(prefixes[level], fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;

    __asm__ volatile("cli");
    if (in_panic) {
        /* A panic while panicking: say the least possible and stop. */
        console_write("(mica) recursive panic\n", 23);
        machine_power_off(MICA_EXIT_PANIC);
    }
    in_panic = true;
    console_on = true;          /* a panic is always shown */
    va_start(ap, fmt);
    console_vprintf("(mica) PANIC: ", fmt, ap);
    va_end(ap);
    dump_backtrace((uint64_t)__builtin_frame_address(0));
    console_write("(mica) system halted by panic; powering off\n", 44);
    machine_power_off(MICA_EXIT_PANIC);
}

void bug(const char *file, int line, const char *cond)
{
    panic("BUG at %s:%d: %s", file, line, cond);
}

/* Called by code built with -fstack-protector when a canary was overwritten. */
uint64_t __stack_chk_guard = 0x595e9fbd94fda766ULL;
void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
    panic("stack smashing detected");
}
