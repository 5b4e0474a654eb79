/* SPDX-License-Identifier: MIT */
/* Mica's version, as the banner and XENVER_changeset report it. */
#ifndef MICA_VERSION_H
#define MICA_VERSION_H

#define MICA_VERSION "0.2"

#endif /* MICA_VERSION_H */
