/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Framing and marshalling of the control protocol (include/udpesp/ctl.h),
 * shared by udpespd and udpespctl. A message is struct udpesp_ctl_hdr in
 * host byte order (both ends are on one host) followed by hdr.len bytes of
 * payload. Every receiver validates the header before it reads or
 * allocates the payload, so a client can make the daemon allocate at most
 * UDPESP_CTL_MAX_PAYLOAD bytes per connection, and only for a length that
 * is valid for the message type.
 *
 * Requests and replies share type numbers but not always payloads (SA_ADD
 * carries SAs one way and handles the other), so every length check takes
 * the direction: reply = false for what a client sends to udpespd, true
 * for what udpespd sends back (replies, dump entries, DONE, ERROR, EVENT).
 *
 * After any receive error the byte stream can no longer be trusted to be
 * at a message boundary: close the connection (an error reply first is
 * fine: the header, and so its seq, is kept where one was read).
 */
#ifndef UDPESP_CTL_PROTO_H
#define UDPESP_CTL_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/ctl.h>

#define CTL_HDR_LEN ((__u32)sizeof(struct udpesp_ctl_hdr))

/*
 * How long ctl_send() waits for a non-blocking socket to drain before it
 * gives up with -ETIMEDOUT, so a client that stops reading cannot stall
 * the daemon's event loop for ever. Blocking sockets block in the kernel.
 */
#define CTL_SEND_TIMEOUT_MS 5000

/*
 * 0 if len is a valid payload length for type in the given direction,
 * -EBADMSG otherwise: unknown type, a type that never travels in that
 * direction (an SA_INFO request, an SA_LIST reply), len above
 * UDPESP_CTL_MAX_PAYLOAD, or an array that is empty or not a whole number
 * of elements.
 */
int ctl_check_len(__u32 type, __u32 len, bool reply);

/*
 * Send header and payload, all of it: partial writes and EINTR are
 * retried, SIGPIPE is never raised (-EPIPE instead). len must be valid for
 * type in at least one direction (-EBADMSG otherwise, -EMSGSIZE above
 * UDPESP_CTL_MAX_PAYLOAD), which catches marshalling bugs at the sender.
 * Returns 0 or -errno; after an error part of the message may be sent.
 */
int ctl_send(int fd, __u32 type, __u32 seq, __s32 status, const void *payload, __u32 len);

/*
 * Error reply: type ERROR, status -err, payload the formatted text with
 * its NUL, truncated to UDPESP_CTL_ERRMSG_MAX bytes including the NUL.
 * err is a positive errno; a negative one (a -errno return code) is
 * accepted as its absolute value and 0 becomes EIO, because an ERROR with
 * status >= 0 is invalid. Text that formats empty is replaced by
 * strerror(err), so the user always reads something.
 */
int ctl_send_error(int fd, __u32 seq, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The text of an error reply as ctl_send_error() sends it, for senders
 * that queue their replies: formatted into text (size bytes with the
 * NUL, at most UDPESP_CTL_ERRMSG_MAX), strerror(err) when it formats
 * empty. Returns err made positive (0 becomes EIO): the status is -that.
 */
int ctl_error_text(char *text, size_t size, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* One received message. payload is malloc'ed, NULL when hdr.len is 0. */
struct ctl_msg {
	struct udpesp_ctl_hdr hdr;
	void *payload;
};

/*
 * Receive one whole message, waiting at most timeout_ms for all of it
 * (-1: no limit; 0: only what is already queued). The fd may be blocking
 * or not. Returns 0, or:
 *   -ETIMEDOUT    the message was not complete in time
 *   -ENOTCONN     the peer closed the connection between messages
 *   -ECONNRESET   the peer closed it in the middle of a message
 *   -EMSGSIZE     hdr.len > UDPESP_CTL_MAX_PAYLOAD (payload left unread)
 *   -EBADMSG      ctl_check_len() refused the header, or an ERROR message
 *                 has status >= 0 or text without its NUL
 *   -ENOMEM, or the -errno of recv()/poll()
 * On error msg->payload is NULL and msg->hdr is the header if all of it
 * was read (so its seq can be answered), zeroes otherwise.
 */
int ctl_recv(int fd, struct ctl_msg *msg, bool reply, int timeout_ms);

/*
 * Wipe the payload (it may hold keys) and free it; msg is left zeroed, so
 * calling this twice, or on a zeroed msg, is harmless.
 */
void ctl_msg_free(struct ctl_msg *msg);
/*
 * What ctl_msg_free() gives a payload to once it is wiped: free(). A test
 * may set it to see the bytes as they are released, which no allocator
 * shows after free() (ASan poisons them, glibc reuses them).
 */
extern void (*ctl_payload_release)(void *payload, size_t len);

/*
 * Incremental reader for an event loop, one per connection. Feed it when
 * the socket is readable; it reads with MSG_DONTWAIT, so it never blocks
 * even on a blocking socket, and never reads past the end of the current
 * message, so messages queued behind it stay in the socket. The header is
 * validated as soon as its 16 bytes are in, and the payload buffer is
 * allocated only then, with exactly the validated length.
 */
struct ctl_reader {
	struct ctl_msg msg;
	__u32 got;  /* bytes of header + payload received */
	bool reply; /* direction whose length rules apply */
	int err;    /* sticky: every later feed returns it */
};

void ctl_reader_init(struct ctl_reader *r, bool reply);
/*
 * 1: a whole message is in r->msg; use it and ctl_reader_reset(), or move
 *    it out with ctl_reader_take(). Until then every feed returns 1 again
 *    without reading. Another message may already be queued: with
 *    edge-triggered epoll feed again until 0.
 * 0: all queued bytes consumed, the message is not complete yet.
 * <0: the same codes as ctl_recv() (-ENOTCONN for a clean EOF between
 *    messages, -ECONNRESET inside one, -EMSGSIZE, -EBADMSG, -errno of
 *    recv()). Sticky, except -ENOMEM, which may be retried. r->msg.hdr is
 *    valid if r->got >= CTL_HDR_LEN.
 */
int ctl_reader_feed(struct ctl_reader *r, int fd);
/* Move the complete message to *msg (caller frees it) and reset r. */
void ctl_reader_take(struct ctl_reader *r, struct ctl_msg *msg);
/* Wipe and free any partial or complete message; ready for the next. */
void ctl_reader_reset(struct ctl_reader *r);

/* The message type without its prefix ("SA_ADD"), "?" if unknown. */
const char *ctl_msg_name(__u32 type);

#endif /* UDPESP_CTL_PROTO_H */
