/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * GHASH (NIST SP 800-38D 6.4) with a 4-bit table per key (Shoup's
 * method): 16 multiples of H, so one block costs 32 table steps instead
 * of 128 bit steps. Pure C without helpers, so the same code runs in the
 * kfunc backend's BPF programs and in tests/unit/test_kf_gcm.c.
 *
 * A 128-bit block is held as two numbers, hi = bytes 0-7 and lo = bytes
 * 8-15 read big-endian. GCM's bit order puts x^0 at the most significant
 * bit of hi, so multiplying by x is a right shift, and x^128 reduces to
 * R = 0xE1 followed by 120 zero bits.
 */
#ifndef UDPESP_BPF_GCM_H
#define UDPESP_BPF_GCM_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define GCM_R 0xe100000000000000ULL

/*
 * BPF: a loop, since unrolled the compiler hoists 32 table addresses and
 * spills them past the 512-byte stack.
 */
#if defined(__bpf__)
#define GCM_UNROLL _Pragma("clang loop unroll(disable)")
#elif defined(__clang__)
#define GCM_UNROLL _Pragma("unroll")
#else
#define GCM_UNROLL _Pragma("GCC unroll 16")
#endif

/*
 * What shifting Z right by 4 pushes out of lo (the coefficients of
 * x^124..x^127), already reduced and placed at the top of hi: bit 3 of
 * the index is x^124 (becomes x^128 = R), bit 0 is x^127 (R * x^3).
 */
static const __u64 gcm_rem4[16] = {
	0x0000ULL << 48, 0x1c20ULL << 48, 0x3840ULL << 48, 0x2460ULL << 48,
	0x7080ULL << 48, 0x6ca0ULL << 48, 0x48c0ULL << 48, 0x54e0ULL << 48,
	0xe100ULL << 48, 0xfd20ULL << 48, 0xd940ULL << 48, 0xc560ULL << 48,
	0x9180ULL << 48, 0x8da0ULL << 48, 0xa9c0ULL << 48, 0xb5e0ULL << 48,
};

/*
 * The table of a key: t[v] = v(x) * H for every 4-bit v, where bit 3 of
 * v is the coefficient of x^0 (the first bit of a nibble in GCM order).
 */
static __always_inline void gcm_table(__u64 hi[16], __u64 lo[16], __u64 h_hi, __u64 h_lo)
{
	__u64 vh = h_hi, vl = h_lo, carry;

	hi[0] = lo[0] = 0;
	hi[8] = vh;
	lo[8] = vl;
	/* t[4] = H x, t[2] = H x^2, t[1] = H x^3 */
	for (int i = 4; i > 0; i >>= 1) {
		carry = vl & 1;
		vl = (vl >> 1) | (vh << 63);
		vh = (vh >> 1) ^ (carry ? GCM_R : 0);
		hi[i] = vh;
		lo[i] = vl;
	}
	for (int i = 2; i < 16; i <<= 1)
		for (int j = 1; j < i; j++) {
			hi[i + j] = hi[i] ^ hi[j];
			lo[i + j] = lo[i] ^ lo[j];
		}
}

/* One Horner step: Z = Z * x^4 + t[n]. */
#define GCM_STEP(n)                           \
	do {                                  \
		__u64 r_ = gcm_rem4[zl & 15]; \
		__u32 i_ = (n) & 15;          \
		zl = (zh << 60) | (zl >> 4);  \
		zh = (zh >> 4) ^ r_ ^ hi[i_]; \
		zl ^= lo[i_];                 \
	} while (0)

/*
 * Y = Y * H. The nibbles go from the highest power of x (low nibble of
 * byte 15, the bottom of lo) to the lowest (top nibble of hi).
 */
#ifdef __bpf__
/* A subprogram: 32 unrolled steps are too many to inline at each use. */
#define GCM_MULT_ATTR static __attribute__((noinline))
#else
#define GCM_MULT_ATTR static __always_inline
#endif
GCM_MULT_ATTR void gcm_mult(const __u64 *hi, const __u64 *lo, __u64 *yh, __u64 *yl)
{
	__u64 xh = *yh, xl = *yl, zh = 0, zl = 0;

	GCM_UNROLL
	for (int k = 0; k < 64; k += 4)
		GCM_STEP(xl >> k);
	GCM_UNROLL
	for (int k = 0; k < 64; k += 4)
		GCM_STEP(xh >> k);
	*yh = zh;
	*yl = zl;
}

#endif /* UDPESP_BPF_GCM_H */
