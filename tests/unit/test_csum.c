// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * include/udpesp/csum.h, the one Internet checksum of the product, the
 * tests and the benchmarks: against the examples of RFC 1071 and RFC
 * 1624, a header checksum worked out by hand, and a plain big-endian
 * reference over every length and alignment; the incremental update
 * against a full recomputation. And the header sizes of hdr.h against
 * the system's structs.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <criterion/criterion.h>
#include <udpesp/csum.h>
#include <udpesp/hdr.h>

/* The reference: 16-bit big-endian words, summed and folded by the book. */
static __u16 ref_sum(const __u8 *p, size_t len)
{
	__u32 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += i & 1 ? p[i] : (__u32)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* A word as csum.h returns it, read back as the big-endian number. */
static __u16 be(__u16 word)
{
	__u8 b[2];

	memcpy(b, &word, 2);
	return (__u16)(b[0] << 8 | b[1]);
}

static __u16 word_of(__u16 v)
{
	__u8 b[2] = { v >> 8, v & 0xff };
	__u16 w;

	memcpy(&w, b, 2);
	return w;
}

Test(csum, rfc1071_example)
{
	/* RFC 1071 3: the sum of 0001 f203 f4f5 f6f7 is ddf2. */
	static const __u8 b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	cr_assert_eq(be(udpesp_csum_fold(udpesp_csum_add(0, b, sizeof(b)))), 0xddf2);
	cr_assert_eq(be(udpesp_csum(b, sizeof(b))), 0x220d);
}

Test(csum, ipv4_header_worked_by_hand)
{
	/* ICMP 192.0.2.1 -> 198.51.100.2, ID 0x1234, DF, TTL 64: 0x3c3e. */
	__u8 h[20] = { 0x45, 0, 0,   0x54, 0x12, 0x34, 0x40, 0,	 64,  1,
		       0,    0, 192, 0,	   2,	 1,    198,  51, 100, 2 };
	__u16 c = udpesp_csum(h, sizeof(h));

	cr_assert_eq(be(c), 0x3c3e);
	memcpy(h + 10, &c, 2);
	/* A header with its checksum in place sums to all ones. */
	cr_assert_eq(udpesp_csum_fold(udpesp_csum_add(0, h, sizeof(h))), 0xffff);
	cr_assert_eq(udpesp_csum(h, sizeof(h)), 0);
}

Test(csum, every_length_and_alignment_as_the_reference)
{
	/* Offset 600 plus the longest length, 1024: every read inside buf. */
	__u8 buf[600 + 1024];

	srand(1071);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (__u8)rand();
	/* All-ones bytes: the sum that needs every carry folded back. */
	memset(buf + 600, 0xff, 500);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 1024; len += len < 80 ? 1 : 37) {
			const __u8 *p = buf + (off ? off : 600);

			cr_assert_eq(be(udpesp_csum_fold(udpesp_csum_add(0, p, (__u32)len))),
				     ref_sum(p, len), "offset %zu, %zu bytes", off, len);
		}
	/* Summing in pieces of even length is summing at once. */
	cr_assert_eq(udpesp_csum_fold(udpesp_csum_add(udpesp_csum_add(0, buf, 6), buf + 6, 7)),
		     udpesp_csum_fold(udpesp_csum_add(0, buf, 13)));
	/* max bounds the reads, whatever len says. */
	cr_assert_eq(udpesp_csum_fold(udpesp_csum_add_max(0, buf, 64, 20)),
		     udpesp_csum_fold(udpesp_csum_add(0, buf, 20)));
}

Test(csum, fold_of_large_sums)
{
	cr_assert_eq(udpesp_csum_fold(0), 0);
	cr_assert_eq(udpesp_csum_fold(0xffff), 0xffff);
	cr_assert_eq(udpesp_csum_fold(0x10000), 1);
	cr_assert_eq(udpesp_csum_fold(0xffffffffffffffffULL), 0xffff);
	/* 2^64 - 1 is a multiple of 2^16 - 1: 0x1_0000_0000 folds to 1. */
	cr_assert_eq(udpesp_csum_fold(0x100000000ULL), 1);
	cr_assert_eq(udpesp_csum_fold(0x123456789abcdef0ULL),
		     (0x1234 + 0x5678 + 0x9abc + 0xdef0) % 0xffff);
}

