/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Addresses as both programs read them: IPv4 or IPv6, in udpesp's families. */
#ifndef UDPESP_ADDR_H
#define UDPESP_ADDR_H

#include <linux/types.h>

/* s as IPv4 or IPv6 into addr (zero-padded); 0 or -EINVAL. */
int udpesp_addr_parse(const char *s, __u8 *family, __be32 addr[4]);

#endif /* UDPESP_ADDR_H */
