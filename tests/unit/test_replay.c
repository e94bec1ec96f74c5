// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * include/udpesp/replay.h on a struct udpesp_replay in memory: the
 * sliding window of RFC 4303 3.4.3 and the ESN inference of RFC 4303
 * Appendix A2.2 (RFC 4304). Every expected value is worked out by hand
 * from the RFC in the comment next to it, never by calling the code under
 * test.
 *
 * Notation: T = top (highest authenticated number), W = window, Tl/Th and
 * Seql/Seqh the low/high 32 bits, Bl = Tl - W + 1 (mod 2^32).
 */
#include <string.h>
#include <criterion/criterion.h>

#include <udpesp/replay.h>

#define ACCEPT 0
#define REJECT -1

static struct udpesp_replay r;

/* A fresh SA: nothing seen, window w, window top t (replay-seq). */
static void replay_init(__u32 w, __u64 t)
{
	memset(&r, 0, sizeof(r));
	r.window = w;
	r.top = t;
}

/* What the crypto stage does once the ICV verified: check, then advance. */
static int receive(__u64 seq)
{
	if (udpesp_replay_check(&r, seq))
		return REJECT;
	udpesp_replay_advance(&r, seq);
	return ACCEPT;
}

/* The same for an ESN packet carrying the low half seq_lo only. */
static int receive_esn(__u32 seq_lo)
{
	return receive(udpesp_replay_seq(r.top, r.window, seq_lo, 1));
}

static __u64 esn_seq(__u32 seq_lo)
{
	return udpesp_replay_seq(r.top, r.window, seq_lo, 1);
}

TestSuite(replay);

/* 32-bit sequence numbers, window 64 unless said otherwise. */

Test(replay, in_order_accepted)
{
	replay_init(64, 0);
	/* Each number is above T, so each is new and becomes T. */
	for (__u64 s = 1; s <= 200; s++) {
		cr_assert_eq(receive(s), ACCEPT, "seq %llu in order", (unsigned long long)s);
		cr_assert_eq(r.top, s);
	}
	/* 137..200 are the 64 numbers in the window, all seen. */
	for (__u64 s = 137; s <= 200; s++)
		cr_assert_eq(udpesp_replay_check(&r, s), REJECT, "seq %llu again",
			     (unsigned long long)s);
}

Test(replay, reordered_inside_window_accepted_once)
{
	replay_init(64, 0);
	cr_assert_eq(receive(1), ACCEPT);
	cr_assert_eq(receive(2), ACCEPT);
	cr_assert_eq(receive(10), ACCEPT);
	/* T = 10: 3..9 arrive late, T - seq < 64 and unseen. */
	cr_assert_eq(receive(7), ACCEPT);
	cr_assert_eq(receive(3), ACCEPT);
	/* A late number does not move the window. */
	cr_assert_eq(r.top, 10);
	/* Second copies are duplicates. */
	cr_assert_eq(receive(7), REJECT);
	cr_assert_eq(receive(3), REJECT);
	/* Still unseen: 4, 5, 6, 8, 9. */
	cr_assert_eq(udpesp_replay_check(&r, 4), ACCEPT);
	cr_assert_eq(udpesp_replay_check(&r, 9), ACCEPT);
}

Test(replay, duplicate_of_top_rejected)
{
	replay_init(64, 0);
	cr_assert_eq(receive(5), ACCEPT);
	/* seq == T: T - seq = 0 < W and its bit is set. */
	cr_assert_eq(receive(5), REJECT);
	cr_assert_eq(r.top, 5);
}

Test(replay, check_alone_does_not_record)
{
	replay_init(64, 0);
	cr_assert_eq(receive(20), ACCEPT);
	/* The XDP pre-check is read-only: checking twice accepts twice. */
	cr_assert_eq(udpesp_replay_check(&r, 15), ACCEPT);
	cr_assert_eq(udpesp_replay_check(&r, 15), ACCEPT);
	cr_assert_eq(udpesp_replay_check(&r, 30), ACCEPT);
	cr_assert_eq(r.top, 20);
}

