/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The ESP engine's address: an outer address, or a prefix (selector).
 * Its own type, so that the engine needs nothing of the control
 * protocol; udpespd converts (udpespd/sa_esp.h).
 */
#ifndef UDPESP_ESP_ADDR_H
#define UDPESP_ESP_ADDR_H

#include <linux/types.h>
#include <udpesp/abi.h>

struct esp_addr {
	__u8 family;	/* UDPESP_AF_INET or UDPESP_AF_INET6; 0 = none */
	__u8 prefixlen; /* a prefix: the leading bits that count */
	__u8 pad[2];
	__be32 addr[4]; /* IPv4 in addr[0] */
};

#endif /* UDPESP_ESP_ADDR_H */
