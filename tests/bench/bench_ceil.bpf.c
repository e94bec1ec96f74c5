// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The ceilings of `make bench` (bench_paths), attached to the gateway's
 * veth in place of udpesp_xdp and fed the same ESP-in-UDP traffic:
 *   ceil_drop  counts and drops every frame: the I/O ceiling
 *   ceil_xsk   counts and redirects every frame to the AF_XDP socket in
 *              ceil_xsks, which only gives it back: the socket ceiling
 *   ceil_pass  passes every frame to the stack (the socket baseline
 *              needs a program there: veth only receives XDP_TX frames
 *              when it runs NAPI, which an XDP program turns on)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ceil_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ceil_xsks SEC(".maps");

static __always_inline void count(void)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&ceil_cnt, &k);

	if (c)
		(*c)++;
}

SEC("xdp")
int ceil_drop(struct xdp_md *ctx)
{
	(void)ctx;
	count();
	return XDP_DROP;
}

SEC("xdp")
int ceil_xsk(struct xdp_md *ctx)
{
	count();
	return bpf_redirect_map(&ceil_xsks, ctx->rx_queue_index, XDP_DROP);
}

SEC("xdp")
int ceil_pass(struct xdp_md *ctx)
{
	(void)ctx;
	count();
	return XDP_PASS;
}
