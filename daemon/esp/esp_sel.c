// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Traffic selectors: parsing the fields of an inner packet, matching. */
#include <string.h>
#include <netinet/in.h>
#include <udpesp/abi.h>
#include <udpesp/hdr.h>

#include "esp_sel.h"

/* IPv6 extension headers walked to reach the upper-layer protocol. */
#define SEL_EXT_MAX 8

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void sel_ports(const __u8 *l4, size_t left, struct esp_sel_pkt *k)
{
	if (!UDPESP_PROTO_HAS_PORTS(k->proto) || left < 4)
		return;
	k->sport = get16(l4);
	k->dport = get16(l4 + 2);
	k->ports = true;
}

static bool sel_parse6(const __u8 *p, size_t len, struct esp_sel_pkt *k)
{
	size_t off = 40;
	__u8 nh = p[6];

	memcpy(k->src, p + 8, 16);
	memcpy(k->dst, p + 24, 16);
	for (int i = 0; i < SEL_EXT_MAX; i++) {
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS) {
			if (off + 8 > len)
				break;
			nh = p[off];
			off += (p[off + 1] + 1u) * 8;
			continue;
		}
		if (nh == IPPROTO_FRAGMENT) {
			if (off + 8 > len)
				break;
			k->proto = p[off];
			/* A later fragment has no upper-layer header. */
			if (get16(p + off + 2) & 0xfff8)
				return true;
			nh = p[off];
			off += 8;
			continue;
		}
		break;
	}
	k->proto = nh;
	if (off <= len)
		sel_ports(p + off, len - off, k);
	return true;
}

bool esp_sel_pkt_parse(const __u8 *p, size_t len, struct esp_sel_pkt *k)
{
	size_t ihl;

	memset(k, 0, sizeof(*k));
	if (len >= 40 && p[0] >> 4 == 6) {
		k->family = UDPESP_AF_INET6;
		return sel_parse6(p, len, k);
	}
	if (len < 20 || p[0] >> 4 != 4)
		return false;
	k->family = UDPESP_AF_INET;
	k->proto = p[9];
	memcpy(k->src, p + 12, 4);
	memcpy(k->dst, p + 16, 4);
	ihl = (p[0] & 0x0f) * 4u;
	/* Ports only in the first fragment (offset 0). */
	if (ihl >= 20 && ihl <= len && !(get16(p + 6) & 0x1fff))
		sel_ports(p + ihl, len - ihl, k);
	return true;
}

void esp_sel_pkt_segment(struct esp_sel_pkt *k, __u8 family, const __u8 *src, const __u8 *dst,
			 __u8 proto, const __u8 *l4, size_t len)
{
	size_t alen = family == UDPESP_AF_INET ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->family = family;
	k->proto = proto;
	memcpy(k->src, src, alen);
	memcpy(k->dst, dst, alen);
	sel_ports(l4, len, k);
}

static bool prefix_match(const struct esp_addr *a, __u8 family, const __be32 *addr)
{
	const __u8 *x = (const __u8 *)addr, *n = (const __u8 *)a->addr;
	unsigned int max = family == UDPESP_AF_INET ? 32 : 128;
	/* sa_check() refuses longer prefixes; clamped all the same. */
	unsigned int plen = a->prefixlen < max ? a->prefixlen : max;
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (!a->family)
		return true;
	if (a->family != family)
		return false;
	if (memcmp(x, n, bytes))
		return false;
	return !bits || ((x[bytes] ^ n[bytes]) & (0xff << (8 - bits))) == 0;
}

static bool range_any(const __u16 r[2])
{
	return r[0] == 0 && (r[1] == 0 || r[1] == 0xffff);
}

static bool range_match(const __u16 r[2], __u16 port)
{
	return range_any(r) || (port >= r[0] && port <= r[1]);
}

bool esp_sel_match(const struct esp_sel *s, const struct esp_sel_pkt *k)
{
	if (!prefix_match(&s->src, k->family, k->src) || !prefix_match(&s->dst, k->family, k->dst))
		return false;
	if (s->proto && s->proto != k->proto)
		return false;
	if (range_any(s->sport) && range_any(s->dport))
		return true;
	return k->ports && range_match(s->sport, k->sport) && range_match(s->dport, k->dport);
}

int esp_sel_find(const struct esp_sel *s, unsigned int n, const struct esp_sel_pkt *k)
{
	if (!n)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if (esp_sel_match(&s[i], k))
			return (int)i;
	return -1;
}

static unsigned int addr_len(const struct esp_addr *a)
{
	return a->family ? a->prefixlen : 0;
}

static unsigned int range_width(const __u16 r[2])
{
	return range_any(r) ? 0x10000u : r[1] - r[0] + 1u;
}

int esp_sel_cmp_specific(const struct esp_sel *a, const struct esp_sel *b)
{
	if (addr_len(&a->dst) != addr_len(&b->dst))
		return addr_len(&a->dst) > addr_len(&b->dst) ? -1 : 1;
	if (addr_len(&a->src) != addr_len(&b->src))
		return addr_len(&a->src) > addr_len(&b->src) ? -1 : 1;
	if (!a->proto != !b->proto)
		return a->proto ? -1 : 1;
	if (range_width(a->dport) != range_width(b->dport))
		return range_width(a->dport) < range_width(b->dport) ? -1 : 1;
	if (range_width(a->sport) != range_width(b->sport))
		return range_width(a->sport) < range_width(b->sport) ? -1 : 1;
	return 0;
}
