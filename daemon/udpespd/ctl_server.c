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
#include "udpespd.h"
#include "common/util.h"
#include "ctl_swan.h"

struct client {
	int tag; /* EP_CLIENT: first, epoll's data.ptr points here */
	int fd;
	bool monitor;
	struct ctl_reader rd;
	struct client *next;
};

static int tag_listen = EP_LISTEN;

int server_listen(struct udpespd *d, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_listen };
	mode_t old;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Created with the right mode: no window where others could connect. */
	old = umask(d->has_group ? 0117 : 0177);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (!err && d->has_group && chown(path, 0, d->group))
		err = -1;
	if (!err)
		err = listen(fd, 64);
	if (!err)
		err = epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	if (err) {
		err = -errno;
		close(fd);
		return err;
	}
	d->listen_fd = fd;
	return 0;
}

/* uid 0, or a member of --group (primary or supplementary). */
static bool peer_allowed(const struct udpespd *d, int fd)
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
	if (!d->has_group)
		return false;
	if (cred.gid == d->group)
		return true;
	pw = getpwuid(cred.uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == d->group)
			return true;
	return false;
}

void server_accept(struct udpespd *d)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c;
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if (!peer_allowed(d, fd)) {
			pr_warn("control client refused: not root and not in the group");
			ctl_send_error(fd, 0, EACCES, "permission denied: udpespd answers root%s only",
				       d->has_group ? " and its group" : "");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->tag = EP_CLIENT;
		c->fd = fd;
		ctl_reader_init(&c->rd, false);
		ev.data.ptr = c;
		if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = d->clients;
		d->clients = c;
	}
}

static void client_close(struct udpespd *d, struct client *c)
{
	struct client **pp;

	for (pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	ctl_reader_reset(&c->rd); /* wipes a half-received SA and its keys */
	free(c);
}

void server_close_all(struct udpespd *d)
{
	while (d->clients)
		client_close(d, d->clients);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	d->listen_fd = -1;
	ctl_swan_fini();
}

void server_broadcast(void *daemon, const struct udpesp_ctl_event *ev)
{
	struct udpespd *d = daemon;
	struct client *c, *n;

	for (c = d->clients; c; c = n) {
		n = c->next;
		if (c->monitor && ctl_send(c->fd, UDPESP_MSG_EVENT, 0, 0, ev, sizeof(*ev)))
			client_close(d, c);
	}
}

/* ---- handlers: 0 when the reply was sent, -errno to close the client ---- */

typedef int (*handler_fn)(struct udpespd *d, struct client *c, const struct ctl_msg *m);

static int h_hello(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	const struct udpesp_ctl_hello *in = m->payload;
	struct udpesp_ctl_hello out = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION };

	(void)d;
	if (in->version != UDPESP_CTL_VERSION)
		return ctl_send_error(c->fd, m->hdr.seq, EPROTO,
				      "protocol version %u not supported (udpespd speaks %u)",
				      in->version, UDPESP_CTL_VERSION);
	return ctl_send(c->fd, UDPESP_MSG_HELLO, m->hdr.seq, 0, &out, sizeof(out));
}

static int h_sa_add(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	size_t n = m->hdr.len / sizeof(struct udpesp_ctl_sa);
	struct udpesp_ctl_handles *out = calloc(n, sizeof(*out));
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret;

	if (!out)
		return ctl_send_error(c->fd, m->hdr.seq, ENOMEM, "out of memory");
	ret = sa_table_add(&d->table, m->payload, n, out, err, sizeof(err));
	if (ret) {
		pr_info("sa add refused: %s", err);
		ret = ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	} else {
		pr_info("sa add: %zu SA(s), first handle %u", n, out[0].handle);
		ctl_swan_sa_added(m->payload, n);
		ret = ctl_send(c->fd, UDPESP_MSG_SA_ADD, m->hdr.seq, 0, out, n * sizeof(*out));
	}
	free(out);
	return ret;
}

