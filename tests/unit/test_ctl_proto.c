// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * daemon/common/ctl_proto.c: framing of the control protocol over a Unix stream
 * socketpair. Unprivileged. The expected payload lengths below are written
 * from the sizes that include/udpesp/ctl.h asserts, not from sizeof, so a
 * struct that changes size shows up here as well as in the ABI asserts.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <criterion/criterion.h>

#include "common/ctl_proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Payload sizes from the _Static_asserts in ctl.h. */
#define SZ_HELLO 8
#define SZ_SA 992
#define SZ_HANDLES 8
#define SZ_SA_DEL 36
#define SZ_DEL_RESULT 16
#define SZ_SA_INFO 1032
#define SZ_PARSER 36
#define SZ_SA_STATS 104
#define SZ_LINK 28
#define SZ_EVENT 56
#define SZ_SPI_REQ 36
#define SZ_SPI 8
#define SZ_SA_QUERY 40
#define SZ_SA_UPDATE 80
#define MAXP UDPESP_CTL_MAX_PAYLOAD

/* Deterministic xorshift64*: the same bytes on every run and libc. */
static __u64 prng_state;

static void prng_seed(__u64 seed)
{
	prng_state = seed ? seed : 1;
}

static __u64 prng(void)
{
	prng_state ^= prng_state >> 12;
	prng_state ^= prng_state << 25;
	prng_state ^= prng_state >> 27;
	return prng_state * 0x2545f4914f6cdd1dull;
}

static __u32 prng_below(__u32 n)
{
	return n ? (__u32)(prng() % n) : 0;
}

static void prng_fill(void *buf, size_t len)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)prng();
}

static void make_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair: %s", strerror(errno));
}

static void close_pair(int sv[2])
{
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sv[0] = sv[1] = -1;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_gt(n, 0, "write: %s", strerror(errno));
		p += n;
		len -= n;
	}
}

