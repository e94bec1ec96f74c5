// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpesp_xdp: the receive classifier for UDP-encapsulated ESP (RFC 3948).
 *
 * For UDP to a port with a parser entry it demultiplexes as Linux's
 * xfrm4_udp_encap_rcv() does: a lone 0xFF byte is a NAT-keepalive
 * (dropped), a zero first word is IKE (passed up untouched), anything else
 * of 8 bytes or less goes up to the socket, and the rest is ESP. ESP is
 * looked up by (SPI, destination, family), pre-checked against the SA's
 * replay window, and handed to the SA's crypto backend. Everything else
 * passes untouched after one array lookup at most.
 */
#include "lib/parse.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include <udpesp/replay.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Never called, so never loaded: it only puts the ABI types that no map
 * uses (the AF_XDP metadata, the counter enum) into the object's BTF, for
 * bpftool, the AF_XDP workers' readers and tests/unit/test_abi.c.
 */
static __attribute__((used)) int udpesp_btf_types(struct udpesp_xdp_meta *meta
						  __attribute__((unused)),
						  enum udpesp_counter counter
						  __attribute__((unused)))
{
	return 0;
}

struct esp_hdr {
	__be32 spi;
	__be32 seq;
};

static __always_inline int parse_ipv4(struct pkt *p, struct iphdr *iph)
{
	__u32 hlen;

	if ((void *)(iph + 1) > p->data_end)
		return XDP_PASS;
	if (iph->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (iph->version != 4 || iph->ihl < 5)
		return XDP_PASS; /* not a valid IPv4 header: the stack drops it */
	if (iph->frag_off & bpf_htons(UDPESP_IPV4_FRAG_MASK)) {
		/* A fragment has no (or only part of the) UDP payload: never ESP. */
		count(UDPESP_CNT_RX_IP_FRAGMENT);
		return XDP_PASS;
	}
	hlen = iph->ihl * 4;
	p->udp = (void *)iph + hlen;
	if ((void *)(p->udp + 1) > p->data_end)
		return XDP_PASS;
	p->family = UDPESP_AF_INET;
	p->l3_off = (void *)iph - p->data;
	p->l4_off = (void *)p->udp - p->data;
	p->daddr[0] = iph->daddr;
	/* Room left for UDP per the IP header; checked once the port matters. */
	p->ip_payload = (int)bpf_ntohs(iph->tot_len) - (int)hlen;
	return PARSE_OK;
}

static __always_inline int parse_ipv6(struct pkt *p, struct ipv6hdr *ip6)
{
	if ((void *)(ip6 + 1) > p->data_end)
		return XDP_PASS;
	if (ip6->nexthdr != IPPROTO_UDP) {
		if (ipv6_is_ext_hdr(ip6->nexthdr))
			count(UDPESP_CNT_RX_IPV6_EXTHDR);
		return XDP_PASS;
	}
	p->udp = (void *)(ip6 + 1);
	if ((void *)(p->udp + 1) > p->data_end)
		return XDP_PASS;
	p->family = UDPESP_AF_INET6;
	p->l3_off = (void *)ip6 - p->data;
	p->l4_off = (void *)p->udp - p->data;
	__builtin_memcpy(p->daddr, &ip6->daddr, sizeof(p->daddr));
	p->ip_payload = bpf_ntohs(ip6->payload_len);
	return PARSE_OK;
}

/*
 * Most specific parser entry first: this interface and address, this
 * interface and any address, any interface and this address, any and any
 * (bit i of variants is lookup i). Shapes absent on the port are skipped:
 * each hash lookup costs about as much as the rest of the IKE path.
 */
static __always_inline struct udpesp_parser_val *parser_lookup(struct xdp_md *ctx,
							       const struct pkt *p, __u8 variants)
{
	struct udpesp_parser_key key = {};
	struct udpesp_parser_val *pe;

	if (!variants)
		variants = 0xf; /* written without variants (e.g. by bpftool) */
	key.port = p->udp->dest;
	key.family = p->family;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (!(variants & (1 << i)))
			continue;
		key.ifindex = (i & 2) ? 0 : ctx->ingress_ifindex;
		if (i & 1)
			__builtin_memset(key.addr, 0, sizeof(key.addr));
		else
			__builtin_memcpy(key.addr, p->daddr, sizeof(key.addr));
		pe = bpf_map_lookup_elem(&udpesp_parser, &key);
		if (pe)
			return pe;
	}
	return NULL;
}