Test(replay, below_window_rejected)
{
	replay_init(64, 0);
	cr_assert_eq(receive(100), ACCEPT);
	/* T = 100, W = 64: the window is 37..100; 36 and lower never seen but too old. */
	cr_assert_eq(receive(36), REJECT);
	cr_assert_eq(receive(20), REJECT);
	cr_assert_eq(receive(1), REJECT);
	cr_assert_eq(r.top, 100);
}

Test(replay, window_edges_exact)
{
	replay_init(64, 0);
	cr_assert_eq(receive(100), ACCEPT);
	/* T - seq = 100 - 37 = 63 = W - 1: the last number inside. */
	cr_assert_eq(udpesp_replay_check(&r, 37), ACCEPT);
	/* T - seq = 100 - 36 = 64 = W: the first number outside. */
	cr_assert_eq(udpesp_replay_check(&r, 36), REJECT);
	/* Once 37 is seen it is a duplicate, not "too old". */
	cr_assert_eq(receive(37), ACCEPT);
	cr_assert_eq(receive(37), REJECT);
	/* T + 1 is always new. */
	cr_assert_eq(udpesp_replay_check(&r, 101), ACCEPT);
}

Test(replay, window_of_one)
{
	replay_init(1, 0);
	cr_assert_eq(receive(10), ACCEPT);
	/* W = 1: only T itself is in the window; T - 9 = 1 = W is outside. */
	cr_assert_eq(receive(10), REJECT);
	cr_assert_eq(receive(9), REJECT);
	cr_assert_eq(receive(11), ACCEPT);
}

Test(replay, seq_zero_rejected)
{
	/* 0 is never sent (RFC 4303 3.3.3: the first packet carries 1). */
	replay_init(64, 0);
	cr_assert_eq(udpesp_replay_check(&r, 0), REJECT);
	replay_init(0, 0);
	cr_assert_eq(udpesp_replay_check(&r, 0), REJECT);
	replay_init(4096, 1000);
	cr_assert_eq(udpesp_replay_check(&r, 0), REJECT);
	/* Without ESN the number is the low half as is, so 0 stays 0. */
	cr_assert_eq(udpesp_replay_seq(1000, 64, 0, 0), 0);
}

Test(replay, window_zero_disables_check)
{
	replay_init(0, 0);
	cr_assert_eq(receive(100), ACCEPT);
	/* No window: duplicates and old numbers pass (as XFRM does). */
	cr_assert_eq(receive(100), ACCEPT);
	cr_assert_eq(receive(1), ACCEPT);
	cr_assert_eq(receive(1), ACCEPT);
	cr_assert_eq(receive(101), ACCEPT);
	cr_assert_eq(r.top, 101);
	/* ...except 0. */
	cr_assert_eq(receive(0), REJECT);
}

Test(replay, starts_at_configured_top)
{
	/* replay-seq 1000: the SA starts as if 1000 had been the last number. */
	replay_init(64, 1000);
	/* 937..1000 are inside the window and read as unseen (bitmap zeroed). */
	cr_assert_eq(receive(990), ACCEPT);
	cr_assert_eq(receive(990), REJECT);
	/* 1000 - 936 = 64 = W: outside. */
	cr_assert_eq(receive(936), REJECT);
	cr_assert_eq(receive(1001), ACCEPT);
}