/* Serialise a message the way the wire carries it; returns its size. */
static size_t put_msg(void *buf, __u32 type, __u32 len, __u32 seq, __s32 status,
		      const void *payload)
{
	struct udpesp_ctl_hdr h = {
		.type = type,
		.len = len,
		.seq = seq,
		.status = status,
	};

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy((char *)buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

/* Bytes queued on fd right now, read without blocking. */
static ssize_t queued(int fd, void *buf, size_t len)
{
	return recv(fd, buf, len, MSG_DONTWAIT);
}

/* Senders and writers on another thread, for what exceeds a socket buffer. */
struct sender {
	pthread_t tid;
	int fd;
	__u32 type, seq;
	__s32 status;
	const void *payload;
	__u32 len;
	int rc;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	s->rc = ctl_send(s->fd, s->type, s->seq, s->status, s->payload, s->len);
	return NULL;
}

struct writer {
	pthread_t tid;
	int fd;
	const unsigned char *buf;
	size_t len;
	int rc;
};

/* One byte per write(), so the receiver sees every possible split. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;

	w->rc = 0;
	for (size_t i = 0; i < w->len; i++) {
		if (write(w->fd, w->buf + i, 1) != 1) {
			w->rc = -errno;
			break;
		}
	}
	return NULL;
}

/*
 * The length rules, valid and invalid, one direction each. want 0 rows
 * double as the round-trip cases.
 */
struct len_case {
	__u32 type;
	bool reply;
	__u32 len;
	int want;
};

#define OK 0
#define BAD (-EBADMSG)
#define REQ false
#define REP true

static const struct len_case len_cases[] = {
	{ UDPESP_MSG_HELLO, REQ, SZ_HELLO, OK },
	{ UDPESP_MSG_HELLO, REP, SZ_HELLO, OK },
	{ UDPESP_MSG_HELLO, REQ, 0, BAD },
	{ UDPESP_MSG_HELLO, REP, 2 * SZ_HELLO, BAD },
	{ UDPESP_MSG_ERROR, REP, 1, OK },
	{ UDPESP_MSG_ERROR, REP, 37, OK },
	{ UDPESP_MSG_ERROR, REP, UDPESP_CTL_ERRMSG_MAX, OK },
	{ UDPESP_MSG_ERROR, REP, 0, BAD },
	{ UDPESP_MSG_ERROR, REP, UDPESP_CTL_ERRMSG_MAX + 1, BAD },
	{ UDPESP_MSG_ERROR, REQ, 10, BAD },
	{ UDPESP_MSG_DONE, REP, 0, OK },
	{ UDPESP_MSG_DONE, REP, 8, BAD },
	{ UDPESP_MSG_DONE, REQ, 0, BAD },
	{ UDPESP_MSG_SA_ADD, REQ, SZ_SA, OK },
	{ UDPESP_MSG_SA_ADD, REQ, 3 * SZ_SA, OK },
	{ UDPESP_MSG_SA_ADD, REQ, 1000 * SZ_SA, OK },
	{ UDPESP_MSG_SA_ADD, REQ, (MAXP / SZ_SA) * SZ_SA, OK },
	{ UDPESP_MSG_SA_ADD, REQ, (MAXP / SZ_SA + 1) * SZ_SA, BAD },
	{ UDPESP_MSG_SA_ADD, REQ, 0, BAD },
	{ UDPESP_MSG_SA_ADD, REQ, SZ_SA - 1, BAD },
	{ UDPESP_MSG_SA_ADD, REQ, SZ_SA + 1, BAD },
	{ UDPESP_MSG_SA_ADD, REQ, SZ_HANDLES, BAD },
	{ UDPESP_MSG_SA_ADD, REP, SZ_HANDLES, OK },
	{ UDPESP_MSG_SA_ADD, REP, 3 * SZ_HANDLES, OK },
	{ UDPESP_MSG_SA_ADD, REP, 0, BAD },
	{ UDPESP_MSG_SA_ADD, REP, SZ_HANDLES + 4, BAD },
	{ UDPESP_MSG_SA_DEL, REQ, SZ_SA_DEL, OK },
	{ UDPESP_MSG_SA_DEL, REP, SZ_DEL_RESULT, OK },
	{ UDPESP_MSG_SA_DEL, REQ, SZ_DEL_RESULT, BAD },
	{ UDPESP_MSG_SA_DEL, REQ, SZ_SA_DEL - 1, BAD },
	{ UDPESP_MSG_SA_DEL, REP, SZ_SA_DEL, BAD },
	{ UDPESP_MSG_SA_GET, REQ, SZ_SA_DEL, OK },
	{ UDPESP_MSG_SA_GET, REQ, 0, BAD },
	{ UDPESP_MSG_SA_GET, REP, SZ_SA_INFO, BAD },
	{ UDPESP_MSG_SA_LIST, REQ, 0, OK },
	{ UDPESP_MSG_SA_LIST, REQ, 4, BAD },
	{ UDPESP_MSG_SA_LIST, REP, 0, BAD },
	{ UDPESP_MSG_SA_INFO, REP, SZ_SA_INFO, OK },
	{ UDPESP_MSG_SA_INFO, REP, SZ_SA, BAD },
	{ UDPESP_MSG_SA_INFO, REQ, SZ_SA_INFO, BAD },
	{ UDPESP_MSG_SA_FLUSH, REQ, 0, OK },
	{ UDPESP_MSG_SA_FLUSH, REP, SZ_DEL_RESULT, OK },
	{ UDPESP_MSG_SA_FLUSH, REQ, SZ_DEL_RESULT, BAD },
	{ UDPESP_MSG_SA_FLUSH, REP, 0, BAD },
	{ UDPESP_MSG_PARSER_LIST, REQ, 0, OK },
	{ UDPESP_MSG_PARSER_LIST, REQ, SZ_PARSER, BAD },
	{ UDPESP_MSG_PARSER_INFO, REP, SZ_PARSER, OK },
	{ UDPESP_MSG_PARSER_INFO, REP, SZ_PARSER - 1, BAD },
	{ UDPESP_MSG_PARSER_INFO, REQ, SZ_PARSER, BAD },
	{ UDPESP_MSG_STATS, REQ, 0, OK },
	{ UDPESP_MSG_STATS, REP, 0, BAD },
	{ UDPESP_MSG_STATS_INFO, REP, 8, OK },
	{ UDPESP_MSG_STATS_INFO, REP, 40 * 8, OK },
	{ UDPESP_MSG_STATS_INFO, REP, MAXP, OK },
	{ UDPESP_MSG_STATS_INFO, REP, MAXP + 8, BAD },
	{ UDPESP_MSG_STATS_INFO, REP, 0, BAD },
	{ UDPESP_MSG_STATS_INFO, REP, 12, BAD },
	{ UDPESP_MSG_STATS_INFO, REQ, 8, BAD },
	{ UDPESP_MSG_SA_STATS, REP, SZ_SA_STATS, OK },
	{ UDPESP_MSG_SA_STATS, REP, SZ_SA_STATS - 8, BAD },
	{ UDPESP_MSG_LINK_ATTACH, REQ, SZ_LINK, OK },
	{ UDPESP_MSG_LINK_ATTACH, REP, SZ_LINK, OK },
	{ UDPESP_MSG_LINK_ATTACH, REQ, 0, BAD },
	{ UDPESP_MSG_LINK_DETACH, REQ, SZ_LINK, OK },
	{ UDPESP_MSG_LINK_DETACH, REP, 0, OK },
	{ UDPESP_MSG_LINK_DETACH, REP, SZ_LINK, BAD },
	{ UDPESP_MSG_LINK_DETACH, REQ, 0, BAD },
	{ UDPESP_MSG_LINK_LIST, REQ, 0, OK },
	{ UDPESP_MSG_LINK_LIST, REP, SZ_LINK, BAD },
	{ UDPESP_MSG_LINK_INFO, REP, SZ_LINK, OK },
	{ UDPESP_MSG_LINK_INFO, REQ, SZ_LINK, BAD },
	{ UDPESP_MSG_MONITOR, REQ, 0, OK },
	{ UDPESP_MSG_MONITOR, REP, 0, BAD },
	{ UDPESP_MSG_EVENT, REP, SZ_EVENT, OK },
	{ UDPESP_MSG_EVENT, REP, SZ_EVENT + 1, BAD },
	{ UDPESP_MSG_EVENT, REQ, SZ_EVENT, BAD },
	{ UDPESP_MSG_SPI_ALLOC, REQ, SZ_SPI_REQ, OK },
	{ UDPESP_MSG_SPI_ALLOC, REP, SZ_SPI, OK },
	{ UDPESP_MSG_SPI_ALLOC, REQ, SZ_SPI, BAD },
	{ UDPESP_MSG_SPI_ALLOC, REQ, SZ_SPI_REQ + 4, BAD },
	{ UDPESP_MSG_SPI_ALLOC, REQ, 0, BAD },
	{ UDPESP_MSG_SPI_ALLOC, REP, SZ_SPI_REQ, BAD },
	{ UDPESP_MSG_SA_QUERY, REQ, SZ_SA_DEL, OK },
	{ UDPESP_MSG_SA_QUERY, REP, SZ_SA_QUERY, OK },
	{ UDPESP_MSG_SA_QUERY, REQ, SZ_SA_QUERY, BAD },
	{ UDPESP_MSG_SA_QUERY, REQ, 0, BAD },
	{ UDPESP_MSG_SA_QUERY, REP, SZ_SA_STATS, BAD },
	{ UDPESP_MSG_SA_UPDATE, REQ, SZ_SA_UPDATE, OK },
	{ UDPESP_MSG_SA_UPDATE, REP, SZ_HANDLES, OK },
	{ UDPESP_MSG_SA_UPDATE, REQ, SZ_SA_UPDATE - 1, BAD },
	{ UDPESP_MSG_SA_UPDATE, REQ, SZ_SA_DEL, BAD },
	{ UDPESP_MSG_SA_UPDATE, REP, 2 * SZ_HANDLES, BAD },
	{ UDPESP_MSG_STATE_GET, REQ, 0, OK },
	{ UDPESP_MSG_STATE_GET, REQ, 4, BAD },
	{ UDPESP_MSG_STATE_INFO, REP, sizeof(struct udpesp_ctl_state), OK },
	{ UDPESP_MSG_STATE_INFO, REP, sizeof(struct udpesp_ctl_state) - 1, BAD },
	{ UDPESP_MSG_STATE_INFO, REQ, sizeof(struct udpesp_ctl_state), BAD },
	{ 0, REQ, 0, BAD },
	{ 0, REP, 0, BAD },
	{ UDPESP_MSG_MAX, REQ, 0, BAD },
	{ UDPESP_MSG_MAX, REP, 8, BAD },
	{ 0xffffffffu, REP, 0, BAD },
	{ UDPESP_MSG_HELLO, REQ, 0xffffffffu, BAD },
};

Test(ctl_proto, check_len_rules)
{
	for (size_t i = 0; i < ARRAY_SIZE(len_cases); i++) {
		const struct len_case *c = &len_cases[i];

		cr_expect_eq(ctl_check_len(c->type, c->len, c->reply), c->want,
			     "%s %s len %u: want %d", ctl_msg_name(c->type),
			     c->reply ? "reply" : "request", c->len, c->want);
	}
}

Test(ctl_proto, msg_names)
{
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_HELLO), "HELLO");
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_SA_ADD), "SA_ADD");
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_PARSER_INFO), "PARSER_INFO");
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_EVENT), "EVENT");
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_SPI_ALLOC), "SPI_ALLOC");
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_SA_QUERY), "SA_QUERY");
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_SA_UPDATE), "SA_UPDATE");
	cr_assert_str_eq(ctl_msg_name(0), "?");
	cr_assert_str_eq(ctl_msg_name(UDPESP_MSG_MAX), "?");
	cr_assert_str_eq(ctl_msg_name(0xffffffffu), "?");
	/* Every type named, and no two alike (log lines must be unambiguous). */
	for (__u32 a = 1; a < UDPESP_MSG_MAX; a++) {
		cr_assert_str_neq(ctl_msg_name(a), "?", "type %u unnamed", a);
		for (__u32 b = a + 1; b < UDPESP_MSG_MAX; b++)
			cr_assert_str_neq(ctl_msg_name(a), ctl_msg_name(b));
	}
}

