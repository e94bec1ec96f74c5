// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The connection to udpespd: one Unix stream socket, a HELLO that checks
 * both ends speak the same protocol and map ABI, then requests and their
 * replies (include/udpesp/ctl.h, common/ctl_proto.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/ctl_proto.h"
#include "udpespctl.h"

#define REPLY_TIMEOUT_MS 60000

const char *conn_sock_path = UDPESP_SOCKET_DEFAULT;
int conn_fd = -1;
static __u32 conn_seq;

static int conn_transport_error(int err, __u32 req)
{
	if (err == -ETIMEDOUT)
		print_error("udpespd did not answer %s within %d s", ctl_msg_name(req),
			    REPLY_TIMEOUT_MS / 1000);
	else if (err == -ENOTCONN || err == -ECONNRESET || err == -EPIPE)
		print_error("udpespd closed the connection");
	else if (err == -EBADMSG || err == -EMSGSIZE)
		print_error("malformed message from udpespd (answering %s)", ctl_msg_name(req));
	else
		print_error("talking to udpespd: %s", strerror(-err));
	return err;
}

int conn_request(__u32 type, const void *payload, __u32 len)
{
	int err = ctl_send(conn_fd, type, ++conn_seq, 0, payload, len);

	return err ? conn_transport_error(err, type) : 0;
}

/*
 * The next reply to request req: 0 with anything but an ERROR (the
 * caller checks the type), or -errno after printing why.
 */
int conn_recv(__u32 req, struct ctl_msg *m)
{
	int err = ctl_recv(conn_fd, m, true, REPLY_TIMEOUT_MS);

	if (err)
		return conn_transport_error(err, req);
	if (m->hdr.type == UDPESP_MSG_ERROR) {
		print_error("%s", (const char *)m->payload);
		err = m->hdr.status;
	} else if (m->hdr.type != UDPESP_MSG_EVENT && m->hdr.seq != conn_seq) {
		print_error("udpespd answered request %u, not %u", m->hdr.seq, conn_seq);
		err = -EPROTO;
	} else if (m->hdr.status) {
		print_error("udpespd: %s", strerror(-m->hdr.status));
		err = m->hdr.status < 0 ? m->hdr.status : -EPROTO;
	}
	if (err)
		ctl_msg_free(m);
	return err;
}

int conn_unexpected(const struct ctl_msg *m, __u32 req)
{
	print_error("udpespd answered %s with %s", ctl_msg_name(req), ctl_msg_name(m->hdr.type));
	return -EPROTO;
}

/* One request, one reply of type rep (ctl_recv checked its length). */
int conn_call(__u32 req, const void *p, __u32 len, __u32 rep, struct ctl_msg *m)
{
	int err = conn_request(req, p, len);

	if (!err)
		err = conn_recv(req, m);
	if (!err && m->hdr.type != rep) {
		err = conn_unexpected(m, req);
		ctl_msg_free(m);
	}
	return err;
}

int conn_open(void)
{
	struct udpesp_ctl_hello hello = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION }, *h;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_msg m;
	int err;

	if (strlen(conn_sock_path) >= sizeof(sun.sun_path)) {
		print_error("socket path \"%s\" is too long", conn_sock_path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, conn_sock_path);
	conn_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn_fd < 0 || connect(conn_fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		if (err == -ENOENT)
			print_error("udpespd is not running (no socket at %s)", conn_sock_path);
		else if (err == -ECONNREFUSED)
			print_error("udpespd is not running (nothing listens at %s)",
				    conn_sock_path);
		else
			print_error("cannot connect to udpespd at %s: %s", conn_sock_path,
				    strerror(-err));
		return err;
	}
	err = conn_call(UDPESP_MSG_HELLO, &hello, sizeof(hello), UDPESP_MSG_HELLO, &m);
	if (err)
		return err;
	h = m.payload;
	if (h->version != UDPESP_CTL_VERSION || h->abi_version != UDPESP_ABI_VERSION) {
		print_error(
			"version mismatch: udpespd speaks control protocol %u (map ABI %u), udpespctl %u (map ABI %u)",
			h->version, h->abi_version, UDPESP_CTL_VERSION, UDPESP_ABI_VERSION);
		err = -EPROTO;
	}
	ctl_msg_free(&m);
	return err;
}

int conn_dump(const struct conn_dump *d)
{
	bool started = false;
	struct ctl_msg m;
	int err;

	err = conn_open() ?: conn_request(d->req, NULL, 0);
	while (!err) {
		err = conn_recv(d->req, &m);
		if (err)
			break;
		if (!started)
			d->begin ? d->begin() : json_print_open_array(&print_out, NULL);
		started = true;
		if (m.hdr.type == UDPESP_MSG_DONE) {
			d->end ? d->end() : json_print_close_array(&print_out);
			break;
		}
		err = d->one(&m);
		if (err == -EPROTO)
			conn_unexpected(&m, d->req);
		ctl_msg_free(&m);
	}
	return err ? EXIT_FAIL : EXIT_OK;
}

void conn_close(void)
{
	if (conn_fd >= 0)
		close(conn_fd);
	conn_fd = -1;
}
