/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Header sizes and fields of the packets udpesp handles, once for the
 * XDP programs, the ESP engine and the tests. Plain macros, for BPF and
 * userspace alike.
 */
#ifndef UDPESP_HDR_H
#define UDPESP_HDR_H

#define UDPESP_ETH_HLEN 14	/* Ethernet, untagged */
#define UDPESP_VLAN_HLEN 4	/* one 802.1Q / 802.1ad tag */
#define UDPESP_IPV4_HLEN 20	/* IPv4 without options */
#define UDPESP_IPV4_HLEN_MAX 60 /* IHL 15 */
#define UDPESP_IPV6_HLEN 40
#define UDPESP_UDP_HLEN 8
#define UDPESP_ESP_HLEN 8   /* SPI + sequence number (RFC 4303 2) */
#define UDPESP_ICMP_HLEN 8  /* ICMP, ICMPv6: type, code, checksum, 4 more bytes */
#define UDPESP_IP_MAX 65535 /* IPv4 total length, IPv6 payload length */

#define UDPESP_IPV4_DF 0x4000	     /* flags and fragment offset: DF */
#define UDPESP_IPV4_FRAG_MASK 0x3fff /* MF and the fragment offset */

/*
 * Protocols with 16-bit source and destination ports first in their
 * header (TCP 6, UDP 17, DCCP 33, SCTP 132, UDP-Lite 136): the ones a
 * traffic selector's ports apply to.
 */
#define UDPESP_PROTO_HAS_PORTS(p) ((p) == 6 || (p) == 17 || (p) == 33 || (p) == 132 || (p) == 136)

#endif /* UDPESP_HDR_H */
