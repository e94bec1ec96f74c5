/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The send path: plaintext IP packets the host routes into the inner TUN
 * device are matched to an outbound SA by selector (most specific first),
 * encapsulated by esp_encap() and sent as ESP-in-UDP from port 4500 to the
 * peer's NAT-mapped address and port, through IPPROTO_RAW sockets: the
 * kernel routes and resolves neighbours, udpesp writes the outer IP and UDP
 * headers itself (IPv4 UDP checksum 0, DF and ECN from the inner packet),
 * and no socket competes with the IKE daemon for UDP port 4500.
 *
 * Every TUN queue has exactly one reader: each AF_XDP worker reads its
 * own queue; a sender thread reads the daemon's first queue. The kernel
 * spreads outgoing flows over the queues.
 * Also NAT-keepalives (RFC 3948 4) to peers that were sent nothing lately.
 */
#ifndef UDPESP_OUTBOUND_H
#define UDPESP_OUTBOUND_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <linux/types.h>

#include "common/maps.h"
#include "notify_queue.h"
#include "sa_rt.h"

/* The outer IPv4 header's DF bit (IPv6 routers never fragment). */
enum outbound_df {
	OUTBOUND_DF_COPY = 0, /* from the inner IPv4 packet; set for IPv6 inner */
	OUTBOUND_DF_SET,      /* always: too-big packets come back as ICMP */
	OUTBOUND_DF_CLEAR,    /* never: routers may fragment the ESP packet */
};

/* What a sender thread tells the control thread about an SA. */
struct outbound_note {
	__u32 handle;
	bool hard;    /* sequence numbers used up: remove it; else soft expiry */
	bool reserve; /* less than half a block of numbers left (persist.h) */
};

struct outbound {
	struct sa_rt_table *rt;
	struct udpesp_maps *maps;
	int raw4, raw6;		  /* IPPROTO_RAW: whole IPv4 / IPv6 packets */
	unsigned int keepalive_s; /* 0 = no NAT-keepalives */
	enum outbound_df df;
	/*
	 * TUN queues opened with tun_open_queue_gso(): packets come with a
	 * virtio_net_hdr, super-packets are cut (esp_gso), outer packets
	 * leave in batches (sendmmsg).
	 */
	bool gso;
	struct out_snapshot *snap; /* selectors, published atomically */
	struct sa_rt **sas;	   /* control thread's list of outbound SAs */
	size_t nsas, cap_sas;
	struct sa_rt **gone; /* withdrawn, released once unpublished */
	size_t ngone, cap_gone;
	bool dirty;		   /* sas differs from what snap holds */
	struct notify_queue notes; /* struct outbound_note, for the control thread */
	/* The sender thread of the daemon's own TUN queue. */
	int tun_fd;
	pthread_t thread;
	bool started;
	bool stop; /* atomic */
};

/* A reading thread's state (per AF_XDP worker, and the sender thread). */
struct outbound_thread;

int outbound_init(struct outbound *o, struct sa_rt_table *rt, struct udpesp_maps *maps,
		  unsigned int keepalive_s);
/* Start the sender thread on the daemon's own TUN queue. */
int outbound_start(struct outbound *o, int tun_fd);
void outbound_fini(struct outbound *o);

/*
 * Control thread: an outbound SA appeared, or goes. Neither reaches the
 * senders before outbound_commit(); a withdrawn rt is released (and its
 * keys freed after a grace period) only once no snapshot holds it.
 */
int outbound_add(struct outbound *o, struct sa_rt *rt);
void outbound_del(struct outbound *o, struct sa_rt *rt);
/* Publish the selectors if they changed: true when they did. */
bool outbound_commit(struct outbound *o);

struct outbound_thread *outbound_thread_new(struct esp_crypto_thread *ct);
void outbound_thread_free(struct outbound_thread *ot);
/*
 * Read up to max packets from a TUN queue and send them; the caller is
 * online (sa_rt_online). Returns how many were read (0: queue empty).
 */
int outbound_drain(struct outbound *o, struct outbound_thread *ot, int tun_fd, int max);

/* Control thread, once a second: keepalives to peers idle keepalive_s. */
void outbound_keepalives(struct outbound *o);
/* CLOCK_MONOTONIC seconds. */
__u64 outbound_now(void);

#endif /* UDPESP_OUTBOUND_H */