/* Status a valid message of this type carries in the tests. */
static __s32 case_status(__u32 type, bool reply)
{
	if (type == UDPESP_MSG_ERROR)
		return -EINVAL;
	return reply ? 0 : 0x1234; /* requests: any value passes through */
}

/* A payload that passes every check for its type: ERROR text ends in NUL. */
static void case_payload(__u32 type, void *buf, __u32 len)
{
	prng_fill(buf, len);
	if (type == UDPESP_MSG_ERROR && len)
		((char *)buf)[len - 1] = '\0';
}

static void expect_same(const struct ctl_msg *m, __u32 type, __u32 len, __u32 seq, __s32 status,
			const void *payload)
{
	cr_assert_eq(m->hdr.type, type);
	cr_assert_eq(m->hdr.len, len, "%s: len %u, want %u", ctl_msg_name(type), m->hdr.len, len);
	cr_assert_eq(m->hdr.seq, seq);
	cr_assert_eq(m->hdr.status, status);
	if (!len) {
		cr_assert_null(m->payload);
		return;
	}
	cr_assert_not_null(m->payload);
	cr_assert_eq(memcmp(m->payload, payload, len), 0, "%s: payload differs",
		     ctl_msg_name(type));
}

/* Every type, both directions where valid, through ctl_recv and the reader. */
Test(ctl_proto, round_trip_every_type)
{
	bool seen[UDPESP_MSG_MAX] = { false };
	static unsigned char payload[4096];
	int sv[2];

	prng_seed(1);
	make_pair(sv);
	for (size_t i = 0; i < ARRAY_SIZE(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		__s32 status = case_status(c->type, c->reply);
		__u32 seq = 1000 + i;
		struct ctl_reader r;
		struct ctl_msg m;

		if (c->want || c->len > sizeof(payload))
			continue;
		case_payload(c->type, payload, c->len);

		cr_assert_eq(ctl_send(sv[0], c->type, seq, status, payload, c->len), 0);
		cr_assert_eq(ctl_recv(sv[1], &m, c->reply, 1000), 0, "%s", ctl_msg_name(c->type));
		expect_same(&m, c->type, c->len, seq, status, payload);
		ctl_msg_free(&m);

		/* The other direction, from the daemon's side this time. */
		cr_assert_eq(ctl_send(sv[1], c->type, seq, status, payload, c->len), 0);
		ctl_reader_init(&r, c->reply);
		cr_assert_eq(ctl_reader_feed(&r, sv[0]), 1);
		expect_same(&r.msg, c->type, c->len, seq, status, payload);
		ctl_reader_reset(&r);
		cr_assert_eq(ctl_reader_feed(&r, sv[0]), 0, "stray bytes");
		seen[c->type] = true;
	}
	for (__u32 t = 1; t < UDPESP_MSG_MAX; t++)
		cr_expect(seen[t], "%s never round-tripped", ctl_msg_name(t));
	close_pair(sv);
}

static void fill_sas(struct udpesp_ctl_sa *sas, size_t n)
{
	prng_fill(sas, n * sizeof(*sas));
	for (size_t i = 0; i < n; i++)
		sas[i].spi = (__be32)(0x1000 + i); /* each one tellable apart */
}

/* A batch far beyond the socket buffer: sender and receiver run together. */
Test(ctl_proto, batch_of_1000_sa_add)
{
	const size_t n = 1000;
	struct udpesp_ctl_sa *sas = calloc(n, sizeof(*sas));
	struct udpesp_ctl_handles *h = calloc(n, sizeof(*h));
	struct sender s = { .type = UDPESP_MSG_SA_ADD, .seq = 42 };
	struct ctl_msg m;
	int sv[2];

	cr_assert(sas && h);
	prng_seed(2);
	fill_sas(sas, n);
	make_pair(sv);

	s.fd = sv[0];
	s.payload = sas;
	s.len = n * sizeof(*sas);
	cr_assert_eq(pthread_create(&s.tid, NULL, sender_main, &s), 0);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 10000), 0);
	pthread_join(s.tid, NULL);
	cr_assert_eq(s.rc, 0);
	expect_same(&m, UDPESP_MSG_SA_ADD, n * SZ_SA, 42, 0, sas);
	cr_assert_eq(((struct udpesp_ctl_sa *)m.payload)[n - 1].spi, (__be32)(0x1000 + n - 1));
	ctl_msg_free(&m);

	/* The reply: one pair of handles per SA, in order. */
	for (size_t i = 0; i < n; i++)
		h[i] = (struct udpesp_ctl_handles){ .handle = i + 1, .parser = 1 };
	cr_assert_eq(ctl_send(sv[1], UDPESP_MSG_SA_ADD, 42, 0, h, n * sizeof(*h)), 0);
	cr_assert_eq(ctl_recv(sv[0], &m, REP, 1000), 0);
	expect_same(&m, UDPESP_MSG_SA_ADD, n * SZ_HANDLES, 42, 0, h);
	ctl_msg_free(&m);

	close_pair(sv);
	free(sas);
	free(h);
}

