/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Anti-replay window arithmetic (RFC 4303 3.4.3 and Appendix A, ESN per
 * RFC 4304), over struct udpesp_replay. One implementation for every
 * stage: the XDP pre-check (read-only), the AF_XDP workers and the kfunc
 * backend (check again and advance, after the ICV verified). Pure C with
 * no libc, so it compiles for BPF and for userspace alike.
 */
#ifndef UDPESP_REPLAY_H
#define UDPESP_REPLAY_H

#include "abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define UDPESP_REPLAY_WORDS (UDPESP_REPLAY_MAX / 64)

/*
 * The full 64-bit sequence number of a packet carrying the low half
 * seq_lo (RFC 4303 A2.2). Without ESN the number is seq_lo itself.
 * Returns 0 for a number that cannot be valid (0 itself, or an ESN number
 * below the first subspace); 0 is never a valid sequence number.
 */
static __always_inline __u64 udpesp_replay_seq(__u64 top, __u32 window, __u32 seq_lo, int esn)
{
	__u32 top_lo = (__u32)top, top_hi = (__u32)(top >> 32);
	__u32 hi = top_hi, bottom;

	if (!esn)
		return seq_lo;
	if (window == 0)
		window = 1;	      /* ESN always has a window; be safe */
	bottom = top_lo - window + 1; /* wraps on purpose */
	if (top_lo >= window - 1) {
		/* Case A: the window lies inside one 2^32 subspace. */
		if (seq_lo < bottom)
			hi = top_hi + 1;
	} else {
		/* Case B: the window spans two subspaces. */
		if (seq_lo >= bottom) {
			if (top_hi == 0)
				return 0; /* would be below sequence number 1 */
			hi = top_hi - 1;
		}
	}
	return ((__u64)hi << 32) | seq_lo;
}

static __always_inline int udpesp_replay_bit(const struct udpesp_replay *r, __u64 seq)
{
	/* The mask keeps the index inside the bitmap (and the verifier happy). */
	__u32 word = (__u32)(seq >> 6) & (UDPESP_REPLAY_WORDS - 1);

	return (r->bitmap[word] >> (seq & 63)) & 1;
}

/*
 * 0 when seq may be accepted, -1 when it is replayed or below the window.
 * A window of 0 disables the check (as XFRM does), but 0 is still refused.
 */
static __always_inline int udpesp_replay_check(const struct udpesp_replay *r, __u64 seq)
{
	__u64 top = r->top;
	__u32 window = r->window;

	if (seq == 0)
		return -1;
	if (window == 0 || seq > top)
		return 0;
	if (top - seq >= window)
		return -1;
	return udpesp_replay_bit(r, seq) ? -1 : 0;
}

/*
 * Record seq as seen; the caller checked it first, under r->lock, after
 * the ICV verified. Moving top forward clears the bits of the numbers it
 * skips, so they read as unseen when they arrive late.
 */
static inline void udpesp_replay_advance(struct udpesp_replay *r, __u64 seq)
{
	__u64 top = r->top;

	if (seq > top) {
		__u64 gap = seq - top;

		if (gap >= UDPESP_REPLAY_MAX) {
			for (int i = 0; i < UDPESP_REPLAY_WORDS; i++)
				r->bitmap[i] = 0;
		} else {
			for (__u64 s = top + 1; s < seq; s++)
				r->bitmap[(s >> 6) & (UDPESP_REPLAY_WORDS - 1)] &=
					~(1ULL << (s & 63));
		}
		r->top = seq;
	}
	r->bitmap[(seq >> 6) & (UDPESP_REPLAY_WORDS - 1)] |= 1ULL << (seq & 63);
}

#endif /* UDPESP_REPLAY_H */
