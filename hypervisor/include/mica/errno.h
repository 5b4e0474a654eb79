/* SPDX-License-Identifier: MIT */
/*
 * Error codes: Xen's errno values (abi/errno.h), the one closed set every
 * hypercall returns, negated.  ERESTART is internal: it asks for the
 * hypercall to be continued and never reaches a guest.
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

#define ERESTART  85        /* internal: continue this hypercall later */

#endif /* MICA_ERRNO_H */