/* The largest batch that fits, and the first that does not. */
Test(ctl_proto, batch_limits)
{
	const size_t n = MAXP / SZ_SA;
	struct udpesp_ctl_sa *sas = calloc(n + 1, sizeof(*sas));
	struct sender s = { .type = UDPESP_MSG_SA_ADD, .seq = 7 };
	struct ctl_msg m;
	int sv[2];

	cr_assert_not_null(sas);
	prng_seed(3);
	fill_sas(sas, n + 1);
	make_pair(sv);

	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_SA_ADD, 1, 0, sas, (n + 1) * sizeof(*sas)),
		     -EMSGSIZE);
	cr_assert_lt(queued(sv[1], &m, sizeof(m)), 0, "nothing may be sent");

	s.fd = sv[0];
	s.payload = sas;
	s.len = n * sizeof(*sas);
	cr_assert_eq(pthread_create(&s.tid, NULL, sender_main, &s), 0);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 10000), 0);
	pthread_join(s.tid, NULL);
	cr_assert_eq(s.rc, 0);
	expect_same(&m, UDPESP_MSG_SA_ADD, n * SZ_SA, 7, 0, sas);
	ctl_msg_free(&m);

	close_pair(sv);
	free(sas);
}

Test(ctl_proto, send_refuses_bad_arguments)
{
	unsigned char buf[64] = { 0 };
	int sv[2];

	make_pair(sv);
	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_SA_DEL, 1, 0, NULL, SZ_SA_DEL), -EINVAL);
	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_SA_DEL, 1, 0, buf, 20), -EBADMSG);
	cr_assert_eq(ctl_send(sv[0], 0, 1, 0, NULL, 0), -EBADMSG);
	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_MAX, 1, 0, NULL, 0), -EBADMSG);
	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_STATS_INFO, 1, 0, buf, MAXP + 8), -EMSGSIZE);
	/* Nothing of the refused messages reached the peer. */
	cr_assert_lt(queued(sv[1], buf, sizeof(buf)), 0);
	close_pair(sv);
}

/* MSG_NOSIGNAL: a vanished peer is -EPIPE, not the death of the process. */
Test(ctl_proto, send_to_closed_peer)
{
	struct udpesp_ctl_hello hello = { .version = UDPESP_CTL_VERSION };
	int sv[2];

	make_pair(sv);
	close(sv[1]);
	sv[1] = -1;
	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_HELLO, 1, 0, &hello, sizeof(hello)), -EPIPE);
	close_pair(sv);
}

/* A non-blocking socket (the daemon's) still gets the whole message out. */
Test(ctl_proto, send_on_nonblocking_socket)
{
	const size_t n = 1000;
	struct udpesp_ctl_sa *sas = calloc(n, sizeof(*sas));
	struct sender s = { .type = UDPESP_MSG_SA_ADD, .seq = 9 };
	struct ctl_msg m;
	int sv[2];

	cr_assert_not_null(sas);
	prng_seed(4);
	fill_sas(sas, n);
	make_pair(sv);
	cr_assert_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);

	s.fd = sv[0];
	s.payload = sas;
	s.len = n * sizeof(*sas);
	cr_assert_eq(pthread_create(&s.tid, NULL, sender_main, &s), 0);
	/* Let the sender fill the buffer and hit EAGAIN before we read. */
	usleep(50 * 1000);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 10000), 0);
	pthread_join(s.tid, NULL);
	cr_assert_eq(s.rc, 0);
	expect_same(&m, UDPESP_MSG_SA_ADD, n * SZ_SA, 9, 0, sas);
	ctl_msg_free(&m);
	close_pair(sv);
	free(sas);
}

Test(ctl_proto, eof_between_messages)
{
	struct ctl_reader r;
	struct ctl_msg m;
	int sv[2];

	make_pair(sv);
	shutdown(sv[0], SHUT_WR);
	cr_assert_eq(ctl_recv(sv[1], &m, REP, 1000), -ENOTCONN);
	cr_assert_null(m.payload);

	ctl_reader_init(&r, false);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), -ENOTCONN);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), -ENOTCONN, "sticky");
	ctl_reader_reset(&r);
	close_pair(sv);
}

/* Closing anywhere inside a message is -ECONNRESET. */
Test(ctl_proto, truncated_messages)
{
	unsigned char wire[16 + SZ_SA_DEL], payload[SZ_SA_DEL];
	const size_t cuts[] = { 1, 7, 15, 16, 17, 16 + SZ_SA_DEL / 2, 16 + SZ_SA_DEL - 1 };
	size_t len;

	prng_seed(5);
	prng_fill(payload, sizeof(payload));
	len = put_msg(wire, UDPESP_MSG_SA_DEL, SZ_SA_DEL, 77, 0, payload);
	cr_assert_eq(len, sizeof(wire));

	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		struct ctl_reader r;
		struct ctl_msg m;
		int sv[2];
		int rc;

		make_pair(sv);
		write_all(sv[0], wire, cuts[i]);
		shutdown(sv[0], SHUT_WR);
		cr_assert_eq(ctl_recv(sv[1], &m, REQ, 1000), -ECONNRESET, "cut at %zu", cuts[i]);
		cr_assert_null(m.payload);
		/* With the whole header in, its seq is there to answer. */
		cr_assert_eq(m.hdr.seq, cuts[i] >= 16 ? 77u : 0u);
		close_pair(sv);

		make_pair(sv);
		write_all(sv[0], wire, cuts[i]);
		shutdown(sv[0], SHUT_WR);
		ctl_reader_init(&r, false);
		while ((rc = ctl_reader_feed(&r, sv[1])) == 0)
			;
		cr_assert_eq(rc, -ECONNRESET, "cut at %zu: %d", cuts[i], rc);
		cr_assert_eq(r.got, cuts[i]);
		ctl_reader_reset(&r);
		close_pair(sv);
	}
}

