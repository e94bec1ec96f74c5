/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * AF_XDP crypto workers: one socket per RX queue of every interface that
 * runs udpesp_xdp, each with its own UMEM and thread. A worker takes the
 * ESP frames udpesp_xdp redirected to its queue, runs esp_decap() on
 * them and writes the inner packets into its queue of the TUN device.
 *
 * The set follows the interfaces: xsk_workers_sync() opens sockets for
 * interfaces that gained udpesp_xdp (attached by udpespd or by
 * `ip link`) and closes those of interfaces that lost it or vanished.
 */
#ifndef UDPESP_XSK_WORKER_H
#define UDPESP_XSK_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>
#include <udpesp/abi.h>

#include "common/maps.h"
#include "notify_queue.h"
#include "outbound.h"
#include "sa_rt.h"

#define XSK_IF_SLOTS (UDPESP_MAX_XSKS / UDPESP_MAX_QUEUES)

struct xsk_worker;

/* A peer seen at a new address or port (NAT mapping), for the main loop. */
struct xsk_mapping {
	__u32 handle; /* inbound SA */
	__u8 family;
	__be32 addr[4];
	__be16 port;
	__be32 old_addr[4];
	__be16 old_port;
};

struct xsk_workers {
	struct udpesp_maps *maps;
	struct sa_rt_table *rt;
	struct outbound *out; /* workers also send what their TUN queue reads */
	const char *tun_name;
	bool gso;      /* TUN queues with virtio_net_hdr, GRO-coalesced writes */
	int cpu_first; /* pin worker i to CPU cpu_first + i; -1 = no pinning */
	int ncpus;
	struct {
		__u32 ifindex; /* 0 = free slot */
		__u32 nqueues;
		bool seen; /* still running udpesp_xdp (sync bookkeeping) */
		struct xsk_worker *w[UDPESP_MAX_QUEUES];
	} ifs[XSK_IF_SLOTS];
	/* NAT mappings (struct xsk_mapping) noticed by workers, for the main loop. */
	struct notify_queue mappings;
};

int xsk_workers_init(struct xsk_workers *ws, struct udpesp_maps *maps, struct sa_rt_table *rt,
		     struct outbound *out, const char *tun_name, int cpu_first);
/* Stops every worker and closes every socket. */
void xsk_workers_fini(struct xsk_workers *ws);

/*
 * Make the sockets match the interfaces running udpesp_xdp (prog_id):
 * ifindexes[] lists them. Logs what changes.
 */
void xsk_workers_sync(struct xsk_workers *ws, const __u32 *ifindexes, size_t n);

/*
 * An authenticated packet of inbound SA rt came from addr:port: if that
 * is new, record it in rt and queue a struct xsk_mapping on ws->mappings.
 * From the workers, and from the main loop for the kfunc backend's.
 */
void xsk_note_peer(struct xsk_workers *ws, struct sa_rt *rt, __u8 family, const __be32 addr[4],
		   __be16 port);

/* Number of running workers (for logs and tests). */
size_t xsk_workers_count(const struct xsk_workers *ws);

#endif /* UDPESP_XSK_WORKER_H */
