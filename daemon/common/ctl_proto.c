// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Framing and marshalling of the control protocol (see ctl_proto.h). */
#define _GNU_SOURCE /* strerrordesc_np: strerror() is not thread-safe */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ctl_proto.h"

/*
 * A valid payload length in one direction: min <= len <= max and, for
 * arrays, a multiple of step. ok = 0 means the type never travels that
 * way; a zeroed rule must not read as "empty payload allowed".
 */
struct ctl_len_rule {
	__u32 ok : 1;
	__u32 min, max, step;
};

#define LEN_NONE { .ok = 0 }
#define LEN_FIXED(n) { .ok = 1, .min = (n), .max = (n) }
#define LEN_EMPTY LEN_FIXED(0)
#define LEN_RANGE(lo, hi) { .ok = 1, .min = (lo), .max = (hi) }
/* At least one element: an empty batch is a client bug, not a no-op. */
#define LEN_ARRAY(sz) { .ok = 1, .min = (sz), .max = UDPESP_CTL_MAX_PAYLOAD, .step = (sz) }

struct ctl_type_info {
	const char *name;
	struct ctl_len_rule req, rep;
};

/* One row per message type, transcribed from the comments in ctl.h. */
static const struct ctl_type_info ctl_types[UDPESP_MSG_MAX] = {
	[UDPESP_MSG_HELLO] = { "HELLO", LEN_FIXED(sizeof(struct udpesp_ctl_hello)),
			       LEN_FIXED(sizeof(struct udpesp_ctl_hello)) },
	[UDPESP_MSG_ERROR] = { "ERROR", LEN_NONE, LEN_RANGE(1, UDPESP_CTL_ERRMSG_MAX) },
	[UDPESP_MSG_DONE] = { "DONE", LEN_NONE, LEN_EMPTY },
	[UDPESP_MSG_SA_ADD] = { "SA_ADD", LEN_ARRAY(sizeof(struct udpesp_ctl_sa)),
				LEN_ARRAY(sizeof(struct udpesp_ctl_handles)) },
	[UDPESP_MSG_SA_DEL] = { "SA_DEL", LEN_FIXED(sizeof(struct udpesp_ctl_sa_del)),
				LEN_FIXED(sizeof(struct udpesp_ctl_del_result)) },
	/* Answered with SA_INFO, never with an SA_GET. */
	[UDPESP_MSG_SA_GET] = { "SA_GET", LEN_FIXED(sizeof(struct udpesp_ctl_sa_del)), LEN_NONE },
	[UDPESP_MSG_SA_LIST] = { "SA_LIST", LEN_EMPTY, LEN_NONE },
	[UDPESP_MSG_SA_INFO] = { "SA_INFO", LEN_NONE,
				 LEN_FIXED(sizeof(struct udpesp_ctl_sa_info)) },
	[UDPESP_MSG_SA_FLUSH] = { "SA_FLUSH", LEN_EMPTY,
				  LEN_FIXED(sizeof(struct udpesp_ctl_del_result)) },
	[UDPESP_MSG_PARSER_LIST] = { "PARSER_LIST", LEN_EMPTY, LEN_NONE },
	[UDPESP_MSG_PARSER_INFO] = { "PARSER_INFO", LEN_NONE,
				     LEN_FIXED(sizeof(struct udpesp_ctl_parser)) },
	[UDPESP_MSG_STATS] = { "STATS", LEN_EMPTY, LEN_NONE },
	[UDPESP_MSG_STATS_INFO] = { "STATS_INFO", LEN_NONE, LEN_ARRAY(sizeof(__u64)) },
	[UDPESP_MSG_SA_STATS] = { "SA_STATS", LEN_NONE,
				  LEN_FIXED(sizeof(struct udpesp_ctl_sa_stats)) },
	[UDPESP_MSG_LINK_ATTACH] = { "LINK_ATTACH", LEN_FIXED(sizeof(struct udpesp_ctl_link)),
				     LEN_FIXED(sizeof(struct udpesp_ctl_link)) },
	[UDPESP_MSG_LINK_DETACH] = { "LINK_DETACH", LEN_FIXED(sizeof(struct udpesp_ctl_link)),
				     LEN_EMPTY },
	[UDPESP_MSG_LINK_LIST] = { "LINK_LIST", LEN_EMPTY, LEN_NONE },
	[UDPESP_MSG_LINK_INFO] = { "LINK_INFO", LEN_NONE,
				   LEN_FIXED(sizeof(struct udpesp_ctl_link)) },
	/* The subscription is answered by EVENTs only. */
	[UDPESP_MSG_MONITOR] = { "MONITOR", LEN_EMPTY, LEN_NONE },
	[UDPESP_MSG_EVENT] = { "EVENT", LEN_NONE, LEN_FIXED(sizeof(struct udpesp_ctl_event)) },
	[UDPESP_MSG_SPI_ALLOC] = { "SPI_ALLOC", LEN_FIXED(sizeof(struct udpesp_ctl_spi_req)),
				   LEN_FIXED(sizeof(struct udpesp_ctl_spi)) },
	[UDPESP_MSG_SA_QUERY] = { "SA_QUERY", LEN_FIXED(sizeof(struct udpesp_ctl_sa_del)),
				  LEN_FIXED(sizeof(struct udpesp_ctl_sa_query)) },
	[UDPESP_MSG_SA_UPDATE] = { "SA_UPDATE", LEN_FIXED(sizeof(struct udpesp_ctl_sa_update)),
				   LEN_FIXED(sizeof(struct udpesp_ctl_handles)) },
	[UDPESP_MSG_STATE_GET] = { "STATE_GET", LEN_EMPTY, LEN_NONE },
	[UDPESP_MSG_STATE_INFO] = { "STATE_INFO", LEN_NONE,
				    LEN_FIXED(sizeof(struct udpesp_ctl_state)) },
};