/* A huge length is refused on the header alone: nothing read, nothing allocated. */
Test(ctl_proto, oversized_length)
{
	const __u32 lens[] = { MAXP + 1, MAXP + SZ_SA, 0x80000000u, 0xffffffffu };
	const __u32 types[] = { UDPESP_MSG_SA_ADD, UDPESP_MSG_STATS_INFO, 0 };
	unsigned char wire[16 + 100], tail[100], got[200];

	prng_seed(6);
	prng_fill(tail, sizeof(tail));
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(types); j++) {
			struct udpesp_ctl_hdr h = {
				.type = types[j],
				.len = lens[i],
				.seq = 5,
			};
			struct ctl_reader r;
			struct ctl_msg m;
			int sv[2];

			memcpy(wire, &h, sizeof(h));
			memcpy(wire + 16, tail, sizeof(tail));

			make_pair(sv);
			write_all(sv[0], wire, sizeof(wire));
			cr_assert_eq(ctl_recv(sv[1], &m, REQ, 1000), -EMSGSIZE);
			cr_assert_null(m.payload);
			cr_assert_eq(m.hdr.len, lens[i]);
			cr_assert_eq(m.hdr.seq, 5);
			/* The bytes after the header are still queued. */
			cr_assert_eq(queued(sv[1], got, sizeof(got)), (ssize_t)sizeof(tail));
			cr_assert_eq(memcmp(got, tail, sizeof(tail)), 0);

			write_all(sv[0], wire, sizeof(wire));
			ctl_reader_init(&r, true);
			cr_assert_eq(ctl_reader_feed(&r, sv[1]), -EMSGSIZE);
			cr_assert_null(r.msg.payload);
			cr_assert_eq(r.got, 16);
			cr_assert_eq(ctl_reader_feed(&r, sv[1]), -EMSGSIZE);
			cr_assert_eq(queued(sv[1], got, sizeof(got)), (ssize_t)sizeof(tail));
			ctl_reader_reset(&r);
			close_pair(sv);
		}
	}
}

/* Expect -EBADMSG for this header (and payload), with the payload unread. */
static void expect_badmsg(const struct udpesp_ctl_hdr *h, bool reply, const void *payload,
			  size_t plen, bool header_only)
{
	unsigned char wire[16 + 4096], rest[sizeof(wire)];
	struct ctl_reader r;
	struct ctl_msg m;
	int sv[2];

	cr_assert_leq(plen, sizeof(wire) - 16);
	memcpy(wire, h, sizeof(*h));
	if (plen)
		memcpy(wire + 16, payload, plen);

	make_pair(sv);
	write_all(sv[0], wire, 16 + plen);
	cr_assert_eq(ctl_recv(sv[1], &m, reply, 1000), -EBADMSG, "type %u len %u status %d",
		     h->type, h->len, h->status);
	cr_assert_null(m.payload);
	cr_assert_eq(m.hdr.seq, h->seq);
	if (header_only && plen)
		cr_assert_eq(queued(sv[1], rest, sizeof(rest)), (ssize_t)plen);

	write_all(sv[0], wire, 16 + plen);
	ctl_reader_init(&r, reply);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), -EBADMSG);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), -EBADMSG, "sticky");
	if (header_only)
		cr_assert_null(r.msg.payload);
	ctl_reader_reset(&r);
	close_pair(sv);
}

Test(ctl_proto, garbage_headers)
{
	unsigned char junk[SZ_SA_INFO];
	char text[32];

	prng_seed(7);
	prng_fill(junk, sizeof(junk));

	/* Unknown types. */
	expect_badmsg(&(struct udpesp_ctl_hdr){ .type = 0, .seq = 1 }, false, NULL, 0, true);
	expect_badmsg(&(struct udpesp_ctl_hdr){ .type = UDPESP_MSG_MAX, .seq = 2 }, true, NULL, 0,
		      true);
	expect_badmsg(&(struct udpesp_ctl_hdr){ .type = 0xdeadbeef, .len = 8, .seq = 3 }, false,
		      junk, 8, true);
	/* A length the type cannot have. */
	expect_badmsg(&(struct udpesp_ctl_hdr){ .type = UDPESP_MSG_SA_DEL,
						.len = SZ_SA_DEL - 1,
						.seq = 4 },
		      false, junk, SZ_SA_DEL - 1, true);
	expect_badmsg(
		&(struct udpesp_ctl_hdr){ .type = UDPESP_MSG_SA_ADD, .len = SZ_HANDLES, .seq = 5 },
		false, junk, SZ_HANDLES, true);
	/* Right length, wrong direction. */
	expect_badmsg(
		&(struct udpesp_ctl_hdr){ .type = UDPESP_MSG_SA_INFO, .len = SZ_SA_INFO, .seq = 6 },
		false, junk, SZ_SA_INFO, true);
	/* ERROR must say it is one, and its text must end. */
	snprintf(text, sizeof(text), "no such SA");
	expect_badmsg(
		&(struct udpesp_ctl_hdr){
			.type = UDPESP_MSG_ERROR, .len = strlen(text) + 1, .seq = 8, .status = 0 },
		true, text, strlen(text) + 1, true);
	expect_badmsg(&(struct udpesp_ctl_hdr){ .type = UDPESP_MSG_ERROR,
						.len = strlen(text),
						.seq = 9,
						.status = -ENOENT },
		      true, text, strlen(text), false);
}

/* Random headers: each is refused with the code its length calls for. */
Test(ctl_proto, random_headers)
{
	unsigned int tested = 0;

	prng_seed(8);
	for (int i = 0; i < 2000; i++) {
		struct udpesp_ctl_hdr h;
		struct ctl_msg m;
		int sv[2], want;

		prng_fill(&h, sizeof(h));
		/* Half of them plausible enough to get past the size check. */
		if (i & 1) {
			h.type %= UDPESP_MSG_MAX + 2;
			h.len %= 2 * SZ_SA_INFO;
		}
		if (h.len > MAXP)
			want = -EMSGSIZE;
		else if (ctl_check_len(h.type, h.len, true) ||
			 (h.type == UDPESP_MSG_ERROR && h.status >= 0))
			want = -EBADMSG;
		else
			continue; /* valid by chance; covered elsewhere */

		make_pair(sv);
		write_all(sv[0], &h, sizeof(h));
		cr_assert_eq(ctl_recv(sv[1], &m, REP, 0), want, "type %u len %u status %d", h.type,
			     h.len, h.status);
		cr_assert_null(m.payload);
		close_pair(sv);
		tested++;
	}
	cr_assert_gt(tested, 1800);
}

