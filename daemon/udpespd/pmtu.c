// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* ICMP fragmentation-needed / packet-too-big about our ESP (see pmtu.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/icmp.h>
#include <udpesp/abi.h>
#include <udpesp/hdr.h>

#include "pmtu.h"

#define ESP_PORT 4500

static unsigned int get16(const __u8 *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static unsigned int get32(const __u8 *p)
{
	return (unsigned int)p[0] << 24 | (unsigned int)p[1] << 16 | (unsigned int)p[2] << 8 | p[3];
}

/* The quoted datagram: UDP from our port 4500; its destination is the peer. */
static bool quoted_udp(const __u8 *udp, size_t len, struct pmtu_report *r)
{
	if (len < UDPESP_UDP_HLEN || get16(udp) != ESP_PORT)
		return false;
	memcpy(&r->port, udp + 2, 2);
	return true;
}

bool pmtu_parse(__u8 family, const __u8 *msg, size_t len, struct pmtu_report *r)
{
	memset(r, 0, sizeof(*r));
	if (family == UDPESP_AF_INET) {
		size_t hl, qhl;
		const __u8 *icmp, *q;

		if (len < UDPESP_IPV4_HLEN || msg[0] >> 4 != 4)
			return false;
		hl = (msg[0] & 15) * 4u;
		if (hl < UDPESP_IPV4_HLEN || len < hl + UDPESP_ICMP_HLEN + UDPESP_IPV4_HLEN)
			return false;
		icmp = msg + hl;
		if (icmp[0] != ICMP_DEST_UNREACH || icmp[1] != ICMP_FRAG_NEEDED)
			return false;
		/* RFC 1191: the next-hop MTU in the low half of the second word. */
		r->mtu = get16(icmp + 6);
		q = icmp + UDPESP_ICMP_HLEN;
		qhl = (q[0] & 15) * 4u;
		if (q[0] >> 4 != 4 || qhl < UDPESP_IPV4_HLEN || q[9] != IPPROTO_UDP ||
		    len < hl + UDPESP_ICMP_HLEN + qhl + UDPESP_UDP_HLEN || r->mtu < PMTU_MIN4)
			return false;
		r->family = UDPESP_AF_INET;
		memcpy(r->addr, q + 16, 4);
		return quoted_udp(q + qhl, len - hl - UDPESP_ICMP_HLEN - qhl, r);
	}
	if (family == UDPESP_AF_INET6) {
		const __u8 *q = msg + UDPESP_ICMP_HLEN;

		/* Type, code, checksum, MTU; then the IPv6 header we sent. */
		if (len < UDPESP_ICMP_HLEN + UDPESP_IPV6_HLEN + UDPESP_UDP_HLEN ||
		    msg[0] != ICMP6_PACKET_TOO_BIG || msg[1] != 0)
			return false;
		r->mtu = get32(msg + 4);
		if (q[0] >> 4 != 6 || q[6] != IPPROTO_UDP || r->mtu < PMTU_MIN6)
			return false;
		r->family = UDPESP_AF_INET6;
		memcpy(r->addr, q + 24, 16);
		return quoted_udp(q + UDPESP_IPV6_HLEN, len - UDPESP_ICMP_HLEN - UDPESP_IPV6_HLEN,
				  r);
	}
	return false;
}

int pmtu_open4(void)
{
	/* Everything but destination unreachable is filtered out in the kernel. */
	struct icmp_filter f = { .data = ~(1U << ICMP_DEST_UNREACH) };
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int pmtu_open6(void)
{
	struct icmp6_filter f;
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);

	if (fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void pmtu_drain(int fd, __u8 family, void (*fn)(void *arg, const struct pmtu_report *r), void *arg)
{
	__u8 buf[2048];
	struct pmtu_report r;
	ssize_t n;

	/* Bounded: a flood of ICMP must not starve the control socket. */
	for (int i = 0; i < 64 && (n = recv(fd, buf, sizeof(buf), 0)) > 0; i++)
		if (pmtu_parse(family, buf, (size_t)n, &r))
			fn(arg, &r);
}
