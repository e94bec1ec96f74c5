// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Test packet builder (see pkt.h). Header fields are written byte by byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <udpesp/csum.h>

#include "pkt.h"

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_FRAGMENT 44
#define PROTO_ICMPV6 58
#define PROTO_DSTOPTS 60

#define TCP_HLEN 20
#define ICMP_HLEN 8

/* Locally administered unicast MACs: nothing real answers to them. */
static const __u8 mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const __u8 mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The checksum of a udpesp/csum.h sum, as the number put16() writes. */
static __u16 csum_of(__u64 sum)
{
	return ntohs((__u16)~udpesp_csum_fold(sum));
}

/* RFC 5737 and RFC 3849 ranges only. */
static int doc_addr(int family, const char *s, __u8 *out)
{
	static const __u8 v6_doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	if (inet_pton(family, s, out) != 1)
		return -EINVAL;
	if (family == AF_INET) {
		static const __u8 nets[][3] = {
			{ 192, 0, 2 },
			{ 198, 51, 100 },
			{ 203, 0, 113 },
		};

		for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
			if (!memcmp(out, nets[i], 3))
				return 0;
		return -EINVAL;
	}
	return memcmp(out, v6_doc, sizeof(v6_doc)) ? -EINVAL : 0;
}

static size_t l4_hlen(enum pkt_l4 l4)
{
	switch (l4) {
	case PKT_L4_UDP:
		return UDPESP_UDP_HLEN;
	case PKT_L4_TCP:
		return TCP_HLEN;
	case PKT_L4_ICMP:
		return ICMP_HLEN;
	}
	return 0;
}

static __u8 l4_proto(const struct pkt_spec *s)
{
	switch (s->l4) {
	case PKT_L4_UDP:
		return PROTO_UDP;
	case PKT_L4_TCP:
		return PROTO_TCP;
	case PKT_L4_ICMP:
		return s->family == AF_INET6 ? PROTO_ICMPV6 : PROTO_ICMP;
	}
	return 0;
}

static __u8 ext_proto(enum pkt_ext ext)
{
	switch (ext) {
	case PKT_EXT_HOPOPTS:
		return PROTO_HOPOPTS;
	case PKT_EXT_DSTOPTS:
		return PROTO_DSTOPTS;
	case PKT_EXT_FRAGMENT:
		return PROTO_FRAGMENT;
	case PKT_EXT_NONE:
		break;
	}
	return 0;
}

static size_t put_eth(__u8 *p, const struct pkt_spec *s, __u16 ethertype)
{
	static const __u16 def_tpid2[2] = { PKT_TPID_8021AD, PKT_TPID_8021Q };
	size_t off = 12;

	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	for (int i = 0; i < s->vlans; i++) {
		__u16 tpid = s->vlan_tpid[i];
		__u16 vid = s->vlan_id[i] ? s->vlan_id[i] : 100 * (i + 1);

		if (!tpid)
			tpid = s->vlans == 2 ? def_tpid2[i] : PKT_TPID_8021Q;
		put16(p + off, tpid);
		put16(p + off + 2, vid & 0x0fff);
		off += UDPESP_VLAN_HLEN;
	}
	put16(p + off, ethertype);
	return off + 2;
}

/* Fill in the L4 header at p (l4len bytes including payload) and its checksum. */
static void put_l4(__u8 *p, size_t l4len, const struct pkt_spec *s, __u64 pseudo_sum)
{
	__u16 sport = s->sport ? s->sport : PKT_PORT_NATT;
	__u16 dport = s->dport ? s->dport : PKT_PORT_NATT;
	__u16 csum;

	switch (s->l4) {
	case PKT_L4_UDP:
		put16(p, sport);
		put16(p + 2, dport);
		put16(p + 4, (__u16)(l4len + s->udp_len_delta));
		put16(p + 6, 0);
		csum = csum_of(udpesp_csum_add(pseudo_sum, p, l4len));
		/* 0 means "no checksum" in UDP: send all ones instead. */
		put16(p + 6, csum ? csum : 0xffff);
		return;
	case PKT_L4_TCP:
		put16(p, sport);
		put16(p + 2, dport);
		put32(p + 4, 1);      /* sequence number */
		put32(p + 8, 0);      /* acknowledgment */
		p[12] = 5 << 4;	      /* data offset: no options */
		p[13] = 0x18;	      /* PSH|ACK */
		put16(p + 14, 65535); /* window */
		put16(p + 16, 0);
		put16(p + 18, 0);
		put16(p + 16, csum_of(udpesp_csum_add(pseudo_sum, p, l4len)));
		return;
	case PKT_L4_ICMP:
		p[0] = s->family == AF_INET6 ? 128 : 8; /* echo request */
		p[1] = 0;
		put16(p + 2, 0);
		put16(p + 4, 0x4242); /* identifier */
		put16(p + 6, 1);      /* sequence */
		/* ICMPv4 has no pseudo-header; ICMPv6 does. */
		if (s->family != AF_INET6)
			pseudo_sum = 0;
		put16(p + 2, csum_of(udpesp_csum_add(pseudo_sum, p, l4len)));
		return;
	}
}

