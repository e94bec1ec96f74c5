/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624),
 * once for every stage that writes or checks one: the ESP engine (outer
 * IPv4 header, IPv6 UDP, transport-mode NAT fix-up, ECN), the kfunc
 * backend in XDP, the tests and the benchmarks. Pure C with no libc, so
 * it compiles for BPF and for userspace alike.
 *
 * Words are summed as they lie in memory: a one's complement sum does
 * not care about byte order as long as every word is read the same way,
 * and a result stored back the same way is right (RFC 1071 2(B)). So
 * read a checksum field with udpesp_csum_load16() (or memcpy) and store
 * the result the same way; numbers that are not in the packet (lengths,
 * protocol) go in through udpesp_csum_word16(). Keep sums in a __u64:
 * 32-bit words overflow a __u32 sum.
 */
#ifndef UDPESP_CSUM_H
#define UDPESP_CSUM_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * The loop over 32-bit words. BPF code that sums long buffers defines it
 * as an open-coded iterator (bpf_for) before including this header, so
 * that the verifier checks the body once, not once per word.
 */
#ifndef udpesp_csum_for
#define udpesp_csum_for(i, n) for ((i) = 0; (i) < (n); (i)++)
#endif

/*
 * Loads at any alignment. BPF: the buffers summed there (scratch
 * arrays, map values) are aligned and a byte-wise load costs four
 * instructions.
 */
static __always_inline __u32 udpesp_csum_load32(const __u8 *p)
{
#ifdef __bpf__
	return *(const __u32 *)p;
#else
	__u32 w;

	__builtin_memcpy(&w, p, 4);
	return w;
#endif
}

static __always_inline __u16 udpesp_csum_load16(const __u8 *p)
{
#ifdef __bpf__
	return *(const __u16 *)p;
#else
	__u16 w;

	__builtin_memcpy(&w, p, 2);
	return w;
#endif
}

/* A 16-bit number as a word in memory holds it (network byte order). */
static __always_inline __u16 udpesp_csum_word16(__u16 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

/* A sum folded to 16 bits with end-around carry; a fixed number of steps. */
static __always_inline __u16 udpesp_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32); /* now below 2^32 */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * sum plus the one's complement sum of len bytes at p: 32-bit words
 * (a 64-bit sum cannot overflow before 2^32 of them), then a 16-bit
 * word, then an odd last byte padded with zero (RFC 1071 4.1). max is
 * a bound on len known when compiling (BPF: every read stays below
 * p + max for the verifier); userspace passes len.
 */
static __always_inline __u64 udpesp_csum_add_max(__u64 sum, const void *p, __u32 len, __u32 max)
{
	const __u8 *b = p;
	__u32 i, at, words = len / 4;

	/* Bounds as "at <= max - n": what the verifier tracks on at itself. */
	udpesp_csum_for(i, words)
	{
		at = i * 4;
		if (at > max - 4) /* words > 0: len, so max, is 4 or more */
			break;
		sum += udpesp_csum_load32(b + at);
	}
	at = words * 4;
	if ((len & 2) && at <= max - 2) {
		sum += udpesp_csum_load16(b + at);
		at += 2;
	}
	if ((len & 1) && at < max) {
		__u8 last[2] = { b[at], 0 };

		sum += udpesp_csum_load16(last);
	}
	return sum;
}

static __always_inline __u64 udpesp_csum_add(__u64 sum, const void *p, __u32 len)
{
	return udpesp_csum_add_max(sum, p, len, len);
}

/* The checksum of len bytes at p, ready to store (as a word in memory). */
static __always_inline __u16 udpesp_csum(const void *p, __u32 len)
{
	return (__u16)~udpesp_csum_fold(udpesp_csum_add(0, p, len));
}

/*
 * The TCP/UDP/ICMPv6 pseudo-header: source and destination address
 * (adjacent in both IP headers: alen 4 or 16 bytes each, at addrs), the
 * protocol and the upper-layer length (RFC 768, RFC 793, RFC 8200 8.1).
 */
static __always_inline __u64 udpesp_csum_pseudo(const void *addrs, __u32 alen, __u8 proto,
						__u16 len)
{
	__u64 sum = udpesp_csum_add_max(0, addrs, 2 * alen, 32);

	return sum + udpesp_csum_word16(proto) + udpesp_csum_word16(len);
}

/*
 * RFC 1624 eqn. 3: the checksum check after len bytes (even, at most 16)
 * covered by it changed from old to new: HC' = ~(~HC + ~m + m'). check,
 * old and new as they lie in memory.
 */
static __always_inline __u16 udpesp_csum_replace(__u16 check, const void *old, const void *new,
						 __u32 len)
{
	const __u8 *o = old, *n = new;
	__u64 sum = (__u16)~check;

	for (__u32 i = 0; i < 16; i += 2) {
		if (i + 2 > len)
			break;
		sum += (__u16)~udpesp_csum_load16(o + i);
		sum += udpesp_csum_load16(n + i);
	}
	return (__u16)~udpesp_csum_fold(sum);
}

#endif /* UDPESP_CSUM_H */