Test(replay, window_4096_every_number_tracked)
{
	replay_init(4096, 0);
	for (__u64 s = 1; s <= 4096; s++)
		cr_assert_eq(receive(s), ACCEPT, "seq %llu", (unsigned long long)s);
	/* T = 4096 = W: 1..4096 are all inside and all seen. */
	for (__u64 s = 1; s <= 4096; s++)
		cr_assert_eq(udpesp_replay_check(&r, s), REJECT, "seq %llu again",
			     (unsigned long long)s);
	cr_assert_eq(receive(4097), ACCEPT);
	/* T = 4097: 1 is T - 4096 = W, outside; 2 is T - 4095, inside, seen. */
	cr_assert_eq(udpesp_replay_check(&r, 1), REJECT);
	cr_assert_eq(udpesp_replay_check(&r, 2), REJECT);
}

Test(replay, window_4096_edges_exact)
{
	replay_init(4096, 0);
	cr_assert_eq(receive(10000), ACCEPT);
	/* T - seq = 10000 - 5905 = 4095 = W - 1: inside, unseen. */
	cr_assert_eq(receive(5905), ACCEPT);
	cr_assert_eq(receive(5905), REJECT);
	/* T - seq = 10000 - 5904 = 4096 = W: outside. */
	cr_assert_eq(receive(5904), REJECT);
	/*
	 * 5904 shares bit 10000 % 4096 = 1808 with T, which is set: it is
	 * refused for being outside, and T itself as a duplicate.
	 */
	cr_assert_eq(receive(10000), REJECT);
	cr_assert_eq(r.top, 10000);
}

Test(replay, far_jump_clears_whole_window)
{
	replay_init(4096, 0);
	for (__u64 s = 1; s <= 10; s++)
		cr_assert_eq(receive(s), ACCEPT);
	/* Gap 4106 - 10 = 4096 >= 4096: every old bit goes. */
	cr_assert_eq(receive(4106), ACCEPT);
	cr_assert_eq(r.top, 4106);
	/*
	 * Window 11..4106. 4097..4105 share bits with 1..9 (4096 apart) and
	 * were never received: they must read as unseen.
	 */
	for (__u64 s = 4097; s <= 4105; s++)
		cr_assert_eq(udpesp_replay_check(&r, s), ACCEPT, "seq %llu", (unsigned long long)s);
	/* 11 is T - 4095: inside, never received. 10 is T - 4096: outside. */
	cr_assert_eq(udpesp_replay_check(&r, 11), ACCEPT);
	cr_assert_eq(udpesp_replay_check(&r, 10), REJECT);
	cr_assert_eq(receive(4106), REJECT);
}

Test(replay, farther_jump_clears_whole_window)
{
	replay_init(64, 0);
	for (__u64 s = 1; s <= 64; s++)
		cr_assert_eq(receive(s), ACCEPT);
	/* Gap 1000000 - 64 far beyond 4096. */
	cr_assert_eq(receive(1000000), ACCEPT);
	/* Window 999937..1000000: nothing but the top seen. */
	for (__u64 s = 999937; s < 1000000; s++)
		cr_assert_eq(udpesp_replay_check(&r, s), ACCEPT, "seq %llu", (unsigned long long)s);
	cr_assert_eq(udpesp_replay_check(&r, 1000000), REJECT);
	cr_assert_eq(udpesp_replay_check(&r, 999936), REJECT);
}

Test(replay, near_jump_clears_stale_bits)
{
	replay_init(4096, 0);
	for (__u64 s = 1; s <= 100; s++)
		cr_assert_eq(receive(s), ACCEPT);
	/* Gap 4100 - 100 = 4000 < 4096: only the skipped numbers are cleared. */
	cr_assert_eq(receive(4100), ACCEPT);
	/* Window 5..4100. 5..100 were received and are still seen. */
	for (__u64 s = 5; s <= 100; s++)
		cr_assert_eq(udpesp_replay_check(&r, s), REJECT, "seq %llu", (unsigned long long)s);
	/* 4 is T - 4096: outside. */
	cr_assert_eq(udpesp_replay_check(&r, 4), REJECT);
	/*
	 * 4097, 4098, 4099 use the bits of 1, 2, 3 (seen 4096 numbers ago);
	 * they were skipped, so they read as unseen. 101..4096 likewise.
	 */
	for (__u64 s = 101; s <= 4099; s++)
		cr_assert_eq(udpesp_replay_check(&r, s), ACCEPT, "seq %llu", (unsigned long long)s);
	cr_assert_eq(receive(4097), ACCEPT);
	cr_assert_eq(receive(4097), REJECT);
}