Test(ctl_proto, recv_timeout)
{
	unsigned char wire[16 + SZ_SA_DEL], payload[SZ_SA_DEL] = { 0 };
	struct timespec t0, t1;
	struct ctl_msg m;
	long ms;
	int sv[2];

	make_pair(sv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 100), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_assert_geq(ms, 90, "returned after %ld ms", ms);
	cr_assert_lt(ms, 2000, "returned after %ld ms", ms);

	/* 0: only what is queued; nothing is. */
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 0), -ETIMEDOUT);

	/* Half a header, then a header without its payload. */
	put_msg(wire, UDPESP_MSG_SA_GET, SZ_SA_DEL, 11, 0, payload);
	write_all(sv[0], wire, 8);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 50), -ETIMEDOUT);
	close_pair(sv);

	make_pair(sv);
	write_all(sv[0], wire, 16);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 50), -ETIMEDOUT);
	cr_assert_eq(m.hdr.seq, 11);
	cr_assert_null(m.payload);
	close_pair(sv);

	/* 0 with the whole message queued succeeds. */
	make_pair(sv);
	write_all(sv[0], wire, sizeof(wire));
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 0), 0);
	ctl_msg_free(&m);
	close_pair(sv);
}

/* Interleaved: one byte written, one feed, on a blocking socket. */
Test(ctl_proto, reader_byte_by_byte)
{
	unsigned char payload[2 * SZ_SA], wire[16 + sizeof(payload)];
	struct ctl_reader r;
	size_t len;
	int sv[2];

	prng_seed(9);
	prng_fill(payload, sizeof(payload));
	len = put_msg(wire, UDPESP_MSG_SA_ADD, sizeof(payload), 3, 0, payload);
	make_pair(sv);
	ctl_reader_init(&r, false);

	/* Nothing queued: returns at once although the socket blocks. */
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 0);
	for (size_t i = 0; i < len; i++) {
		write_all(sv[0], wire + i, 1);
		cr_assert_eq(ctl_reader_feed(&r, sv[1]), i + 1 == len ? 1 : 0, "byte %zu", i);
		cr_assert_eq(r.got, i + 1);
		/* The payload buffer appears only once the header is in. */
		if (i < 15)
			cr_assert_null(r.msg.payload);
		else
			cr_assert_not_null(r.msg.payload);
	}
	expect_same(&r.msg, UDPESP_MSG_SA_ADD, sizeof(payload), 3, 0, payload);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 1, "complete until reset");
	ctl_reader_reset(&r);
	cr_assert_eq(r.got, 0);
	cr_assert_null(r.msg.payload);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 0);
	close_pair(sv);
}

/* The same through ctl_recv, with the bytes dribbling in from a thread. */
Test(ctl_proto, recv_byte_by_byte)
{
	unsigned char payload[2 * SZ_SA], wire[16 + sizeof(payload)];
	struct writer w = { .buf = wire };
	struct ctl_msg m;
	int sv[2];

	prng_seed(10);
	prng_fill(payload, sizeof(payload));
	w.len = put_msg(wire, UDPESP_MSG_SA_ADD, sizeof(payload), 4, 0, payload);
	make_pair(sv);
	w.fd = sv[0];
	cr_assert_eq(pthread_create(&w.tid, NULL, writer_main, &w), 0);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 10000), 0);
	pthread_join(w.tid, NULL);
	cr_assert_eq(w.rc, 0);
	expect_same(&m, UDPESP_MSG_SA_ADD, sizeof(payload), 4, 0, payload);
	ctl_msg_free(&m);
	close_pair(sv);
}

/* Three messages in one write() come out one at a time, in order. */
Test(ctl_proto, back_to_back)
{
	struct udpesp_ctl_hello hello = { UDPESP_CTL_VERSION, 1 };
	struct udpesp_ctl_del_result res = { .deleted = 1, .parser_gone = 1 };
	unsigned char wire[3 * 16 + sizeof(hello) + sizeof(res)];
	struct ctl_reader r;
	struct ctl_msg m;
	size_t len = 0;
	int sv[2];

	len += put_msg(wire + len, UDPESP_MSG_HELLO, sizeof(hello), 1, 0, &hello);
	len += put_msg(wire + len, UDPESP_MSG_SA_DEL, sizeof(res), 2, 0, &res);
	len += put_msg(wire + len, UDPESP_MSG_DONE, 0, 3, 0, NULL);
	cr_assert_eq(len, sizeof(wire));

	make_pair(sv);
	write_all(sv[0], wire, len);
	ctl_reader_init(&r, true);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 1);
	expect_same(&r.msg, UDPESP_MSG_HELLO, sizeof(hello), 1, 0, &hello);
	ctl_reader_take(&r, &m);
	cr_assert_null(r.msg.payload, "taken, not copied");
	expect_same(&m, UDPESP_MSG_HELLO, sizeof(hello), 1, 0, &hello);
	ctl_msg_free(&m);

	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 1);
	expect_same(&r.msg, UDPESP_MSG_SA_DEL, sizeof(res), 2, 0, &res);
	ctl_reader_reset(&r);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 1);
	expect_same(&r.msg, UDPESP_MSG_DONE, 0, 3, 0, NULL);
	ctl_reader_reset(&r);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 0);

	/* And through ctl_recv. */
	write_all(sv[0], wire, len);
	cr_assert_eq(ctl_recv(sv[1], &m, REP, 1000), 0);
	expect_same(&m, UDPESP_MSG_HELLO, sizeof(hello), 1, 0, &hello);
	ctl_msg_free(&m);
	cr_assert_eq(ctl_recv(sv[1], &m, REP, 1000), 0);
	expect_same(&m, UDPESP_MSG_SA_DEL, sizeof(res), 2, 0, &res);
	ctl_msg_free(&m);
	cr_assert_eq(ctl_recv(sv[1], &m, REP, 1000), 0);
	expect_same(&m, UDPESP_MSG_DONE, 0, 3, 0, NULL);
	ctl_msg_free(&m);
	cr_assert_eq(ctl_recv(sv[1], &m, REP, 0), -ETIMEDOUT);
	close_pair(sv);
}

Test(ctl_proto, reader_take_incomplete)
{
	unsigned char wire[16 + SZ_SA_DEL], payload[SZ_SA_DEL] = { 0 };
	struct ctl_reader r;
	struct ctl_msg m;
	int sv[2];

	put_msg(wire, UDPESP_MSG_SA_DEL, SZ_SA_DEL, 1, 0, payload);
	make_pair(sv);
	write_all(sv[0], wire, 20);
	ctl_reader_init(&r, false);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 0);
	ctl_reader_take(&r, &m);
	cr_assert_null(m.payload);
	cr_assert_eq(m.hdr.type, 0);
	cr_assert_eq(r.got, 0);
	cr_assert_null(r.msg.payload);
	cr_assert_not(r.reply, "direction survives the reset");
	close_pair(sv);
}

