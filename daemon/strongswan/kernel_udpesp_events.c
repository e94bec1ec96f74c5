// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespd's events for charon (see the header). */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <daemon.h>
#include <threading/thread.h>

#include "kernel_udpesp_events.h"
#include "swan_conn.h"

#define KERNEL_UDPESP_EVENTS_POLL_MS 500 /* how soon destroy() is noticed */

typedef struct private_kernel_udpesp_events_t private_kernel_udpesp_events_t;

struct private_kernel_udpesp_events_t {
	kernel_udpesp_events_t public;
	char *path;
	kernel_udpesp_event_cb_t cb;
	kernel_udpesp_connected_cb_t connected;
	void *ctx;
	thread_t *thread;
	volatile bool stop;
};

/* Sleep s seconds unless told to stop. */
static void kernel_udpesp_events_sleep(private_kernel_udpesp_events_t *this, unsigned int s)
{
	for (unsigned int i = 0; i < s * 1000 / KERNEL_UDPESP_EVENTS_POLL_MS && !this->stop; i++)
		usleep(KERNEL_UDPESP_EVENTS_POLL_MS * 1000);
}

/* Read events until the connection ends or destroy() is called. */
static void kernel_udpesp_events_read(private_kernel_udpesp_events_t *this, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct ctl_reader rd;
	int ret;

	ctl_reader_init(&rd, true);
	while (!this->stop) {
		if (poll(&pfd, 1, KERNEL_UDPESP_EVENTS_POLL_MS) <= 0)
			continue;
		while ((ret = ctl_reader_feed(&rd, fd)) == 1) {
			if (rd.msg.hdr.type == UDPESP_MSG_EVENT)
				this->cb(this->ctx, rd.msg.payload);
			ctl_reader_reset(&rd);
		}
		if (ret < 0) {
			DBG1(DBG_KNL, "%s: udpespd's event stream ended: %s", "kernel-udpesp",
			     ret == -ENOTCONN ? "udpespd closed it" : strerror(-ret));
			break;
		}
	}
	ctl_reader_reset(&rd);
}

static void *kernel_udpesp_events_main(private_kernel_udpesp_events_t *this)
{
	unsigned int backoff = 1;
	bool ever = FALSE, failed = FALSE;
	char err[256];

	while (!this->stop) {
		int fd = swan_conn_open(this->path, err, sizeof(err));

		if (fd >= 0 && ctl_send(fd, UDPESP_MSG_MONITOR, 1, 0, NULL, 0)) {
			close(fd);
			fd = -1;
			snprintf(err, sizeof(err), "subscribing to events failed");
		}
		if (fd < 0) {
			DBG1(DBG_KNL, "%s: no events from udpespd: %s; retrying in %u s",
			     "kernel-udpesp", err, backoff);
			failed = TRUE;
			kernel_udpesp_events_sleep(this, backoff);
			backoff = backoff * 2 > SWAN_CONN_BACKOFF_MAX ? SWAN_CONN_BACKOFF_MAX :
									backoff * 2;
			continue;
		}
		backoff = 1;
		if (ever || failed)
			DBG0(DBG_KNL, "%s: %s udpespd's events at %s", "kernel-udpesp",
			     ever ? "reconnected to" : "connected to", this->path);
		/* A first connection at start needs nothing; any later one resyncs. */
		if (this->connected && (ever || failed))
			this->connected(this->ctx, ever);
		ever = TRUE;
		failed = FALSE;
		kernel_udpesp_events_read(this, fd);
		close(fd);
		if (!this->stop)
			kernel_udpesp_events_sleep(this, 1);
	}
	return NULL;
}

METHOD(kernel_udpesp_events_t, destroy, void, private_kernel_udpesp_events_t *this)
{
	this->stop = TRUE;
	if (this->thread)
		this->thread->join(this->thread);
	free(this->path);
	free(this);
}

kernel_udpesp_events_t *kernel_udpesp_events_create(const char *path, kernel_udpesp_event_cb_t cb,
						    kernel_udpesp_connected_cb_t connected,
						    void *ctx)
{
	private_kernel_udpesp_events_t *this;

	INIT(this,
		.public = {
			.destroy = _destroy,
		},
		.path = strdup(path),
		.cb = cb,
		.connected = connected,
		.ctx = ctx,
	);
	this->thread = thread_create((thread_main_t)kernel_udpesp_events_main, this);
	if (!this->thread) {
		DBG0(DBG_KNL,
		     "%s: cannot start the event thread: udpespd's expiries and NAT "
		     "mappings will not reach charon",
		     "kernel-udpesp");
	}
	return &this->public;
}
