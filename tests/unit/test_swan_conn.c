// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * daemon/strongswan/swan_conn.c, the charon plugin's connection to
 * udpespd, against a scripted udpespd on a Unix socket in a temporary
 * directory: replies are matched to requests by seq, udpespd's errors
 * come back with their status and text, a lost connection is said once
 * and retried with backoff, and a reconnection is said too. Unprivileged.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <criterion/criterion.h>
#include <udpesp/abi.h>

#include "strongswan/swan_conn.h"

enum script { SC_STALE_THEN_REPLY, SC_ERROR, SC_CLOSE_ON_REQUEST };

struct fake_daemon {
	char dir[64], path[108];
	int lfd;
	enum script script;
	int conns; /* connections to serve, then the thread ends */
	pthread_t th;
};

struct conn_log {
	char lines[8][320];
	int n, level0;
};

static void log_cb(void *ctx, int level, const char *msg)
{
	struct conn_log *l = ctx;

	if (l->n < 8)
		snprintf(l->lines[l->n++], sizeof(l->lines[0]), "%s", msg);
	l->level0 += level == 0;
}

static bool logged(const struct conn_log *l, const char *what)
{
	for (int i = 0; i < l->n; i++)
		if (strstr(l->lines[i], what))
			return true;
	return false;
}

static void *fake_serve(void *arg)
{
	struct fake_daemon *fd = arg;

	for (int c = 0; c < fd->conns; c++) {
		struct udpesp_ctl_hello hello = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION };
		struct udpesp_ctl_sa_query q = { .handle = 7, .packets = 42, .bytes = 4200 };
		struct ctl_msg m;
		int s = accept(fd->lfd, NULL, NULL);

		if (s < 0)
			return NULL;
		if (ctl_recv(s, &m, false, 2000) || m.hdr.type != UDPESP_MSG_HELLO)
			goto next;
		ctl_send(s, UDPESP_MSG_HELLO, m.hdr.seq, 0, &hello, sizeof(hello));
		ctl_msg_free(&m);
		if (ctl_recv(s, &m, false, 2000))
			goto next;
		switch (fd->script) {
		case SC_STALE_THEN_REPLY: {
			/* A reply to an older request first: not this one's. */
			struct udpesp_ctl_sa_query stale = { .handle = 99, .packets = 1 };

			ctl_send(s, UDPESP_MSG_SA_QUERY, m.hdr.seq - 1, 0, &stale, sizeof(stale));
			ctl_send(s, UDPESP_MSG_SA_QUERY, m.hdr.seq, 0, &q, sizeof(q));
			break;
		}
		case SC_ERROR:
			ctl_send_error(s, m.hdr.seq, ENOENT, "no SA with handle %u", 9);
			break;
		case SC_CLOSE_ON_REQUEST:
			break;
		}
next:
		ctl_msg_free(&m);
		close(s);
	}
	return NULL;
}

static void fake_start(struct fake_daemon *fd, enum script script, int conns)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(fd->dir, sizeof(fd->dir), "/tmp/swanconn.XXXXXX");
	cr_assert_not_null(mkdtemp(fd->dir));
	snprintf(fd->path, sizeof(fd->path), "%s/udpespd.sock", fd->dir);
	strcpy(sun.sun_path, fd->path);
	fd->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd->lfd, 0);
	cr_assert_eq(bind(fd->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(fd->lfd, 4), 0);
	fd->script = script;
	fd->conns = conns;
	cr_assert_eq(pthread_create(&fd->th, NULL, fake_serve, fd), 0);
}

static void fake_stop(struct fake_daemon *fd)
{
	shutdown(fd->lfd, SHUT_RDWR);
	close(fd->lfd);
	pthread_join(fd->th, NULL);
	unlink(fd->path);
	rmdir(fd->dir);
}

static int query(struct swan_conn *c, struct udpesp_ctl_sa_query *q, char *err, size_t len)
{
	struct udpesp_ctl_sa_del sel = { .handle = 7 };

	return swan_conn_request(c, UDPESP_MSG_SA_QUERY, &sel, sizeof(sel), q, sizeof(*q), err,
				 len);
}

Test(swan_conn, the_reply_with_the_request_seq_is_the_answer)
{
	struct fake_daemon fd;
	struct conn_log l = { 0 };
	struct udpesp_ctl_sa_query q = { 0 };
	struct swan_conn c;
	char err[256] = "";

	fake_start(&fd, SC_STALE_THEN_REPLY, 1);
	swan_conn_init(&c, fd.path, log_cb, &l);
	cr_assert_eq(query(&c, &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(q.handle, 7, "the stale reply (handle 99) was taken");
	cr_assert_eq(q.packets, 42);
	cr_assert(logged(&l, "connected to udpespd at"));
	cr_assert_eq(l.level0, 0, "a first connection is no alarm");
	swan_conn_fini(&c);
	fake_stop(&fd);
}

Test(swan_conn, udpespd_errors_keep_their_status_and_text)
{
	struct fake_daemon fd;
	struct udpesp_ctl_sa_query q;
	struct swan_conn c;
	char err[256] = "";

	fake_start(&fd, SC_ERROR, 1);
	swan_conn_init(&c, fd.path, NULL, NULL);
	cr_assert_eq(query(&c, &q, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "no SA with handle 9");
	cr_assert_geq(c.fd, 0, "an error reply leaves the connection up");
	swan_conn_fini(&c);
	fake_stop(&fd);
}

Test(swan_conn, lost_connection_is_said_retried_with_backoff_and_reconnected)
{
	struct fake_daemon fd;
	struct conn_log l = { 0 };
	struct udpesp_ctl_sa_query q;
	struct swan_conn c;
	char err[256] = "";
	int ret;

	/* Two connections, each closed on its first request. */
	fake_start(&fd, SC_CLOSE_ON_REQUEST, 2);
	swan_conn_init(&c, fd.path, log_cb, &l);
	ret = query(&c, &q, err, sizeof(err));
	cr_assert(ret == -ENOTCONN || ret == -ECONNRESET, "%d %s", ret, err);
	cr_assert(logged(&l, "lost the connection to udpespd"), "%s", l.lines[l.n - 1]);
	cr_assert_eq(c.fd, -1);
	/* The next request tries again at once, and says it reconnected. */
	ret = query(&c, &q, err, sizeof(err));
	cr_assert(logged(&l, "reconnected to udpespd at"));
	cr_assert(ret == -ENOTCONN || ret == -ECONNRESET, "%d %s", ret, err);
	fake_stop(&fd);

	/* udpespd gone: one attempt, then none until the backoff passed. */
	ret = query(&c, &q, err, sizeof(err));
	cr_assert(logged(&l, "udpespd unreachable"));
	cr_assert(ret < 0);
	ret = query(&c, &q, err, sizeof(err));
	cr_assert_eq(ret, -ENOTCONN);
	cr_assert(strstr(err, "next attempt in"), "%s", err);
	swan_conn_fini(&c);
}