/* Type numbers are dense from 1, so a slot without a name is unknown. */
static const struct ctl_type_info *ctl_type(__u32 type)
{
	if (type >= UDPESP_MSG_MAX || !ctl_types[type].name)
		return NULL;
	return &ctl_types[type];
}

const char *ctl_msg_name(__u32 type)
{
	const struct ctl_type_info *t = ctl_type(type);

	return t ? t->name : "?";
}

int ctl_check_len(__u32 type, __u32 len, bool reply)
{
	const struct ctl_type_info *t = ctl_type(type);
	const struct ctl_len_rule *rule;

	if (!t || len > UDPESP_CTL_MAX_PAYLOAD)
		return -EBADMSG;
	rule = reply ? &t->rep : &t->req;
	if (!rule->ok || len < rule->min || len > rule->max)
		return -EBADMSG;
	if (rule->step && len % rule->step)
		return -EBADMSG;
	return 0;
}

/*
 * What every receiver checks before touching the payload. The size test
 * comes first so that a huge length reads as -EMSGSIZE whatever the type.
 */
static int ctl_check_hdr(const struct udpesp_ctl_hdr *h, bool reply)
{
	if (h->len > UDPESP_CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (ctl_check_len(h->type, h->len, reply))
		return -EBADMSG;
	/* A client takes status >= 0 for success, so ERROR must be < 0. */
	if (h->type == UDPESP_MSG_ERROR && h->status >= 0)
		return -EBADMSG;
	return 0;
}

/* Checks that need the payload: ERROR text is printed with %s. */
static int ctl_check_payload(const struct ctl_msg *msg)
{
	const char *text = msg->payload;

	if (msg->hdr.type == UDPESP_MSG_ERROR && text[msg->hdr.len - 1])
		return -EBADMSG;
	return 0;
}

static __s64 ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline for poll(); -1 = no deadline. */
static int ctl_ms_left(__s64 deadline)
{
	__s64 left;

	if (deadline < 0)
		return -1;
	left = deadline - ctl_now_ms();
	return left > 0 ? (int)left : 0;
}

int ctl_send(int fd, __u32 type, __u32 seq, __s32 status, const void *payload, __u32 len)
{
	struct udpesp_ctl_hdr hdr = {
		.type = type,
		.len = len,
		.seq = seq,
		.status = status,
	};
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	__s64 deadline = -1;
	ssize_t n;

	if (len > UDPESP_CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (len && !payload)
		return -EINVAL;
	if (ctl_check_len(type, len, false) && ctl_check_len(type, len, true))
		return -EBADMSG;

	while (mh.msg_iovlen) {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int rc;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			/* Non-blocking socket: wait, but not for ever. */
			if (deadline < 0)
				deadline = ctl_now_ms() + CTL_SEND_TIMEOUT_MS;
			rc = poll(&pfd, 1, ctl_ms_left(deadline));
			if (rc < 0 && errno != EINTR)
				return -errno;
			if (rc == 0)
				return -ETIMEDOUT;
			continue;
		}
		/* Drop what went out, possibly part of an iovec. */
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= n;
		}
	}
	return 0;
}

int ctl_error_text(char *text, size_t size, int err, const char *fmt, va_list ap)
{
	int n;

	if (err < 0)
		err = -err;
	if (!err)
		err = EIO;
	n = vsnprintf(text, size, fmt, ap);
	if (n <= 0) {
		const char *desc = strerrordesc_np(err);

		if (desc)
			snprintf(text, size, "%s", desc);
		else
			snprintf(text, size, "error %d", err);
	}
	return err;
}

