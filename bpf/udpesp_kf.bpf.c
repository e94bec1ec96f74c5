// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpesp's in-kernel crypto backend (build/udpesp_kf.bpf.o): AES-GCM-16
 * ESP decapsulated inside XDP with the bpf_crypto kfuncs, no userspace
 * in the data path.
 *
 * Its own object, not part of udpesp.bpf.o, for two reasons: a map with
 * a bpf_crypto_ctx kptr (and any call to the crypto kfuncs) fails to load
 * on a kernel without bpf_crypto, and udpesp.bpf.o must still load there
 * (`ip link ... xdp obj` and the AF_XDP path); and udpespd's load of this
 * object is the probe that tells whether the kernel has the kfuncs.
 * udpesp_xdp reaches udpesp_kf_xdp by a tail call through
 * udpesp_kf_prog, with the SA slot and offsets in the XDP metadata.
 *
 * Programs:
 *  udpesp_kf_new  (syscall, sleepable) create the ecb(aes) context of a
 *                 slot from the key in its ctx buffer and store it (kptr);
 *  udpesp_kf_del  (syscall) take the context out and release it;
 *  udpesp_kf_peer_set (syscall) where the SA's peer is after a move;
 *  udpesp_kf_init (xdp, run once by test-run) H = E_K(0^128) through the
 *                 context, and the slot's GHASH table from it;
 *  udpesp_kf_xdp  (xdp, tail call) the packet path; a peer's new NAT
 *                 mapping goes to udpespd through udpesp_kf_peer.
 */
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/kfunc_decap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Per SA slot: the context, the GHASH table, what the checks need.
 * Write-only from userspace, and not pinned: it lives as long as
 * udpesp_kf_xdp sits in udpesp_kf_prog, i.e. while udpespd runs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UDPESP_KF_MAX_SA + 1); /* + udpespd's probe */
	__uint(map_flags, BPF_F_WRONLY);
	__type(key, __u32);
	__type(value, struct udpesp_kf_sa);
} udpesp_kf_sa SEC(".maps");

/*
 * NAT mappings for udpespd (struct udpesp_kf_peer_ev), one record per
 * change. Not pinned either: nobody else would read it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} udpesp_kf_peer SEC(".maps");

SEC("syscall")
int udpesp_kf_new(struct udpesp_kf_args *a)
{
	struct bpf_crypto_params params = {
		.type = "skcipher",
		.algo = "ecb(aes)",
	};
	struct bpf_crypto_ctx *c, *old;
	struct udpesp_kf_sa *v;
	__u32 slot = a->slot;
	int err = 0;

	if (a->key_len != 16 && a->key_len != 24 && a->key_len != 32) {
		a->err = -22; /* EINVAL */
		return 0;
	}
	params.key_len = a->key_len;
	__builtin_memcpy(params.key, a->key, sizeof(a->key));
	c = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	/* The key leaves this stack frame only inside the context. */
	__builtin_memset(params.key, 0, sizeof(a->key));
	asm volatile("" ::: "memory");
	if (!c) {
		a->err = err ? err : -12;
		return 0;
	}
	v = bpf_map_lookup_elem(&udpesp_kf_sa, &slot);
	if (!v) {
		bpf_crypto_ctx_release(c);
		a->err = -2; /* ENOENT: udpespd writes the entry first */
		return 0;
	}
	old = bpf_kptr_xchg(&v->ctx, c);
	if (old)
		bpf_crypto_ctx_release(old);
	a->err = 0;
	return 0;
}

SEC("syscall")
int udpesp_kf_del(struct udpesp_kf_args *a)
{
	struct bpf_crypto_ctx *old;
	struct udpesp_kf_sa *v;
	__u32 slot = a->slot;

	v = bpf_map_lookup_elem(&udpesp_kf_sa, &slot);
	if (!v) {
		a->err = -2;
		return 0;
	}
	v->ready = 0;
	old = bpf_kptr_xchg(&v->ctx, NULL);
	if (old)
		bpf_crypto_ctx_release(old);
	a->err = 0;
	return 0;
}

SEC("syscall")
int udpesp_kf_peer_set(struct udpesp_kf_peer_args *a)
{
	struct udpesp_kf_sa *v;
	__u32 slot = a->slot;

	v = bpf_map_lookup_elem(&udpesp_kf_sa, &slot);
	if (!v) {
		a->err = -2;
		return 0;
	}
	v->peer.family = a->peer.family;
	__builtin_memcpy(v->peer.addr, a->peer.addr, sizeof(v->peer.addr));
	v->peer_port = a->port;
	a->err = 0;
	return 0;
}

/*
 * Test-run input: the slot (u32, host order) at the start of the
 * "packet". XDP_PASS when the table is in place, XDP_DROP otherwise.
 */