static int h_sa_del(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_del_result res;
	int ret = sa_table_del(&d->table, m->payload, &res, err, sizeof(err));

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	return ctl_send(c->fd, UDPESP_MSG_SA_DEL, m->hdr.seq, 0, &res, sizeof(res));
}

static void sa_info(const struct udpespd *d, const struct sa_entry *e,
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
	if (e->cfg.dir == UDPESP_DIR_IN && !udpesp_maps_replay_get(&d->maps, e->slot, &rp))
		info->seq = rp.top;
	else if (e->cfg.dir == UDPESP_DIR_OUT && e->rt)
		/* The last number sent, as ip xfrm's oseq: the next one is +1. */
		info->seq = __atomic_load_n(&((struct sa_rt *)e->rt)->encap.oseq, __ATOMIC_RELAXED);
	else
		info->seq = ((__u64)e->cfg.replay_oseq_hi << 32) | e->cfg.replay_oseq;
}

static int h_sa_get(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	const struct udpesp_ctl_sa_del *sel = m->payload;
	struct udpesp_ctl_sa_info info;
	struct sa_entry *e = sa_table_find(&d->table, sel);
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
	sa_info(d, e, &info);
	ret = ctl_send(c->fd, UDPESP_MSG_SA_INFO, m->hdr.seq, 0, &info, sizeof(info));
	explicit_bzero(&info, sizeof(info));
	return ret;
}

struct dump_ctx {
	struct udpespd *d;
	struct client *c;
	__u32 seq;
};

static int dump_sa(const struct sa_entry *e, void *arg)
{
	struct dump_ctx *x = arg;
	struct udpesp_ctl_sa_info info;
	int ret;

	sa_info(x->d, e, &info);
	ret = ctl_send(x->c->fd, UDPESP_MSG_SA_INFO, x->seq, 0, &info, sizeof(info));
	explicit_bzero(&info, sizeof(info));
	return ret;
}

static int done(struct client *c, __u32 seq, int ret)
{
	if (ret)
		return ret;
	return ctl_send(c->fd, UDPESP_MSG_DONE, seq, 0, NULL, 0);
}

static int h_sa_list(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	struct dump_ctx x = { d, c, m->hdr.seq };

	return done(c, m->hdr.seq, sa_table_for_each(&d->table, dump_sa, &x));
}

static int h_sa_flush(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	struct udpesp_ctl_del_result res;
	int ret = sa_table_flush(&d->table, &res);

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "flush stopped: %s", strerror(-ret));
	return ctl_send(c->fd, UDPESP_MSG_SA_FLUSH, m->hdr.seq, 0, &res, sizeof(res));
}

