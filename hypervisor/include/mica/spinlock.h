/* SPDX-License-Identifier: MIT */
/* A test-and-set spinlock; interrupts are the caller's business (Mica runs
 * with them off except in the idle loop). */
#ifndef MICA_SPINLOCK_H
#define MICA_SPINLOCK_H

#include <mica/types.h>

struct spinlock {
    volatile uint8_t locked;
};

static inline void spin_lock(struct spinlock *l)
{
    while (__atomic_test_and_set(&l->locked, __ATOMIC_ACQUIRE))
        while (l->locked)
            __builtin_ia32_pause();
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_clear(&l->locked, __ATOMIC_RELEASE);
}

#endif /* MICA_SPINLOCK_H */