/*
 * The wipe is checked where it happens: ctl_payload_release is the last
 * moment the payload is readable, whatever the allocator (glibc, ASan)
 * does with it afterwards.
 */
static struct {
	void *payload;
	size_t len, dirty;
	int calls;
} released;

static void spy_release(void *payload, size_t len)
{
	const unsigned char *p = payload;

	released.payload = payload;
	released.len = len;
	released.calls++;
	released.dirty = 0;
	for (size_t i = 0; i < len; i++)
		released.dirty += p[i] != 0;
	free(payload);
}

static void expect_wiped_on_free(const char *what, void (*release)(void *ctx), void *ctx,
				 void *payload, size_t len)
{
	void (*saved)(void *, size_t) = ctl_payload_release;

	memset(&released, 0, sizeof(released));
	ctl_payload_release = spy_release;
	release(ctx);
	ctl_payload_release = saved;
	cr_assert_eq(released.calls, 1, "%s: the payload was released %d times", what,
		     released.calls);
	cr_assert_eq(released.payload, payload, "%s: another buffer was released", what);
	cr_assert_eq(released.len, len, "%s: %zu bytes released, want %zu", what, released.len,
		     len);
	cr_assert_eq(released.dirty, 0, "%s: %zu bytes not wiped", what, released.dirty);
}

static void release_msg(void *ctx)
{
	ctl_msg_free(ctx);
}

static void release_reader(void *ctx)
{
	ctl_reader_reset(ctx);
}

Test(ctl_proto, msg_free_wipes)
{
	const __u32 len = 100 * SZ_SA;
	unsigned char *keys = malloc(len);
	struct ctl_reader r;
	struct ctl_msg m = { 0 };
	void *payload;
	int sv[2];

	cr_assert_not_null(keys);
	memset(keys, 0xa5, len);

	/* Zeroed and already-freed messages are harmless. */
	ctl_msg_free(&m);
	ctl_msg_free(&m);

	make_pair(sv);
	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_SA_ADD, 1, 0, keys, len), 0);
	cr_assert_eq(ctl_recv(sv[1], &m, REQ, 1000), 0);
	cr_assert_eq(memcmp(m.payload, keys, len), 0);
	payload = m.payload;
	expect_wiped_on_free("ctl_msg_free", release_msg, &m, payload, len);
	cr_assert_null(m.payload);
	cr_assert_eq(m.hdr.len, 0);
	cr_assert_eq(m.hdr.type, 0);
	ctl_msg_free(&m);

	/* The reader wipes what it drops, complete or not. */
	cr_assert_eq(ctl_send(sv[0], UDPESP_MSG_SA_ADD, 2, 0, keys, len), 0);
	ctl_reader_init(&r, false);
	cr_assert_eq(ctl_reader_feed(&r, sv[1]), 1);
	payload = r.msg.payload;
	expect_wiped_on_free("ctl_reader_reset", release_reader, &r, payload, len);
	cr_assert_null(r.msg.payload);
	cr_assert_eq(r.got, 0);

	close_pair(sv);
	free(keys);
}

static void recv_error(int fd, struct ctl_msg *m, __u32 seq, __s32 status)
{
	cr_assert_eq(ctl_recv(fd, m, REP, 1000), 0);
	cr_assert_eq(m->hdr.type, UDPESP_MSG_ERROR);
	cr_assert_eq(m->hdr.seq, seq);
	cr_assert_eq(m->hdr.status, status);
	cr_assert_not_null(m->payload);
	cr_assert_eq(((char *)m->payload)[m->hdr.len - 1], '\0');
	cr_assert_eq(strlen(m->payload) + 1, m->hdr.len);
}

Test(ctl_proto, send_error_text)
{
	char longtext[1000];
	struct ctl_msg m;
	int sv[2];

	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	make_pair(sv);

	cr_assert_eq(ctl_send_error(sv[1], 5, ENOENT, "no SA with handle %u", 7), 0);
	recv_error(sv[0], &m, 5, -ENOENT);
	cr_assert_str_eq(m.payload, "no SA with handle 7");
	ctl_msg_free(&m);

	/* Truncated to the limit, the NUL included. */
	cr_assert_eq(ctl_send_error(sv[1], 6, EPERM, "%s", longtext), 0);
	recv_error(sv[0], &m, 6, -EPERM);
	cr_assert_eq(m.hdr.len, UDPESP_CTL_ERRMSG_MAX);
	cr_assert_eq(strspn(m.payload, "x"), UDPESP_CTL_ERRMSG_MAX - 1);
	ctl_msg_free(&m);

	/* Exactly at the limit and one over. */
	longtext[UDPESP_CTL_ERRMSG_MAX - 1] = '\0';
	cr_assert_eq(ctl_send_error(sv[1], 7, EPERM, "%s", longtext), 0);
	recv_error(sv[0], &m, 7, -EPERM);
	cr_assert_eq(m.hdr.len, UDPESP_CTL_ERRMSG_MAX);
	ctl_msg_free(&m);
	longtext[UDPESP_CTL_ERRMSG_MAX - 1] = 'x';
	longtext[UDPESP_CTL_ERRMSG_MAX] = '\0';
	cr_assert_eq(ctl_send_error(sv[1], 8, EPERM, "%s", longtext), 0);
	recv_error(sv[0], &m, 8, -EPERM);
	cr_assert_eq(m.hdr.len, UDPESP_CTL_ERRMSG_MAX);
	ctl_msg_free(&m);

	/* A -errno return code passed as is; 0 is not an error status. */
	cr_assert_eq(ctl_send_error(sv[1], 9, -EEXIST, "exists"), 0);
	recv_error(sv[0], &m, 9, -EEXIST);
	ctl_msg_free(&m);
	cr_assert_eq(ctl_send_error(sv[1], 10, 0, "what"), 0);
	recv_error(sv[0], &m, 10, -EIO);
	ctl_msg_free(&m);

	/* Empty text: the user reads strerror instead. */
	cr_assert_eq(ctl_send_error(sv[1], 11, ENOENT, "%s", ""), 0);
	recv_error(sv[0], &m, 11, -ENOENT);
	cr_assert_str_eq(m.payload, "No such file or directory");
	ctl_msg_free(&m);

	close_pair(sv);
}