Test(replay, near_jump_small_window_clears_stale_bits)
{
	replay_init(64, 0);
	for (__u64 s = 1; s <= 100; s++)
		cr_assert_eq(receive(s), ACCEPT);
	/* Gap 4000: 4097..4099 (bits of 1..3) skipped, so cleared. */
	cr_assert_eq(receive(4100), ACCEPT);
	/* Window 4037..4100; 4097 is T - 3. */
	cr_assert_eq(receive(4097), ACCEPT);
	cr_assert_eq(receive(4099), ACCEPT);
	cr_assert_eq(receive(4097), REJECT);
	/* 100 was seen but is far below the window now. */
	cr_assert_eq(receive(100), REJECT);
	cr_assert_eq(r.top, 4100);
}

Test(replay, slow_advance_reuses_bits)
{
	/* Move the window by one 8200 times: each bit is reused twice. */
	replay_init(4096, 0);
	for (__u64 s = 1; s <= 8200; s++)
		cr_assert_eq(receive(s), ACCEPT, "seq %llu", (unsigned long long)s);
	/* Window 4105..8200, all seen; 4104 outside. */
	cr_assert_eq(udpesp_replay_check(&r, 4105), REJECT);
	cr_assert_eq(udpesp_replay_check(&r, 8200), REJECT);
	cr_assert_eq(udpesp_replay_check(&r, 4104), REJECT);
	cr_assert_eq(udpesp_replay_check(&r, 8201), ACCEPT);
}

/* ESN (RFC 4304): 64-bit numbers, only the low half on the wire. */

Test(replay, non_esn_seq_is_low_half)
{
	/* Without ESN there is nothing to infer, whatever the window. */
	cr_assert_eq(udpesp_replay_seq(0xfffffff0, 64, 5, 0), 5);
	cr_assert_eq(udpesp_replay_seq(10, 64, 0xfffffff0, 0), 0xfffffff0);
	cr_assert_eq(udpesp_replay_seq(0, 0, 1, 0), 1);
}

Test(replay, esn_case_a_window_in_one_subspace)
{
	/*
	 * T = 3:0x1000, W = 64. Tl = 4096 >= W - 1: Case A, window
	 * 3:0x0fc1..3:0x1000. Bl = 0x1000 - 63 = 0x0fc1.
	 */
	const __u64 t = 0x300001000ULL;

	/* Seql >= Bl: Seqh = Th = 3. */
	cr_assert_eq(udpesp_replay_seq(t, 64, 0x0fc1, 1), 0x300000fc1ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0x1000, 1), 0x300001000ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0x1001, 1), 0x300001001ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0xffffffff, 1), 0x3ffffffffULL);
	/* Seql < Bl: Seqh = Th + 1 = 4 (the next subspace, ahead of T). */
	cr_assert_eq(udpesp_replay_seq(t, 64, 0x0fc0, 1), 0x400000fc0ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0, 1), 0x400000000ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 1, 1), 0x400000001ULL);
}

Test(replay, esn_case_a_boundary_tl_equals_w_minus_1)
{
	/*
	 * T = 1:63, W = 64: Tl = W - 1 is still Case A. Bl = 0, so every
	 * Seql >= Bl: Seqh = Th = 1, and 1:0 = T - 63 is the window's bottom.
	 */
	const __u64 t = 0x10000003fULL;

	cr_assert_eq(udpesp_replay_seq(t, 64, 0, 1), 0x100000000ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0x3f, 1), 0x10000003fULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0xffffffff, 1), 0x1ffffffffULL);
}

