// SPDX-License-Identifier: MIT
/*
 * The runner: kit_main() is called from entry.asm with start_info.  It
 * checks the start_info pointer before touching it, sets up the memory
 * helpers (a failure there fails only the KIT_MM tests), runs the kernel's
 * table in order, prints one result line per test and the summary, and
 * shuts the domain down: poweroff if nothing failed, crash otherwise.
 * KIT_CRASHES tests run after the summary; they must not come back.
 */
#include "hypercall.h"
#include "kit.h"
#include "memory.h"

const struct start_info *kit_si;

uint64_t kit_cmdline_number(const char *key, uint64_t dflt)
{
    const char *p = kit_strstr((const char *)kit_si->cmd_line, key);
    uint64_t v = 0;

    if (!p)
        return dflt;
    p += strnlen(key, 64);
    if (*p < '0' || *p > '9')
        return dflt;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

static char reason[256];
static char mem_why[160];
static int mem_rc;

static int record(int result, const char *fmt, va_list ap)
{
    kit_vsnprintf(reason, sizeof(reason), fmt, ap);
    return result;
}

int kit_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int r = record(KIT_FAILED, fmt, ap);
    va_end(ap);
    return r;
}

int kit_skip(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int r = record(KIT_SKIPPED, fmt, ap);
    va_end(ap);
    return r;
}

void kit_shutdown(unsigned int why)
{
    struct sched_shutdown sd = { .reason = why };

    kit_console_flush();
    long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
    kit_printf("kit: SCHEDOP_shutdown returned %ld (%s); spinning\n", rc, kit_errno_name(rc));
    for (;;)
        __asm__ volatile("pause");
}

/* start_info's command line, terminated even if the builder did not. */
static char cmdline[MAX_GUEST_CMDLINE];

/* The value of kit.only= on the command line, or NULL. */
static const char *only_list(void)
{
    const char *p;

    for (p = cmdline; (p = kit_strstr(p, "kit.only=")); p++)
        if (p == cmdline || p[-1] == ' ')
            return p + 9;
    return NULL;
}

static bool selected(const char *only, const char *name)
{
    size_t n = strnlen(name, 128);

    if (!only)
        return true;
    for (const char *p = only; *p && *p != ' ';) {
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == ' ' || p[n] == '\0'))
            return true;
        while (*p && *p != ',' && *p != ' ')
            p++;
        if (*p == ',')
            p++;
    }
    return false;
}

static int run_one(const struct kit_test *t, const char *only)
{
    reason[0] = '\0';
    if (!selected(only, t->name))
        return kit_skip("not selected by kit.only=");
    if ((t->flags & KIT_MM) && mem_rc)
        return kit_fail("memory setup failed: %s", mem_why);
    return t->fn();
}

static void report(const struct kit_test *t, int r)
{
    static const char *const words[] = { "PASS", "FAIL", "SKIP" };

    if (r == KIT_PASS)
        kit_printf("kit: PASS %s\n", t->name);
    else
        kit_printf("kit: %s %s: %s\n", words[r == KIT_SKIPPED ? 2 : 1], t->name,
                   reason[0] ? reason : "(no reason given)");
}

/* A plausible start_info VA: page-aligned, in the top 2 GiB. */
static bool si_plausible(const struct start_info *si)
{
    uint64_t va = (uint64_t)si;

    return va >= VIRT_BASE && !(va & (PAGE_SIZE - 1)) && va <= ~0UL - PAGE_SIZE;
}

void kit_main(const struct start_info *si) __noreturn;
void kit_main(const struct start_info *si)
{
    unsigned int counts[3] = { 0 };
    const struct kit_test *crash_test = NULL;

    kit_printf("kit: mica-testkit kernel '%s', %u tests\n", kit_kernel_name, kit_nr_tests);
    if (!si_plausible(si)) {
        kit_printf("kit: FATAL start_info pointer %p (rsi at entry) is not a page in the "
                   "top 2 GiB\n", si);
        kit_shutdown(SHUTDOWN_crash);
    }
    kit_si = si;
    memcpy(cmdline, si->cmd_line, sizeof(cmdline));
    cmdline[sizeof(cmdline) - 1] = '\0';
    kit_printf("kit: cmdline '%s'\n", cmdline);
    mem_rc = kit_mem_init(si, mem_why, sizeof(mem_why));
    if (mem_rc)
        kit_printf("kit: note: memory setup failed: %s\n", mem_why);

    const char *only = only_list();
    for (unsigned int i = 0; i < kit_nr_tests; i++) {
        const struct kit_test *t = &kit_tests[i];
        if ((t->flags & KIT_CRASHES) && selected(only, t->name)) {
            if (!crash_test) {
                crash_test = t;
                continue;
            }
            reason[0] = '\0';
            int r = kit_skip("only one KIT_CRASHES test can run per boot (use kit.only=)");
            report(t, r);
            counts[r]++;
            continue;
        }
        int r = run_one(t, only);
        report(t, r);
        counts[r]++;
    }
    kit_printf("kit: %u passed, %u failed, %u skipped\n", counts[KIT_PASS],
               counts[KIT_FAILED], counts[KIT_SKIPPED]);
    if (crash_test) {
        kit_printf("kit: EXPECT CRASH %s\n", crash_test->name);
        int r = run_one(crash_test, only);
        if (r == KIT_PASS)
            kit_fail("came back instead of ending the domain");
        report(crash_test, KIT_FAILED);
        kit_shutdown(SHUTDOWN_crash);
    }
    kit_shutdown(counts[KIT_FAILED] ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}
