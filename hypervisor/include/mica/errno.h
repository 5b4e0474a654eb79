/* SPDX-License-Identifier: MIT */
/*
 * Error codes: Xen's errno values (abi/errno.h), the one closed set every
 * hypercall returns, negated.  ERESTART and EJUSTRETURN are internal and
 * never reach a guest: continue the hypercall later; leave rax as it is.
 */
#ifndef MICA_ERRNO_H
#define MICA_ERRNO_H

#include <abi/errno.h>

#define EPERM     XEN_EPERM
#define ENOENT    XEN_ENOENT
#define ESRCH     XEN_ESRCH
#define EAGAIN    XEN_EAGAIN
#define ENOMEM    XEN_ENOMEM
#define EACCES    XEN_EACCES
#define EFAULT    XEN_EFAULT
#define EBUSY     XEN_EBUSY
#define EEXIST    XEN_EEXIST
#define EINVAL    XEN_EINVAL
#define ENOSPC    XEN_ENOSPC
#define ERANGE    XEN_ERANGE
#define ENOSYS    XEN_ENOSYS
#define EOVERFLOW XEN_EOVERFLOW
#define ENODEV    XEN_ENODEV
#define EOPNOTSUPP XEN_EOPNOTSUPP

#define ERESTART  85        /* internal: continue this hypercall later */
#define EJUSTRETURN 86      /* internal: the frame holds the guest's registers (iret) */

#endif /* MICA_ERRNO_H */
