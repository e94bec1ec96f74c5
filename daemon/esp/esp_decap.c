// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Inbound ESP of one frame for the AF_XDP workers (see esp_decap.h):
 * RFC 4303 (ESP), RFC 4304 (ESN), RFC 3948 (UDP encapsulation, NAT).
 *
 * Order of the steps, and why:
 *  1. outer headers and lengths against the metadata (nothing trusted);
 *  2. replay pre-check, so replayed packets cost no crypto (RFC 4303
 *     3.4.3); the full sequence number is inferred from the window (ESN);
 *  3. ICV and decryption; from here on the packet is authentic;
 *  4. trailer, next header, inner packet and selector: every check that
 *     can fail is made before the window moves, so a drop leaves it as
 *     it was (the one exception: a dummy packet, which is authentic and
 *     well formed, only not delivered, takes its sequence number);
 *  5. transport mode: the selectors' protocol and ports, then the IP
 *     header rebuilt and the checksum fixed;
 *  6. re-check and advance under replay->lock, as late as possible.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <udpesp/csum.h>
#include <udpesp/ecn.h>
#include <udpesp/hdr.h>
#include <udpesp/replay.h>

#include "esp_decap.h"

static inline __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The outer headers as the metadata places them, every field checked. */
struct outer {
	size_t l3;	/* outer IP header */
	size_t hlen;	/* its length, options included */
	size_t esp;	/* ESP header */
	size_t esp_len; /* SPI to ICV, from the UDP length */
	__u8 family;
};

static enum udpesp_decap_verdict parse_outer(const __u8 *f, size_t len,
					     const struct udpesp_xdp_meta *m, struct outer *o)
{
	size_t l3 = m->l3_off, l4 = m->l4_off, hlen, ip_len, udp_len;
	const __u8 *ip = f + l3;

	if (m->magic != UDPESP_META_MAGIC || l4 <= l3 ||
	    (size_t)m->esp_off != l4 + UDPESP_UDP_HLEN || l4 + UDPESP_UDP_HLEN > len)
		return UDPESP_DROP_HDR;
	hlen = l4 - l3;
	if (m->family == UDPESP_AF_INET) {
		/* Version 4, the IHL the metadata implies, UDP, no fragment. */
		if (hlen < UDPESP_IPV4_HLEN || hlen > UDPESP_IPV4_HLEN_MAX || hlen % 4 ||
		    ip[0] != (0x40 | hlen / 4) || ip[9] != IPPROTO_UDP ||
		    (get16(ip + 6) & UDPESP_IPV4_FRAG_MASK))
			return UDPESP_DROP_HDR;
		if (udpesp_csum_fold(udpesp_csum_add(0, ip, hlen)) != 0xffff)
			return UDPESP_DROP_HDR; /* as ip_rcv() would */
		ip_len = get16(ip + 2);
	} else if (m->family == UDPESP_AF_INET6) {
		/* XDP passes extension headers up: UDP follows directly. */
		if (hlen != UDPESP_IPV6_HLEN || ip[0] >> 4 != 6 || ip[6] != IPPROTO_UDP)
			return UDPESP_DROP_HDR;
		ip_len = UDPESP_IPV6_HLEN + get16(ip + 4);
	} else {
		return UDPESP_DROP_HDR;
	}
	/*
	 * The IP and UDP lengths must agree and fit in the frame; bytes
	 * after them are Ethernet padding. The outer UDP checksum is not
	 * verified: the ICV covers ESP.
	 */
	udp_len = get16(f + l4 + 4);
	if (udp_len < UDPESP_UDP_HLEN || ip_len != hlen + udp_len || l3 + ip_len > len)
		return UDPESP_DROP_HDR;
	o->l3 = l3;
	o->hlen = hlen;
	o->esp = m->esp_off;
	o->esp_len = udp_len - UDPESP_UDP_HLEN;
	o->family = m->family;
	return UDPESP_DECAP_OK;
}

/*
 * Tunnel mode: the payload is an IP packet of the family next header
 * names; its own length ends it, anything after is TFC padding (RFC 4303
 * 2.7). It must match one of the SA's selectors (RFC 3948 3.1.1, RFC 4301
 * 5.2: addresses, protocol, ports), and its family the SA's.
 */
