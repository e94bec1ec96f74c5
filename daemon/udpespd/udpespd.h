/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* udpespd's state, shared by its main loop and its control server. */
#ifndef UDPESPD_H
#define UDPESPD_H

#include <stdbool.h>
#include <sys/types.h>

#include "links.h"
#include "common/maps.h"
#include "sa_rt.h"
#include "sa_table.h"
#include "xsk_worker.h"

struct client;

struct udpespd {
	struct udpesp *skel;
	struct udpesp_maps maps;
	struct sa_table table;
	struct links links;
	struct sa_rt_table rt;       /* the SAs as the packet workers see them */
	struct xsk_workers workers;  /* AF_XDP sockets and their threads */
	struct outbound out;         /* the send path and NAT-keepalives */
	const char *tun_name;
	unsigned int outer_mtu;      /* the inner interface's MTU follows it */
	bool outer_mtu_auto;         /* outer_mtu follows the udpesp interfaces */
	int pmtu_fd[2];              /* ICMP, ICMPv6: routers' too-big reports */
	__u64 pmtu_next_expiry;      /* earliest path_mtu_until of any SA; 0: none */
	unsigned int tun_mtu;        /* what follow_mtu() last set */
	int tun_fd;                  /* keeps the inner TUN device alive */
	int epoll_fd;
	int listen_fd;
	int timer_fd;
	gid_t group; /* members may use the socket too */
	bool has_group;
	struct client *clients;
};

/* Control server (ctl_server.c). */
int server_listen(struct udpespd *d, const char *path);
void server_accept(struct udpespd *d);
void server_client_ready(struct udpespd *d, struct client *c);
void server_close_all(struct udpespd *d);
/* Send an event to every `udpespctl monitor`; sa_table_ops.event. */
void server_broadcast(void *daemon, const struct udpesp_ctl_event *ev);
/* Soft: mark and tell the monitors (once); hard: tell them and remove the SA. */
void server_expire(struct udpespd *d, __u32 handle, bool hard, __u8 limit, const char *why);
/* Once a second: enforce soft and hard lifetimes from data-path counts. */
void server_check_lifetimes(struct udpespd *d);

/* Give every interface running udpesp_xdp its AF_XDP workers, and only those. */
void udpespd_sync_workers(struct udpespd *d);

/* epoll tags: what data.ptr points at. */
enum { EP_LISTEN = 1, EP_TIMER, EP_NETLINK, EP_SIGNAL, EP_CLIENT, EP_MAPPING,
       EP_OUTBOUND, EP_PMTU4, EP_PMTU6 };

#endif /* UDPESPD_H */