int ctl_send_error(int fd, __u32 seq, int err, const char *fmt, ...)
{
	char text[UDPESP_CTL_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	err = ctl_error_text(text, sizeof(text), err, fmt, ap);
	va_end(ap);
	/* vsnprintf truncated to sizeof(text) - 1 characters plus the NUL. */
	return ctl_send(fd, UDPESP_MSG_ERROR, seq, -err, text, strlen(text) + 1);
}

static void ctl_payload_free(void *payload, size_t len)
{
	(void)len;
	free(payload);
}

void (*ctl_payload_release)(void *payload, size_t len) = ctl_payload_free;

void ctl_msg_free(struct ctl_msg *msg)
{
	if (msg->payload) {
		explicit_bzero(msg->payload, msg->hdr.len);
		ctl_payload_release(msg->payload, msg->hdr.len);
	}
	memset(msg, 0, sizeof(*msg));
}

void ctl_reader_init(struct ctl_reader *r, bool reply)
{
	memset(r, 0, sizeof(*r));
	r->reply = reply;
}

void ctl_reader_reset(struct ctl_reader *r)
{
	ctl_msg_free(&r->msg);
	ctl_reader_init(r, r->reply);
}

/*
 * All of header and payload is in. In 64 bits, and only once the header
 * is whole: until then hdr.len is partly read, and 16 + 0xfffffff8 would
 * wrap to 8 in 32 bits.
 */
static bool ctl_reader_complete(const struct ctl_reader *r)
{
	return r->got >= CTL_HDR_LEN && (__u64)r->got == CTL_HDR_LEN + (__u64)r->msg.hdr.len;
}

void ctl_reader_take(struct ctl_reader *r, struct ctl_msg *msg)
{
	/* Only a complete message may leave; anything else is discarded. */
	if (r->err || !ctl_reader_complete(r)) {
		ctl_msg_free(&r->msg);
		memset(msg, 0, sizeof(*msg));
	} else {
		*msg = r->msg;
		r->msg.payload = NULL;
	}
	ctl_reader_reset(r);
}

/* The header has just arrived: validate it, then size the payload. */
static int ctl_reader_got_hdr(struct ctl_reader *r)
{
	int err = ctl_check_hdr(&r->msg.hdr, r->reply);

	if (err)
		return err;
	if (r->msg.hdr.len) {
		r->msg.payload = malloc(r->msg.hdr.len);
		if (!r->msg.payload)
			return -ENOMEM;
	}
	return 0;
}

int ctl_reader_feed(struct ctl_reader *r, int fd)
{
	char *buf;
	size_t want;
	ssize_t n;
	int err;

	if (r->err)
		return r->err;

	for (;;) {
		if (r->got < CTL_HDR_LEN) {
			buf = (char *)&r->msg.hdr + r->got;
			want = CTL_HDR_LEN - r->got;
		} else {
			/* -ENOMEM last time: the header is in, retry the malloc. */
			if (r->msg.hdr.len && !r->msg.payload) {
				err = ctl_reader_got_hdr(r);
				if (err)
					goto out;
			}
			if (ctl_reader_complete(r))
				return 1;
			buf = (char *)r->msg.payload + (r->got - CTL_HDR_LEN);
			want = CTL_HDR_LEN + r->msg.hdr.len - r->got;
		}

		/* Exactly what this message still needs, never the next one's. */
		n = recv(fd, buf, want, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			err = -errno;
			goto out;
		}
		if (n == 0) {
			err = r->got ? -ECONNRESET : -ENOTCONN;
			goto out;
		}
		r->got += n;

		/* Nothing of a header is looked at before all of it is in. */
		if (r->got < CTL_HDR_LEN)
			continue;
		if (r->got == CTL_HDR_LEN) {
			err = ctl_reader_got_hdr(r);
			if (err)
				goto out;
		}
		if (ctl_reader_complete(r)) {
			err = ctl_check_payload(&r->msg);
			if (err)
				goto out;
			return 1;
		}
	}

out:
	/* Out of memory is transient; the stream is still in step. */
	if (err != -ENOMEM)
		r->err = err;
	return err;
}

int ctl_recv(int fd, struct ctl_msg *msg, bool reply, int timeout_ms)
{
	__s64 deadline = timeout_ms < 0 ? -1 : ctl_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct ctl_reader r;
	int err;

	ctl_reader_init(&r, reply);
	memset(msg, 0, sizeof(*msg));

	for (;;) {
		int left;

		err = ctl_reader_feed(&r, fd);
		if (err)
			break;
		left = ctl_ms_left(deadline);
		if (left == 0) {
			err = -ETIMEDOUT;
			break;
		}
		/* A timeout here is caught by the next ctl_ms_left(). */
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
	}

	if (err == 1) {
		ctl_reader_take(&r, msg);
		return 0;
	}
	/* Leave the header for an error reply that echoes its seq. */
	if (r.got >= CTL_HDR_LEN)
		msg->hdr = r.msg.hdr;
	ctl_reader_reset(&r);
	return err;
}