static int h_parser_list(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	for (struct parser_entry *p = d->table.parsers; p; p = p->next) {
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
	return done(c, m->hdr.seq, 0);
}

static int dump_sa_stats(const struct sa_entry *e, void *arg)
{
	struct dump_ctx *x = arg;
	struct udpesp_ctl_sa_stats out = { .handle = e->handle };
	struct udpesp_sa_stats s;

	if (udpesp_maps_sa_stats(&x->d->maps, e->slot, &s))
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

static int h_stats(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	struct dump_ctx x = { d, c, m->hdr.seq };
	__u64 counters[UDPESP_CNT_MAX];
	int ret;

	for (int i = 0; i < UDPESP_CNT_MAX; i++)
		if (udpesp_maps_counter(&d->maps, i, &counters[i]))
			counters[i] = 0;
	ret = ctl_send(c->fd, UDPESP_MSG_STATS_INFO, m->hdr.seq, 0, counters, sizeof(counters));
	if (!ret)
		ret = sa_table_for_each(&d->table, dump_sa_stats, &x);
	return done(c, m->hdr.seq, ret);
}

static int h_link_attach(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	struct udpesp_ctl_link req = *(const struct udpesp_ctl_link *)m->payload;
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret = links_attach(&d->links, &req, err, sizeof(err));

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	udpespd_sync_workers(d);
	return ctl_send(c->fd, UDPESP_MSG_LINK_ATTACH, m->hdr.seq, 0, &req, sizeof(req));
}

static int h_link_detach(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret = links_detach(&d->links, m->payload, err, sizeof(err));

	if (ret)
		return ctl_send_error(c->fd, m->hdr.seq, -ret, "%s", err);
	udpespd_sync_workers(d);
	return ctl_send(c->fd, UDPESP_MSG_LINK_DETACH, m->hdr.seq, 0, NULL, 0);
}

static int send_link(const struct udpesp_ctl_link *link, void *arg)
{
	struct dump_ctx *x = arg;

	return ctl_send(x->c->fd, UDPESP_MSG_LINK_INFO, x->seq, 0, link, sizeof(*link));
}

static int h_link_list(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	struct dump_ctx x = { d, c, m->hdr.seq };

	return done(c, m->hdr.seq, links_list(&d->links, send_link, &x));
}

static int h_monitor(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	(void)d;
	(void)m;
	c->monitor = true; /* events follow as they happen */
	return 0;
}

/* For IKE daemons: ctl_swan.c. */
static int h_spi_alloc(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	return ctl_swan_spi_alloc(d, c->fd, m);
}

static int h_sa_query(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	return ctl_swan_sa_query(d, c->fd, m);
}

static int h_sa_update(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	return ctl_swan_sa_update(d, c->fd, m);
}

static const struct {
	__u32 type;
	handler_fn fn;
} handlers[] = {
	{ UDPESP_MSG_HELLO, h_hello },
	{ UDPESP_MSG_SA_ADD, h_sa_add },
	{ UDPESP_MSG_SA_DEL, h_sa_del },
	{ UDPESP_MSG_SA_GET, h_sa_get },
	{ UDPESP_MSG_SA_LIST, h_sa_list },
	{ UDPESP_MSG_SA_FLUSH, h_sa_flush },
	{ UDPESP_MSG_PARSER_LIST, h_parser_list },
	{ UDPESP_MSG_STATS, h_stats },
	{ UDPESP_MSG_LINK_ATTACH, h_link_attach },
	{ UDPESP_MSG_LINK_DETACH, h_link_detach },
	{ UDPESP_MSG_LINK_LIST, h_link_list },
	{ UDPESP_MSG_MONITOR, h_monitor },
	{ UDPESP_MSG_SPI_ALLOC, h_spi_alloc },
	{ UDPESP_MSG_SA_QUERY, h_sa_query },
	{ UDPESP_MSG_SA_UPDATE, h_sa_update },
};

static int dispatch(struct udpespd *d, struct client *c, const struct ctl_msg *m)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == m->hdr.type)
			return handlers[i].fn(d, c, m);
	return ctl_send_error(c->fd, m->hdr.seq, EOPNOTSUPP, "message %s is not a request",
			      ctl_msg_name(m->hdr.type));
}

void server_client_ready(struct udpespd *d, struct client *c)
{
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
			client_close(d, c);
			return;
		}
		ctl_reader_take(&c->rd, &m);
		ret = dispatch(d, c, &m);
		ctl_msg_free(&m); /* wipes the keys of an SA_ADD */
		if (ret) {
			client_close(d, c);
			return;
		}
	}
}

/* ---- lifetimes ---- */

struct expiry {
	__u32 handle;
	__u8 limit;
	bool hard;
};

struct lifetime_scan {
	struct udpespd *d;
	time_t now;
	struct expiry *found;
	size_t n, cap;
};

static bool over(__u64 limit, __u64 value)
{
	return limit && value >= limit;
}

