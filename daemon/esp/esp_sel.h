/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Traffic selectors (RFC 4301 4.4.1) in the ESP engine's terms: what an
 * inner packet must be for an SA to carry it. Inbound, a tunnel-mode
 * packet is delivered only if it matches one of its SA's selectors;
 * outbound, a packet goes to the SA whose selector takes it.
 */
#ifndef UDPESP_ESP_SEL_H
#define UDPESP_ESP_SEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "esp_addr.h"

struct esp_sel {
	struct esp_addr src, dst; /* family 0 or prefix /0: any address */
	__u8 proto;		  /* IP protocol; 0 = any */
	__u8 pad;
	__u16 sport[2], dport[2]; /* host order, inclusive */
};

/* What a selector looks at in an inner packet. */
struct esp_sel_pkt {
	__u8 family; /* UDPESP_AF_INET or UDPESP_AF_INET6 */
	__u8 proto;  /* after IPv6 extension headers */
	bool ports;  /* sport and dport known (a first or only fragment) */
	__u16 sport, dport;
	__be32 src[4], dst[4];
};

/*
 * The selector fields of the IPv4 or IPv6 packet of len bytes at p.
 * false: not an IP packet, or shorter than its fixed header. Ports
 * unknown (a later fragment, a truncated header) leave k->ports false,
 * and then no selector with ports matches: RFC 4301 7. Ports are
 * those of UDPESP_PROTO_HAS_PORTS() (udpesp/hdr.h).
 */
bool esp_sel_pkt_parse(const __u8 *p, size_t len, struct esp_sel_pkt *k);

/*
 * The fields of a transport-mode segment: protocol proto, len bytes at
 * l4, between the outer addresses src and dst (4 or 16 bytes each).
 */
void esp_sel_pkt_segment(struct esp_sel_pkt *k, __u8 family, const __u8 *src, const __u8 *dst,
			 __u8 proto, const __u8 *l4, size_t len);

bool esp_sel_match(const struct esp_sel *s, const struct esp_sel_pkt *k);

/* The index of the first of n selectors that matches, or -1; n 0 matches. */
int esp_sel_find(const struct esp_sel *s, unsigned int n, const struct esp_sel_pkt *k);

/*
 * Order for outbound lookups, most specific first (as a longest-prefix
 * route): longer destination prefix, longer source prefix, a protocol,
 * narrower destination then source ports. qsort-style result.
 */
int esp_sel_cmp_specific(const struct esp_sel *a, const struct esp_sel *b);

#endif /* UDPESP_ESP_SEL_H */