Test(replay, esn_case_b_window_spans_two_subspaces)
{
	/*
	 * T = 3:0x10, W = 64. Tl = 16 < W - 1: Case B, window
	 * 2:0xffffffd1..3:0x10. Bl = 16 - 63 = 0xffffffd1 (mod 2^32).
	 */
	const __u64 t = 0x300000010ULL;

	/* Seql >= Bl: Seqh = Th - 1 = 2 (the window's part in subspace 2). */
	cr_assert_eq(udpesp_replay_seq(t, 64, 0xffffffd1, 1), 0x2ffffffd1ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0xffffffff, 1), 0x2ffffffffULL);
	/* Seql < Bl: Seqh = Th = 3, at or below T or ahead of it. */
	cr_assert_eq(udpesp_replay_seq(t, 64, 0, 1), 0x300000000ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0x10, 1), 0x300000010ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0x11, 1), 0x300000011ULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0xffffffd0, 1), 0x3ffffffd0ULL);
}

Test(replay, esn_case_b_boundary_tl_equals_w_minus_2)
{
	/*
	 * T = 1:62, W = 64: Tl = W - 2 < W - 1 is Case B. Bl = 62 - 63 =
	 * 0xffffffff, so only Seql 0xffffffff is Th - 1: 0:0xffffffff, which is
	 * T - 63, the window's bottom.
	 */
	const __u64 t = 0x10000003eULL;

	cr_assert_eq(udpesp_replay_seq(t, 64, 0xffffffff, 1), 0xffffffffULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0xfffffffe, 1), 0x1fffffffeULL);
	cr_assert_eq(udpesp_replay_seq(t, 64, 0, 1), 0x100000000ULL);
}

Test(replay, esn_rollover_across_2_32)
{
	replay_init(64, 0);
	/* Advance to 0:0xfffffff0 (numbers below it all in subspace 0). */
	cr_assert_eq(receive(0xfffffff0ULL), ACCEPT);

	/* T = 0:0xfffffff0, Case A, Bl = 0xffffffb1: 0xfffffff5 >= Bl, Th = 0. */
	cr_assert_eq(esn_seq(0xfffffff5), 0xfffffff5ULL);
	cr_assert_eq(receive_esn(0xfffffff5), ACCEPT);
	cr_assert_eq(r.top, 0xfffffff5ULL);

	/* T = 0:0xfffffff5, Case A, Bl = 0xffffffb6: 2 < Bl, Th + 1 = 1 -> 2^32 + 2. */
	cr_assert_eq(esn_seq(0x00000002), 0x100000002ULL);
	cr_assert_eq(receive_esn(0x00000002), ACCEPT);
	cr_assert_eq(r.top, 0x100000002ULL);

	/* T = 1:2, Case B, Bl = 2 - 63 = 0xffffffc3: 3 < Bl, Th = 1 -> 2^32 + 3. */
	cr_assert_eq(esn_seq(0x00000003), 0x100000003ULL);
	cr_assert_eq(receive_esn(0x00000003), ACCEPT);
	cr_assert_eq(r.top, 0x100000003ULL);

	/* 2^32 + 2 again: T - seq = 1, seen. */
	cr_assert_eq(receive_esn(0x00000002), REJECT);
	/* 0xfffffff5 again: Bl = 0xffffffc4, Seql >= Bl -> Th - 1 = 0: T - seq = 14, seen. */
	cr_assert_eq(esn_seq(0xfffffff5), 0xfffffff5ULL);
	cr_assert_eq(receive_esn(0xfffffff5), REJECT);
	/* 2^32 itself (low half 0) is valid in ESN: 0 < Bl -> Th = 1, T - seq = 3, unseen. */
	cr_assert_eq(esn_seq(0), 0x100000000ULL);
	cr_assert_eq(receive_esn(0), ACCEPT);
	cr_assert_eq(receive_esn(0), REJECT);
	cr_assert_eq(r.top, 0x100000003ULL);
}

