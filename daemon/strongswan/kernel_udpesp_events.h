/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * udpespd's events (`udpespctl monitor`'s stream) on a connection of their
 * own, read by one thread that reconnects with backoff when udpespd goes
 * away; every event is handed to a callback (kernel_udpesp_ipsec.c turns
 * expiries and mappings into charon->kernel->expire() and ->mapping()).
 */
#ifndef KERNEL_UDPESP_EVENTS_H_
#define KERNEL_UDPESP_EVENTS_H_

#include <library.h>
#include <udpesp/ctl.h>

typedef void (*kernel_udpesp_event_cb_t)(void *ctx, const struct udpesp_ctl_event *ev);
/*
 * After a connection that was not there at start (reconnect: an earlier
 * one was lost), before its first event: resynchronise.
 */
typedef void (*kernel_udpesp_connected_cb_t)(void *ctx, bool reconnect);

typedef struct kernel_udpesp_events_t kernel_udpesp_events_t;

struct kernel_udpesp_events_t {
	void (*destroy)(kernel_udpesp_events_t *this);
};

kernel_udpesp_events_t *kernel_udpesp_events_create(const char *path, kernel_udpesp_event_cb_t cb,
						    kernel_udpesp_connected_cb_t connected,
						    void *ctx);

#endif /* KERNEL_UDPESP_EVENTS_H_ */
