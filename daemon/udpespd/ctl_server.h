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

struct ctl_server_cfg {
	const char *path;  /* the socket, created 0600 (0660 with a group) */
	gid_t group;       /* members may use the socket too */
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
	gid_t group;
	bool has_group;
	struct ctl_server_client *clients;
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
/* Send an event to every client that asked for them (`udpespctl monitor`). */
void ctl_server_broadcast(struct ctl_server *s, const struct udpesp_ctl_event *ev);

#endif /* UDPESP_CTL_SERVER_H */
