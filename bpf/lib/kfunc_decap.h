/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * ESP decapsulation inside XDP for AES-GCM (RFC 4106, ICV 8, 12 or 16
 * bytes: the tag compared is the ICV's first bytes), with the
 * kernel's ecb(aes) lskcipher as the only primitive: the CTR keystream
 * is ecb(aes) over the counter blocks, GHASH runs here with the SA's
 * table (gcm.h), the tag is compared in constant time.
 *
 * It does what daemon/esp/esp_decap.c does for the AF_XDP workers, in the
 * same order and with the same result byte for byte: tag first (a
 * forged packet changes nothing), then trailer, next header, inner
 * packet, selector or transport rebuild, ECN (RFC 6040), and the replay
 * window re-checked and advanced last, under replay->lock.
 *
 * The packet is copied into per-CPU scratch (bpf_xdp_load_bytes works on
 * multi-buffer frames too), processed there, and written back only once
 * it is authentic and will be delivered.
 */
#ifndef UDPESP_BPF_KFUNC_DECAP_H
#define UDPESP_BPF_KFUNC_DECAP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <udpesp/abi.h>
#include <udpesp/replay.h>
#include <udpesp/verdict.h>

#include "gcm.h"
#include "kf_defs.h"
#include "kf_replay.h"

/* Checksums over up to UDPESP_KF_CT_MAX bytes: one verified loop body. */
#define udpesp_csum_for(i, n) bpf_for(i, 0, n)
#include <udpesp/csum.h>
#include <udpesp/ecn.h>
#include <udpesp/hdr.h>

#define KF_BLOCKS (UDPESP_KF_CT_MAX / 16)
#define KF_IV_LEN 8
#define KF_ICV_MAX 16
#define KF_L2_MAX 32
#define KF_IP_MAX UDPESP_IPV4_HLEN_MAX
/* CAS attempts on replay->lock before giving up on the packet. */
#define KF_LOCK_SPINS 4096

/* Keep a bounds check the compiler would prove redundant: the verifier cannot. */
#define kf_opaque(x) asm volatile("" : "+r"(x))

#ifndef IPPROTO_NONE
#define IPPROTO_NONE 59
#endif
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#ifndef IPPROTO_HOPOPTS
#define IPPROTO_HOPOPTS 0
#endif

/*
 * Verdicts: udpesp/verdict.h's, shared with the AF_XDP workers, then
 * this backend's own outcomes.
 */
enum kf_verdict {
	KF_BUSY = UDPESP_DECAP_VERDICT_MAX, /* replay->lock not obtained in KF_LOCK_SPINS tries */
	KF_TOO_BIG,			    /* ciphertext over UDPESP_KF_CT_MAX: passed up */
	KF_ERROR,			    /* a helper or the kfunc failed */
};

/* Per-CPU scratch: counter blocks, keystream, ciphertext/plaintext. */
struct kf_scratch {
	__u8 ctr[(KF_BLOCKS + 1) * 16]; /* J0, then inc32 for each block */
	__u8 ks[(KF_BLOCKS + 1) * 16];	/* E_K of each */
	__u8 ct[UDPESP_KF_CT_MAX + 16]; /* zero-padded to a whole block */
	__u8 l2[KF_L2_MAX];
	__u8 ip[64];
};

/* Write-only from userspace too: it holds the last packet's plaintext. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_WRONLY);
	__type(key, __u32);
	__type(value, struct kf_scratch);
} udpesp_kf_buf SEC(".maps");

/* What the metadata and the outer headers say about one packet. */
struct kf_pkt {
	__u32 l3, hlen, esp, esp_len, ct_len, frame_len;
	__u8 family;
	__u8 outer_ecn;
	__be16 sport; /* outer source and UDP port: the peer's NAT mapping */
	__be32 saddr[4];
	__u64 seq;
	/* results */
	__u32 data_len; /* payload before padding (transport: the segment) */
	__u32 out_len;	/* bytes of the inner packet in scratch */
	__u8 nh;
};

static __always_inline __u16 kf_get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __always_inline void kf_put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* ---- GCM ---- */

/*
 * The keystream: E_K(J0) for the tag, then E_K(inc32^i(J0)) for block i,
 * one ecb(aes) call over all of them (RFC 4106: J0 = salt | IV | 1).
 */
static __always_inline int kf_keystream(struct kf_scratch *s, struct bpf_crypto_ctx *c,
					const __u8 salt[4], const __u8 iv[8], __u32 nb)
{
	struct bpf_dynptr src, dst;
	__u32 w0, w1, w2, j, size;

	__builtin_memcpy(&w0, salt, 4);
	__builtin_memcpy(&w1, iv, 4);
	__builtin_memcpy(&w2, iv + 4, 4);
	/*
	 * Plain bounded loops where the body is tiny: an iterator costs a
	 * kfunc call per round, more than the body.
	 */
	for (j = 0; j <= KF_BLOCKS; j++) {
		__u32 *b;

		if (j > nb)
			break;
		b = (__u32 *)(s->ctr + j * 16);
		b[0] = w0;
		b[1] = w1;
		b[2] = w2;
		b[3] = bpf_htonl(j + 1);
	}
	size = (nb + 1) * 16;
	kf_opaque(size);
	if (size > sizeof(s->ctr))
		return -1;
	bpf_dynptr_from_mem(s->ctr, size, 0, &src);
	bpf_dynptr_from_mem(s->ks, size, 0, &dst);
	return bpf_crypto_encrypt(c, &src, &dst, NULL);
}

/*
 * GHASH over AAD, ciphertext and lengths; the tag against the ICV, of
 * which only the first icv_len bytes count (RFC 4106 3: a truncated tag).
 */
static __always_inline int kf_tag_ok(struct kf_scratch *s, const struct udpesp_kf_sa *kf,
				     const __u8 aad[16], __u32 aad_len, __u32 ct_len,
				     const __u8 icv[16], __u32 icv_len)
{
	const __u64 *hi = kf->ghash_hi, *lo = kf->ghash_lo;
	__u64 yh, yl, diff, mask_lo;
	__u32 shift;
	__u32 j, nb = (ct_len + 15) / 16;

	yh = bpf_be64_to_cpu(*(const __u64 *)aad);
	yl = bpf_be64_to_cpu(*(const __u64 *)(aad + 8));
	gcm_mult(hi, lo, &yh, &yl);
	bpf_for(j, 0, nb) {
		if (j >= KF_BLOCKS + 1)
			break;
		yh ^= bpf_be64_to_cpu(*(__u64 *)(s->ct + j * 16));
		yl ^= bpf_be64_to_cpu(*(__u64 *)(s->ct + j * 16 + 8));
		gcm_mult(hi, lo, &yh, &yl);
	}
	yh ^= (__u64)aad_len * 8;
	yl ^= (__u64)ct_len * 8;
	gcm_mult(hi, lo, &yh, &yl);
	/* T = GHASH ^ E_K(J0); no early exit on the first differing byte. */
	/* The low word counts whole (16), by its first half (12), not at all (8). */
	shift = (16 - icv_len) * 4;
	mask_lo = ~0ULL << shift << shift;
	diff = (yh ^ bpf_be64_to_cpu(*(__u64 *)s->ks) ^ bpf_be64_to_cpu(*(const __u64 *)icv)) |
	       ((yl ^ bpf_be64_to_cpu(*(__u64 *)(s->ks + 8)) ^
		 bpf_be64_to_cpu(*(const __u64 *)(icv + 8))) &
		mask_lo);
	return diff == 0;
}

static __always_inline void kf_xor_keystream(struct kf_scratch *s, __u32 ct_len)
{
	__u32 i, words = (ct_len + 7) / 8;

	for (i = 0; i < (KF_BLOCKS + 1) * 2 - 2; i++) {
		if (i >= words)
			break;
		*(__u64 *)(s->ct + i * 8) ^= *(__u64 *)(s->ks + 16 + i * 8);
	}
}

/* ---- replay: re-check and advance under the SA's lock ---- */

static __always_inline int kf_replay_commit(struct udpesp_replay *r, __u64 seq)
{
	int got = 0, v = UDPESP_DECAP_OK;
	__u32 i;

	/* Workers hold it for a bitmap update only; bounded, then give up. */
	bpf_for(i, 0, KF_LOCK_SPINS) {
		if (__sync_val_compare_and_swap(&r->lock, 0, 1) == 0) {
			got = 1;
			break;
		}
	}
	if (!got)
		return KF_BUSY;
	if (udpesp_replay_check(r, seq))
		v = UDPESP_DROP_REPLAY;
	else
		kf_replay_advance(r, seq);
	__sync_lock_test_and_set(&r->lock, 0); /* xchg: a full barrier */
	return v;
}

/* ---- inner packet ---- */

static __always_inline int kf_sel_match(const struct udpesp_kf_addr *sel, __u8 family,
					const __u8 *addr)
{
	__u32 plen = sel->prefixlen, max = family == UDPESP_AF_INET ? 32 : 128;

	if (!sel->family)
		return 1;
	if (sel->family != family)
		return 0;
	if (plen > max)
		plen = max;
#pragma unroll
	for (int w = 0; w < 4; w++) {
		__u32 a, p, bits = plen > (__u32)w * 32 ? plen - w * 32 : 0, mask;

		if (bits == 0)
			break;
		mask = bits >= 32 ? 0xffffffff : ~(0xffffffffu >> bits);
		__builtin_memcpy(&a, addr + w * 4, 4);
		p = sel->addr[w];
		if ((bpf_ntohl(a) ^ bpf_ntohl(p)) & mask)
			return 0;
	}
	return 1;
}

static __always_inline int kf_tunnel(struct kf_scratch *s, const struct udpesp_kf_sa *kf,
				     struct kf_pkt *k)
{
	__u32 len = k->data_len, ip_len, ihl;
	__u8 *p = s->ct, family, src[16], dst[16];

	if (k->nh == IPPROTO_IPIP) {
		if (len < UDPESP_IPV4_HLEN || p[0] >> 4 != 4)
			return UDPESP_DROP_INNER;
		ihl = (p[0] & 0x0f) * 4;
		ip_len = kf_get16(p + 2);
		if (ihl < UDPESP_IPV4_HLEN || ip_len < ihl || ip_len > len)
			return UDPESP_DROP_INNER;
		family = UDPESP_AF_INET;
		__builtin_memcpy(src, p + 12, 4);
		__builtin_memcpy(dst, p + 16, 4);
	} else if (k->nh == IPPROTO_IPV6) {
		if (len < UDPESP_IPV6_HLEN || p[0] >> 4 != 6)
			return UDPESP_DROP_INNER;
		ip_len = UDPESP_IPV6_HLEN + kf_get16(p + 4);
		if (ip_len > len)
			return UDPESP_DROP_INNER;
		family = UDPESP_AF_INET6;
		__builtin_memcpy(src, p + 8, 16);
		__builtin_memcpy(dst, p + 24, 16);
	} else {
		return UDPESP_DROP_NEXT_HDR;
	}
	if (kf->inner_family && kf->inner_family != family)
		return UDPESP_DROP_SELECTOR;
	if (!kf_sel_match(&kf->sel_src, family, src) || !kf_sel_match(&kf->sel_dst, family, dst))
		return UDPESP_DROP_SELECTOR;
	k->out_len = ip_len;
	/* RFC 6040 4.2, as esp_decap() applies it. */
	if (udpesp_ecn_decap_ip(k->outer_ecn, p, ip_len))
		return UDPESP_DROP_ECN;
	return UDPESP_DECAP_OK;
}

/* Transport mode: which next headers, and the segment's true length. */
static __always_inline int kf_transport_segment(struct kf_scratch *s, struct kf_pkt *k)
{
	__u32 udp_len;

	switch (k->nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		return UDPESP_DROP_NEXT_HDR;
	case IPPROTO_UDP:
		if (k->data_len < UDPESP_UDP_HLEN)
			return UDPESP_DROP_INNER;
		udp_len = kf_get16(s->ct + 4);
		if (udp_len < UDPESP_UDP_HLEN || udp_len > k->data_len)
			return UDPESP_DROP_INNER;
		k->data_len = udp_len;
		return UDPESP_DECAP_OK;
	case IPPROTO_TCP:
		return k->data_len < 20 ? UDPESP_DROP_INNER : UDPESP_DECAP_OK;
	case IPPROTO_ICMPV6:
		if (k->family == UDPESP_AF_INET6 && k->data_len < 4)
			return UDPESP_DROP_INNER;
		return UDPESP_DECAP_OK;
	default:
		return UDPESP_DECAP_OK;
	}
}

/*
 * Transport mode: the outer IP header (in s->ip) rewritten for the
 * payload, and the TCP/UDP/ICMPv6 checksum fixed for the NAT (RFC 3948
 * 3.1.2), exactly as esp_decap.c's transport_rebuild() and fix_l4_csum().
 */
static __always_inline void kf_transport_rebuild(struct kf_scratch *s,
						 const struct udpesp_kf_sa *kf, struct kf_pkt *k)
{
	__u32 hlen = k->hlen, seg = k->data_len, alen, off;
	__u8 *ip = s->ip, nh = k->nh;
	__u16 csum, word;
	__u64 sum;
	int coff;

	if (k->family == UDPESP_AF_INET) {
		ip[9] = nh;
		kf_put16(ip + 2, (__u16)(hlen + seg));
		ip[10] = ip[11] = 0;
		word = (__u16)~udpesp_csum_fold(
			udpesp_csum_add_max(0, ip, hlen, UDPESP_IPV4_HLEN_MAX));
		__builtin_memcpy(ip + 10, &word, 2);
		alen = 4;
		off = 12;
	} else {
		ip[6] = nh;
		kf_put16(ip + 4, (__u16)seg);
		alen = 16;
		off = 8;
	}
	k->out_len = hlen + seg;

	coff = nh == IPPROTO_TCP				      ? 16 :
	       nh == IPPROTO_UDP				      ? 6 :
	       (nh == IPPROTO_ICMPV6 && k->family == UDPESP_AF_INET6) ? 2 :
									-1;
	if (coff < 0)
		return;
	__builtin_memcpy(&csum, s->ct + coff, 2);
	if (nh == IPPROTO_UDP && k->family == UDPESP_AF_INET && !csum)
		return;
	if (kf->orig_src.family == k->family) {
		word = udpesp_csum_replace(csum, kf->orig_src.addr, ip + off, alen);
	} else {
		__u16 z = 0;

		__builtin_memcpy(s->ct + coff, &z, 2);
		sum = udpesp_csum_pseudo(ip + off, alen, nh, (__u16)seg);
		sum = udpesp_csum_add_max(sum, s->ct, seg, UDPESP_KF_CT_MAX);
		word = (__u16)~udpesp_csum_fold(sum);
	}
	if (nh == IPPROTO_UDP && !word)
		word = 0xffff;
	__builtin_memcpy(s->ct + coff, &word, 2);
}

/* ---- the packet ---- */

/*
 * Outer headers as the metadata places them. udpesp_xdp already checked
 * the IP and UDP lengths against each other and the frame; the IP header
 * comes into s->ip for ECN and the transport rebuild.
 */
static __always_inline int kf_parse(struct xdp_md *ctx, struct kf_scratch *s, __u32 icv_len,
				    const struct udpesp_xdp_meta *m, struct kf_pkt *k)
{
	__u32 l4 = m->l4_off, hlen;
	__u8 udp[UDPESP_UDP_HLEN];

	k->l3 = m->l3_off;
	k->esp = m->esp_off;
	k->family = m->family;
	k->frame_len = bpf_xdp_get_buff_len(ctx);
	if (k->l3 < UDPESP_ETH_HLEN || k->l3 > KF_L2_MAX || l4 <= k->l3 ||
	    k->esp != l4 + UDPESP_UDP_HLEN)
		return UDPESP_DROP_HDR;
	hlen = l4 - k->l3;
	kf_opaque(hlen);
	if (hlen < UDPESP_IPV4_HLEN || hlen > KF_IP_MAX ||
	    (k->family == UDPESP_AF_INET6 && hlen != UDPESP_IPV6_HLEN))
		return UDPESP_DROP_HDR;
	k->hlen = hlen;
	if (bpf_xdp_load_bytes(ctx, k->l3, s->ip, hlen) ||
	    bpf_xdp_load_bytes(ctx, l4, udp, sizeof(udp)))
		return UDPESP_DROP_HDR;
	k->outer_ecn = udpesp_ecn_of(s->ip, k->family);
	if (k->family == UDPESP_AF_INET)
		__builtin_memcpy(k->saddr, s->ip + 12, 4);
	else
		__builtin_memcpy(k->saddr, s->ip + 8, 16);
	__builtin_memcpy(&k->sport, udp, 2);
	k->esp_len = kf_get16(udp + 4) - UDPESP_UDP_HLEN;
	if (k->esp_len < UDPESP_ESP_HLEN + KF_IV_LEN + 4 + icv_len ||
	    k->esp + k->esp_len > k->frame_len)
		return UDPESP_DROP_HDR;
	k->ct_len = k->esp_len - UDPESP_ESP_HLEN - KF_IV_LEN - icv_len;
	if (k->ct_len % 4) /* RFC 4303 2.4: 4-byte alignment */
		return UDPESP_DROP_HDR;
	if (k->ct_len > UDPESP_KF_CT_MAX)
		return KF_TOO_BIG;
	return UDPESP_DECAP_OK;
}

/*
 * Authenticate and decrypt into s->ct, then every check of the trailer
 * and inner packet, then the window. UDPESP_DECAP_OK: s (and s->ip in transport
 * mode) holds the inner packet, k->out_len bytes.
 */
static __always_inline int kf_decap(struct xdp_md *ctx, struct kf_scratch *s,
				    const struct udpesp_kf_sa *kf, struct udpesp_replay *r,
				    const struct udpesp_xdp_meta *m, struct kf_pkt *k)
{
	struct bpf_crypto_ctx *c;
	__u8 hdr[16], aad[16] = {}, icv[KF_ICV_MAX] = {}, padlen;
	__u32 ct_len, nb, aad_len, i, last, icv_len = kf->icv_len;
	int v, bad = 0;

	/* The daemon writes 8, 12 or 16: a range the verifier can hold. */
	kf_opaque(icv_len);
	if (icv_len != 8 && icv_len != 12 && icv_len != 16)
		return KF_ERROR;
	kf_opaque(icv_len);
	if (icv_len < 8 || icv_len > KF_ICV_MAX)
		return KF_ERROR;
	v = kf_parse(ctx, s, icv_len, m, k);
	if (v)
		return v;
	ct_len = k->ct_len;
	kf_opaque(ct_len);
	if (ct_len < 4 || ct_len > UDPESP_KF_CT_MAX)
		return UDPESP_DROP_HDR;
	if (bpf_xdp_load_bytes(ctx, k->esp, hdr, sizeof(hdr)) ||
	    bpf_xdp_load_bytes(ctx, k->esp + 16 + ct_len, icv, icv_len))
		return UDPESP_DROP_HDR;
	k->seq = (__u64)m->seq_hi << 32 | bpf_ntohl(*(__u32 *)(hdr + 4));

	/* Zero the last block first: GHASH pads the ciphertext with zeros. */
	nb = (ct_len + 15) / 16;
	last = (nb - 1) * 16;
	kf_opaque(last);
	if (last > UDPESP_KF_CT_MAX - 16)
		return UDPESP_DROP_HDR;
	*(__u64 *)(s->ct + last) = 0;
	*(__u64 *)(s->ct + last + 8) = 0;
	if (bpf_xdp_load_bytes(ctx, k->esp + 16, s->ct, ct_len))
		return UDPESP_DROP_HDR;

	c = kf->ctx;
	if (!c)
		return KF_ERROR;
	if (kf_keystream(s, c, kf->salt, hdr + 8, nb))
		return KF_ERROR;

	/* AAD: SPI and sequence number; with ESN, SPI | high | low (RFC 4106 5). */
	__builtin_memcpy(aad, hdr, 4);
	if (kf->esn) {
		__u32 hi = bpf_htonl(m->seq_hi);

		__builtin_memcpy(aad + 4, &hi, 4);
		__builtin_memcpy(aad + 8, hdr + 4, 4);
		aad_len = 12;
	} else {
		__builtin_memcpy(aad + 4, hdr + 4, 4);
		aad_len = 8;
	}
	if (!kf_tag_ok(s, kf, aad, aad_len, ct_len, icv, icv_len))
		return UDPESP_DROP_ICV;
	kf_xor_keystream(s, ct_len);

	/* Trailer: pad length, then pad bytes 1, 2, 3 ... (RFC 4303 2.4). */
	last = ct_len - 2;
	kf_opaque(last);
	if (last > UDPESP_KF_CT_MAX - 2)
		return UDPESP_DROP_HDR;
	padlen = s->ct[last];
	k->nh = s->ct[last + 1];
	if ((__u32)padlen + 2 > ct_len)
		return UDPESP_DROP_PADDING;
	k->data_len = ct_len - 2 - padlen;
	bpf_for(i, 0, padlen) {
		__u32 at = k->data_len + i;

		if (at >= UDPESP_KF_CT_MAX)
			break;
		bad |= s->ct[at] != (__u8)(i + 1);
	}
	if (bad)
		return UDPESP_DROP_PADDING;

	if (k->nh == IPPROTO_NONE) {
		v = kf_replay_commit(r, k->seq);
		return v ? v : UDPESP_DROP_DUMMY;
	}
	if (kf->mode == UDPESP_MODE_TUNNEL) {
		v = kf_tunnel(s, kf, k);
		if (v == UDPESP_DROP_ECN) {
			/* Authentic: it takes its number (as esp_decap.c). */
			v = kf_replay_commit(r, k->seq);
			return v ? v : UDPESP_DROP_ECN;
		}
		if (v)
			return v;
	} else if (kf->mode == UDPESP_MODE_TRANSPORT) {
		v = kf_transport_segment(s, k);
		if (v)
			return v;
		kf_transport_rebuild(s, kf, k);
	} else {
		return UDPESP_DROP_NEXT_HDR;
	}
	return kf_replay_commit(r, k->seq);
}

/*
 * Replace the outer headers and the ESP framing with the inner packet:
 * L2 header (VLAN tags kept, last EtherType rewritten) + inner packet,
 * right where the plaintext starts, then trim the frame to it.
 */
static __always_inline int kf_deliver(struct xdp_md *ctx, struct kf_scratch *s,
				      const struct udpesp_kf_sa *kf, struct kf_pkt *k)
{
	__u32 pt = k->esp + UDPESP_ESP_HLEN + KF_IV_LEN, l2 = k->l3, start, seg, total;
	__u8 family = k->family;
	__u16 type;

	kf_opaque(l2);
	if (l2 < UDPESP_ETH_HLEN || l2 > KF_L2_MAX)
		return KF_ERROR;
	if (bpf_xdp_load_bytes(ctx, 0, s->l2, l2))
		return KF_ERROR;
	if (kf->mode == UDPESP_MODE_TRANSPORT) {
		__u32 hlen = k->hlen;

		seg = k->data_len;
		kf_opaque(seg);
		kf_opaque(hlen);
		/* An empty segment is possible (a bare ICMP header is not required). */
		if (hlen < UDPESP_IPV4_HLEN || hlen > KF_IP_MAX || seg > UDPESP_KF_CT_MAX)
			return KF_ERROR;
		start = pt - hlen;
		if (bpf_xdp_store_bytes(ctx, start, s->ip, hlen))
			return KF_ERROR;
	} else {
		seg = k->out_len;
		kf_opaque(seg);
		if (seg < 1 || seg > UDPESP_KF_CT_MAX)
			return KF_ERROR;
		start = pt;
		family = (s->ct[0] >> 4) == 4 ? UDPESP_AF_INET : UDPESP_AF_INET6;
	}
	if (seg && bpf_xdp_store_bytes(ctx, pt, s->ct, seg))
		return KF_ERROR;
	type = bpf_htons(family == UDPESP_AF_INET ? ETH_P_IP : ETH_P_IPV6);
	__builtin_memcpy(s->l2 + ((l2 - 2) & (KF_L2_MAX - 1)), &type, 2);
	if (start < l2)
		return KF_ERROR;
	start -= l2;
	if (bpf_xdp_store_bytes(ctx, start, s->l2, l2))
		return KF_ERROR;
	total = l2 + k->out_len;
	if (bpf_xdp_adjust_head(ctx, (int)start))
		return KF_ERROR;
	if (bpf_xdp_adjust_tail(ctx, (int)total - (int)(k->frame_len - start)))
		return KF_ERROR;
	return UDPESP_DECAP_OK;
}

#endif /* UDPESP_BPF_KFUNC_DECAP_H */
