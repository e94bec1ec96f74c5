// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Traffic selectors in the ESP engine (esp/esp_sel.c): the fields read
 * from inner packets (IPv4 options and fragments, IPv6 extension
 * headers), matching on addresses, protocol and port ranges, and the
 * order outbound lookups take.
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <udpesp/abi.h>

#include "esp/esp_sel.h"

/* An IPv4 packet src -> dst of protocol proto, ports sp/dp, IHL ihl words. */
static size_t pkt4(__u8 *p, const char *src, const char *dst, __u8 proto, __u16 sp, __u16 dp,
		   unsigned int ihl, __u16 frag)
{
	size_t l4 = ihl * 4;

	memset(p, 0, 128);
	p[0] = 0x40 | ihl;
	p[6] = frag >> 8;
	p[7] = frag & 0xff;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	p[l4] = sp >> 8;
	p[l4 + 1] = sp & 0xff;
	p[l4 + 2] = dp >> 8;
	p[l4 + 3] = dp & 0xff;
	return l4 + 8;
}

/* IPv6 with the extension headers in ext (next-header chain), then proto. */
static size_t pkt6(__u8 *p, const __u8 *ext, int next, __u8 proto, __u16 sp, __u16 dp)
{
	size_t off = 40;
	__u8 *nh = p + 6;

	memset(p, 0, 256);
	p[0] = 0x60;
	inet_pton(AF_INET6, "2001:db8:1::5", p + 8);
	inet_pton(AF_INET6, "2001:db8:2::9", p + 24);
	for (int i = 0; i < next; i++) {
		*nh = ext[i];
		nh = p + off;
		if (ext[i] == 44) { /* fragment: 8 bytes, offset 0 */
			off += 8;
		} else {
			p[off + 1] = 1; /* 16 bytes */
			off += 16;
		}
	}
	*nh = proto;
	p[off] = sp >> 8;
	p[off + 1] = sp & 0xff;
	p[off + 2] = dp >> 8;
	p[off + 3] = dp & 0xff;
	return off + 8;
}

static struct esp_addr pfx(const char *s, __u8 len)
{
	struct esp_addr a = { .prefixlen = len };

	if (inet_pton(AF_INET, s, a.addr) == 1)
		a.family = UDPESP_AF_INET;
	else if (inet_pton(AF_INET6, s, a.addr) == 1)
		a.family = UDPESP_AF_INET6;
	return a;
}

Test(esp_sel, ipv4_fields_options_and_fragments)
{
	struct esp_sel_pkt k;
	__u8 p[128];
	size_t n = pkt4(p, "203.0.113.5", "192.0.2.9", 6, 40000, 443, 5, 0);

	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect_eq(k.family, UDPESP_AF_INET);
	cr_expect_eq(k.proto, 6);
	cr_expect(k.ports && k.sport == 40000 && k.dport == 443);
	/* Options move the ports. */
	n = pkt4(p, "203.0.113.5", "192.0.2.9", 17, 53, 5353, 7, 0);
	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect(k.ports && k.sport == 53 && k.dport == 5353);
	/* First fragment (MF): ports; a later one: none. */
	n = pkt4(p, "203.0.113.5", "192.0.2.9", 17, 53, 5353, 5, 0x2000);
	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect(k.ports);
	n = pkt4(p, "203.0.113.5", "192.0.2.9", 17, 53, 5353, 5, 0x2001);
	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect_not(k.ports);
	/* ICMP and GRE have no ports; a truncated UDP header neither. */
	n = pkt4(p, "203.0.113.5", "192.0.2.9", 1, 0x0800, 0, 5, 0);
	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect_not(k.ports);
	n = pkt4(p, "203.0.113.5", "192.0.2.9", 17, 53, 5353, 5, 0);
	cr_assert(esp_sel_pkt_parse(p, 22, &k));
	cr_expect_not(k.ports);
	/* Not IP, or shorter than the fixed header. */
	cr_expect_not(esp_sel_pkt_parse(p, 19, &k));
	p[0] = 0x55;
	cr_expect_not(esp_sel_pkt_parse(p, n, &k));
}

Test(esp_sel, ipv6_extension_headers)
{
	static const __u8 hop_dst[] = { 0, 60 }, frag[] = { 44 }, routing_frag[] = { 43, 44 };
	struct esp_sel_pkt k;
	__u8 p[256];
	size_t n = pkt6(p, NULL, 0, 6, 1234, 80);

	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect_eq(k.family, UDPESP_AF_INET6);
	cr_expect(k.proto == 6 && k.ports && k.sport == 1234 && k.dport == 80);
	n = pkt6(p, hop_dst, 2, 17, 500, 4500);
	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect(k.proto == 17 && k.ports && k.sport == 500 && k.dport == 4500);
	n = pkt6(p, routing_frag, 2, 132, 36412, 36412);
	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect(k.proto == 132 && k.ports && k.sport == 36412);
	/* A later fragment: the protocol, no ports. */
	n = pkt6(p, frag, 1, 6, 1, 2);
	p[40 + 3] = 0x08; /* offset 1 */
	cr_assert(esp_sel_pkt_parse(p, n, &k));
	cr_expect(k.proto == 6 && !k.ports);
	cr_expect_not(esp_sel_pkt_parse(p, 39, &k));
}

