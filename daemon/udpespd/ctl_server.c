// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespd's control server: a Unix stream socket (0600, or 0660 for
 * --group), every peer checked with SO_PEERCRED, one non-blocking reader
 * per client so a slow or dying client never stalls another, and a
 * handler per message type.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/ctl_proto.h"
#include "common/log.h"
#include "common/util.h"
#include "ctl_server.h"
#include "sa_rt.h"

struct ctl_server_client {
	struct ctl_server *s;
	struct evloop_src *src;
	int fd;
	bool monitor;
	struct ctl_reader rd;
	struct ctl_server_client *next;
};

static void ctl_server_accept(void *ctx, __u32 events);
static void ctl_server_client_ready(void *ctx, __u32 events);

int ctl_server_open(struct ctl_server *s, struct evloop *loop, const struct ctl_server_cfg *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, err;

	*s = (struct ctl_server){ .loop = loop, .listen_fd = -1, .group = cfg->group,
				  .has_group = cfg->has_group, .table = cfg->table,
				  .maps = cfg->maps, .links = cfg->links, .state = cfg->state,
				  .state_ctx = cfg->state_ctx };
	if (strlen(cfg->path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, cfg->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(cfg->path);
	/* Created with the right mode: no window where others could connect. */
	old = umask(s->has_group ? 0117 : 0177);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (!err && s->has_group && chown(cfg->path, 0, s->group))
		err = -1;
	if (!err)
		err = listen(fd, 64);
	if (!err) {
		s->listen_src = evloop_add(loop, fd, EPOLLIN, ctl_server_accept, s);
		if (!s->listen_src)
			err = -1;
	}
	if (err) {
		err = -errno;
		close(fd);
		return err;
	}
	s->listen_fd = fd;
	return 0;
}

/* uid 0, or a member of --group (primary or supplementary). */
static bool ctl_server_peer_allowed(const struct ctl_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;
	gid_t groups[256];
	int n = 256;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	if (cred.uid == 0)
		return true;
	if (!s->has_group)
		return false;
	if (cred.gid == s->group)
		return true;
	pw = getpwuid(cred.uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == s->group)
			return true;
	return false;
}

static void ctl_server_accept(void *ctx, __u32 events)
{
	struct ctl_server *s = ctx;

	(void)events;
	for (;;) {
		struct ctl_server_client *c;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if (!ctl_server_peer_allowed(s, fd)) {
			pr_warn("control client refused: not root and not in the group");
			ctl_send_error(fd, 0, EACCES, "permission denied: udpespd answers root%s only",
				       s->has_group ? " and its group" : "");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->s = s;
		c->fd = fd;
		ctl_reader_init(&c->rd, false);
		c->src = evloop_add(s->loop, fd, EPOLLIN, ctl_server_client_ready, c);
		if (!c->src) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
	}
}

static void ctl_server_client_close(struct ctl_server *s, struct ctl_server_client *c)
{
	struct ctl_server_client **pp;

	for (pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	evloop_del(s->loop, c->src);
	close(c->fd);
	ctl_reader_reset(&c->rd); /* wipes a half-received SA and its keys */
	free(c);
}

void ctl_server_close(struct ctl_server *s)
{
	while (s->clients)
		ctl_server_client_close(s, s->clients);
	evloop_del(s->loop, s->listen_src);
	s->listen_src = NULL;
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
}

void ctl_server_broadcast(struct ctl_server *s, const struct udpesp_ctl_event *ev)
{
	struct ctl_server_client *c, *n;

	for (c = s->clients; c; c = n) {
		n = c->next;
		if (c->monitor && ctl_send(c->fd, UDPESP_MSG_EVENT, 0, 0, ev, sizeof(*ev)))
			ctl_server_client_close(s, c);
	}
}

/* ---- handlers: 0 when the reply was sent, -errno to close the client ---- */

typedef int (*ctl_server_handler_fn)(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m);

static int ctl_server_hello(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	const struct udpesp_ctl_hello *in = m->payload;
	struct udpesp_ctl_hello out = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION };

	(void)s;
	if (in->version != UDPESP_CTL_VERSION)
		return ctl_send_error(c->fd, m->hdr.seq, EPROTO,
				      "protocol version %u not supported (udpespd speaks %u)",
				      in->version, UDPESP_CTL_VERSION);
	return ctl_send(c->fd, UDPESP_MSG_HELLO, m->hdr.seq, 0, &out, sizeof(out));
}

static int ctl_server_sa_add(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	size_t n = m->hdr.len / sizeof(struct udpesp_ctl_sa);
	struct udpesp_ctl_handles *out = calloc(n, sizeof(*out));
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret;

	if (!out)
		return ctl_send_error(c->fd, m->hdr.seq, ENOMEM, "out of memory");
	ret = sa_table_add(s->table, m->payload, n, out, err, sizeof(err));
	if (ret) {
		pr_info("sa add refused: %s", err);
		ret = ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	} else {
		pr_info("sa add: %zu SA(s), first handle %u", n, out[0].handle);
		ret = ctl_send(c->fd, UDPESP_MSG_SA_ADD, m->hdr.seq, 0, out, n * sizeof(*out));
	}
	free(out);
	return ret;
}

static int ctl_server_sa_del(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_del_result res;
	int ret = sa_table_del(s->table, m->payload, &res, err, sizeof(err));

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	return ctl_send(c->fd, UDPESP_MSG_SA_DEL, m->hdr.seq, 0, &res, sizeof(res));
}

static void ctl_server_sa_info(const struct ctl_server *s, const struct sa_entry *e,
		    struct udpesp_ctl_sa_info *info)
{
	struct udpesp_replay rp;

	memset(info, 0, sizeof(*info));
	info->sa = e->cfg;
	/* Never let key material leave the daemon. */
	explicit_bzero(info->sa.aead.key, sizeof(info->sa.aead.key));
	explicit_bzero(info->sa.enc.key, sizeof(info->sa.enc.key));
	explicit_bzero(info->sa.auth.key, sizeof(info->sa.auth.key));
	info->handle = e->handle;
	info->slot = e->slot;
	info->add_time = e->add_time;
	info->state = e->soft_expired ? 1 : 0;
	if (e->cfg.dir == UDPESP_DIR_IN && !udpesp_maps_replay_get(s->maps, e->slot, &rp))
		info->seq = rp.top;
	else if (e->cfg.dir == UDPESP_DIR_OUT && e->rt)
		/* The last number sent, as ip xfrm's oseq: the next one is +1. */
		info->seq = __atomic_load_n(&((struct sa_rt *)e->rt)->encap.oseq, __ATOMIC_RELAXED);
	else
		info->seq = ((__u64)e->cfg.replay_oseq_hi << 32) | e->cfg.replay_oseq;
}

static int ctl_server_sa_get(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	const struct udpesp_ctl_sa_del *sel = m->payload;
	struct udpesp_ctl_sa_info info;
	struct sa_entry *e = sa_table_find(s->table, sel);
	int ret;

	if (!e) {
		char abuf[INET6_ADDRSTRLEN] = "?";

		/* Worded as sa_table_del() words it: one message per selector. */
		if (sel->handle)
			return ctl_send_error(c->fd, m->hdr.seq, ENOENT, "no SA with handle %u",
					      sel->handle);
		inet_ntop(sel->dst.family == UDPESP_AF_INET6 ? AF_INET6 : AF_INET, sel->dst.addr,
			  abuf, sizeof(abuf));
		return ctl_send_error(c->fd, m->hdr.seq, ENOENT, "no SA with dst %s spi 0x%x", abuf,
				      ntohl(sel->spi));
	}
	ctl_server_sa_info(s, e, &info);
	ret = ctl_send(c->fd, UDPESP_MSG_SA_INFO, m->hdr.seq, 0, &info, sizeof(info));
	explicit_bzero(&info, sizeof(info));
	return ret;
}

struct ctl_server_dump {
	struct ctl_server *s;
	struct ctl_server_client *c;
	__u32 seq;
};

static int ctl_server_dump_sa(const struct sa_entry *e, void *arg)
{
	struct ctl_server_dump *x = arg;
	struct udpesp_ctl_sa_info info;
	int ret;

	ctl_server_sa_info(x->s, e, &info);
	ret = ctl_send(x->c->fd, UDPESP_MSG_SA_INFO, x->seq, 0, &info, sizeof(info));
	explicit_bzero(&info, sizeof(info));
	return ret;
}

static int ctl_server_done(struct ctl_server_client *c, __u32 seq, int ret)
{
	if (ret)
		return ret;
	return ctl_send(c->fd, UDPESP_MSG_DONE, seq, 0, NULL, 0);
}

static int ctl_server_sa_list(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct ctl_server_dump x = { s, c, m->hdr.seq };

	return ctl_server_done(c, m->hdr.seq, sa_table_for_each(s->table, ctl_server_dump_sa, &x));
}

static int ctl_server_sa_flush(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct udpesp_ctl_del_result res;
	int ret = sa_table_flush(s->table, &res);

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "flush stopped: %s", strerror(-ret));
	return ctl_send(c->fd, UDPESP_MSG_SA_FLUSH, m->hdr.seq, 0, &res, sizeof(res));
}

static int ctl_server_parser_list(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	for (struct parser_entry *p = s->table->parsers; p; p = p->next) {
		struct udpesp_ctl_parser out = {
			.handle = p->handle,
			.ifindex = p->key.ifindex,
			.users = p->users,
			.encap = p->encap,
			.port = p->key.port,
		};
		int ret;

		out.addr.family = p->key.family;
		memcpy(out.addr.addr, p->key.addr, sizeof(out.addr.addr));
		ret = ctl_send(c->fd, UDPESP_MSG_PARSER_INFO, m->hdr.seq, 0, &out, sizeof(out));
		if (ret)
			return ret;
	}
	return ctl_server_done(c, m->hdr.seq, 0);
}

static int ctl_server_dump_sa_stats(const struct sa_entry *e, void *arg)
{
	struct ctl_server_dump *x = arg;
	struct udpesp_ctl_sa_stats out = { .handle = e->handle };
	struct udpesp_sa_stats s;

	if (udpesp_maps_sa_stats(x->s->maps, e->slot, &s))
		return 0;
	out.packets = s.packets;
	out.bytes = s.bytes;
	out.replay = s.replay;
	out.integrity_failed = s.integrity_failed;
	out.bad_padding = s.bad_padding;
	out.bad_next_header = s.bad_next_header;
	out.tmpl_mismatch = s.tmpl_mismatch;
	out.no_worker = s.no_worker;
	out.hdr_error = s.hdr_error;
	out.inner_error = s.inner_error;
	out.dummy = s.dummy;
	out.ecn_dropped = s.ecn_dropped;
	return ctl_send(x->c->fd, UDPESP_MSG_SA_STATS, x->seq, 0, &out, sizeof(out));
}

static int ctl_server_stats(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct ctl_server_dump x = { s, c, m->hdr.seq };
	__u64 counters[UDPESP_CNT_MAX];
	int ret;

	for (int i = 0; i < UDPESP_CNT_MAX; i++)
		if (udpesp_maps_counter(s->maps, i, &counters[i]))
			counters[i] = 0;
	ret = ctl_send(c->fd, UDPESP_MSG_STATS_INFO, m->hdr.seq, 0, counters, sizeof(counters));
	if (!ret)
		ret = sa_table_for_each(s->table, ctl_server_dump_sa_stats, &x);
	return ctl_server_done(c, m->hdr.seq, ret);
}

static int ctl_server_link_attach(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct udpesp_ctl_link req = *(const struct udpesp_ctl_link *)m->payload;
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	/* The daemon hears of the change through the links' ops. */
	int ret = links_attach(s->links, &req, err, sizeof(err));

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	return ctl_send(c->fd, UDPESP_MSG_LINK_ATTACH, m->hdr.seq, 0, &req, sizeof(req));
}

static int ctl_server_link_detach(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret = links_detach(s->links, m->payload, err, sizeof(err));

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	return ctl_send(c->fd, UDPESP_MSG_LINK_DETACH, m->hdr.seq, 0, NULL, 0);
}

static int ctl_server_send_link(const struct udpesp_ctl_link *link, void *arg)
{
	struct ctl_server_dump *x = arg;

	return ctl_send(x->c->fd, UDPESP_MSG_LINK_INFO, x->seq, 0, link, sizeof(*link));
}

static int ctl_server_link_list(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct ctl_server_dump x = { s, c, m->hdr.seq };

	return ctl_server_done(c, m->hdr.seq, links_list(s->links, ctl_server_send_link, &x));
}

static int ctl_server_monitor(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	(void)s;
	(void)m;
	c->monitor = true; /* events follow as they happen */
	return 0;
}

static int ctl_server_state(struct ctl_server *s, struct ctl_server_client *c,
			    const struct ctl_msg *m)
{
	struct udpesp_ctl_state out = { 0 };

	if (s->state)
		s->state(s->state_ctx, &out);
	return ctl_send(c->fd, UDPESP_MSG_STATE_INFO, m->hdr.seq, 0, &out, sizeof(out));
}

static const struct {
	__u32 type;
	ctl_server_handler_fn fn;
} ctl_server_handlers[] = {
	{ UDPESP_MSG_HELLO, ctl_server_hello },
	{ UDPESP_MSG_SA_ADD, ctl_server_sa_add },
	{ UDPESP_MSG_SA_DEL, ctl_server_sa_del },
	{ UDPESP_MSG_SA_GET, ctl_server_sa_get },
	{ UDPESP_MSG_SA_LIST, ctl_server_sa_list },
	{ UDPESP_MSG_SA_FLUSH, ctl_server_sa_flush },
	{ UDPESP_MSG_PARSER_LIST, ctl_server_parser_list },
	{ UDPESP_MSG_STATS, ctl_server_stats },
	{ UDPESP_MSG_LINK_ATTACH, ctl_server_link_attach },
	{ UDPESP_MSG_LINK_DETACH, ctl_server_link_detach },
	{ UDPESP_MSG_LINK_LIST, ctl_server_link_list },
	{ UDPESP_MSG_MONITOR, ctl_server_monitor },
	{ UDPESP_MSG_STATE_GET, ctl_server_state },
};

static int ctl_server_dispatch(struct ctl_server *s, struct ctl_server_client *c, const struct ctl_msg *m)
{
	for (size_t i = 0; i < sizeof(ctl_server_handlers) / sizeof(ctl_server_handlers[0]); i++)
		if (ctl_server_handlers[i].type == m->hdr.type)
			return ctl_server_handlers[i].fn(s, c, m);
	return ctl_send_error(c->fd, m->hdr.seq, EOPNOTSUPP, "message %s is not a request",
			      ctl_msg_name(m->hdr.type));
}

static void ctl_server_client_ready(void *ctx, __u32 events)
{
	struct ctl_server_client *c = ctx;
	struct ctl_server *s = c->s;

	(void)events;
	for (;;) {
		struct ctl_msg m;
		int ret = ctl_reader_feed(&c->rd, c->fd);

		if (ret == 0)
			return;
		if (ret < 0) {
			/* Tell a live but confused client why before hanging up. */
			if (ret == -EBADMSG || ret == -EMSGSIZE) {
				__u32 seq = c->rd.got >= CTL_HDR_LEN ? c->rd.msg.hdr.seq : 0;

				pr_info("control client sent a bad message: %s", strerror(-ret));
				ctl_send_error(c->fd, seq, -ret, "bad message: %s", strerror(-ret));
			}
			ctl_server_client_close(s, c);
			return;
		}
		ctl_reader_take(&c->rd, &m);
		ret = ctl_server_dispatch(s, c, &m);
		ctl_msg_free(&m); /* wipes the keys of an SA_ADD */
		if (ret) {
			ctl_server_client_close(s, c);
			return;
		}
	}
}