static enum udpesp_decap_verdict tunnel_inner(const struct esp_decap_sa *sa, const __u8 *p,
					      size_t len, __u8 nh, struct esp_decap_out *out)
{
	struct esp_sel_pkt k;
	size_t ip_len;
	__u8 family;

	if (nh == IPPROTO_IPIP) {
		size_t ihl;

		if (len < UDPESP_IPV4_HLEN || p[0] >> 4 != 4)
			return UDPESP_DROP_INNER;
		ihl = (p[0] & 0x0f) * 4u;
		ip_len = get16(p + 2);
		if (ihl < UDPESP_IPV4_HLEN || ip_len < ihl || ip_len > len)
			return UDPESP_DROP_INNER;
		family = UDPESP_AF_INET;
	} else if (nh == IPPROTO_IPV6) {
		if (len < UDPESP_IPV6_HLEN || p[0] >> 4 != 6)
			return UDPESP_DROP_INNER;
		ip_len = UDPESP_IPV6_HLEN + get16(p + 4);
		if (ip_len > len)
			return UDPESP_DROP_INNER;
		family = UDPESP_AF_INET6;
	} else {
		return UDPESP_DROP_NEXT_HDR;
	}
	if (sa->suite->inner_family && sa->suite->inner_family != family)
		return UDPESP_DROP_SELECTOR;
	if (sa->nsel &&
	    (!esp_sel_pkt_parse(p, ip_len, &k) || esp_sel_find(sa->sel, sa->nsel, &k) < 0))
		return UDPESP_DROP_SELECTOR;
	out->inner_family = family;
	out->inner_len = ip_len;
	return UDPESP_DECAP_OK;
}

/* Offset of the checksum the pseudo-header covers, or -1 for none. */
static int l4_csum_off(__u8 nh, __u8 family)
{
	switch (nh) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMPV6:
		return family == UDPESP_AF_INET6 ? 2 : -1;
	default:
		return -1; /* ICMP, SCTP (CRC32c), ...: nothing to fix */
	}
}

/*
 * Transport mode: what the next header may be, and how long the segment
 * really is. IP-in-IP belongs to tunnel mode and a hop-by-hop header must
 * follow the IP header directly, so those are refused; everything else
 * is the host stack's to judge, as in Linux. A UDP datagram's own length
 * ends it, so TFC padding after it is dropped (RFC 4303 2.7); TCP and
 * ICMPv6 must at least hold their checksum.
 */
static enum udpesp_decap_verdict transport_segment(__u8 family, const __u8 *p, size_t *len, __u8 nh)
{
	size_t udp_len;

	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		return UDPESP_DROP_NEXT_HDR;
	case IPPROTO_UDP:
		if (*len < UDPESP_UDP_HLEN)
			return UDPESP_DROP_INNER;
		udp_len = get16(p + 4);
		if (udp_len < UDPESP_UDP_HLEN || udp_len > *len)
			return UDPESP_DROP_INNER;
		*len = udp_len;
		return UDPESP_DECAP_OK;
	case IPPROTO_TCP:
		return *len < 20 ? UDPESP_DROP_INNER : UDPESP_DECAP_OK;
	case IPPROTO_ICMPV6:
		if (family == UDPESP_AF_INET6 && *len < 4)
			return UDPESP_DROP_INNER;
		return UDPESP_DECAP_OK;
	default:
		return UDPESP_DECAP_OK;
	}
}

/*
 * Transport mode: the segment must match one of the SA's selectors, as
 * the outer header and its next header make it (RFC 4301 5.2). Their
 * addresses come zeroed (sa_esp_sels()): they are the SA's own, which a
 * NAT rewrites; protocol and ports remain (L2TP's udp/1701, say).
 */
static enum udpesp_decap_verdict transport_selector(const struct esp_decap_sa *sa,
						    const __u8 *frame, const struct outer *o,
						    const __u8 *seg, size_t len, __u8 nh)
{
	const __u8 *ip = frame + o->l3;
	size_t a = o->family == UDPESP_AF_INET ? 12 : 8,
	       alen = o->family == UDPESP_AF_INET ? 4 : 16;
	struct esp_sel_pkt k;

	if (!sa->nsel)
		return UDPESP_DECAP_OK;
	esp_sel_pkt_segment(&k, o->family, ip + a, ip + a + alen, nh, seg, len);
	return esp_sel_find(sa->sel, sa->nsel, &k) < 0 ? UDPESP_DROP_SELECTOR : UDPESP_DECAP_OK;
}

