// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Address parsing (see addr.h); no map or BPF dependency, for the CLI too. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <udpesp/abi.h>

#include "addr.h"

int udpesp_addr_parse(const char *s, __u8 *family, __be32 addr[4])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = UDPESP_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = UDPESP_AF_INET6;
		return 0;
	}
	return -EINVAL;
}
