// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespd's event loop (see evloop.h). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "evloop.h"

struct evloop_src {
	int fd; /* -1 once removed */
	__u32 events;
	evloop_fn fn;
	void *ctx;
	struct evloop_src *prev, *next; /* live sources; next alone once dead */
};

int evloop_init(struct evloop *l)
{
	l->stop = false;
	l->live = NULL;
	l->dead = NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

static void evloop_reap(struct evloop *l)
{
	while (l->dead) {
		struct evloop_src *s = l->dead;

		l->dead = s->next;
		free(s);
	}
}

void evloop_fini(struct evloop *l)
{
	while (l->live)
		evloop_del(l, l->live);
	evloop_reap(l);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

struct evloop_src *evloop_add(struct evloop *l, int fd, __u32 events, evloop_fn fn, void *ctx)
{
	struct evloop_src *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = events };

	if (!s)
		return NULL;
	*s = (struct evloop_src){ .fd = fd, .events = events, .fn = fn, .ctx = ctx };
	ev.data.ptr = s;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = errno;

		free(s);
		errno = err;
		return NULL;
	}
	s->next = l->live;
	if (l->live)
		l->live->prev = s;
	l->live = s;
	return s;
}

int evloop_mod(struct evloop *l, struct evloop_src *s, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (s->fd < 0)
		return -EBADF;
	if (s->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, s->fd, &ev))
		return -errno;
	s->events = events;
	return 0;
}

void evloop_del(struct evloop *l, struct evloop_src *s)
{
	if (!s || s->fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->fd = -1;
	if (s->prev)
		s->prev->next = s->next;
	else
		l->live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	/* Events of this batch may still point at it: free it afterwards. */
	s->prev = NULL;
	s->next = l->dead;
	l->dead = s;
}

void evloop_stop(struct evloop *l)
{
	l->stop = true;
}

int evloop_run(struct evloop *l)
{
	struct epoll_event evs[32];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && !l->stop; i++) {
			struct evloop_src *s = evs[i].data.ptr;

			if (s->fd >= 0)
				s->fn(s->ctx, evs[i].events);
		}
		evloop_reap(l);
	}
	return 0;
}