/*
 * RFC 3948 3.1.2: the sender summed its own (pre-NAT) address into the
 * TCP/UDP pseudo-header, we received another. With the original source
 * known (NAT-OA), swap it for the received one incrementally (RFC 1624
 * eqn. 3: HC' = ~(~HC + ~m + m')); without it, recompute the sum over
 * the received addresses. The ESP ICV already vouched for the segment.
 * An IPv4 UDP checksum of 0 means "none" and stays 0; a computed UDP 0
 * is sent as 0xffff (RFC 768).
 */
static void fix_l4_csum(const struct esp_decap_sa *sa, __u8 family, const __u8 *ip, __u8 nh,
			__u8 *l4, size_t len)
{
	size_t alen = family == UDPESP_AF_INET ? 4 : 16;
	const __u8 *saddr = ip + (family == UDPESP_AF_INET ? 12 : 8);
	int off = l4_csum_off(nh, family);
	__u16 csum, word;
	__u64 sum;

	if (off < 0)
		return;
	memcpy(&csum, l4 + off, 2);
	if (nh == IPPROTO_UDP && family == UDPESP_AF_INET && !csum)
		return;
	if (sa->orig_src.family == family) {
		word = udpesp_csum_replace(csum, sa->orig_src.addr, saddr, alen);
	} else {
		/* Source and destination are adjacent in both headers. */
		memset(l4 + off, 0, 2);
		sum = udpesp_csum_pseudo(saddr, alen, nh, (__u16)len);
		word = (__u16)~udpesp_csum_fold(udpesp_csum_add(sum, l4, len));
	}
	if (nh == IPPROTO_UDP && !word)
		word = 0xffff;
	memcpy(l4 + off, &word, 2);
}

/*
 * Put the outer IP header right in front of the segment (over UDP, the
 * ESP header and IV), as Linux's transport-mode input does: the next
 * header becomes the protocol, lengths shrink, the IPv4 header checksum
 * is recomputed. Options move along with the header.
 */