/* The SA slot and header offsets in XDP metadata, for either backend. */
static __always_inline int put_meta(struct xdp_md *ctx, const struct pkt *p,
				    const struct udpesp_sa *sa, __u64 seq)
{
	struct udpesp_xdp_meta *meta;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta))) {
		count(UDPESP_CNT_RX_META_ERROR);
		return -1;
	}
	/* adjust_meta invalidated every packet pointer: reload and re-check. */
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > data) {
		count(UDPESP_CNT_RX_META_ERROR);
		return -1;
	}
	meta->magic = UDPESP_META_MAGIC;
	meta->slot = sa->slot;
	meta->gen = sa->gen;
	meta->seq_hi = seq >> 32;
	meta->l3_off = p->l3_off;
	meta->l4_off = p->l4_off;
	meta->esp_off = p->l4_off + sizeof(struct udphdr);
	meta->family = p->family;
	meta->pad = 0;
	return 0;
}

static __always_inline int to_xsk(struct xdp_md *ctx, const struct pkt *p,
				  const struct udpesp_sa *sa, struct udpesp_sa_stats *st, __u64 seq)
{
	__u32 ifindex = ctx->ingress_ifindex, queue = ctx->rx_queue_index;
	__u32 *base;

	/* Pass up rather than redirect into nothing: the stack may still cope. */
	base = bpf_map_lookup_elem(&udpesp_xsk_base, &ifindex);
	if (base)
		queue += *base;
	if (!base || !bpf_map_lookup_elem(&udpesp_xsks, &queue)) {
		count(UDPESP_CNT_RX_NO_WORKER);
		if (st)
			st->no_worker++;
		return XDP_PASS;
	}
	if (put_meta(ctx, p, sa, seq))
		return XDP_PASS;
	count(UDPESP_CNT_RX_REDIRECT);
	return bpf_redirect_map(&udpesp_xsks, queue, XDP_PASS);
}

/*
 * In-kernel decryption: tail call into udpesp_kf_xdp (udpesp_kf.bpf.o),
 * which finds everything in the metadata. Returns only if no program is
 * there (kernel without bpf_crypto, or udpespd not running).
 */
static __always_inline int to_kfunc(struct xdp_md *ctx, const struct pkt *p,
				    const struct udpesp_sa *sa, __u64 seq)
{
	if (put_meta(ctx, p, sa, seq))
		return XDP_PASS;
	bpf_tail_call(ctx, &udpesp_kf_prog, 0);
	bpf_xdp_adjust_meta(ctx, (int)sizeof(struct udpesp_xdp_meta));
	count(UDPESP_CNT_RX_NO_BACKEND);
	return XDP_PASS;
}

static __always_inline int esp_rx(struct xdp_md *ctx, const struct pkt *p,
				  const struct udpesp_parser_val *pe, const struct esp_hdr *esp,
				  __u32 esp_len)
{
	struct udpesp_sa_key key = {};
	struct udpesp_sa_stats *st;
	struct udpesp_replay *rp;
	struct udpesp_sa *sa;
	__u32 slot;
	__u64 seq;

	key.spi = esp->spi;
	key.family = p->family;
	__builtin_memcpy(key.daddr, p->daddr, sizeof(key.daddr));
	sa = bpf_map_lookup_elem(&udpesp_sa, &key);
	if (!sa) {
		/* Not ours: the host stack or the IKE daemon decides. */
		count(UDPESP_CNT_IN_NO_STATES);
		return XDP_PASS;
	}
	if (sa->flags & UDPESP_SA_F_DYING) {
		count(UDPESP_CNT_IN_STATE_INVALID);
		return XDP_PASS;
	}
	st = sa_stats(sa);
	if (st) {
		st->rx_packets++;
		st->rx_bytes += esp_len;
	}
	if (sa->encap != pe->encap) {
		count(UDPESP_CNT_IN_STATE_MISMATCH);
		return XDP_DROP;
	}
	if (esp_len < sa->min_len) {
		count(UDPESP_CNT_IN_HDR_ERROR);
		if (st)
			st->hdr_error++;
		return XDP_DROP;
	}

	slot = sa->slot;
	rp = bpf_map_lookup_elem(&udpesp_replay, &slot);
	if (!rp) {
		count(UDPESP_CNT_IN_ERROR); /* slot outside the table: daemon bug */
		return XDP_DROP;
	}
	/*
	 * Read-only pre-check. A worker may advance the window meanwhile; a
	 * stale read only lets a packet through to the authoritative re-check.
	 */
	seq = udpesp_replay_seq(rp->top, rp->window, bpf_ntohl(esp->seq),
				sa->flags & UDPESP_SA_F_ESN);
	if (udpesp_replay_check(rp, seq)) {
		count(UDPESP_CNT_IN_STATE_SEQ_ERROR);
		if (st)
			st->replay++;
		return XDP_DROP;
	}

	switch (sa->backend) {
	case UDPESP_BACKEND_XSK:
		return to_xsk(ctx, p, sa, st, seq);
	case UDPESP_BACKEND_KFUNC:
		return to_kfunc(ctx, p, sa, seq);
	default:
		count(UDPESP_CNT_RX_NO_BACKEND);
		return XDP_PASS;
	}
}

