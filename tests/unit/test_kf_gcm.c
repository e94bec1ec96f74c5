// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The pure-C parts of the kfunc backend, compiled here for userspace:
 * bpf/lib/gcm.h (GHASH with a 4-bit table) against the bit-by-bit
 * multiplication of NIST SP 800-38D Algorithm 1 and the GHASH values
 * published with the GCM specification (McGrew & Viega, test cases 2
 * and 4); bpf/lib/kf_replay.h (the word-wise window advance) against
 * include/udpesp/replay.h's bit-by-bit one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include <udpesp/replay.h>
#include "../../bpf/lib/gcm.h"
#include "../../bpf/lib/kf_replay.h"

static __u64 be64(const __u8 *p)
{
	__u64 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void hex(__u8 *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		cr_assert_eq(sscanf(s + 2 * i, "%2x", &b), 1);
		out[i] = (__u8)b;
	}
}

/* SP 800-38D 6.3 Algorithm 1, one bit at a time. */
static void ref_mult(__u64 xh, __u64 xl, __u64 yh, __u64 yl, __u64 *zh, __u64 *zl)
{
	__u64 vh = yh, vl = yl, h = 0, l = 0;

	for (int i = 0; i < 128; i++) {
		int bit = i < 64 ? (xh >> (63 - i)) & 1 : (xl >> (127 - i)) & 1;
		__u64 lsb = vl & 1;

		if (bit) {
			h ^= vh;
			l ^= vl;
		}
		vl = vl >> 1 | vh << 63;
		vh = vh >> 1;
		if (lsb)
			vh ^= GCM_R;
	}
	*zh = h;
	*zl = l;
}

static __u64 rnd64(void)
{
	return (__u64)random() << 62 ^ (__u64)random() << 31 ^ (__u64)random();
}

Test(kf_gcm, table_mult_equals_bitwise)
{
	__u64 th[16], tl[16];

	srandom(4106);
	for (int n = 0; n < 2000; n++) {
		__u64 hh = rnd64(), hl = rnd64(), xh = rnd64(), xl = rnd64();
		__u64 rh, rl, yh = xh, yl = xl;

		if (n == 0)
			xh = xl = 0;
		if (n == 1) {
			xh = 1ULL << 63; /* the one: X * H = H */
			xl = 0;
			yh = xh;
			yl = xl;
		}
		yh = xh;
		yl = xl;
		gcm_table(th, tl, hh, hl);
		gcm_mult(th, tl, &yh, &yl);
		ref_mult(xh, xl, hh, hl, &rh, &rl);
		cr_assert(yh == rh && yl == rl,
			  "case %d: table %016llx%016llx, bitwise %016llx%016llx", n,
			  (unsigned long long)yh, (unsigned long long)yl, (unsigned long long)rh,
			  (unsigned long long)rl);
		if (n == 1)
			cr_assert(yh == hh && yl == hl, "1 * H must be H");
	}
}

/* GHASH_H(A, C) over whole and partial blocks, as the backend runs it. */
static void ghash(const __u8 h[16], const __u8 *a, size_t alen, const __u8 *c, size_t clen,
		  __u8 out[16])
{
	__u64 th[16], tl[16], yh = 0, yl = 0;
	__u8 blk[16];

	gcm_table(th, tl, be64(h), be64(h + 8));
	for (int pass = 0; pass < 2; pass++) {
		const __u8 *p = pass ? c : a;
		size_t len = pass ? clen : alen;

		for (size_t off = 0; off < len; off += 16) {
			memset(blk, 0, 16);
			memcpy(blk, p + off, len - off < 16 ? len - off : 16);
			yh ^= be64(blk);
			yl ^= be64(blk + 8);
			gcm_mult(th, tl, &yh, &yl);
		}
	}
	yh ^= (__u64)alen * 8;
	yl ^= (__u64)clen * 8;
	gcm_mult(th, tl, &yh, &yl);
	for (int i = 0; i < 8; i++) {
		out[i] = (__u8)(yh >> (56 - 8 * i));
		out[8 + i] = (__u8)(yl >> (56 - 8 * i));
	}
}

Test(kf_gcm, published_ghash_test_case_2)
{
	__u8 h[16], c[16], want[16], got[16];

	hex(h, "66e94bd4ef8a2c3b884cfa59ca342b2e", 16);
	hex(c, "0388dace60b6a392f328c2b971b2fe78", 16);
	hex(want, "f38cbb1ad69223dcc3457ae5b6b0f885", 16);
	ghash(h, NULL, 0, c, 16, got);
	cr_assert_arr_eq(got, want, 16);
}

Test(kf_gcm, published_ghash_test_case_4)
{
	__u8 h[16], a[20], c[60], want[16], got[16];

	hex(h, "b83b533708bf535d0aa6e52980d53b78", 16);
	hex(a, "feedfacedeadbeeffeedfacedeadbeefabaddad2", 20);
	hex(c,
	    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e23"
	    "29aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac97"
	    "3d58e091",
	    60);
	hex(want, "698e57f70e6ecc7fd9463b7260a9ae5f", 16);
	ghash(h, a, 20, c, 60, got);
	cr_assert_arr_eq(got, want, 16);
}

/* Every (top, seq) shape: same window, bitmap and top as replay.h. */
Test(kf_replay, word_advance_equals_bitwise)
{
	static const __u64 gaps[] = { 1,   2,	 3,    63,   64,   65,	 127,  128,
				      129, 1000, 4031, 4094, 4095, 4096, 4097, 10000 };
	struct udpesp_replay a, b;

	srandom(4303);
	for (int n = 0; n < 4000; n++) {
		__u64 top = (__u64)random() % 100000 + (n % 7 == 0 ? 0xffffff00ULL : 0);
		__u64 seq = n % 3 ? top + gaps[n % (sizeof(gaps) / sizeof(gaps[0]))] :
				    top - (random() % 64);

		memset(&a, 0, sizeof(a));
		for (int w = 0; w < UDPESP_REPLAY_WORDS; w++)
			a.bitmap[w] = rnd64();
		a.top = top;
		a.window = 4096;
		b = a;
		udpesp_replay_advance(&a, seq);
		kf_replay_advance(&b, seq);
		cr_assert(!memcmp(&a, &b, sizeof(a)), "top %llu seq %llu", (unsigned long long)top,
			  (unsigned long long)seq);
	}
}
