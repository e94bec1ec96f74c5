/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Kernel functions the kfunc backend calls, declared here because
 * Debian 12's libbpf (1.1) and UAPI headers (6.1) predate them: the
 * bpf_crypto kfuncs (6.10) and the open-coded number iterator (6.4),
 * with a bpf_for() loop over it so that the verifier checks a loop body
 * once instead of once per iteration.
 */
#ifndef UDPESP_BPF_KF_DEFS_H
#define UDPESP_BPF_KF_DEFS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* As in the kernel's include/linux/bpf_crypto.h (the kfunc reads __sz bytes). */
struct bpf_crypto_params {
	char type[14];
	__u8 reserved[2];
	char algo[128];
	__u8 key[256];
	__u32 key_len;
	__u32 authsize;
};

/*
 * Opaque, but a struct and not a forward declaration: libbpf matches a
 * kfunc's prototype by type kind, and the kernel's is a struct.
 */
struct bpf_crypto_ctx {
	__u64 opaque[6];
};

extern struct bpf_crypto_ctx *bpf_crypto_ctx_create(const struct bpf_crypto_params *params,
						    __u32 params__sz, int *err) __ksym;
extern void bpf_crypto_ctx_release(struct bpf_crypto_ctx *ctx) __ksym;
extern int bpf_crypto_encrypt(struct bpf_crypto_ctx *ctx, const struct bpf_dynptr *src,
			      const struct bpf_dynptr *dst,
			      const struct bpf_dynptr *siv__nullable) __ksym;

struct bpf_iter_num {
	__u64 opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

/* for (i = start; i < end; i++), verified as one loop body. */
#define bpf_for(i, start, end)                                                                \
	for (struct bpf_iter_num ___it __attribute__((cleanup(bpf_iter_num_destroy))),        \
	     *___p                                                                            \
	     __attribute__((unused)) = (bpf_iter_num_new(&___it, (start), (end)), (void *)0); \
	     ({                                                                               \
		     int *___n = bpf_iter_num_next(&___it);                                   \
		     ___n ? ((i) = *___n, 1) : 0;                                             \
	     });)

#endif /* UDPESP_BPF_KF_DEFS_H */
