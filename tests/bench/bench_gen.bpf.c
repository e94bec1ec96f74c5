// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The traffic generator of `make bench` (bench_paths): run with
 * BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on the peer's veth, each
 * run turns one page of the test's page pool into the next pre-built
 * frame and returns XDP_TX, which the kernel turns into a transmission
 * out of that veth, into the gateway's.
 *
 * Why frames come from a map: live frames are initialized from the
 * input once per page and then recycled as the program left them, and
 * every ESP frame must carry its own sequence number with a valid ICV,
 * which only userspace can compute. So userspace encrypts gen_frames[0..
 * nframes) ahead of time and each run copies the next one in; after
 * the last, runs drop, so no sequence number is ever sent twice.
 *
 * gen_store is the same copy without the transmission: its CPU time is
 * the generator's own cost, which bench_paths subtracts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <udpesp/hdr.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* One frame slot: the largest frame (1400-byte inner, CBC) fits. */
#define GEN_SLOT 1536

struct gen_frame {
	__u8 b[GEN_SLOT];
};

/* Sized by userspace before load (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_frame);
} gen_frames SEC(".maps");

/* Set by userspace before each run: frames taken, frames there, their length. */
__u32 gen_next;
__u32 gen_nframes;
__u32 gen_len;

static __always_inline int copy_next(struct xdp_md *ctx)
{
	__u32 i = gen_next;
	__u64 len = gen_len; /* 64 bits: checked and used in one register */
	struct gen_frame *f;

	if (i >= gen_nframes)
		return -1;
	gen_next = i + 1; /* one CPU runs the test: no atomics needed */
	f = bpf_map_lookup_elem(&gen_frames, &i);
	if (!f || len > GEN_SLOT)
		return -1;
	/* Two checks the verifier follows, not one the compiler merged. */
	__asm__ volatile("" : "+r"(len));
	if (len < UDPESP_ETH_HLEN)
		return -1;
	return bpf_xdp_store_bytes(ctx, 0, f, len) ? -1 : 0;
}

SEC("xdp")
int gen_tx(struct xdp_md *ctx)
{
	return copy_next(ctx) ? XDP_DROP : XDP_TX;
}

SEC("xdp")
int gen_store(struct xdp_md *ctx)
{
	copy_next(ctx);
	return XDP_DROP;
}