static int put_ipv4(__u8 *p, const struct pkt_spec *s, size_t l4len)
{
	size_t hlen = UDPESP_IPV4_HLEN + s->ip_opt_len;
	__u8 pseudo[12];
	int err;

	memset(p, 0, hlen);
	p[0] = 0x40 | (hlen / 4);
	put16(p + 2, (__u16)(hlen + l4len + s->ip_len_delta));
	put16(p + 4, 0x1234); /* identification */
	put16(p + 6, s->frag);
	p[8] = 64;
	p[9] = l4_proto(s);
	err = doc_addr(AF_INET, s->src ? s->src : PKT_V4_SRC, p + 12);
	if (!err)
		err = doc_addr(AF_INET, s->dst ? s->dst : PKT_V4_DST, p + 16);
	if (err)
		return err;
	memset(p + UDPESP_IPV4_HLEN, 1, s->ip_opt_len); /* NOP options */
	put16(p + 10, csum_of(udpesp_csum_add(0, p, hlen)));

	memcpy(pseudo, p + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = p[9];
	put16(pseudo + 10, (__u16)l4len);
	put_l4(p + hlen, l4len, s, udpesp_csum_add(0, pseudo, sizeof(pseudo)));
	return 0;
}

static int put_ipv6(__u8 *p, const struct pkt_spec *s, size_t l4len)
{
	size_t ext_len = s->ext ? PKT_EXT_HLEN : 0;
	__u8 *ext = p + UDPESP_IPV6_HLEN;
	__u8 len_proto[8] = { 0 };
	__u64 sum;
	int err;

	memset(p, 0, UDPESP_IPV6_HLEN + ext_len);
	p[0] = 0x60;
	put16(p + 4, (__u16)(ext_len + l4len + s->ip_len_delta));
	p[6] = s->ext ? ext_proto(s->ext) : l4_proto(s);
	p[7] = 64;
	err = doc_addr(AF_INET6, s->src ? s->src : PKT_V6_SRC, p + 8);
	if (!err)
		err = doc_addr(AF_INET6, s->dst ? s->dst : PKT_V6_DST, p + 24);
	if (err)
		return err;
	if (s->ext) {
		ext[0] = l4_proto(s);
		ext[1] = 0; /* length in 8-byte units beyond the first 8 */
		if (s->ext == PKT_EXT_FRAGMENT) {
			put32(ext + 4, 0x75657370); /* identification */
		} else {
			ext[2] = 1; /* PadN filling the rest of the header */
			ext[3] = 4;
		}
	}

	/* Pseudo-header: addresses, upper-layer length, next header. */
	put32(len_proto, (__u32)l4len);
	len_proto[7] = l4_proto(s);
	sum = udpesp_csum_add(udpesp_csum_add(0, p + 8, 32), len_proto, sizeof(len_proto));
	put_l4(p + UDPESP_IPV6_HLEN + ext_len, l4len, s, sum);
	return 0;
}

int pkt_build(void *buf, size_t cap, const struct pkt_spec *s, struct pkt_layout *lay)
{
	size_t l3hlen, l4len, len, off;
	struct pkt_layout l = { 0 };
	__u16 ethertype;
	__u8 *p = buf;
	int err = 0;

	if (s->vlans < 0 || s->vlans > 2 || (s->payload_len && !s->payload))
		return -EINVAL;
	switch (s->family) {
	case AF_INET:
		if (s->ip_opt_len % 4 || s->ip_opt_len > 40 || s->ext)
			return -EINVAL;
		l3hlen = UDPESP_IPV4_HLEN + s->ip_opt_len;
		break;
	case AF_INET6:
		if (s->ip_opt_len || s->frag)
			return -EINVAL;
		l3hlen = UDPESP_IPV6_HLEN + (s->ext ? PKT_EXT_HLEN : 0);
		break;
	case 0:
		l3hlen = 0;
		break;
	default:
		return -EINVAL;
	}
	l4len = s->family ? l4_hlen(s->l4) + s->payload_len : s->payload_len;
	len = UDPESP_ETH_HLEN + UDPESP_VLAN_HLEN * s->vlans + l3hlen + l4len;
	if (len > 0xffff || len > cap || s->pad_to > cap)
		return -ENOSPC;

	if (s->family == AF_INET)
		ethertype = PKT_ETH_P_IP;
	else if (s->family == AF_INET6)
		ethertype = PKT_ETH_P_IPV6;
	else
		ethertype = s->ethertype;
	l.l3_off = put_eth(p, s, ethertype);
	l.l4_off = l.l3_off + l3hlen;
	l.payload_off = s->family ? l.l4_off + l4_hlen(s->l4) : l.l3_off;
	/* Payload first: the L4 checksum covers it. */
	if (s->payload_len)
		memcpy(p + l.payload_off, s->payload, s->payload_len);
	if (s->family == AF_INET)
		err = put_ipv4(p + l.l3_off, s, l4len);
	else if (s->family == AF_INET6)
		err = put_ipv6(p + l.l3_off, s, l4len);
	if (err)
		return err;

	off = len;
	if (s->pad_to > len) {
		memset(p + len, 0, s->pad_to - len);
		off = s->pad_to;
	}
	l.len = off;
	if (lay)
		*lay = l;
	return (int)off;
}

void pkt_ipv4_csum_fix(void *buf, const struct pkt_layout *lay)
{
	__u8 *ip = (__u8 *)buf + lay->l3_off;
	size_t hlen = (ip[0] & 0x0f) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, csum_of(udpesp_csum_add(0, ip, hlen)));
}
