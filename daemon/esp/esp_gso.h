/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Software segmentation of the TSO/USO super-packets a TUN device with
 * IFF_VNET_HDR hands its reader, done as the kernel's own GSO would do it
 * for a device without checksum offload (tcp_gso_segment(),
 * __udp_gso_segment(), inet_gso_segment(), ipv6_gso_segment()):
 *
 *   TCP: the payload cut into gso_size pieces (the last may be shorter);
 *        each segment's sequence number advanced by the bytes before it;
 *        FIN and PSH only on the last segment, CWR only on the first;
 *   UDP: one datagram per piece, its own UDP length;
 *   IPv4: total length, identification (first id + segment index) and
 *        header checksum per segment; IPv6: payload length (extension
 *        headers copied into every segment);
 *   the TCP/UDP checksum computed in full for every segment (UDP: a
 *        result of 0 is sent as 0xffff, RFC 768).
 *
 * A packet without GSO but with VIRTIO_NET_HDR_F_NEEDS_CSUM
 * (CHECKSUM_PARTIAL) gets its checksum completed as skb_checksum_help()
 * completes it. Pure functions on buffers: no I/O, no state.
 */
#ifndef UDPESP_ESP_GSO_H
#define UDPESP_ESP_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include <linux/virtio_net.h>
#include <udpesp/csum.h>

/* Debian 12's headers (Linux 6.1) predate USO (Linux 6.2). */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/*
 * The header in front of every packet read from or written to the TUN
 * device: struct virtio_net_hdr, fields in the host's byte order (legacy
 * virtio; TUN without TUNSETVNETLE/BE).
 */
#define ESP_GSO_VNET_LEN ((unsigned int)sizeof(struct virtio_net_hdr))

/* Where a packet's layers start (IPv4 or IPv6 at offset 0). */
struct esp_gso_l4 {
	__u8 family;   /* 4 or 6 */
	__u8 proto;    /* IPPROTO_TCP, IPPROTO_UDP, or another (no L4 parsed) */
	__u16 l4_off;  /* after IPv4 options / IPv6 extension headers */
	__u16 hdr_len; /* l4_off + TCP header (options included) or 8 (UDP) */
};

/*
 * Parse an IP packet of len bytes whose own length field must say len:
 * IPv4 (no fragment), or IPv6 with hop-by-hop, routing and destination
 * options headers before TCP or UDP (a fragment header or anything else
 * ends the walk: proto is that header). 0, or -EINVAL when malformed.
 */
int esp_gso_parse(const __u8 *pkt, size_t len, struct esp_gso_l4 *l4);

/* A super-packet being cut; filled by esp_gso_start(). */
struct esp_gso {
	const __u8 *pkt;
	__u32 len;
	struct esp_gso_l4 l4;
	__u16 gso_size; /* payload bytes per segment; 0: the packet whole */
	__u16 nsegs;
	__u16 index; /* the next segment */
	__u16 ip_id; /* IPv4: the first segment's identification */
	__u32 seq;   /* TCP: the first segment's sequence number */
	__u32 off;   /* payload bytes already cut */
};

/*
 * Begin cutting the packet of len bytes at pkt, described by vh. A
 * packet without GSO with NEEDS_CSUM has its checksum completed in place
 * (pkt is written only then) and comes out as one segment. Returns 0, or
 * -EINVAL: malformed, gso_type not the packet's (TCPV4: IPv4 TCP, TCPV6:
 * IPv6 TCP, UDP_L4: UDP), checksum offsets outside the packet or not at
 * its TCP/UDP header for GSO, gso_size 0 for GSO; -EOPNOTSUPP: a
 * gso_type other than those (UFO).
 */
int esp_gso_start(struct esp_gso *g, const struct virtio_net_hdr *vh, __u8 *pkt, size_t len);

/*
 * Write the next segment, a whole IP packet, to dst (room bytes).
 * Returns its length, 0 after the last one, -ENOSPC when it does not
 * fit room (nothing consumed).
 */
long esp_gso_next(struct esp_gso *g, __u8 *dst, size_t room);

/*
 * The TCP/UDP pseudo-header sum (RFC 793, RFC 768, RFC 8200 8.1) of the
 * packet at ip with l4_len bytes of upper-layer data, not folded; the
 * checksum itself is include/udpesp/csum.h's.
 */
static inline __u64 esp_gso_pseudo(const __u8 *ip, __u8 family, __u8 proto, __u32 l4_len)
{
	return udpesp_csum_pseudo(family == 4 ? ip + 12 : ip + 8, family == 4 ? 4 : 16, proto,
				  (__u16)l4_len) +
	       udpesp_csum_word16(l4_len >> 16);
}

#endif /* UDPESP_ESP_GSO_H */
