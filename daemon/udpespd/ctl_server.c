// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespd's control server: a Unix stream socket (0600, or 0660 for
 * --group), every peer checked with SO_PEERCRED, and a handler per
 * message type.
 *
 * The event loop is udpespd's only thread for the control plane, so no
 * client may hold it: sockets are non-blocking, replies are queued in a
 * per-client buffer and sent as the client reads them. A client whose
 * queue is above CTL_SERVER_OUT_LOW is not read from (its requests wait
 * in the kernel) and its dumps pause, so a client that never reads costs
 * at most its buffer; a monitor whose events pile up beyond
 * CTL_SERVER_OUT_CAP is disconnected.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
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
#include "common/sa_check.h"
#include "common/util.h"
#include "ctl_server.h"
#include "ctl_swan.h"
#include "sa_rt.h"

/* Dumps in progress, resumed as the client reads. */
enum ctl_server_dump_kind { CTL_DUMP_NONE, CTL_DUMP_SA_LIST, CTL_DUMP_SA_STATS };

struct ctl_server_client {
	struct ctl_server *s;
	struct evloop_src *src;
	int fd;
	pid_t pid;
	bool monitor;
	bool closing; /* dropped while its own request ran: closed after it */
	bool eof;     /* it hung up: close once its replies are out */
	struct ctl_reader rd;
	char *out; /* queued bytes: out[out_off .. out_len) */
	size_t out_off, out_len, out_size;
	enum ctl_server_dump_kind dump;
	__u32 dump_seq, dump_pos;
	struct ctl_server_client *next;
};

static void ctl_server_accept(void *ctx, __u32 events);
static void ctl_server_client_ready(void *ctx, __u32 events);

