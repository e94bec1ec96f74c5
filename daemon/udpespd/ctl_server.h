/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * udpespd's control server: the Unix stream socket udpespctl talks to,
 * its clients, and a handler per request type. It registers its sockets
 * with the event loop and works on the SA table, the maps and the links
 * it is given; it knows nothing of the daemon around it.
 */
#ifndef UDPESP_CTL_SERVER_H
#define UDPESP_CTL_SERVER_H

#include <stdbool.h>
#include <sys/types.h>
#include <udpesp/ctl.h>

#include "common/maps.h"
#include "evloop.h"
#include "links.h"
#include "sa_table.h"

struct ctl_server_client;

/* Clients at once; more are refused with an error reply. */
#define CTL_SERVER_MAX_CLIENTS 128
/* Queued replies above which a client is not read and its dump pauses. */
#define CTL_SERVER_OUT_LOW (64u << 10)
/* Queued bytes (events to a monitor that does not read) that drop a client. */
#define CTL_SERVER_OUT_CAP (4u << 20)

struct ctl_server_cfg {
	const char *path; /* the socket, created 0600 (0660 with a group) */
	gid_t group;	  /* members may use the socket too */
	bool has_group;
	struct sa_table *table;
	const struct udpesp_maps *maps;
	struct links *links;
	/* What is kept across restarts (udpespctl state); NULL: nothing. */
	void (*state)(void *ctx, struct udpesp_ctl_state *out);
	void *state_ctx;
};

struct ctl_server {
	struct evloop *loop;
	struct evloop_src *listen_src;
	int listen_fd;
	int reserve_fd; /* /dev/null, given up to refuse a client at EMFILE */
	bool paused;	/* out of fds without a reserve: not accepting */
	bool fds_short; /* logged that fds ran out; cleared when they are back */
	gid_t group;
	bool has_group;
	struct ctl_server_client *clients;
	int nclients;
	struct ctl_server_client *running; /* the client whose request runs */
	struct sa_table *table;
	const struct udpesp_maps *maps;
	struct links *links;
	void (*state)(void *ctx, struct udpesp_ctl_state *out);
	void *state_ctx;
};

/* Bind and listen on cfg->path and watch it in loop. 0 or -errno. */
int ctl_server_open(struct ctl_server *s, struct evloop *loop, const struct ctl_server_cfg *cfg);
/* Disconnect every client and close the socket (the file stays). */
void ctl_server_close(struct ctl_server *s);
/* Once a second: listen again if running out of fds paused it. */
void ctl_server_tick(struct ctl_server *s);
/* Send an event to every client that asked for them (`udpespctl monitor`). */
void ctl_server_broadcast(struct ctl_server *s, const struct udpesp_ctl_event *ev);

/*
 * For handlers outside this file (ctl_swan.c): the server a client belongs
 * to, and its replies, queued and sent as the client reads (never blocking
 * the loop). 0 or -errno, as the handlers return.
 */
struct ctl_server *ctl_server_of(const struct ctl_server_client *c);
int ctl_server_queue(struct ctl_server_client *c, __u32 type, __u32 seq, __s32 status,
		     const void *payload, __u32 len);
int ctl_server_error(struct ctl_server_client *c, __u32 seq, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* UDPESP_CTL_SERVER_H */