/*
 * Valid headers to mutate in the fuzz loop: the length rules leave few
 * paths that random bytes alone would reach.
 */
static size_t fuzz_message(unsigned char *buf, size_t room)
{
	const struct len_case *c;
	struct udpesp_ctl_hdr h;
	size_t len;

	do {
		c = &len_cases[prng_below(ARRAY_SIZE(len_cases))];
	} while (c->want || c->len > 700);
	cr_assert_leq(16 + c->len, room);
	h.type = c->type;
	h.len = c->len;
	h.seq = (__u32)prng();
	h.status = case_status(c->type, c->reply);
	memcpy(buf, &h, sizeof(h));
	case_payload(c->type, buf + 16, c->len);
	len = 16 + c->len;
	/* Random ERROR text may lack its NUL: that is a case too. */
	if (c->type == UDPESP_MSG_ERROR && prng_below(4) == 0)
		buf[len - 1] = 'x';
	/* Requests and replies are mixed: a reader sees both. */
	return len;
}

Test(ctl_proto, fuzz_reader)
{
	enum { RUNS = 10000 };
	static unsigned char buf[4096];
	unsigned int outcome[4] = { 0 }, messages = 0;
	const int codes[4] = { -ENOTCONN, -ECONNRESET, -EMSGSIZE, -EBADMSG };
	struct ctl_reader r;

	prng_seed(0x75647065737064ull);
	ctl_reader_init(&r, false);
	for (int run = 0; run < RUNS; run++) {
		size_t len = 0, split;
		int sv[2], rc, feeds = 0;
		bool known = false;

		switch (prng_below(4)) {
		case 0: /* pure noise */
			len = prng_below(80);
			prng_fill(buf, len);
			break;
		case 1: /* a valid message, cut or extended with noise */
			split = fuzz_message(buf, sizeof(buf));
			prng_fill(buf + split, 40);
			len = prng_below(split + 41);
			break;
		case 2: /* a valid message with one byte flipped */
			len = fuzz_message(buf, sizeof(buf));
			buf[prng_below(len)] ^= 1u << prng_below(8);
			break;
		default: /* two messages, then noise */
			len = fuzz_message(buf, sizeof(buf));
			len += fuzz_message(buf + len, sizeof(buf) - len);
			split = prng_below(24);
			prng_fill(buf + len, split);
			len += split;
			break;
		}
		/* Send in two parts with a feed between, then hang up. */
		r.reply = prng_below(2);
		ctl_reader_reset(&r);
		make_pair(sv);
		split = prng_below(len + 1);
		write_all(sv[0], buf, split);
		rc = ctl_reader_feed(&r, sv[1]);
		cr_assert(rc == 0 || rc == 1 || rc < 0, "run %d: %d", run, rc);
		if (rc == 1) {
			struct ctl_msg m;

			ctl_reader_take(&r, &m);
			ctl_msg_free(&m);
			messages++;
		}
		write_all(sv[0], buf + split, len - split);
		close(sv[0]);
		sv[0] = -1;

		while ((rc = ctl_reader_feed(&r, sv[1])) >= 0) {
			/* Everything is queued and EOF follows: no waiting. */
			cr_assert_eq(rc, 1, "run %d: feed wants more after EOF", run);
			cr_assert_eq(ctl_check_len(r.msg.hdr.type, r.msg.hdr.len, r.reply), 0);
			cr_assert_eq(r.got, 16 + r.msg.hdr.len);
			ctl_reader_reset(&r);
			messages++;
			cr_assert_lt(++feeds, 8, "run %d: endless", run);
		}
		for (int i = 0; i < 4; i++) {
			if (rc == codes[i]) {
				outcome[i]++;
				known = true;
			}
		}
		cr_assert(known, "run %d ended in %d", run, rc);
		cr_assert_eq(ctl_reader_feed(&r, sv[1]), rc, "sticky");
		close_pair(sv);
	}
	ctl_reader_reset(&r);
	cr_log_info("fuzz: %u messages; ENOTCONN %u ECONNRESET %u EMSGSIZE %u EBADMSG %u", messages,
		    outcome[0], outcome[1], outcome[2], outcome[3]);
	/* The generator reaches every outcome, or it tests less than it seems. */
	cr_assert_gt(messages, 100);
	for (int i = 0; i < 4; i++)
		cr_assert_gt(outcome[i], 10, "outcome %d", codes[i]);
}

/*
 * A header cut after its length field: 16 + 0xfffffff8 wraps to 8 in 32
 * bits, which made the reader take 8 bytes for a whole message and read
 * the ERROR text through a NULL payload (udpespd: segfault at fffffff7).
 */
Test(ctl_proto, wrapping_length_in_a_partial_header)
{
	static const __u32 types[] = { UDPESP_MSG_ERROR, UDPESP_MSG_HELLO, UDPESP_MSG_SA_ADD };

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		__u32 half[2] = { types[i], 0xfffffff8u };
		__s32 rest[2] = { 5, -1 };
		struct ctl_reader r;
		struct ctl_msg m;
		int sv[2];

		make_pair(sv);
		ctl_reader_init(&r, i == 0);
		cr_assert_eq(write(sv[0], half, sizeof(half)), (ssize_t)sizeof(half));
		cr_assert_eq(ctl_reader_feed(&r, sv[1]), 0, "type %u: 8 bytes are not a message",
			     types[i]);
		cr_assert_null(r.msg.payload);
		/* The rest of the header: now the length is judged, and refused. */
		cr_assert_eq(write(sv[0], rest, sizeof(rest)), (ssize_t)sizeof(rest));
		cr_assert_eq(ctl_reader_feed(&r, sv[1]), -EMSGSIZE, "type %u", types[i]);
		cr_assert_eq(r.msg.hdr.seq, 5);
		ctl_reader_reset(&r);

		/* ctl_recv (udpespctl) shares the reader. */
		cr_assert_eq(write(sv[0], half, sizeof(half)), (ssize_t)sizeof(half));
		cr_assert_eq(ctl_recv(sv[1], &m, i == 0, 0), -ETIMEDOUT, "type %u", types[i]);
		cr_assert_null(m.payload);
		close_pair(sv);
	}
}