Test(csum, pseudo_header_as_the_reference)
{
	/* IPv6 src, dst (2001:db8::1, 2001:db8::2), then UDP next header and length. */
	__u8 ph[40] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1, 0x20, 0x01, 0x0d, 0xb8, [31] = 2 };

	ph[34] = 0x05;
	ph[35] = 0x39; /* upper-layer length 1337 */
	ph[39] = 17;
	cr_assert_eq(be(udpesp_csum_fold(udpesp_csum_pseudo(ph, 16, 17, 1337))),
		     ref_sum(ph, sizeof(ph)));
	/* IPv4: the 12-byte pseudo-header of RFC 768. */
	__u8 ph4[12] = { 192, 0, 2, 1, 203, 0, 113, 9, 0, 6, 0x01, 0x00 };

	cr_assert_eq(be(udpesp_csum_fold(udpesp_csum_pseudo(ph4, 4, 6, 256))), ref_sum(ph4, 12));
}

Test(csum, rfc1624_example)
{
	/*
	 * RFC 1624 3: the other octets sum to 0xcd7a, m = 0x5555 becomes
	 * m' = 0x3285; HC = 0xdd2f. Equation 3 gives 0x0000, what a full
	 * recomputation gives, where equation 2 would give 0xffff.
	 */
	__u16 hc = word_of(0xdd2f), m = word_of(0x5555), m2 = word_of(0x3285);

	cr_assert_eq(be(udpesp_csum_replace(hc, &m, &m2, 2)), 0x0000);
	cr_assert_eq(be(udpesp_csum_replace(hc, &m, &m, 2)), 0xdd2f);
}

/* RFC 1624: updating equals recomputing, for 2-byte fields and addresses. */
Test(csum, incremental_equals_full_recompute)
{
	int tried = 0;

	srand(1624);
	for (int n = 0; n < 20000; n++) {
		__u8 h[60], old[16];
		__u32 hl = 20 + 4 * (rand() % 11), len = (rand() & 1) ? 2 : (rand() & 1) ? 4 : 16;
		__u32 at = (__u32)(rand() % ((hl - len) / 2 + 1)) * 2;
		__u16 c;

		for (__u32 i = 0; i < hl; i++)
			h[i] = (__u8)rand();
		if (n % 7 == 0)
			memset(h, n % 2 ? 0xff : 0, hl); /* sums at the edges */
		h[10] = h[11] = 0;
		/* The checksum field itself is not changed here. */
		if (at < 12 && at + len > 10)
			continue;
		c = udpesp_csum(h, hl);
		memcpy(h + 10, &c, 2);
		memcpy(old, h + at, len);
		for (__u32 i = 0; i < len; i++)
			h[at + i] = (__u8)(n % 5 ? rand() : 0xff);
		c = udpesp_csum_replace(c, old, h + at, len);
		memcpy(h + 10, &c, 2);
		h[10] = h[11] = 0;
		cr_assert_eq(be(c), (__u16)~ref_sum(h, hl), "case %d: %u bytes at %u of %u", n, len,
			     at, hl);
		tried++;
	}
	cr_assert_gt(tried, 10000);
}

/* include/udpesp/hdr.h against the system's own header structs. */
Test(hdr, sizes_as_the_system_headers)
{
	cr_assert_eq(UDPESP_ETH_HLEN, ETH_HLEN);
	cr_assert_eq(UDPESP_VLAN_HLEN, 2 * sizeof(__u16)); /* TCI, inner EtherType */
	cr_assert_eq(UDPESP_IPV4_HLEN, sizeof(struct iphdr));
	cr_assert_eq(UDPESP_IPV4_HLEN_MAX, 15 * 4);
	cr_assert_eq(UDPESP_IPV6_HLEN, sizeof(struct ip6_hdr));
	cr_assert_eq(UDPESP_UDP_HLEN, sizeof(struct udphdr));
	cr_assert_eq(UDPESP_ESP_HLEN, 2 * sizeof(__u32)); /* SPI, sequence number */
	cr_assert_eq(UDPESP_ICMP_HLEN, sizeof(struct icmphdr));
	cr_assert_eq(UDPESP_ICMP_HLEN, sizeof(struct icmp6_hdr));
	cr_assert_eq(UDPESP_IPV4_DF, IP_DF);
	cr_assert_eq(UDPESP_IPV4_FRAG_MASK, IP_MF | IP_OFFMASK);
}
