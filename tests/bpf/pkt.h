/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test packet builder: Ethernet (0-2 VLAN tags), IPv4 (options,
 * fragments) or IPv6 (one extension header), then UDP, TCP or ICMP and a
 * payload, written into a caller's buffer with every length and checksum
 * filled in. Addresses must come from the documentation ranges
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32): the
 * builder refuses anything else, so no test can name a real host.
 */
#ifndef UDPESP_TEST_PKT_H
#define UDPESP_TEST_PKT_H

#include <stddef.h>
#include <linux/types.h>
#include <udpesp/hdr.h>

/* Largest frame a test builds (XDP test-run takes up to a page). */
#define PKT_MAX 2048

#define PKT_EXT_HLEN 8 /* every extension header this builder writes */

#define PKT_TPID_8021Q 0x8100
#define PKT_TPID_8021AD 0x88a8
#define PKT_ETH_P_IP 0x0800
#define PKT_ETH_P_IPV6 0x86dd
#define PKT_ETH_P_ARP 0x0806

/* IPv4 flags in pkt_spec.frag (host order); the low 13 bits are the offset. */
#define PKT_IP_DF 0x4000
#define PKT_IP_MF 0x2000

/* Defaults: a peer behind a NAT talking to this host. */
#define PKT_V4_SRC "198.51.100.7"
#define PKT_V4_DST "192.0.2.1"
#define PKT_V6_SRC "2001:db8:1::7"
#define PKT_V6_DST "2001:db8::1"
#define PKT_PORT_NATT 4500

enum pkt_l4 {
	PKT_L4_UDP = 0,
	PKT_L4_TCP,
	PKT_L4_ICMP, /* ICMP echo, or ICMPv6 echo over IPv6 */
};

/* IPv6 extension header placed between the fixed header and L4. */
enum pkt_ext {
	PKT_EXT_NONE = 0,
	PKT_EXT_HOPOPTS,
	PKT_EXT_DSTOPTS,
	PKT_EXT_FRAGMENT, /* an atomic fragment: offset 0, M clear */
};

struct pkt_spec {
	/* Link layer */
	int vlans;	    /* 0, 1 or 2 tags */
	__u16 vlan_tpid[2]; /* outer first; 0: 802.1ad outer, 802.1Q inner */
	__u16 vlan_id[2];   /* 0: 100 and 200 */
	__u16 ethertype;    /* family 0 only: a non-IP frame of this type */

	/* Network layer */
	int family;		 /* AF_INET, AF_INET6, or 0 for non-IP */
	const char *src;	 /* NULL: PKT_V4_SRC / PKT_V6_SRC */
	const char *dst;	 /* NULL: PKT_V4_DST / PKT_V6_DST */
	unsigned int ip_opt_len; /* IPv4 option bytes: multiple of 4, <= 40 */
	__u16 frag;		 /* IPv4 PKT_IP_* flags | offset in 8-byte units */
	enum pkt_ext ext;	 /* IPv6 only */
	int ip_len_delta;	 /* added to tot_len/payload_len: malformed input */

	/* Transport */
	enum pkt_l4 l4;
	__u16 sport;	   /* 0: PKT_PORT_NATT */
	__u16 dport;	   /* 0: PKT_PORT_NATT */
	int udp_len_delta; /* added to the UDP length field */
	const void *payload;
	size_t payload_len;

	/* Zero bytes after the IP packet up to this frame length, as
	 * Ethernet pads short frames; not counted in any length field. */
	size_t pad_to;
};

/* Where the builder put each header, from the start of the frame. */
struct pkt_layout {
	size_t len;	    /* whole frame */
	size_t l3_off;	    /* IPv4/IPv6 header (or payload of a non-IP frame) */
	size_t l4_off;	    /* UDP/TCP/ICMP header */
	size_t payload_off; /* first byte after the L4 header */
};

/*
 * Build the frame described by s into buf (cap bytes). Returns the frame
 * length, or -EINVAL (bad spec or an address outside the documentation
 * ranges) or -ENOSPC. lay may be NULL.
 */
int pkt_build(void *buf, size_t cap, const struct pkt_spec *s, struct pkt_layout *lay);

/* Recompute the IPv4 header checksum after a test edited the header. */
void pkt_ipv4_csum_fix(void *buf, const struct pkt_layout *lay);

#endif /* UDPESP_TEST_PKT_H */
