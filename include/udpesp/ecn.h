/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * ECN on decapsulation (RFC 6040 4.2, Figure 4), once for both decap
 * backends: the AF_XDP workers (daemon/esp/esp_decap.c) and the kfunc
 * backend (bpf/lib/kfunc_decap.h). Pure C with no libc, so it compiles
 * for BPF and for userspace alike.
 */
#ifndef UDPESP_ECN_H
#define UDPESP_ECN_H

#include "abi.h"
#include "csum.h"
#include "hdr.h"

#define UDPESP_ECN_NOT_ECT 0
#define UDPESP_ECN_ECT1 1
#define UDPESP_ECN_ECT0 2
#define UDPESP_ECN_CE 3

/*
 * The inner ECN field after decapsulation, from the arriving outer and
 * inner ECN fields (the low 2 bits of each are used), or -1 when the
 * packet must be dropped: outer CE over a Not-ECT inner, the congestion
 * mark cannot be passed on.
 */
static __always_inline int udpesp_ecn_decap(__u8 outer, __u8 inner)
{
	outer &= 3;
	inner &= 3;
	if (inner == UDPESP_ECN_NOT_ECT)
		/* A CE mark cannot reach a transport that knows no ECN. */
		return outer == UDPESP_ECN_CE ? -1 : UDPESP_ECN_NOT_ECT;
	if (outer == UDPESP_ECN_CE)
		return UDPESP_ECN_CE;
	/* ECT(1) outranks ECT(0) (Figure 4, for PCN). */
	if (outer == UDPESP_ECN_ECT1 && inner == UDPESP_ECN_ECT0)
		return UDPESP_ECN_ECT1;
	return inner;
}

/*
 * The ECN field of an IPv4 or IPv6 header (TOS / traffic class bits 0-1);
 * family: UDPESP_AF_INET or UDPESP_AF_INET6, as the caller parsed it.
 */
static __always_inline __u8 udpesp_ecn_of(const __u8 *ip, __u8 family)
{
	return family == UDPESP_AF_INET6 ? (ip[1] >> 4) & 3 : ip[1] & 3;
}

/*
 * The same, applied to the decapsulated inner IP packet (IPv4 or IPv6)
 * at ip of len bytes: its ECN bits rewritten, the IPv4 header checksum
 * updated (RFC 1624). 0, or -1: drop (the packet is left unchanged).
 */
static __always_inline int udpesp_ecn_decap_ip(__u8 outer_ecn, __u8 *ip, __u32 len)
{
	__u8 old[2] = { ip[0], ip[1] };
	__u16 check;
	int ecn;

	if (len >= UDPESP_IPV4_HLEN && ip[0] >> 4 == 4) {
		ecn = udpesp_ecn_decap(outer_ecn, ip[1]);
		if (ecn < 0)
			return -1;
		ip[1] = (__u8)((ip[1] & ~3) | ecn);
		/* Unchanged: leave the checksum too (eqn. 3 turns 0xffff into 0). */
		if (ip[1] == old[1])
			return 0;
		check = udpesp_csum_replace(udpesp_csum_load16(ip + 10), old, ip, 2);
		__builtin_memcpy(ip + 10, &check, 2);
		return 0;
	}
	if (len >= UDPESP_IPV6_HLEN && ip[0] >> 4 == 6) {
		ecn = udpesp_ecn_decap(outer_ecn, ip[1] >> 4);
		if (ecn < 0)
			return -1;
		ip[1] = (__u8)((ip[1] & ~0x30) | ecn << 4);
		return 0;
	}
	return -1; /* not IP: nothing to deliver */
}

#endif /* UDPESP_ECN_H */
