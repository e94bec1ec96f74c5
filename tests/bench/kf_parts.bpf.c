// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The two halves of the kfunc backend's cost, alone, for bench_kfunc:
 * kfb_ecb is the kernel's AES (one bpf_crypto_encrypt of ecb(aes) over
 * n bytes, what udpesp_kf_xdp asks per packet), kfb_ghash is udpesp's
 * GHASH over n bytes with the same table code (bpf/lib/gcm.h). Neither
 * touches the packet, so BPF_PROG_TEST_RUN can repeat them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <udpesp/abi.h>

#include "../../bpf/lib/kf_defs.h"
#include "../../bpf/lib/gcm.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define KFB_MAX (UDPESP_KF_CT_MAX + 32)

struct kfb_ctx_val {
	struct bpf_crypto_ctx __kptr *ctx;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kfb_ctx_val);
} kfb_ctx SEC(".maps");

struct kfb_buf {
	__u8 in[KFB_MAX];
	__u8 out[KFB_MAX];
	__u64 hi[16], lo[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kfb_buf);
} kfb_buf SEC(".maps");

__u64 nbytes; /* set by bench_kfunc: multiple of 16, at most KFB_MAX */
__u64 sink;

SEC("syscall")
int kfb_new(struct udpesp_kf_args *a)
{
	struct bpf_crypto_params params = { .type = "skcipher", .algo = "ecb(aes)" };
	struct bpf_crypto_ctx *c, *old;
	struct kfb_ctx_val *v;
	__u32 zero = 0;
	int err = 0;

	params.key_len = a->key_len;
	__builtin_memcpy(params.key, a->key, sizeof(a->key));
	c = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	if (!c) {
		a->err = err ? err : -1;
		return 0;
	}
	v = bpf_map_lookup_elem(&kfb_ctx, &zero);
	if (!v) {
		bpf_crypto_ctx_release(c);
		a->err = -2;
		return 0;
	}
	old = bpf_kptr_xchg(&v->ctx, c);
	if (old)
		bpf_crypto_ctx_release(old);
	a->err = 0;
	return 0;
}

SEC("xdp")
int kfb_ecb(struct xdp_md *ctx)
{
	struct bpf_dynptr src, dst;
	struct bpf_crypto_ctx *c;
	struct kfb_ctx_val *v;
	struct kfb_buf *b;
	__u32 zero = 0;
	__u64 n = nbytes;

	(void)ctx;
	v = bpf_map_lookup_elem(&kfb_ctx, &zero);
	b = bpf_map_lookup_elem(&kfb_buf, &zero);
	if (!v || !b || n < 16)
		return XDP_ABORTED;
	asm volatile("" : "+r"(n)); /* the verifier needs this check on n itself */
	if (n > KFB_MAX)
		return XDP_ABORTED;
	c = v->ctx;
	if (!c)
		return XDP_ABORTED;
	bpf_dynptr_from_mem(b->in, n, 0, &src);
	bpf_dynptr_from_mem(b->out, n, 0, &dst);
	return bpf_crypto_encrypt(c, &src, &dst, NULL) ? XDP_ABORTED : XDP_DROP;
}

SEC("xdp")
int kfb_ghash(struct xdp_md *ctx)
{
	struct kfb_buf *b;
	__u32 zero = 0, n = nbytes / 16, j;
	__u64 yh = 0, yl = 0;

	(void)ctx;
	b = bpf_map_lookup_elem(&kfb_buf, &zero);
	if (!b)
		return XDP_ABORTED;
	bpf_for(j, 0, n) {
		if (j >= KFB_MAX / 16)
			break;
		yh ^= bpf_be64_to_cpu(*(__u64 *)(b->in + j * 16));
		yl ^= bpf_be64_to_cpu(*(__u64 *)(b->in + j * 16 + 8));
		gcm_mult(b->hi, b->lo, &yh, &yl);
	}
	sink = yh ^ yl;
	return XDP_DROP;
}
