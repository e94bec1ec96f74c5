// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Coalescing of inner packets as Linux GRO merges them (see esp_gro.h). */
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>

#include "esp_gro.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_URG 0x20
#define TCP_CWR 0x80
#define UDP_GRO_CNT_MAX 64 /* as the kernel's */
#define GRO_MAX_LEN 0xffff

enum esp_gro_kind {
	GRO_NOT_IP, /* not even an IP header to name a flow by */
	GRO_IP,	    /* an IP packet that does not merge */
	GRO_TCP,    /* TCP or UDP that may merge */
	GRO_UDP,
};

/* What the loop knows of a packet and of an item being built. */
struct esp_gro_info {
	struct esp_gso_l4 l4;
	enum esp_gro_kind kind;
	__u32 payload;
};

struct esp_gro_open {
	struct esp_gro_info fi; /* of the first packet */
	__u32 next_seq;		/* TCP: where the item ends */
	bool fixed_id;		/* IPv4: every id the first's (DF set) */
	bool open;
};

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

/* The TCP/UDP checksum of the whole packet verifies (sums to all ones). */
static bool esp_gro_l4_csum_ok(const __u8 *p, __u32 len, const struct esp_gso_l4 *l4)
{
	__u32 l4len = len - l4->l4_off;

	return udpesp_csum_fold(esp_gso_pseudo(p, l4->family, l4->proto, l4len) +
				udpesp_csum_add(0, p + l4->l4_off, l4len)) == 0xffff;
}

static void esp_gro_classify(const struct esp_gro_pkt *pkt, struct esp_gro_info *in)
{
	const __u8 *p = pkt->data;

	in->payload = 0;
	if (esp_gso_parse(p, pkt->len, &in->l4)) {
		/* A fragment or a bad length still names its addresses. */
		in->kind = pkt->len >= 20 && p[0] >> 4 == 4 ? GRO_IP :
			   pkt->len >= 40 && p[0] >> 4 == 6 ? GRO_IP :
							      GRO_NOT_IP;
		in->l4.family = in->kind == GRO_IP ? p[0] >> 4 : 0;
		in->l4.proto = 0;
		return;
	}
	in->kind = GRO_IP;
	in->payload = pkt->len - in->l4.hdr_len;
	if (in->l4.proto != IPPROTO_TCP && in->l4.proto != IPPROTO_UDP)
		return;
	if (in->l4.family == 4 &&
	    (p[0] != 0x45 || udpesp_csum_fold(udpesp_csum_add(0, p, 20)) != 0xffff))
		return;
	if (in->l4.proto == IPPROTO_UDP) {
		const __u8 *uh = p + in->l4.l4_off;

		/* Checksum 0 never merges, for symmetry with GSO (kernel). */
		if (!get16(uh + 6) || get16(uh + 4) != pkt->len - in->l4.l4_off ||
		    get16(uh + 4) <= 8)
			return;
	}
	if (!esp_gro_l4_csum_ok(p, pkt->len, &in->l4))
		return;
	in->kind = in->l4.proto == IPPROTO_TCP ? GRO_TCP : GRO_UDP;
}

static bool esp_gro_same_addrs(const __u8 *a, const __u8 *b, __u8 family)
{
	return family == 4 ? !memcmp(a + 12, b + 12, 8) : !memcmp(a + 8, b + 8, 32);
}

/* Same flow: addresses, protocol and ports. */
static bool esp_gro_same_flow(const __u8 *a, const struct esp_gro_info *ai, const __u8 *b,
			      const struct esp_gro_info *bi)
{
	return ai->l4.family == bi->l4.family && ai->l4.proto == bi->l4.proto &&
	       esp_gro_same_addrs(a, b, ai->l4.family) &&
	       !memcmp(a + ai->l4.l4_off, b + bi->l4.l4_off, 4);
}

/*
 * inet_gro_flush() / ipv6_gro_flush() and the IPv6 flow test, as one.
 * IPv4 ids: incrementing, or (DF set, decided by the second packet as
 * the kernel decides it) all the same.
 */