/* RFC 3948 demultiplexing of one datagram on a parser-entry port. */
static __always_inline int espinudp_rx(struct xdp_md *ctx, const struct pkt *p,
				       const struct udpesp_parser_val *pe)
{
	__u8 *payload = (void *)(p->udp + 1);
	__u32 len = p->udp_len - sizeof(struct udphdr);

	if (len == 1) {
		if ((void *)(payload + 1) > p->data_end)
			return XDP_DROP; /* unreachable: udp_len was checked */
		if (payload[0] == 0xff) {
			count(UDPESP_CNT_RX_KEEPALIVE);
			return XDP_DROP;
		}
	}
	if (len >= 4) {
		if ((void *)(payload + 4) > p->data_end)
			return XDP_DROP;
		if (*(__u32 *)payload == 0) {
			count(UDPESP_CNT_RX_IKE);
			return XDP_PASS;
		}
	}
	if (len <= sizeof(struct esp_hdr)) {
		count(UDPESP_CNT_RX_SHORT);
		return XDP_PASS;
	}
	if ((void *)(payload + sizeof(struct esp_hdr)) > p->data_end)
		return XDP_DROP;
	count(UDPESP_CNT_RX_ESP);
	return esp_rx(ctx, p, pe, (const struct esp_hdr *)payload, len);
}

SEC("xdp")
int udpesp_xdp(struct xdp_md *ctx)
{
	struct pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
	};
	struct udpesp_parser_val *pe;
	struct udpesp_port_val *ports;
	void *l3 = NULL;
	__be16 proto;
	__u32 port;
	int act;

	proto = parse_eth(&p, &l3);
	if (proto == bpf_htons(ETH_P_IP))
		act = parse_ipv4(&p, l3);
	else if (proto == bpf_htons(ETH_P_IPV6))
		act = parse_ipv6(&p, l3);
	else
		return XDP_PASS;
	if (act != PARSE_OK)
		return act;

	port = bpf_ntohs(p.udp->dest);
	ports = bpf_map_lookup_elem(&udpesp_ports, &port);
	if (!ports || !ports->entries)
		return XDP_PASS; /* the common case: not a parser port */
	pe = parser_lookup(ctx, &p, ports->variants);
	if (!pe)
		return XDP_PASS;
	count(UDPESP_CNT_RX_ENCAP);

	/*
	 * From here on the datagram is ours to judge. Lengths that disagree
	 * (UDP vs IP vs what arrived) mean a malformed or truncated packet.
	 */
	p.udp_len = bpf_ntohs(p.udp->len);
	if (p.udp_len < sizeof(struct udphdr) || (int)p.udp_len > p.ip_payload ||
	    (void *)p.udp + p.udp_len > p.data_end) {
		count(UDPESP_CNT_IN_HDR_ERROR);
		return XDP_DROP;
	}

	switch (pe->encap) {
	case UDPESP_ENCAP_ESPINUDP:
		return espinudp_rx(ctx, &p, pe);
	default:
		return XDP_PASS; /* an encapsulation this build does not know */
	}
}
