/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Path MTU towards the peers. udpesp sends ESP through raw sockets with
 * its own UDP headers, so the kernel has no UDP socket to hand an ICMP
 * "fragmentation needed" (RFC 1191) or "packet too big" (RFC 8201) to
 * when a router on the way finds an ESP packet too big. udpespd reads
 * those itself, from raw ICMP and ICMPv6 sockets filtered to these two
 * messages, keeps the ones about ESP-in-UDP it sent (from port 4500),
 * and lowers udpesp0's MTU to fit: the next too-big inner packet then
 * gets its own ICMP error from the kernel, or is fragmented before
 * encryption. As in the kernel, a learnt path MTU expires after
 * PMTU_EXPIRE_S and is probed again.
 */
#ifndef UDPESP_PMTU_H
#define UDPESP_PMTU_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PMTU_EXPIRE_S 600 /* net.ipv4.route.mtu_expires' default */
#define PMTU_MIN4 552	  /* below this a router's figure is not believed */
#define PMTU_MIN6 1280	  /* IPv6's minimum link MTU (RFC 8200 5) */

/* What one ICMP error said: the peer (family, address, UDP port) and MTU. */
struct pmtu_report {
	__u8 family; /* UDPESP_AF_INET or UDPESP_AF_INET6 */
	__be32 addr[4];
	__be16 port;
	unsigned int mtu;
};

/*
 * The message an ICMP socket read: IPv4 with its IP header first (as raw
 * IPv4 sockets deliver), ICMPv6 without. True, with *r filled, when it
 * is a fragmentation-needed / packet-too-big error about a UDP datagram
 * from port 4500 whose MTU is plausible (at least PMTU_MIN4/6).
 */
bool pmtu_parse(__u8 family, const __u8 *msg, size_t len, struct pmtu_report *r);

/* Non-blocking raw sockets passing only those two messages (-errno). */
int pmtu_open4(void);
int pmtu_open6(void);

/* Read what is queued on fd; call fn for each report. */
void pmtu_drain(int fd, __u8 family, void (*fn)(void *arg, const struct pmtu_report *r), void *arg);

#endif /* UDPESP_PMTU_H */