static void transport_rebuild(const struct esp_decap_sa *sa, __u8 *frame, const struct outer *o,
			      size_t seg_off, size_t seg_len, __u8 nh, struct esp_decap_out *out)
{
	size_t l3 = seg_off - o->hlen;
	__u8 *ip = frame + l3;
	__u16 csum;

	memmove(ip, frame + o->l3, o->hlen);
	if (o->family == UDPESP_AF_INET) {
		ip[9] = nh;
		put16(ip + 2, (__u16)(o->hlen + seg_len));
		ip[10] = ip[11] = 0;
		csum = udpesp_csum(ip, o->hlen);
		memcpy(ip + 10, &csum, 2);
	} else {
		ip[6] = nh;
		put16(ip + 4, (__u16)seg_len);
	}
	fix_l4_csum(sa, o->family, ip, nh, frame + seg_off, seg_len);
	out->inner_off = l3;
	out->inner_len = o->hlen + seg_len;
	out->inner_family = o->family;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * replay->lock is a plain u32 in the mmap()ed map shared by every
 * worker (and read, never taken, by XDP), so a test-and-test-and-set
 * spinlock: held for a bitmap update only.
 */
static void replay_lock(struct udpesp_replay *r)
{
	while (__atomic_exchange_n(&r->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&r->lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static void replay_unlock(struct udpesp_replay *r)
{
	__atomic_store_n(&r->lock, 0, __ATOMIC_RELEASE);
}

/*
 * Check again and advance: another worker may have accepted the same
 * number since the pre-check. seq is the number the ICV was verified
 * with, so it is not inferred again from a window that may have moved.
 */
static enum udpesp_decap_verdict replay_commit(struct udpesp_replay *r, __u64 seq)
{
	enum udpesp_decap_verdict v = UDPESP_DECAP_OK;

	replay_lock(r);
	if (udpesp_replay_check(r, seq))
		v = UDPESP_DROP_REPLAY;
	else
		udpesp_replay_advance(r, seq);
	replay_unlock(r);
	return v;
}

enum udpesp_decap_verdict esp_decap(const struct esp_decap_sa *sa, struct esp_crypto_thread *t,
				    __u8 *frame, size_t len, const struct udpesp_xdp_meta *meta,
				    struct esp_decap_out *out)
{
	const struct esp_suite *s = sa->suite;
	struct udpesp_replay *r = sa->replay;
	size_t ct_len, pt_off, data_len;
	enum udpesp_decap_verdict v;
	struct outer o;
	__u8 *esp, *pt, padlen, nh;
	__u64 seq;
	int ret;

	v = parse_outer(frame, len, meta, &o);
	if (v)
		return v;
	/* Whole cipher blocks between IV and ICV (RFC 4303 2.4). */
	if (o.esp_len < s->min_len)
		return UDPESP_DROP_HDR;
	ct_len = o.esp_len - UDPESP_ESP_HLEN - s->iv_len - s->icv_len;
	if (ct_len % s->block)
		return UDPESP_DROP_HDR;
	esp = frame + o.esp;

	/*
	 * Pre-check without the lock, like XDP: a stale window only lets a
	 * duplicate through to the re-check, or (as in XDP) drops one whose
	 * number was just reused by the window moving on.
	 */
	seq = udpesp_replay_seq(__atomic_load_n(&r->top, __ATOMIC_RELAXED),
				__atomic_load_n(&r->window, __ATOMIC_RELAXED), get32(esp + 4),
				sa->esn);
	if (udpesp_replay_check(r, seq))
		return UDPESP_DROP_REPLAY;

	ret = esp_crypto_decrypt(sa->crypto, t, esp, o.esp_len, sa->esn, (__u32)(seq >> 32));
	if (ret == -EBADMSG)
		return UDPESP_DROP_ICV;
	if (ret)
		return UDPESP_DROP_HDR; /* a shape the backend refuses */
	out->seq = seq;
	out->esp_len = (__u32)o.esp_len;

	/* Trailer: pad length, then pad bytes 1, 2, 3 ... (RFC 4303 2.4). */
	pt_off = o.esp + UDPESP_ESP_HLEN + s->iv_len;
	pt = frame + pt_off;
	padlen = pt[ct_len - 2];
	nh = pt[ct_len - 1];
	out->next_header = nh;
	if ((size_t)padlen + 2 > ct_len)
		return UDPESP_DROP_PADDING;
	data_len = ct_len - 2 - padlen;
	for (unsigned int i = 0; i < padlen; i++)
		if (pt[data_len + i] != (__u8)(i + 1))
			return UDPESP_DROP_PADDING;

	/* RFC 4303 2.6: authentic, so it takes its number; never delivered. */
	if (nh == IPPROTO_NONE) {
		v = replay_commit(r, seq);
		return v ? v : UDPESP_DROP_DUMMY;
	}

	if (sa->mode == UDPESP_MODE_TUNNEL) {
		v = tunnel_inner(sa, pt, data_len, nh, out);
		if (v)
			return v;
		out->inner_off = (__u32)pt_off;
		/*
		 * RFC 6040 4.2: congestion marked on the outer header reaches
		 * the inner one; CE over Not-ECT cannot, and is dropped. The
		 * packet is authentic, so it still takes its number.
		 */
		if (udpesp_ecn_decap_ip(udpesp_ecn_of(frame + o.l3, o.family), pt,
					out->inner_len)) {
			v = replay_commit(r, seq);
			return v ? v : UDPESP_DROP_ECN;
		}
	} else if (sa->mode == UDPESP_MODE_TRANSPORT) {
		v = transport_segment(o.family, pt, &data_len, nh);
		if (!v)
			v = transport_selector(sa, frame, &o, pt, data_len, nh);
		if (v)
			return v;
		transport_rebuild(sa, frame, &o, pt_off, data_len, nh, out);
	} else {
		return UDPESP_DROP_NEXT_HDR; /* no mode: nothing may be delivered */
	}
	return replay_commit(r, seq);
}