static bool esp_gro_ip_compatible(const __u8 *f, const __u8 *q, struct esp_gro_open *o, __u16 count)
{
	const struct esp_gro_info *fi = &o->fi;

	if (fi->l4.family == 4) {
		__u16 off = get16(q + 4) - get16(f + 4);

		if (f[8] != q[8] || f[1] != q[1] || (f[6] & 0x40) != (q[6] & 0x40))
			return false;
		if (count == 1 && (f[6] & 0x40) && !off)
			o->fixed_id = true;
		return off == (o->fixed_id ? 0 : count);
	}
	/* Version, traffic class, flow label; hop limit; extension headers. */
	return !memcmp(f, q, 4) && f[6] == q[6] && f[7] == q[7] &&
	       !memcmp(f + 40, q + 40, fi->l4.l4_off - 40);
}

static bool esp_gro_tcp_merges(const __u8 *f, const __u8 *q, const struct esp_gro_open *o,
			       const struct esp_gro_info *qi)
{
	const __u8 *ft = f + o->fi.l4.l4_off, *qt = q + qi->l4.l4_off;
	__u8 fl = ft[13] & ~(TCP_CWR | TCP_FIN | TCP_PSH), ql = qt[13] & ~(TCP_FIN | TCP_PSH);

	/* Header length, flags (CWR in q: never), window, ack, options. */
	return qi->l4.hdr_len == o->fi.l4.hdr_len && qi->payload && qi->payload <= o->fi.payload &&
	       get32(qt + 4) == o->next_seq && !memcmp(ft + 8, qt + 8, 5) && fl == ql &&
	       !memcmp(ft + 14, qt + 14, 2) &&
	       !memcmp(ft + 20, qt + 20, o->fi.l4.hdr_len - o->fi.l4.l4_off - 20);
}

/* Rewrite an item's first packet as the GRO packet of all of them. */
static void esp_gro_complete(struct esp_gro_pkt *pkts, struct esp_gro_item *it,
			     const struct esp_gro_open *o, __u8 last_flags)
{
	const struct esp_gso_l4 *l4 = &o->fi.l4;
	__u8 *p = pkts[it->first].data, *th = p + l4->l4_off;
	__u32 l4len = it->len - l4->l4_off;
	__u16 c;

	if (l4->family == 4) {
		put16(p + 2, it->len);
		memset(p + 10, 0, 2);
		c = (__u16)~udpesp_csum_fold(udpesp_csum_add(0, p, 20));
		memcpy(p + 10, &c, 2);
	} else {
		put16(p + 4, it->len - 40);
	}
	it->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	it->vh.hdr_len = l4->hdr_len;
	it->vh.gso_size = o->fi.payload;
	it->vh.csum_start = l4->l4_off;
	/* The field: the pseudo-header sum, for the kernel to complete. */
	c = udpesp_csum_fold(esp_gso_pseudo(p, l4->family, l4->proto, l4len));
	if (l4->proto == IPPROTO_TCP) {
		th[13] |= last_flags & (TCP_FIN | TCP_PSH);
		it->vh.gso_type = l4->family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
						    VIRTIO_NET_HDR_GSO_TCPV6;
		if (th[13] & TCP_CWR)
			it->vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		it->vh.csum_offset = 16;
		memcpy(th + 16, &c, 2);
	} else {
		put16(th + 4, l4len);
		it->vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		it->vh.csum_offset = 6;
		memcpy(th + 6, &c, 2);
	}
}

/* No more packets join item k: give it its GRO headers if it has several. */
static void esp_gro_close(struct esp_gro_pkt *pkts, struct esp_gro_item *items,
			  struct esp_gro_open *open, const __u16 *last, unsigned int k)
{
	const struct esp_gro_open *o = &open[k];

	open[k].open = false;
	if (items[k].count > 1)
		esp_gro_complete(pkts, &items[k], o,
				 o->fi.kind == GRO_TCP ? pkts[last[k]].data[o->fi.l4.l4_off + 13] :
							 0);
}