SEC("xdp")
int udpesp_kf_init(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_dynptr src, dst;
	struct udpesp_kf_sa *v;
	struct bpf_crypto_ctx *c;
	struct kf_scratch *s;
	__u32 slot, zero = 0;
	__u64 hh, hl;

	if (data + sizeof(__u32) > end)
		return XDP_DROP;
	slot = *(__u32 *)data;
	v = bpf_map_lookup_elem(&udpesp_kf_sa, &slot);
	s = bpf_map_lookup_elem(&udpesp_kf_buf, &zero);
	if (!v || !s)
		return XDP_DROP;
	c = v->ctx;
	if (!c)
		return XDP_DROP;
	__builtin_memset(s->ctr, 0, 16);
	bpf_dynptr_from_mem(s->ctr, 16, 0, &src);
	bpf_dynptr_from_mem(s->ks, 16, 0, &dst);
	if (bpf_crypto_encrypt(c, &src, &dst, NULL))
		return XDP_DROP;
	hh = bpf_be64_to_cpu(*(__u64 *)s->ks);
	hl = bpf_be64_to_cpu(*(__u64 *)(s->ks + 8));
	__builtin_memset(s->ks, 0, 16); /* H stays in the table only */
	gcm_table(v->ghash_hi, v->ghash_lo, hh, hl);
	v->ready = 1;
	return XDP_PASS;
}

/*
 * Never called, so never loaded: puts the ring's record type into the
 * object's BTF, for bpftool and tests/unit/test_abi.c.
 */
static __attribute__((used)) int udpesp_kf_btf_types(struct udpesp_kf_peer_ev *ev
						     __attribute__((unused)))
{
	return 0;
}

/*
 * An authenticated packet from another outer address or port than the SA
 * records: tell udpespd, then record it, so each change is reported once.
 * With the ring full, nothing is recorded and the next packet tries again.
 */
static __always_inline void kf_note_peer(struct udpesp_kf_sa *kf, __u32 slot,
					 const struct kf_pkt *k)
{
	struct udpesp_kf_peer_ev ev = {
		.slot = slot,
		.gen = kf->gen,
		.family = k->family,
		.port = k->sport,
	};

	if (kf->peer.family == k->family && kf->peer_port == k->sport &&
	    kf->peer.addr[0] == k->saddr[0] && kf->peer.addr[1] == k->saddr[1] &&
	    kf->peer.addr[2] == k->saddr[2] && kf->peer.addr[3] == k->saddr[3])
		return;
	__builtin_memcpy(ev.addr, k->saddr, sizeof(ev.addr));
	if (bpf_ringbuf_output(&udpesp_kf_peer, &ev, sizeof(ev), 0))
		return;
	kf->peer.family = k->family;
	__builtin_memcpy(kf->peer.addr, k->saddr, sizeof(kf->peer.addr));
	kf->peer_port = k->sport;
}

/* Each verdict's global and per-SA counter: udpesp/verdict.h's table. */
static __always_inline void kf_count(int v, struct udpesp_sa_stats *st)
{
	switch (v) {
#define KF_DROP(id, name, cnt, field)    \
	case UDPESP_DROP_##id:           \
		count(UDPESP_CNT_##cnt); \
		if (st)                  \
			st->field++;     \
		break;
		UDPESP_DECAP_DROPS(KF_DROP)
#undef KF_DROP
	default: /* KF_BUSY, KF_ERROR */
		count(UDPESP_CNT_IN_ERROR);
		break;
	}
}

SEC("xdp")
int udpesp_kf_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct udpesp_xdp_meta *mp = (void *)(long)ctx->data_meta, m;
	struct udpesp_sa_stats *st;
	struct udpesp_replay *r;
	struct udpesp_kf_sa *kf;
	struct kf_scratch *s;
	struct kf_pkt k = {};
	__u32 zero = 0, slot;
	int v;

	if ((void *)(mp + 1) > data || mp->magic != UDPESP_META_MAGIC) {
		count(UDPESP_CNT_RX_META_ERROR);
		return XDP_PASS;
	}
	m = *mp;
	/* The metadata was for us only; the stack gets a clean frame. */
	bpf_xdp_adjust_meta(ctx, (int)sizeof(m));
	slot = m.slot;
	kf = bpf_map_lookup_elem(&udpesp_kf_sa, &slot);
	if (!kf || !kf->ready) {
		count(UDPESP_CNT_RX_NO_BACKEND);
		return XDP_PASS;
	}
	if (kf->gen != m.gen) {
		count(UDPESP_CNT_DECAP_STALE_SA);
		return XDP_DROP;
	}
	st = bpf_map_lookup_elem(&udpesp_sa_stats, &slot);
	r = bpf_map_lookup_elem(&udpesp_replay, &slot);
	s = bpf_map_lookup_elem(&udpesp_kf_buf, &zero);
	if (!r || !s) {
		count(UDPESP_CNT_IN_ERROR);
		return XDP_DROP;
	}
	v = kf_decap(ctx, s, kf, r, &m, &k);
	if (v == KF_TOO_BIG) {
		count(UDPESP_CNT_RX_NO_BACKEND);
		return XDP_PASS;
	}
	/* Authentic, its number taken: only now may it move the peer. */
	if (v == UDPESP_DECAP_OK)
		kf_note_peer(kf, slot, &k);
	if (v == UDPESP_DECAP_OK)
		v = kf_deliver(ctx, s, kf, &k);
	if (v != UDPESP_DECAP_OK) {
		kf_count(v, st);
		return XDP_DROP;
	}
	count(UDPESP_CNT_DECAP_OK);
	if (st) {
		st->packets++;
		st->bytes += k.out_len;
	}
	return XDP_PASS;
}
