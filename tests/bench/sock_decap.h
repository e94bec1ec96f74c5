/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The socket baseline of `make bench`: ESP-in-UDP decapsulated the way
 * most userspace VPNs do it, one thread: recvmmsg() on a UDP socket
 * bound to port 4500, the same esp_decap() and crypto library as
 * udpespd's workers, one write() per inner packet to a TUN device.
 */
#ifndef UDPESP_SOCK_DECAP_H
#define UDPESP_SOCK_DECAP_H

#include <linux/types.h>

#include "bench_esp.h"

/* Shared with the parent (MAP_SHARED): what the baseline did. */
struct sock_decap_stats {
	__u64 received; /* datagrams read from the socket */
	__u64 ok;	/* inner packets written to the TUN device */
	__u64 refused;	/* esp_decap() verdicts other than UDPESP_DECAP_OK, bad SPI */
	int ready;	/* set once the socket is bound and TUN is up */
};

/*
 * Run the baseline in the calling process (a child forked for it, so
 * its CPU time is its own) until killed: TUN device tun (created, up),
 * socket on local address addr, port 4500, SA s (keys already in
 * memory), replay window of the SA's size, pinned to cpu.
 */
void __attribute__((noreturn)) sock_decap_run(const struct bench_suite *s, const char *addr,
					      const char *tun, int cpu,
					      struct sock_decap_stats *st);

#endif /* UDPESP_SOCK_DECAP_H */
