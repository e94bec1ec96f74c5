/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * udpespd's event loop: epoll with one registered callback per file
 * descriptor. Every part of the daemon (control server, timers, netlink,
 * queues from the workers) registers its fd here with a context pointer;
 * the loop knows none of them.
 *
 * A callback may remove any source, its own included: a removed source is
 * never called again and is freed only after the current batch of events.
 */
#ifndef UDPESP_EVLOOP_H
#define UDPESP_EVLOOP_H

#include <stdbool.h>
#include <linux/types.h>

/* events: the EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits epoll reported. */
typedef void (*evloop_fn)(void *ctx, __u32 events);

struct evloop_src;

struct evloop {
	int epfd;
	bool stop;
	struct evloop_src *live;
	struct evloop_src *dead; /* removed during a batch, freed after it */
};

int evloop_init(struct evloop *l);
/* Removes and frees every source; closes none of their fds. */
void evloop_fini(struct evloop *l);
/*
 * Call fn(ctx, events) whenever fd has one of events (EPOLLIN, EPOLLOUT).
 * Returns the source, or NULL with errno set.
 */
struct evloop_src *evloop_add(struct evloop *l, int fd, __u32 events, evloop_fn fn, void *ctx);
/* Change what a source waits for; 0 (nothing) pauses it. 0 or -errno. */
int evloop_mod(struct evloop *l, struct evloop_src *s, __u32 events);
/* Stop watching; call before closing the fd. NULL is ignored. */
void evloop_del(struct evloop *l, struct evloop_src *s);
/* Dispatch until a callback calls evloop_stop(); 0, or -errno of epoll_wait(). */
int evloop_run(struct evloop *l);
void evloop_stop(struct evloop *l);

#endif /* UDPESP_EVLOOP_H */
