// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The plugin's control connection to udpespd (see swan_conn.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <udpesp/abi.h>

#include "swan_conn.h"

static uint64_t swan_conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void swan_conn_logf(struct swan_conn *c, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void swan_conn_logf(struct swan_conn *c, int level, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->log(c->log_ctx, level, msg);
}

void swan_conn_init(struct swan_conn *c, const char *path, swan_conn_log_t log, void *ctx)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = -1;
	c->backoff = 1;
	c->log = log;
	c->log_ctx = ctx;
}

void swan_conn_fini(struct swan_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	pthread_mutex_destroy(&c->lock);
}

int swan_conn_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct udpesp_ctl_hello hello = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION };
	const struct udpesp_ctl_hello *h;
	struct ctl_msg m = { 0 };
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		ret = -errno;
		snprintf(err, errlen, "connect to %s: %s", path, strerror(-ret));
		goto out;
	}
	ret = ctl_send(fd, UDPESP_MSG_HELLO, 1, 0, &hello, sizeof(hello));
	if (!ret)
		ret = ctl_recv(fd, &m, true, SWAN_CONN_TIMEOUT_MS);
	if (ret) {
		snprintf(err, errlen, "greeting udpespd at %s: %s", path, strerror(-ret));
		goto out;
	}
	if (m.hdr.type == UDPESP_MSG_ERROR) {
		ret = m.hdr.status;
		snprintf(err, errlen, "udpespd at %s: %s", path, (const char *)m.payload);
		goto out;
	}
	h = m.payload;
	if (m.hdr.type != UDPESP_MSG_HELLO || h->version != UDPESP_CTL_VERSION ||
	    h->abi_version != UDPESP_ABI_VERSION) {
		ret = -EPROTO;
		snprintf(err, errlen, "udpespd at %s speaks another protocol (this plugin: %u/%u)",
			 path, UDPESP_CTL_VERSION, UDPESP_ABI_VERSION);
		goto out;
	}
	ctl_msg_free(&m);
	return fd;
out:
	ctl_msg_free(&m);
	close(fd);
	return ret;
}

/* Called with c->lock held. */
static int swan_conn_ensure(struct swan_conn *c, char *err, size_t errlen)
{
	uint64_t now = swan_conn_now_ms();
	int fd;

	if (c->fd >= 0)
		return 0;
	if (now < c->next_try) {
		snprintf(err, errlen, "udpespd unreachable (%s); next attempt in %llu ms",
			 c->last_err, (unsigned long long)(c->next_try - now));
		return -ENOTCONN;
	}
	fd = swan_conn_open(c->path, c->last_err, sizeof(c->last_err));
	if (fd < 0) {
		c->next_try = now + c->backoff * 1000ull;
		swan_conn_logf(c, 0, "udpespd unreachable: %s; retrying in %u s", c->last_err,
			       c->backoff);
		c->backoff = c->backoff * 2 > SWAN_CONN_BACKOFF_MAX ? SWAN_CONN_BACKOFF_MAX :
								      c->backoff * 2;
		snprintf(err, errlen, "udpespd unreachable: %s", c->last_err);
		return fd;
	}
	c->fd = fd;
	c->backoff = 1;
	c->next_try = 0;
	swan_conn_logf(c, c->ever_up ? 0 : 1, "%s udpespd at %s",
		       c->ever_up ? "reconnected to" : "connected to", c->path);
	c->ever_up = true;
	return 0;
}

int swan_conn_connect(struct swan_conn *c, char *err, size_t errlen)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	/* A connection from before udpespd restarted is dead: start afresh. */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->next_try = 0;
	ret = swan_conn_ensure(c, err, errlen);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* A transport error: the stream is out of step, start over later. */
static void swan_conn_lost(struct swan_conn *c, int ret)
{
	snprintf(c->last_err, sizeof(c->last_err), "%s", strerror(-ret));
	swan_conn_logf(c, 0, "lost the connection to udpespd at %s: %s", c->path, strerror(-ret));
	close(c->fd);
	c->fd = -1;
	c->next_try = 0; /* the next request tries at once, then backs off */
}

/* Send and read messages of this seq until one that ends it; with c->lock held. */
static int swan_conn_exchange(struct swan_conn *c, uint32_t type, const void *req, uint32_t len,
			      int (*cb)(void *ctx, const struct ctl_msg *m), void *ctx, char *err,
			      size_t errlen)
{
	uint32_t seq;
	int ret, cb_ret = 0;

	ret = swan_conn_ensure(c, err, errlen);
	if (ret)
		return ret;
	seq = ++c->seq;
	ret = ctl_send(c->fd, type, seq, 0, req, len);
	for (;;) {
		struct ctl_msg m;

		if (!ret)
			ret = ctl_recv(c->fd, &m, true, SWAN_CONN_TIMEOUT_MS);
		if (ret) {
			snprintf(err, errlen, "udpespd at %s: %s", c->path, strerror(-ret));
			swan_conn_lost(c, ret);
			return ret;
		}
		if (m.hdr.seq != seq) {
			/* A late reply to a request that timed out: not ours. */
			ctl_msg_free(&m);
			continue;
		}
		if (m.hdr.type == UDPESP_MSG_ERROR) {
			snprintf(err, errlen, "%s", (const char *)m.payload);
			ret = m.hdr.status;
			ctl_msg_free(&m);
			return ret;
		}
		if (m.hdr.type == UDPESP_MSG_DONE) {
			ctl_msg_free(&m);
			return cb_ret;
		}
		if (!cb_ret)
			cb_ret = cb(ctx, &m);
		ret = m.hdr.type == type ? 1 : 0; /* the reply proper ends a request */
		ctl_msg_free(&m);
		if (ret == 1)
			return cb_ret;
	}
}

struct swan_conn_reply {
	uint32_t type, len;
	void *buf;
	bool got;
};

static int swan_conn_take_reply(void *ctx, const struct ctl_msg *m)
{
	struct swan_conn_reply *r = ctx;

	if (m->hdr.type != r->type || m->hdr.len != r->len)
		return -EBADMSG;
	memcpy(r->buf, m->payload, r->len);
	r->got = true;
	return 0;
}

int swan_conn_request(struct swan_conn *c, uint32_t type, const void *req, uint32_t len,
		      void *reply, uint32_t reply_len, char *err, size_t errlen)
{
	struct swan_conn_reply r = { type, reply_len, reply, false };
	int ret;

	pthread_mutex_lock(&c->lock);
	ret = swan_conn_exchange(c, type, req, len, swan_conn_take_reply, &r, err, errlen);
	pthread_mutex_unlock(&c->lock);
	if (!ret && !r.got) {
		snprintf(err, errlen, "udpespd sent no %s reply", ctl_msg_name(type));
		ret = -EBADMSG;
	} else if (ret == -EBADMSG && !err[0]) {
		snprintf(err, errlen, "udpespd's %s reply has an unexpected size",
			 ctl_msg_name(type));
	}
	return ret;
}

int swan_conn_dump(struct swan_conn *c, uint32_t type,
		   int (*cb)(void *ctx, const struct ctl_msg *m), void *ctx, char *err,
		   size_t errlen)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	/* Dump entries have other types than the request: only DONE ends it. */
	ret = swan_conn_exchange(c, type, NULL, 0, cb, ctx, err, errlen);
	pthread_mutex_unlock(&c->lock);
	return ret;
}
