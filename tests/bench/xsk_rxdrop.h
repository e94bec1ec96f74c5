/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The AF_XDP socket ceiling of `make bench`: a socket set up like one
 * of udpespd's workers (copy mode, 4096-frame UMEM, 2048-slot RX ring,
 * batches of 64, poll() when idle) that only hands every frame back to
 * the fill ring. What udpespd's worker adds on top is its whole cost.
 */
#ifndef UDPESP_XSK_RXDROP_H
#define UDPESP_XSK_RXDROP_H

#include <linux/types.h>

struct xsk_rxdrop_stats {
	__u64 received; /* frames taken from the RX ring */
	int ready;	/* set once the socket is in the XSKMAP */
};

/*
 * Run in the calling process (a child forked for it) until killed:
 * socket on queue 0 of ifname, its fd stored at key 0 of xskmap_fd,
 * pinned to cpu.
 */
void __attribute__((noreturn)) xsk_rxdrop_run(const char *ifname, int xskmap_fd, int cpu,
					      struct xsk_rxdrop_stats *st);

#endif /* UDPESP_XSK_RXDROP_H */
