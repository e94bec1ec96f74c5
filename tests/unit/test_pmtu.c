// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmtu_parse(): ICMP fragmentation-needed (RFC 1191) and ICMPv6 packet
 * too big (RFC 4443 3.2) about ESP-in-UDP sent from port 4500, built
 * here byte by byte; everything else refused.
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <udpesp/abi.h>

#include "udpespd/pmtu.h"

static void put16(__u8 *p, unsigned int v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/*
 * As a raw IPv4 ICMP socket delivers it: IPv4 header (router -> us),
 * ICMP type 3 code 4 with the next-hop MTU, then the quoted IPv4 header
 * (us -> peer) and UDP header (sport -> dport). Returns the length.
 */
static size_t icmp4(__u8 *b, __u8 type, __u8 code, unsigned int mtu, __u8 proto, unsigned int sport,
		    unsigned int dport)
{
	memset(b, 0, 20 + 8 + 20 + 8);
	b[0] = 0x45, b[9] = IPPROTO_ICMP;
	inet_pton(AF_INET, "198.51.100.1", b + 12);
	inet_pton(AF_INET, "192.0.2.1", b + 16);
	b[20] = type, b[21] = code;
	put16(b + 26, mtu);
	b[28] = 0x45, b[28 + 9] = proto;
	inet_pton(AF_INET, "192.0.2.1", b + 28 + 12);
	inet_pton(AF_INET, "192.0.2.2", b + 28 + 16);
	put16(b + 48, sport);
	put16(b + 50, dport);
	return 56;
}

/* ICMPv6 as a raw ICMPv6 socket delivers it: no IPv6 header. */
static size_t icmp6(__u8 *b, __u8 type, unsigned int mtu, __u8 nh, unsigned int sport,
		    unsigned int dport)
{
	memset(b, 0, 8 + 40 + 8);
	b[0] = type;
	b[4] = (__u8)(mtu >> 24), b[5] = (__u8)(mtu >> 16);
	put16(b + 6, mtu & 0xffff);
	b[8] = 0x60, b[8 + 6] = nh;
	inet_pton(AF_INET6, "2001:db8::1", b + 8 + 8);
	inet_pton(AF_INET6, "2001:db8::2", b + 8 + 24);
	put16(b + 48, sport);
	put16(b + 50, dport);
	return 56;
}

Test(pmtu, ipv4_fragmentation_needed)
{
	__u8 b[64], want[4];
	struct pmtu_report r;
	size_t len = icmp4(b, 3, 4, 1400, IPPROTO_UDP, 4500, 40123);

	cr_assert(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	cr_assert_eq(r.family, UDPESP_AF_INET);
	cr_assert_eq(r.mtu, 1400);
	cr_assert_eq(ntohs(r.port), 40123);
	inet_pton(AF_INET, "192.0.2.2", want);
	cr_assert_eq(memcmp(r.addr, want, 4), 0);
	cr_assert_eq(r.addr[1] | r.addr[2] | r.addr[3], 0);
	/* IP options in front of the ICMP header are skipped. */
	{
		__u8 o[72];

		memcpy(o, b, 20);
		o[0] = 0x46;
		memset(o + 20, 1, 4);
		memcpy(o + 24, b + 20, len - 20);
		cr_assert(pmtu_parse(UDPESP_AF_INET, o, len + 4, &r));
		cr_assert_eq(r.mtu, 1400);
	}
}

Test(pmtu, ipv4_refused)
{
	__u8 b[64];
	struct pmtu_report r;
	size_t len;

	/* Not ours: another source port, not UDP. */
	len = icmp4(b, 3, 4, 1400, IPPROTO_UDP, 500, 40123);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	len = icmp4(b, 3, 4, 1400, IPPROTO_TCP, 4500, 40123);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	/* Other ICMP: port unreachable, time exceeded. */
	len = icmp4(b, 3, 3, 1400, IPPROTO_UDP, 4500, 40123);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	len = icmp4(b, 11, 0, 1400, IPPROTO_UDP, 4500, 40123);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	/* An MTU no real path has (RFC 1191's old routers send 0). */
	len = icmp4(b, 3, 4, 0, IPPROTO_UDP, 4500, 40123);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	len = icmp4(b, 3, 4, PMTU_MIN4 - 1, IPPROTO_UDP, 4500, 40123);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	len = icmp4(b, 3, 4, PMTU_MIN4, IPPROTO_UDP, 4500, 40123);
	cr_assert(pmtu_parse(UDPESP_AF_INET, b, len, &r));
	/* Cut anywhere: refused, never read past the end. */
	for (size_t l = 0; l < len; l++)
		cr_assert_not(pmtu_parse(UDPESP_AF_INET, b, l, &r), "length %zu", l);
	/* The wrong family for the bytes. */
	cr_assert_not(pmtu_parse(UDPESP_AF_INET6, b, len, &r));
	cr_assert_not(pmtu_parse(0, b, len, &r));
}

Test(pmtu, ipv6_packet_too_big)
{
	__u8 b[64], want[16];
	struct pmtu_report r;
	size_t len = icmp6(b, 2, 1380, IPPROTO_UDP, 4500, 4500);

	cr_assert(pmtu_parse(UDPESP_AF_INET6, b, len, &r));
	cr_assert_eq(r.family, UDPESP_AF_INET6);
	cr_assert_eq(r.mtu, 1380);
	cr_assert_eq(ntohs(r.port), 4500);
	inet_pton(AF_INET6, "2001:db8::2", want);
	cr_assert_eq(memcmp(r.addr, want, 16), 0);
	/* The MTU is 32 bits wide (jumbograms). */
	len = icmp6(b, 2, 70000, IPPROTO_UDP, 4500, 4500);
	cr_assert(pmtu_parse(UDPESP_AF_INET6, b, len, &r));
	cr_assert_eq(r.mtu, 70000);
}

Test(pmtu, ipv6_refused)
{
	__u8 b[64];
	struct pmtu_report r;
	size_t len;

	len = icmp6(b, 2, 1279, IPPROTO_UDP, 4500, 4500);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET6, b, len, &r));
	len = icmp6(b, 1, 1380, IPPROTO_UDP, 4500, 4500); /* unreachable */
	cr_assert_not(pmtu_parse(UDPESP_AF_INET6, b, len, &r));
	len = icmp6(b, 2, 1380, IPPROTO_TCP, 4500, 4500);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET6, b, len, &r));
	len = icmp6(b, 2, 1380, IPPROTO_UDP, 500, 4500);
	cr_assert_not(pmtu_parse(UDPESP_AF_INET6, b, len, &r));
	len = icmp6(b, 2, 1380, IPPROTO_UDP, 4500, 4500);
	for (size_t l = 0; l < len; l++)
		cr_assert_not(pmtu_parse(UDPESP_AF_INET6, b, l, &r), "length %zu", l);
}
