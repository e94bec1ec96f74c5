/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Coalescing of decapsulated inner packets into the super-packets Linux
 * GRO would build (tcp_gro_receive(), udp_gro_receive_segment(),
 * inet_gro_receive(), ipv6_gro_receive()), to be written to a TUN device
 * with IFF_VNET_HDR as one packet each, so that the stack runs once per
 * super-packet. A batch of packets becomes a list of items: a packet
 * alone, or a first packet whose headers describe the whole and the
 * payloads of the packets merged after it.
 *
 * What merges into the open item of its flow (same addresses, protocol,
 * ports), as GRO merges it:
 *   both: IPv4 without options or fragmentation, valid header checksum,
 *         TTL, TOS and DF as the first packet's, identification the first
 *         one's plus the packets before it, or, with DF set, the first
 *         one's in every packet (as the kernel decides at the second
 *         packet; virtio cannot say "fixed id", so should the kernel cut
 *         such a packet again, for forwarding, the ids increment: RFC 6864
 *         4.1 lets atomic datagrams carry any id); IPv6 with traffic class, flow
 *         label, hop limit and extension headers as the first's; a valid
 *         TCP/UDP checksum; at most 65535 bytes in all;
 *   TCP: payload of 1 to mss bytes (mss: the first packet's payload)
 *        starting where the item ends; acknowledgment number, header
 *        length, window, options and flags as the first's but CWR, FIN
 *        and PSH; no CWR. A packet shorter than mss, or with FIN or PSH,
 *        ends the item; a first packet with URG, PSH, RST, SYN, FIN or no
 *        payload stays alone;
 *   UDP: checksum not 0; UDP length at most the first's; a shorter one,
 *        or the 64th, ends the item.
 * Any other packet of a flow ends the flow's open item and goes alone
 * (or starts the next item), so a flow's bytes keep their order; items
 * come out in the order of their first packets.
 *
 * An item of more than one packet is given to the kernel as GRO
 * completes it: the first packet's IPv4 total length and header checksum
 * or IPv6 payload length, TCP flags ORed with the last packet's FIN and
 * PSH, UDP length, the TCP/UDP checksum field holding the pseudo-header
 * sum (CHECKSUM_PARTIAL), and a virtio_net_hdr with NEEDS_CSUM, GSO type
 * TCPV4/TCPV6 (ECN when the first has CWR) or UDP_L4, gso_size = mss and
 * hdr_len. The packets after the first contribute their payload only.
 * Pure functions on buffers: no I/O, no state.
 */
#ifndef UDPESP_ESP_GRO_H
#define UDPESP_ESP_GRO_H

#include <linux/types.h>

#include "esp_gso.h"

/* The most packets one call takes. */
#define ESP_GRO_MAX 64
#define ESP_GRO_END 0xffff

struct esp_gro_pkt {
	__u8 *data; /* an IP packet; the first of an item is rewritten */
	__u32 len;
};

struct esp_gro_item {
	struct virtio_net_hdr vh; /* all 0 for a packet alone */
	__u16 first;		  /* its first packet; next[] links the others */
	__u16 count;		  /* packets in it */
	__u16 skip;		  /* header bytes left out of the others */
	__u32 len;		  /* the item's IP packet: first + payloads */
};

/*
 * Coalesce pkts[0..n) (n at most ESP_GRO_MAX). Fills items (room for n)
 * in order and next[] (n entries): next[i] is the packet after i in its
 * item, ESP_GRO_END after the last. Returns the number of items.
 */
unsigned int esp_gro_batch(struct esp_gro_pkt *pkts, unsigned int n, struct esp_gro_item *items,
			   __u16 *next);

#endif /* UDPESP_ESP_GRO_H */