Test(replay, esn_late_packet_from_previous_subspace_accepted)
{
	replay_init(64, 0);
	cr_assert_eq(receive(0xfffffff0ULL), ACCEPT);
	/* 0:0xfffffff5 then 1:2 as in the rollover case. */
	cr_assert_eq(receive_esn(0xfffffff5), ACCEPT);
	cr_assert_eq(receive_esn(0x00000002), ACCEPT);
	/*
	 * T = 1:2, W = 64, Case B, Bl = 0xffffffc3. 0xfffffff8 >= Bl: Th - 1 = 0,
	 * so 0:0xfffffff8, T - seq = 0x100000002 - 0xfffffff8 = 10 < W. It was
	 * skipped when T jumped from 0:0xfffffff5 to 1:2, so unseen.
	 */
	cr_assert_eq(esn_seq(0xfffffff8), 0xfffffff8ULL);
	cr_assert_eq(receive_esn(0xfffffff8), ACCEPT);
	/* A late number leaves T where it was. */
	cr_assert_eq(r.top, 0x100000002ULL);
	cr_assert_eq(receive_esn(0xfffffff8), REJECT);
	/* 0xffffffc3 = Bl: 0:0xffffffc3, T - seq = 63 = W - 1: inside, unseen. */
	cr_assert_eq(esn_seq(0xffffffc3), 0xffffffc3ULL);
	cr_assert_eq(receive_esn(0xffffffc3), ACCEPT);
	/*
	 * 0xffffffc2 < Bl: Seqh = Th = 1, i.e. 1:0xffffffc2, far ahead of T
	 * (RFC 4303 A2.2 never reads it as 0:0xffffffc2, T - 64, too old).
	 */
	cr_assert_eq(esn_seq(0xffffffc2), 0x1ffffffc2ULL);
}

Test(replay, esn_window_4096_spanning_subspaces)
{
	/*
	 * T = 5:5, W = 4096: Case B, Bl = 5 - 4095 = 0xfffff006; the window
	 * is 4:0xfffff006..5:5.
	 */
	replay_init(4096, 0x500000005ULL);
	/* Seql = Bl: Th - 1 = 4, T - seq = 0x1_00000005 - 0xfffff006 = 4095. */
	cr_assert_eq(esn_seq(0xfffff006), 0x4fffff006ULL);
	cr_assert_eq(receive_esn(0xfffff006), ACCEPT);
	cr_assert_eq(receive_esn(0xfffff006), REJECT);
	/* Seql = Bl - 1: Th = 5, 5:0xfffff005 is ahead; the check passes it. */
	cr_assert_eq(esn_seq(0xfffff005), 0x5fffff005ULL);
	cr_assert_eq(udpesp_replay_check(&r, 0x5fffff005ULL), ACCEPT);
	/* The 64-bit number T - 4096 = 4:0xfffff005 is outside. */
	cr_assert_eq(udpesp_replay_check(&r, 0x4fffff005ULL), REJECT);
}

Test(replay, esn_first_subspace_inference_below_one_invalid)
{
	/*
	 * T = 0:0x10, W = 64: Case B, Bl = 0xffffffd1. Seql >= Bl would give
	 * Th - 1 = -1: no such number, so 0 (invalid), which the check refuses.
	 */
	replay_init(64, 0x10);
	cr_assert_eq(esn_seq(0xffffffd1), 0);
	cr_assert_eq(esn_seq(0xfffffff0), 0);
	cr_assert_eq(esn_seq(0xffffffff), 0);
	cr_assert_eq(receive_esn(0xfffffff0), REJECT);
	cr_assert_eq(r.top, 0x10);
	/* Seql < Bl: Th = 0 as usual. */
	cr_assert_eq(esn_seq(0x05), 0x05);
	cr_assert_eq(esn_seq(0x11), 0x11);
	cr_assert_eq(esn_seq(0xffffffd0), 0xffffffd0ULL);
}

