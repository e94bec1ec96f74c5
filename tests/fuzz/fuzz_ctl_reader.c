// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer: the control-message reader (daemon/common/ctl_proto.c) and
 * what decodes the messages it delivers, in the direction the input asks.
 *
 *   byte 0: bit 0 replies (udpespctl's side), bit 1 ctl_recv() instead
 *           of the event-loop reader (the stream in one write);
 *   byte 1: bytes per write for the event-loop reader (0 = 256)
 *   then the byte stream, written to a socketpair in those pieces; the
 *   reader is fed after each piece and once more after the writer closed.
 *
 * Every message the reader hands out must satisfy ctl_check_len(); SA
 * payloads then go through sa_check(), the daemon's validator, and ERROR
 * text must be a C string, as the printers take it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "common/ctl_proto.h"
#include "common/sa_check.h"
#include "esp/esp_suite.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void fuzz_ctl_decode(const struct ctl_msg *msg, bool reply)
{
	char err[UDPESP_CTL_ERRMSG_MAX];
	struct esp_suite suite;
	__u32 n, i;

	if (ctl_check_len(msg->hdr.type, msg->hdr.len, reply))
		abort();
	if (!!msg->payload != !!msg->hdr.len)
		abort();
	(void)ctl_msg_name(msg->hdr.type);
	switch (msg->hdr.type) {
	case UDPESP_MSG_SA_ADD:
		if (reply)
			break;
		n = msg->hdr.len / sizeof(struct udpesp_ctl_sa);
		for (i = 0; i < n; i++) {
			struct udpesp_ctl_sa sa;

			memcpy(&sa, (char *)msg->payload + i * sizeof(sa), sizeof(sa));
			(void)sa_check(&sa, &suite, err, sizeof(err));
		}
		break;
	case UDPESP_MSG_SA_INFO: {
		struct udpesp_ctl_sa_info info;

		memcpy(&info, msg->payload, sizeof(info));
		(void)sa_check(&info.sa, &suite, err, sizeof(err));
		break;
	}
	case UDPESP_MSG_ERROR:
		if (msg->hdr.status >= 0 || strlen(msg->payload) >= msg->hdr.len)
			abort();
		break;
	default:
		break;
	}
}

/* Feed until the socket is drained; false once the reader gave up. */
static bool fuzz_ctl_feed(struct ctl_reader *r, int fd)
{
	struct ctl_msg msg;
	int ret;

	for (;;) {
		ret = ctl_reader_feed(r, fd);
		if (ret == 0)
			return true;
		if (ret < 0)
			return ret == -ENOMEM;
		ctl_reader_take(r, &msg);
		fuzz_ctl_decode(&msg, r->reply);
		ctl_msg_free(&msg);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct ctl_reader r;
	struct ctl_msg msg;
	size_t step, off;
	bool reply, alive = true;
	int sv[2];

	if (size < 2)
		return 0;
	reply = data[0] & 1;
	step = data[1] ? data[1] : 256;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	ctl_reader_init(&r, reply);
	/*
	 * ctl_recv() reads the whole stream at the end, so it goes in one
	 * write: a socket holds few 1-byte skbs, and a full one blocks.
	 */
	if (data[0] & 2)
		step = size;
	for (off = 2; off < size && alive; off += step) {
		size_t n = size - off < step ? size - off : step;

		if (write(sv[1], data + off, n) != (ssize_t)n)
			abort();
		if (!(data[0] & 2))
			alive = fuzz_ctl_feed(&r, sv[0]);
	}
	close(sv[1]);
	if (data[0] & 2) {
		/* The blocking reader, message after message, until EOF. */
		while (ctl_recv(sv[0], &msg, reply, 0) == 0) {
			fuzz_ctl_decode(&msg, reply);
			ctl_msg_free(&msg);
		}
	} else if (alive) {
		fuzz_ctl_feed(&r, sv[0]);
	}
	ctl_reader_reset(&r);
	close(sv[0]);
	return 0;
}