/* Does q join item k (whose flow it is)? Updates the item if so. */
static bool esp_gro_merge(struct esp_gro_pkt *pkts, struct esp_gro_item *it, struct esp_gro_open *o,
			  __u16 *last_k, __u16 *next, unsigned int i, const struct esp_gro_info *qi)
{
	const __u8 *f = pkts[it->first].data, *q = pkts[i].data;

	/* Same header layout first: the comparisons below read as far as it goes. */
	if (qi->l4.l4_off != o->fi.l4.l4_off || qi->l4.hdr_len != o->fi.l4.hdr_len ||
	    it->len + qi->payload > GRO_MAX_LEN || !esp_gro_ip_compatible(f, q, o, it->count))
		return false;
	if (qi->kind == GRO_TCP ? !esp_gro_tcp_merges(f, q, o, qi) : qi->payload > o->fi.payload)
		return false;
	next[*last_k] = i;
	*last_k = i;
	it->count++;
	it->len += qi->payload;
	o->next_seq += qi->payload;
	return true;
}

unsigned int esp_gro_batch(struct esp_gro_pkt *pkts, unsigned int n, struct esp_gro_item *items,
			   __u16 *next)
{
	struct esp_gro_open open[ESP_GRO_MAX];
	__u16 last[ESP_GRO_MAX];
	unsigned int nitems = 0;

	if (n > ESP_GRO_MAX)
		n = ESP_GRO_MAX;
	for (unsigned int i = 0; i < n; i++) {
		const __u8 *q = pkts[i].data;
		struct esp_gro_info qi;
		struct esp_gro_open *o;
		struct esp_gro_item *it;
		int k_flow = -1;

		next[i] = ESP_GRO_END;
		esp_gro_classify(&pkts[i], &qi);
		/*
		 * The open item of this packet's flow; a packet that cannot
		 * merge closes every open item of its addresses (any packet
		 * of a flow it might belong to must not overtake them).
		 */
		for (unsigned int k = 0; k < nitems; k++) {
			const __u8 *f = pkts[items[k].first].data;

			if (!open[k].open)
				continue;
			if (qi.kind == GRO_NOT_IP) {
				esp_gro_close(pkts, items, open, last, k);
				continue;
			}
			if (open[k].fi.l4.family != qi.l4.family ||
			    !esp_gro_same_addrs(f, q, qi.l4.family))
				continue;
			if (qi.kind == GRO_IP)
				esp_gro_close(pkts, items, open, last, k);
			else if (esp_gro_same_flow(f, &open[k].fi, q, &qi))
				k_flow = k;
		}
		if (k_flow >= 0) {
			o = &open[k_flow];
			it = &items[k_flow];
			if (esp_gro_merge(pkts, it, o, &last[k_flow], next, i, &qi)) {
				__u8 fl = qi.kind == GRO_TCP ? q[qi.l4.l4_off + 13] : 0;

				if (qi.payload < o->fi.payload || fl & (TCP_FIN | TCP_PSH) ||
				    (qi.kind == GRO_UDP && it->count >= UDP_GRO_CNT_MAX))
					esp_gro_close(pkts, items, open, last, k_flow);
				continue;
			}
			esp_gro_close(pkts, items, open, last, k_flow);
		}
		it = &items[nitems];
		memset(it, 0, sizeof(*it));
		it->first = i;
		it->count = 1;
		it->skip = qi.l4.hdr_len;
		it->len = pkts[i].len;
		last[nitems] = i;
		o = &open[nitems++];
		o->fi = qi;
		o->fixed_id = false;
		o->open = qi.kind == GRO_UDP ||
			  (qi.kind == GRO_TCP && qi.payload &&
			   !(q[qi.l4.l4_off + 13] &
			     (TCP_URG | TCP_PSH | TCP_RST | TCP_SYN | TCP_FIN)));
		o->next_seq = qi.kind == GRO_TCP ? get32(q + qi.l4.l4_off + 4) + qi.payload : 0;
	}
	for (unsigned int k = 0; k < nitems; k++)
		if (open[k].open)
			esp_gro_close(pkts, items, open, last, k);
	return nitems;
}
