/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The replay window advance of include/udpesp/replay.h, a word at a time
 * instead of a bit at a time: the verifier then walks at most 65 short
 * iterations instead of up to 4095. Same result bit for bit
 * (tests/unit/test_kf_gcm.c checks it against udpesp_replay_advance()).
 * Pure C: compiled for BPF and for the unit tests.
 */
#ifndef UDPESP_BPF_KF_REPLAY_H
#define UDPESP_BPF_KF_REPLAY_H

#include <udpesp/replay.h>

/* Record seq as seen (checked first, under r->lock). */
static __always_inline void kf_replay_advance(struct udpesp_replay *r, __u64 seq)
{
	__u64 top = r->top;

	if (seq > top) {
		if (seq - top >= UDPESP_REPLAY_MAX) {
			for (int i = 0; i < UDPESP_REPLAY_WORDS; i++)
				r->bitmap[i] = 0;
		} else {
			/* Clear top+1 .. seq-1: fewer than 4096 bits, at most 65 words. */
			__u64 cur = top + 1;

			for (int k = 0; k < UDPESP_REPLAY_WORDS + 1; k++) {
				__u64 n, mask;
				__u32 b;

				if (cur >= seq)
					break;
				b = cur & 63;
				n = seq - cur < 64 - b ? seq - cur : 64 - b;
				mask = n == 64 ? ~0ULL : ((1ULL << n) - 1) << b;
				r->bitmap[(cur >> 6) & (UDPESP_REPLAY_WORDS - 1)] &= ~mask;
				cur += n;
			}
		}
		r->top = seq;
	}
	r->bitmap[(seq >> 6) & (UDPESP_REPLAY_WORDS - 1)] |= 1ULL << (seq & 63);
}

#endif /* UDPESP_BPF_KF_REPLAY_H */