/* The first limit reached, hard ones first; -1 if none. */
static int limit_reached(const __u64 *lim, __u64 secs, __u64 bytes, __u64 packets,
			 bool *hard)
{
	static const struct {
		int idx;
		bool hard;
		int what; /* 0 time, 1 bytes, 2 packets */
	} order[] = {
		{ UDPESP_LIMIT_TIME_HARD, true, 0 },   { UDPESP_LIMIT_BYTE_HARD, true, 1 },
		{ UDPESP_LIMIT_PACKET_HARD, true, 2 }, { UDPESP_LIMIT_TIME_SOFT, false, 0 },
		{ UDPESP_LIMIT_BYTE_SOFT, false, 1 },  { UDPESP_LIMIT_PACKET_SOFT, false, 2 },
	};
	const __u64 values[] = { secs, bytes, packets };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (over(lim[order[i].idx], values[order[i].what])) {
			*hard = order[i].hard;
			return order[i].idx;
		}
	}
	return -1;
}

static int scan_lifetime(const struct sa_entry *e, void *arg)
{
	struct lifetime_scan *s = arg;
	struct udpesp_sa_stats st = { 0 };
	const __u64 *lim = e->cfg.limits;
	bool any = false, counted, hard;
	int idx;

	for (int i = 0; i < UDPESP_LIMIT_MAX; i++)
		any |= lim[i] != 0;
	if (!any)
		return 0;
	/*
	 * Counters cost syscalls: read them only for byte and packet limits,
	 * or time lifetimes alone (what IKE daemons set) make a scan of
	 * 1,000,000 SAs take seconds, every second.
	 */
	counted = lim[UDPESP_LIMIT_BYTE_SOFT] || lim[UDPESP_LIMIT_BYTE_HARD] ||
		  lim[UDPESP_LIMIT_PACKET_SOFT] || lim[UDPESP_LIMIT_PACKET_HARD];
	if (counted)
		udpesp_maps_sa_stats(&s->d->maps, e->slot, &st);
	idx = limit_reached(e->cfg.limits, s->now - e->add_time, st.bytes, st.packets, &hard);
	if (idx < 0 || (!hard && e->soft_expired))
		return 0;
	if (array_reserve((void **)&s->found, s->n, &s->cap, sizeof(*s->found)))
		return -ENOMEM;
	s->found[s->n++] = (struct expiry){ e->handle, idx, hard };
	return 0;
}

void server_expire(struct udpespd *d, __u32 handle, bool hard, __u8 limit, const char *why)
{
	struct udpesp_ctl_sa_del sel = { .handle = handle };
	struct sa_entry *e = sa_table_find(&d->table, &sel);
	struct udpesp_ctl_event ev = {
		.type = hard ? UDPESP_EV_SA_HARD_EXPIRED : UDPESP_EV_SA_SOFT_EXPIRED,
		.handle = handle,
		.limit = limit,
		.time = time(NULL),
	};
	struct udpesp_ctl_del_result res;
	char err[UDPESP_CTL_ERRMSG_MAX];

	if (!e || (!hard && e->soft_expired))
		return;
	ev.spi = e->cfg.spi;
	ev.addr = e->cfg.dst;
	ev.ifindex = e->cfg.ifindex;
	if (!hard) {
		e->soft_expired = true;
		sa_table_life_update(&d->table, e);
		pr_info("SA %u soft-expired: %s", handle, why);
		server_broadcast(d, &ev);
		return;
	}
	pr_info("SA %u hard-expired (%s): removing it", handle, why);
	server_broadcast(d, &ev);
	if (sa_table_del(&d->table, &sel, &res, err, sizeof(err)))
		pr_warn("removing expired SA %u: %s", handle, err);
}

void server_check_lifetimes(struct udpespd *d)
{
	struct lifetime_scan s = { .d = d, .now = time(NULL) };

	/*
	 * Only the SAs that can be due: with 1,000,000 SAs a walk of them
	 * all took a quarter of a CPU, every second, on this thread.
	 * Collect first: expiring an SA changes the table being walked.
	 */
	sa_table_for_each_due(&d->table, s.now, scan_lifetime, &s);
	for (size_t i = 0; i < s.n; i++)
		server_expire(d, s.found[i].handle, s.found[i].hard, s.found[i].limit,
			      "lifetime reached");
	free(s.found);
}
