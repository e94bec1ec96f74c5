/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Header-only packet parsing for udpesp_xdp: Ethernet with up to two VLAN
 * tags, IPv4 (options allowed) or IPv6 (fixed header), then UDP. Each
 * parser checks bounds against data_end before every read and returns
 * PARSE_OK to continue or an XDP action to stop with.
 */
#ifndef UDPESP_BPF_PARSE_H
#define UDPESP_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <udpesp/hdr.h>

/* Sentinel between helpers: not an XDP action, so "keep going". */
#define PARSE_OK -1

#define VLAN_MAX_DEPTH 2

struct vlan_tag {
	__be16 tci;
	__be16 proto; /* encapsulated EtherType */
};

/* Where the outer headers of one packet are, relative to ctx->data. */
struct pkt {
	void *data;
	void *data_end;
	__u16 l3_off;
	__u16 l4_off;
	__u8 family;
	__be32 daddr[4];
	struct udphdr *udp;
	int ip_payload; /* bytes after the IP header, per the IP header */
	__u32 udp_len;	/* UDP length field, checked against ip_payload */
};

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Returns the EtherType after up to VLAN_MAX_DEPTH tags, or 0 if truncated. */
static __always_inline __be16 parse_eth(struct pkt *p, void **pos)
{
	struct ethhdr *eth = p->data;
	__be16 proto;

	if ((void *)(eth + 1) > p->data_end)
		return 0;
	proto = eth->h_proto;
	*pos = eth + 1;
	/* Unrolled: the verifier needs a bounded, constant trip count. */
#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_tag *tag = *pos;

		if (!is_vlan(proto))
			break;
		if ((void *)(tag + 1) > p->data_end)
			return 0;
		proto = tag->proto;
		*pos = tag + 1;
	}
	return proto;
}

static __always_inline int ipv6_is_ext_hdr(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_MH:
	case 139: /* HIP */
	case 140: /* Shim6 */
		return 1;
	}
	return 0;
}

#endif /* UDPESP_BPF_PARSE_H */
