// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Segmentation of TSO/USO super-packets (see esp_gso.h). */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "esp_gso.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

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

static inline void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static int esp_gso_parse_l4(const __u8 *pkt, size_t len, struct esp_gso_l4 *l4)
{
	size_t off = l4->l4_off;

	if (l4->proto == IPPROTO_TCP) {
		unsigned int doff;

		if (off + 20 > len)
			return -EINVAL;
		doff = (pkt[off + 12] >> 4) * 4u;
		if (doff < 20 || off + doff > len)
			return -EINVAL;
		l4->hdr_len = off + doff;
	} else if (l4->proto == IPPROTO_UDP) {
		if (off + 8 > len)
			return -EINVAL;
		l4->hdr_len = off + 8;
	} else {
		l4->hdr_len = off;
	}
	return 0;
}

int esp_gso_parse(const __u8 *pkt, size_t len, struct esp_gso_l4 *l4)
{
	memset(l4, 0, sizeof(*l4));
	if (len < 20 || len > 0xffff + 40)
		return -EINVAL;
	if (pkt[0] >> 4 == 4) {
		unsigned int ihl = (pkt[0] & 0xf) * 4u;

		/* No fragments: they carry no (whole) L4 header to cut or merge. */
		if (ihl < 20 || ihl > len || get16(pkt + 2) != len || get16(pkt + 6) & 0x3fff)
			return -EINVAL;
		l4->family = 4;
		l4->proto = pkt[9];
		l4->l4_off = ihl;
	} else if (pkt[0] >> 4 == 6) {
		size_t off = 40;
		__u8 nh;

		if (len < 40 || get16(pkt + 4) + 40u != len)
			return -EINVAL;
		nh = pkt[6];
		/* Hop-by-hop (first only), routing and destination options. */
		while (nh == 43 || nh == 60 || (nh == 0 && off == 40)) {
			if (off + 8 > len)
				return -EINVAL;
			nh = pkt[off];
			off += (pkt[off + 1] + 1) * 8u;
			if (off > len)
				return -EINVAL;
		}
		l4->family = 6;
		l4->proto = nh;
		l4->l4_off = off;
	} else {
		return -EINVAL;
	}
	return esp_gso_parse_l4(pkt, len, l4);
}

/* skb_checksum_help(): the field holds the pseudo-header sum already. */
static int esp_gso_csum_help(__u8 *pkt, size_t len, const struct virtio_net_hdr *vh)
{
	size_t start = vh->csum_start, at = start + vh->csum_offset;
	__u16 c;

	if (at + 2 > len)
		return -EINVAL;
	c = (__u16)~udpesp_csum_fold(udpesp_csum_add(0, pkt + start, len - start));
	if (!c)
		c = 0xffff;
	memcpy(pkt + at, &c, 2);
	return 0;
}

int esp_gso_start(struct esp_gso *g, const struct virtio_net_hdr *vh, __u8 *pkt, size_t len)
{
	__u8 type = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	bool csum = vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	size_t payload;
	int err;

	memset(g, 0, sizeof(*g));
	g->pkt = pkt;
	g->len = len;
	g->nsegs = 1;
	if (type == VIRTIO_NET_HDR_GSO_NONE)
		return csum ? esp_gso_csum_help(pkt, len, vh) : 0;
	if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6 &&
	    type != VIRTIO_NET_HDR_GSO_UDP_L4)
		return -EOPNOTSUPP;
	err = esp_gso_parse(pkt, len, &g->l4);
	if (err)
		return err;
	if (!vh->gso_size)
		return -EINVAL;
	if (type == VIRTIO_NET_HDR_GSO_UDP_L4 ?
		    g->l4.proto != IPPROTO_UDP :
		    g->l4.proto != IPPROTO_TCP ||
			    g->l4.family != (type == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : 6))
		return -EINVAL;
	if (csum && (vh->csum_start != g->l4.l4_off ||
		     vh->csum_offset != (g->l4.proto == IPPROTO_TCP ? 16 : 6)))
		return -EINVAL;
	payload = len - g->l4.hdr_len;
	/* Not more than one segment: the kernel sends it as it is. */
	if (payload <= vh->gso_size)
		return csum ? esp_gso_csum_help(pkt, len, vh) : 0;
	g->gso_size = vh->gso_size;
	g->nsegs = (payload + g->gso_size - 1) / g->gso_size;
	if (g->l4.family == 4)
		g->ip_id = get16(pkt + 4);
	if (g->l4.proto == IPPROTO_TCP)
		g->seq = get32(pkt + g->l4.l4_off + 4);
	return 0;
}

long esp_gso_next(struct esp_gso *g, __u8 *dst, size_t room)
{
	const struct esp_gso_l4 *l4 = &g->l4;
	size_t hl = l4->hdr_len, plen, n;
	__u8 *th = dst + l4->l4_off;
	bool last = g->index + 1 == g->nsegs;
	__u16 c;

	if (g->index >= g->nsegs)
		return 0;
	if (!g->gso_size) {
		if (g->len > room)
			return -ENOSPC;
		memcpy(dst, g->pkt, g->len);
		g->index++;
		return g->len;
	}
	plen = g->len - hl - g->off;
	if (plen > g->gso_size)
		plen = g->gso_size;
	n = hl + plen;
	if (n > room)
		return -ENOSPC;
	memcpy(dst, g->pkt, hl);
	memcpy(dst + hl, g->pkt + hl + g->off, plen);
	if (l4->family == 4) {
		put16(dst + 2, n);
		put16(dst + 4, g->ip_id + g->index);
		memset(dst + 10, 0, 2);
		c = (__u16)~udpesp_csum_fold(udpesp_csum_add(0, dst, l4->l4_off));
		memcpy(dst + 10, &c, 2);
	} else {
		put16(dst + 4, n - 40);
	}
	if (l4->proto == IPPROTO_TCP) {
		put32(th + 4, g->seq + g->off);
		if (!last)
			th[13] &= ~(TCP_FIN | TCP_PSH);
		if (g->index)
			th[13] &= ~TCP_CWR;
		memset(th + 16, 0, 2);
		c = (__u16)~udpesp_csum_fold(
			esp_gso_pseudo(dst, l4->family, IPPROTO_TCP, n - l4->l4_off) +
			udpesp_csum_add(0, th, n - l4->l4_off));
		memcpy(th + 16, &c, 2);
	} else {
		put16(th + 4, n - l4->l4_off);
		memset(th + 6, 0, 2);
		c = (__u16)~udpesp_csum_fold(
			esp_gso_pseudo(dst, l4->family, IPPROTO_UDP, n - l4->l4_off) +
			udpesp_csum_add(0, th, n - l4->l4_off));
		if (!c)
			c = 0xffff; /* RFC 768: 0 means no checksum */
		memcpy(th + 6, &c, 2);
	}
	g->off += plen;
	g->index++;
	return n;
}
