// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The reference programs of `make bench-xdp`.
 *
 * bare_pass does nothing: what BPF_PROG_TEST_RUN reports for it is the
 * fixed cost of one run (the test loop, the program call, the timing),
 * and udpesp_xdp is measured against it so that cost is not charged to
 * the classifier.
 *
 * meta_reset goes in front of the program under test in the AF_XDP
 * redirect rows. BPF_PROG_TEST_RUN (without live frames) runs the program
 * repeat times on one and the same xdp_buff, and udpesp_xdp grows the XDP
 * metadata by 24 bytes before each redirect: after ten runs the 255-byte
 * metadata limit is reached and every further run takes the "no room for
 * metadata" exit, so the redirect path would be timed ten times in a
 * million. meta_reset gives the metadata back, then tail-calls the
 * program under test, so each run starts from the packet userspace gave.
 * The benchmark puts it in front of bare_pass too, so its cost is on both
 * sides of those rows.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Slot 0: the program under test, set from userspace before each run. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_next SEC(".maps");

SEC("xdp")
int bare_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp")
int meta_reset(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;

	/*
	 * Called even with no metadata (offset 0), so the helper call costs
	 * the same in front of bare_pass as in front of udpesp_xdp. The
	 * pointer difference is allowed to root (CAP_PERFMON) only.
	 */
	if (bpf_xdp_adjust_meta(ctx, (int)(data - meta)))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &bench_next, 0);
	return XDP_ABORTED; /* empty slot: never a valid result */
}