Test(esp_sel, match_addresses_protocol_and_ports)
{
	struct esp_sel s = { .src = pfx("203.0.113.0", 24), .dst = pfx("192.0.2.0", 28) };
	struct esp_sel_pkt k;
	__u8 p[256];

	pkt4(p, "203.0.113.5", "192.0.2.9", 6, 40000, 443, 5, 0);
	cr_assert(esp_sel_pkt_parse(p, 48, &k));
	cr_expect(esp_sel_match(&s, &k));
	s.dst = pfx("192.0.2.16", 28);
	cr_expect_not(esp_sel_match(&s, &k), "destination outside");
	s.dst = pfx("192.0.2.0", 28);
	s.proto = 17;
	cr_expect_not(esp_sel_match(&s, &k), "other protocol");
	s.proto = 6;
	s.dport[0] = s.dport[1] = 443;
	cr_expect(esp_sel_match(&s, &k));
	s.sport[0] = 1024;
	s.sport[1] = 39999;
	cr_expect_not(esp_sel_match(&s, &k), "source port above the range");
	s.sport[1] = 40000;
	cr_expect(esp_sel_match(&s, &k), "range ends are inclusive");
	/* Ports unknown (later fragment): a selector with ports cannot match. */
	pkt4(p, "203.0.113.5", "192.0.2.9", 6, 40000, 443, 5, 0x0010);
	cr_assert(esp_sel_pkt_parse(p, 48, &k));
	cr_expect_not(esp_sel_match(&s, &k));
	memset(s.sport, 0, sizeof(s.sport));
	memset(s.dport, 0, sizeof(s.dport));
	cr_expect(esp_sel_match(&s, &k), "without ports it can");
	/* A /0 of one family takes that family only; family 0 takes both. */
	s = (struct esp_sel){ .src = pfx("0.0.0.0", 0) };
	cr_expect(esp_sel_match(&s, &k));
	pkt6(p, NULL, 0, 6, 1, 2);
	cr_assert(esp_sel_pkt_parse(p, 48, &k));
	cr_expect_not(esp_sel_match(&s, &k));
	s.src.family = 0;
	cr_expect(esp_sel_match(&s, &k));
	/* Prefix lengths beyond the family's width are clamped, not overread. */
	s.src = pfx("2001:db8:1::5", 128);
	s.src.prefixlen = 255;
	cr_expect(esp_sel_match(&s, &k));
}

Test(esp_sel, find_takes_the_first_that_matches)
{
	struct esp_sel s[3] = {
		{ .src = pfx("198.51.100.0", 24) },
		{ .src = pfx("203.0.113.0", 24), .proto = 17 },
		{ .src = pfx("203.0.113.0", 24) },
	};
	struct esp_sel_pkt k;
	__u8 p[128];

	pkt4(p, "203.0.113.5", "192.0.2.9", 6, 1, 2, 5, 0);
	cr_assert(esp_sel_pkt_parse(p, 48, &k));
	cr_expect_eq(esp_sel_find(s, 3, &k), 2);
	cr_expect_eq(esp_sel_find(s, 2, &k), -1);
	cr_expect_eq(esp_sel_find(s, 0, &k), 0, "no selector: any packet");
	p[9] = 17;
	cr_assert(esp_sel_pkt_parse(p, 48, &k));
	cr_expect_eq(esp_sel_find(s, 3, &k), 1);
}

Test(esp_sel, most_specific_first)
{
	struct esp_sel wide = { .dst = pfx("192.0.2.0", 24) };
	struct esp_sel narrow = { .dst = pfx("192.0.2.0", 25) };
	struct esp_sel src = { .dst = pfx("192.0.2.0", 24), .src = pfx("10.0.0.0", 8) };
	struct esp_sel proto = { .dst = pfx("192.0.2.0", 24), .proto = 6 };
	struct esp_sel port = { .dst = pfx("192.0.2.0", 24), .proto = 6 };
	struct esp_sel range = { .dst = pfx("192.0.2.0", 24), .proto = 6 };

	port.dport[0] = port.dport[1] = 443;
	range.dport[0] = 400;
	range.dport[1] = 500;
	cr_expect_lt(esp_sel_cmp_specific(&narrow, &wide), 0);
	cr_expect_gt(esp_sel_cmp_specific(&wide, &narrow), 0);
	cr_expect_lt(esp_sel_cmp_specific(&src, &wide), 0);
	cr_expect_lt(esp_sel_cmp_specific(&proto, &wide), 0);
	cr_expect_lt(esp_sel_cmp_specific(&port, &range), 0);
	cr_expect_lt(esp_sel_cmp_specific(&range, &proto), 0);
	cr_expect_eq(esp_sel_cmp_specific(&wide, &wide), 0);
	/* The destination prefix decides before anything else. */
	cr_expect_lt(esp_sel_cmp_specific(&narrow, &port), 0);
}