/* /dev/null held in reserve: closed to accept and refuse when out of fds. */
static int ctl_server_reserve_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int ctl_server_open(struct ctl_server *s, struct evloop *loop, const struct ctl_server_cfg *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, err;

	*s = (struct ctl_server){ .loop = loop,
				  .listen_fd = -1,
				  .reserve_fd = -1,
				  .group = cfg->group,
				  .has_group = cfg->has_group,
				  .table = cfg->table,
				  .maps = cfg->maps,
				  .links = cfg->links,
				  .state = cfg->state,
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
	s->reserve_fd = ctl_server_reserve_open();
	return 0;
}

/* uid 0, or a member of --group (primary or supplementary). */
static bool ctl_server_peer_allowed(const struct ctl_server *s, int fd, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;
	gid_t groups[256];
	int n = 256;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	*pid = cred.pid;
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

/* An error reply on a connection about to be closed: one try, never a wait. */
static void ctl_server_refuse(int fd, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ctl_server_refuse(int fd, int err, const char *fmt, ...)
{
	struct {
		struct udpesp_ctl_hdr hdr;
		char text[UDPESP_CTL_ERRMSG_MAX];
	} msg;
	va_list ap;

	va_start(ap, fmt);
	err = ctl_error_text(msg.text, sizeof(msg.text), err, fmt, ap);
	va_end(ap);
	msg.hdr = (struct udpesp_ctl_hdr){ .type = UDPESP_MSG_ERROR,
					   .status = -err,
					   .len = strlen(msg.text) + 1 };
	if (send(fd, &msg, sizeof(msg.hdr) + msg.hdr.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pr_debug("refusing a control client: %s", strerror(errno));
}

/*
 * accept4() failed with EMFILE or ENFILE: the connection stays queued and
 * the listening socket readable, so the loop would spin. Accept it on the
 * reserve fd and refuse it; without a reserve, stop listening until a
 * client leaves or the next tick. true: accept the next one.
 */
static bool ctl_server_out_of_fds(struct ctl_server *s, int err)
{
	int fd;

	if (!s->fds_short)
		pr_warn("control socket: out of file descriptors (%s): refusing new clients",
			strerror(err));
	s->fds_short = true;
	if (s->reserve_fd < 0) {
		s->paused = true;
		evloop_mod(s->loop, s->listen_src, 0);
		return false;
	}
	close(s->reserve_fd);
	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd >= 0) {
		ctl_server_refuse(fd, err, "udpespd is out of file descriptors: try again later");
		close(fd);
	} else {
		err = errno;
	}
	s->reserve_fd = ctl_server_reserve_open();
	if (fd >= 0)
		return true;
	if (err != EAGAIN && err != EWOULDBLOCK) {
		/* Another thread took the fd, or the whole system is out. */
		s->paused = true;
		evloop_mod(s->loop, s->listen_src, 0);
	}
	return false;
}

/* Listen again after running out of fds: a client left, or a tick passed. */
static void ctl_server_resume(struct ctl_server *s)
{
	if (s->reserve_fd < 0)
		s->reserve_fd = ctl_server_reserve_open();
	if (!s->paused)
		return;
	s->paused = false;
	evloop_mod(s->loop, s->listen_src, EPOLLIN);
}

void ctl_server_tick(struct ctl_server *s)
{
	ctl_server_resume(s);
}

static void ctl_server_accept(void *ctx, __u32 events)
{
	struct ctl_server *s = ctx;

	(void)events;
	while (!s->paused) {
		struct ctl_server_client *c;
		pid_t pid = 0;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			if (ctl_server_out_of_fds(s, errno))
				continue;
			return;
		}
		if (fd < 0)
			return;
		if (s->fds_short) {
			pr_info("control socket: file descriptors available again");
			s->fds_short = false;
		}
		if (!ctl_server_peer_allowed(s, fd, &pid)) {
			pr_warn("control client refused: not root and not in the group");
			ctl_server_refuse(fd, EACCES,
					  "permission denied: udpespd answers root%s only",
					  s->has_group ? " and its group" : "");
			close(fd);
			continue;
		}
		if (s->nclients >= CTL_SERVER_MAX_CLIENTS) {
			pr_warn("control client (pid %d) refused: %d clients already", pid,
				CTL_SERVER_MAX_CLIENTS);
			ctl_server_refuse(
				fd, EBUSY,
				"udpespd serves at most %d clients at once: try again later",
				CTL_SERVER_MAX_CLIENTS);
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
		c->pid = pid;
		ctl_reader_init(&c->rd, false);
		c->src = evloop_add(s->loop, fd, EPOLLIN, ctl_server_client_ready, c);
		if (!c->src) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
		s->nclients++;
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
	s->nclients--;
	evloop_del(s->loop, c->src);
	close(c->fd);
	ctl_reader_reset(&c->rd); /* wipes a half-received SA and its keys */
	free(c->out);
	free(c);
	ctl_server_resume(s);
}

/* Close now, or after the request it is running (which still uses it). */
static void ctl_server_client_drop(struct ctl_server *s, struct ctl_server_client *c)
{
	if (s->running == c)
		c->closing = true;
	else
		ctl_server_client_close(s, c);
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
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	s->reserve_fd = -1;
	ctl_swan_fini();
}

struct ctl_server *ctl_server_of(const struct ctl_server_client *c)
{
	return c->s;
}

/* ---- the output queue ---- */

static size_t ctl_server_queued(const struct ctl_server_client *c)
{
	return c->out_len - c->out_off;
}

/*
 * Queue one message. -ENOBUFS when the client has CTL_SERVER_OUT_CAP
 * bytes waiting already: it does not read, and is dropped.
 */
int ctl_server_queue(struct ctl_server_client *c, __u32 type, __u32 seq, __s32 status,
		     const void *payload, __u32 len)
{
	struct udpesp_ctl_hdr hdr = { .type = type, .len = len, .seq = seq, .status = status };
	size_t need = sizeof(hdr) + len;

	/* Marshalling bugs show here, as ctl_send() would show them. */
	if (ctl_check_len(type, len, true) || (len && !payload))
		return -EBADMSG;
	if (ctl_server_queued(c) + need > CTL_SERVER_OUT_CAP) {
		pr_warn("control client (pid %d) does not read: %zu bytes queued, disconnected",
			c->pid, ctl_server_queued(c));
		return -ENOBUFS;
	}
	if (c->out_off && c->out_len + need > c->out_size) {
		memmove(c->out, c->out + c->out_off, ctl_server_queued(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + need > c->out_size) {
		size_t size = c->out_size ? c->out_size : 4096;
		char *p;

		while (size < c->out_len + need)
			size *= 2;
		p = realloc(c->out, size);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_size = size;
	}
	memcpy(c->out + c->out_len, &hdr, sizeof(hdr));
	if (len)
		memcpy(c->out + c->out_len + sizeof(hdr), payload, len);
	c->out_len += need;
	return 0;
}

int ctl_server_error(struct ctl_server_client *c, __u32 seq, int err, const char *fmt, ...)
{
	char text[UDPESP_CTL_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	err = ctl_error_text(text, sizeof(text), err, fmt, ap);
	va_end(ap);
	return ctl_server_queue(c, UDPESP_MSG_ERROR, seq, -err, text, strlen(text) + 1);
}

/* Send what the socket takes now. 0, or -errno when the client is gone. */
static int ctl_server_flush(struct ctl_server_client *c)
{
	while (ctl_server_queued(c)) {
		ssize_t n = send(c->fd, c->out + c->out_off, ctl_server_queued(c),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		c->out_off += n;
	}
	c->out_off = c->out_len = 0;
	/* A big dump's buffer goes back once it is sent. */
	if (c->out_size > 4 * CTL_SERVER_OUT_LOW) {
		free(c->out);
		c->out = NULL;
		c->out_size = 0;
	}
	return 0;
}

/*
 * Wait for what is due: more requests while the queue is short and no
 * dump is pending, room in the socket while anything is queued.
 */
static void ctl_server_watch(struct ctl_server_client *c)
{
	__u32 ev = 0;

	if (c->dump == CTL_DUMP_NONE && !c->eof && ctl_server_queued(c) < CTL_SERVER_OUT_LOW)
		ev |= EPOLLIN;
	if (ctl_server_queued(c))
		ev |= EPOLLOUT;
	evloop_mod(c->s->loop, c->src, ev);
}

void ctl_server_broadcast(struct ctl_server *s, const struct udpesp_ctl_event *ev)
{
	struct ctl_server_client *c, *n;

	for (c = s->clients; c; c = n) {
		n = c->next;
		if (!c->monitor || c->closing)
			continue;
		if (ctl_server_queue(c, UDPESP_MSG_EVENT, 0, 0, ev, sizeof(*ev)) ||
		    ctl_server_flush(c)) {
			ctl_server_client_drop(s, c);
			continue;
		}
		if (s->running != c)
			ctl_server_watch(c);
	}
}

/* ---- handlers: 0 when the reply is queued, -errno to close the client ---- */

typedef int (*ctl_server_handler_fn)(struct ctl_server_client *c, const struct ctl_msg *m);

static int ctl_server_hello(struct ctl_server_client *c, const struct ctl_msg *m)
{
	const struct udpesp_ctl_hello *in = m->payload;
	struct udpesp_ctl_hello out = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION };

	if (in->version != UDPESP_CTL_VERSION)
		return ctl_server_error(c, m->hdr.seq, EPROTO,
					"protocol version %u not supported (udpespd speaks %u)",
					in->version, UDPESP_CTL_VERSION);
	return ctl_server_queue(c, UDPESP_MSG_HELLO, m->hdr.seq, 0, &out, sizeof(out));
}

/*
 * RFC 8221's word on an accepted algorithm below SHOULD, for the log: from
 * the suite sa_table_add() checked and kept, not checked again.
 */
static void ctl_server_note(const struct sa_table *t, __u32 handle)
{
	const struct sa_entry *e =
		sa_table_find(t, &(struct udpesp_ctl_sa_del){ .handle = handle });
	const char *note = e ? sa_check_note(&e->suite) : NULL;

	if (note)
		pr_info("SA %u uses %s: %s", handle, e->suite.auth_name, note);
}

static int ctl_server_sa_add(struct ctl_server_client *c, const struct ctl_msg *m)
{
	size_t n = m->hdr.len / sizeof(struct udpesp_ctl_sa);
	struct udpesp_ctl_handles *out = calloc(n, sizeof(*out));
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret;

	if (!out)
		return ctl_server_error(c, m->hdr.seq, ENOMEM, "out of memory");
	ret = sa_table_add(c->s->table, m->payload, n, out, err, sizeof(err));
	if (ret) {
		pr_info("sa add refused: %s", err);
		ret = ctl_server_error(c, m->hdr.seq, -ret, "%s", err);
	} else {
		pr_info("sa add: %zu SA(s), first handle %u", n, out[0].handle);
		for (size_t i = 0; i < n; i++)
			ctl_server_note(c->s->table, out[i].handle);
		ctl_swan_sa_added(m->payload, n);
		ret = ctl_server_queue(c, UDPESP_MSG_SA_ADD, m->hdr.seq, 0, out, n * sizeof(*out));
	}
	free(out);
	return ret;
}

static int ctl_server_sa_del(struct ctl_server_client *c, const struct ctl_msg *m)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_del_result res;
	int ret = sa_table_del(c->s->table, m->payload, &res, err, sizeof(err));

	if (ret)
		return ctl_server_error(c, m->hdr.seq, -ret, "%s", err);
	return ctl_server_queue(c, UDPESP_MSG_SA_DEL, m->hdr.seq, 0, &res, sizeof(res));
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

static int ctl_server_sa_get(struct ctl_server_client *c, const struct ctl_msg *m)
{
	const struct udpesp_ctl_sa_del *sel = m->payload;
	struct udpesp_ctl_sa_info info;
	struct sa_entry *e = sa_table_find(c->s->table, sel);
	int ret;

	if (!e) {
		char abuf[INET6_ADDRSTRLEN] = "?";

		/* Worded as sa_table_del() words it: one message per selector. */
		if (sel->handle)
			return ctl_server_error(c, m->hdr.seq, ENOENT, "no SA with handle %u",
						sel->handle);
		inet_ntop(sel->dst.family == UDPESP_AF_INET6 ? AF_INET6 : AF_INET, sel->dst.addr,
			  abuf, sizeof(abuf));
		return ctl_server_error(c, m->hdr.seq, ENOENT, "no SA with dst %s spi 0x%x", abuf,
					ntohl(sel->spi));
	}
	ctl_server_sa_info(c->s, e, &info);
	ret = ctl_server_queue(c, UDPESP_MSG_SA_INFO, m->hdr.seq, 0, &info, sizeof(info));
	explicit_bzero(&info, sizeof(info));
	return ret;
}

/* A dump entry; 1 (pause) once the client has enough to read. */
static int ctl_server_dumped(struct ctl_server_client *c, int ret)
{
	if (ret)
		return ret;
	return ctl_server_queued(c) >= CTL_SERVER_OUT_LOW ? 1 : 0;
}

static int ctl_server_dump_sa(const struct sa_entry *e, void *arg)
{
	struct ctl_server_client *c = arg;
	struct udpesp_ctl_sa_info info;
	int ret;

	ctl_server_sa_info(c->s, e, &info);
	ret = ctl_server_queue(c, UDPESP_MSG_SA_INFO, c->dump_seq, 0, &info, sizeof(info));
	explicit_bzero(&info, sizeof(info));
	return ctl_server_dumped(c, ret);
}

static int ctl_server_dump_sa_stats(const struct sa_entry *e, void *arg)
{
	struct ctl_server_client *c = arg;
	struct udpesp_ctl_sa_stats out = { .handle = e->handle };
	struct udpesp_sa_stats s;

	if (udpesp_maps_sa_stats(c->s->maps, e->slot, &s))
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
	return ctl_server_dumped(c, ctl_server_queue(c, UDPESP_MSG_SA_STATS, c->dump_seq, 0, &out,
						     sizeof(out)));
}

/* The next step of the client's dump; DONE ends it. 0 or -errno. */
static int ctl_server_dump_step(struct ctl_server_client *c)
{
	int ret = sa_table_walk(
		c->s->table, &c->dump_pos,
		c->dump == CTL_DUMP_SA_LIST ? ctl_server_dump_sa : ctl_server_dump_sa_stats, c);

	if (ret < 0)
		return ret;
	if (ret > 0)
		return 0; /* more once the client has read */
	c->dump = CTL_DUMP_NONE;
	return ctl_server_queue(c, UDPESP_MSG_DONE, c->dump_seq, 0, NULL, 0);
}

static int ctl_server_dump_start(struct ctl_server_client *c, enum ctl_server_dump_kind kind,
				 __u32 seq)
{
	c->dump = kind;
	c->dump_seq = seq;
	c->dump_pos = 0;
	return ctl_server_dump_step(c);
}

static int ctl_server_done(struct ctl_server_client *c, __u32 seq, int ret)
{
	if (ret)
		return ret;
	return ctl_server_queue(c, UDPESP_MSG_DONE, seq, 0, NULL, 0);
}

static int ctl_server_sa_list(struct ctl_server_client *c, const struct ctl_msg *m)
{
	return ctl_server_dump_start(c, CTL_DUMP_SA_LIST, m->hdr.seq);
}

static int ctl_server_sa_flush(struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct udpesp_ctl_del_result res;
	int ret = sa_table_flush(c->s->table, &res);

	if (ret)
		return ctl_server_error(c, m->hdr.seq, -ret, "flush stopped: %s", strerror(-ret));
	return ctl_server_queue(c, UDPESP_MSG_SA_FLUSH, m->hdr.seq, 0, &res, sizeof(res));
}

static int ctl_server_parser_list(struct ctl_server_client *c, const struct ctl_msg *m)
{
	for (struct parser_entry *p = c->s->table->parsers; p; p = p->next) {
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
		ret = ctl_server_queue(c, UDPESP_MSG_PARSER_INFO, m->hdr.seq, 0, &out, sizeof(out));
		if (ret)
			return ret;
	}
	return ctl_server_done(c, m->hdr.seq, 0);
}

static int ctl_server_stats(struct ctl_server_client *c, const struct ctl_msg *m)
{
	__u64 counters[UDPESP_CNT_MAX];
	int ret;

	for (int i = 0; i < UDPESP_CNT_MAX; i++)
		if (udpesp_maps_counter(c->s->maps, i, &counters[i]))
			counters[i] = 0;
	ret = ctl_server_queue(c, UDPESP_MSG_STATS_INFO, m->hdr.seq, 0, counters, sizeof(counters));
	if (ret)
		return ret;
	return ctl_server_dump_start(c, CTL_DUMP_SA_STATS, m->hdr.seq);
}

static int ctl_server_link_attach(struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct udpesp_ctl_link req = *(const struct udpesp_ctl_link *)m->payload;
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	/* The daemon hears of the change through the links' ops. */
	int ret = links_attach(c->s->links, &req, err, sizeof(err));

	if (ret)
		return ctl_server_error(c, m->hdr.seq, -ret, "%s", err);
	return ctl_server_queue(c, UDPESP_MSG_LINK_ATTACH, m->hdr.seq, 0, &req, sizeof(req));
}

static int ctl_server_link_detach(struct ctl_server_client *c, const struct ctl_msg *m)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret = links_detach(c->s->links, m->payload, err, sizeof(err));

	if (ret)
		return ctl_server_error(c, m->hdr.seq, -ret, "%s", err);
	return ctl_server_queue(c, UDPESP_MSG_LINK_DETACH, m->hdr.seq, 0, NULL, 0);
}

struct ctl_server_link_dump {
	struct ctl_server_client *c;
	__u32 seq;
};

static int ctl_server_send_link(const struct udpesp_ctl_link *link, void *arg)
{
	struct ctl_server_link_dump *x = arg;

	return ctl_server_queue(x->c, UDPESP_MSG_LINK_INFO, x->seq, 0, link, sizeof(*link));
}

static int ctl_server_link_list(struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct ctl_server_link_dump x = { c, m->hdr.seq };

	return ctl_server_done(c, m->hdr.seq, links_list(c->s->links, ctl_server_send_link, &x));
}

static int ctl_server_monitor(struct ctl_server_client *c, const struct ctl_msg *m)
{
	(void)m;
	c->monitor = true; /* events follow as they happen */
	return 0;
}

static int ctl_server_state(struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct udpesp_ctl_state out = { 0 };

	if (c->s->state)
		c->s->state(c->s->state_ctx, &out);
	return ctl_server_queue(c, UDPESP_MSG_STATE_INFO, m->hdr.seq, 0, &out, sizeof(out));
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
	/* For IKE daemons: ctl_swan.c. */
	{ UDPESP_MSG_SPI_ALLOC, ctl_swan_spi_alloc },
	{ UDPESP_MSG_SA_QUERY, ctl_swan_sa_query },
	{ UDPESP_MSG_SA_UPDATE, ctl_swan_sa_update },
	{ UDPESP_MSG_STATE_GET, ctl_server_state },
};

static int ctl_server_dispatch(struct ctl_server_client *c, const struct ctl_msg *m)
{
	for (size_t i = 0; i < sizeof(ctl_server_handlers) / sizeof(ctl_server_handlers[0]); i++)
		if (ctl_server_handlers[i].type == m->hdr.type)
			return ctl_server_handlers[i].fn(c, m);
	return ctl_server_error(c, m->hdr.seq, EOPNOTSUPP, "message %s is not a request",
				ctl_msg_name(m->hdr.type));
}

/*
 * Serve one client as far as it lets us: send what it reads, go on with
 * its dump, take its next requests while its queue is short. 0, or
 * -errno to close it.
 */
static int ctl_server_client_run(struct ctl_server_client *c)
{
	int ret = ctl_server_flush(c);

	while (!ret && !c->closing && ctl_server_queued(c) < CTL_SERVER_OUT_LOW) {
		struct ctl_msg m;

		if (c->dump != CTL_DUMP_NONE) {
			ret = ctl_server_dump_step(c);
		} else if (c->eof) {
			if (!ctl_server_queued(c))
				ret = -ENOTCONN;
			break;
		} else {
			ret = ctl_reader_feed(&c->rd, c->fd);
			if (ret == 0)
				break;
			if (ret == -ENOTCONN && ctl_server_queued(c)) {
				c->eof = true; /* between messages: answer what it asked */
				ret = 0;
				continue;
			}
			if (ret < 0) {
				/* Tell a live but confused client why before hanging up. */
				if (ret == -EBADMSG || ret == -EMSGSIZE) {
					__u32 seq = c->rd.got >= CTL_HDR_LEN ? c->rd.msg.hdr.seq :
									       0;

					pr_info("control client sent a bad message: %s",
						strerror(-ret));
					if (!ctl_server_error(c, seq, -ret, "bad message: %s",
							      strerror(-ret)))
						ctl_server_flush(c);
				}
				return ret;
			}
			ctl_reader_take(&c->rd, &m);
			ret = ctl_server_dispatch(c, &m);
			ctl_msg_free(&m); /* wipes the keys of an SA_ADD */
		}
		if (!ret)
			ret = ctl_server_flush(c);
	}
	return c->closing ? -ECONNABORTED : ret;
}

static void ctl_server_client_ready(void *ctx, __u32 events)
{
	struct ctl_server_client *c = ctx;
	struct ctl_server *s = c->s;
	int ret;

	(void)events;
	s->running = c;
	ret = ctl_server_client_run(c);
	s->running = NULL;
	if (ret) {
		ctl_server_client_close(s, c);
		return;
	}
	ctl_server_watch(c);
}