Test(replay, esn_fresh_sa_first_packets)
{
	/*
	 * T = 0 (nothing received), W = 64: Case B, Bl = 0xffffffc1. Low
	 * halves 1.. are Th = 0; low half 0 is 0:0, never valid.
	 */
	replay_init(64, 0);
	cr_assert_eq(esn_seq(1), 1);
	cr_assert_eq(esn_seq(0), 0);
	cr_assert_eq(receive_esn(0), REJECT);
	cr_assert_eq(esn_seq(0xffffffc1), 0);
	cr_assert_eq(receive_esn(1), ACCEPT);
	cr_assert_eq(receive_esn(2), ACCEPT);
	cr_assert_eq(receive_esn(1), REJECT);
	cr_assert_eq(r.top, 2);
}

Test(replay, esn_far_jump_into_next_subspace)
{
	/*
	 * T = 0:0x80000000, W = 64, Case A, Bl = 0x7fffffc1. 0x10 < Bl: Th + 1,
	 * so 1:0x10, a gap of 0x80000010 >= 4096: the bitmap starts over.
	 */
	replay_init(64, 0);
	cr_assert_eq(receive(0x80000000ULL), ACCEPT);
	cr_assert_eq(esn_seq(0x10), 0x100000010ULL);
	cr_assert_eq(receive_esn(0x10), ACCEPT);
	cr_assert_eq(r.top, 0x100000010ULL);
	/* Case B now, Bl = 0xffffffd1: 0xffffffe0 -> 0:0xffffffe0, T - seq = 48, unseen. */
	cr_assert_eq(esn_seq(0xffffffe0), 0xffffffe0ULL);
	cr_assert_eq(receive_esn(0xffffffe0), ACCEPT);
	/* 0x80000000 is 2^32 - 0x10 below: 0x80000000 < Bl -> Th = 1, read as ahead. */
	cr_assert_eq(esn_seq(0x80000000), 0x180000000ULL);
}

/*
 * replay.h treats W = 0 as W = 1 for the inference ("ESN always has a
 * window"); the check itself stays disabled. Expectations are those of W = 1.
 */
Test(replay, esn_window_zero_crosses_into_next_subspace)
{
	/*
	 * T = 1:0xffffffff, W = 1: Case A (Tl >= W - 1 = 0), Bl = Tl = 0xffffffff.
	 * The next packet, low half 0, is Seql < Bl: Th + 1 = 2, i.e. 2:0.
	 */
	cr_assert_eq(udpesp_replay_seq(0x1ffffffffULL, 1, 0, 1), 0x200000000ULL);
	cr_assert_eq(udpesp_replay_seq(0x1ffffffffULL, 0, 0, 1), 0x200000000ULL,
		     "W = 0, T = 1:0xffffffff, low half 0 must be 2:0 (2^33), not 1:0");
}

Test(replay, esn_window_zero_top_resent_same_subspace)
{
	/*
	 * T = 1:0x10, W = 1: Case A, Bl = Tl = 0x10. Seql 0x10 (T itself,
	 * resent) is Th = 1; 0x0f is below Bl, so Th + 1 = 2.
	 */
	cr_assert_eq(udpesp_replay_seq(0x100000010ULL, 1, 0x10, 1), 0x100000010ULL);
	cr_assert_eq(udpesp_replay_seq(0x100000010ULL, 1, 0x0f, 1), 0x20000000fULL);
	cr_assert_eq(udpesp_replay_seq(0x100000010ULL, 0, 0x0f, 1), 0x20000000fULL);
	cr_assert_eq(udpesp_replay_seq(0x100000010ULL, 0, 0x10, 1), 0x100000010ULL,
		     "W = 0, T = 1:0x10, low half 0x10 must be 1:0x10 (T), not 2:0x10");
}
