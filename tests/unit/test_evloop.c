// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespd's event loop: callbacks by fd, sources removed during a batch
 * never called again (a client closed by another's request), stop.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <criterion/criterion.h>

#include "udpespd/evloop.h"

struct probe {
	struct evloop *l;
	int fd;
	int calls;
	struct evloop_src *victim; /* removed by this callback */
	bool stop;
};

static void probe_cb(void *ctx, __u32 events)
{
	struct probe *p = ctx;
	char c;

	cr_assert(events & EPOLLIN);
	p->calls++;
	cr_assert_eq(read(p->fd, &c, 1), 1);
	if (p->victim) {
		evloop_del(p->l, p->victim);
		p->victim = NULL;
	}
	if (p->stop)
		evloop_stop(p->l);
}

static void stop_cb(void *ctx, __u32 events)
{
	(void)events;
	evloop_stop(ctx);
}

Test(evloop, removed_during_a_batch_is_not_called)
{
	struct evloop l;
	struct probe a = { .l = &l }, b = { .l = &l };
	struct itimerspec later = { .it_value = { 0, 200 * 1000 * 1000 } };
	struct evloop_src *sa, *sb;
	int pa[2], pb[2], tfd;

	cr_assert_eq(evloop_init(&l), 0);
	/* Ends the run in a later batch, once the two have had theirs. */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	cr_assert_geq(tfd, 0);
	cr_assert_eq(timerfd_settime(tfd, 0, &later, NULL), 0);
	cr_assert_not_null(evloop_add(&l, tfd, EPOLLIN, stop_cb, &l));
	cr_assert_eq(pipe(pa), 0);
	cr_assert_eq(pipe(pb), 0);
	a.fd = pa[0];
	b.fd = pb[0];
	sa = evloop_add(&l, pa[0], EPOLLIN, probe_cb, &a);
	sb = evloop_add(&l, pb[0], EPOLLIN, probe_cb, &b);
	cr_assert_not_null(sa);
	cr_assert_not_null(sb);
	/* Both readable in one batch: whichever runs first removes the other. */
	a.victim = sb;
	b.victim = sa;
	cr_assert_eq(write(pa[1], "x", 1), 1);
	cr_assert_eq(write(pb[1], "x", 1), 1);
	cr_assert_eq(evloop_run(&l), 0);
	cr_assert_eq(a.calls + b.calls, 1, "a: %d, b: %d calls", a.calls, b.calls);
	evloop_fini(&l);
	close(tfd);
	for (int i = 0; i < 2; i++) {
		close(pa[i]);
		close(pb[i]);
	}
}

Test(evloop, paused_source_waits)
{
	struct evloop l;
	struct probe a = { .l = &l, .stop = true }, b = { .l = &l, .stop = true };
	struct evloop_src *sa;
	int pa[2], pb[2];

	cr_assert_eq(evloop_init(&l), 0);
	cr_assert_eq(pipe(pa), 0);
	cr_assert_eq(pipe(pb), 0);
	a.fd = pa[0];
	b.fd = pb[0];
	sa = evloop_add(&l, pa[0], EPOLLIN, probe_cb, &a);
	cr_assert_not_null(evloop_add(&l, pb[0], EPOLLIN, probe_cb, &b));
	cr_assert_eq(evloop_mod(&l, sa, 0), 0);
	cr_assert_eq(write(pa[1], "x", 1), 1);
	cr_assert_eq(write(pb[1], "x", 1), 1);
	cr_assert_eq(evloop_run(&l), 0);
	cr_assert_eq(a.calls, 0, "a paused source was called");
	cr_assert_eq(b.calls, 1);
	cr_assert_eq(evloop_mod(&l, sa, EPOLLIN), 0);
	cr_assert_eq(evloop_run(&l), 0);
	cr_assert_eq(a.calls, 1, "resumed, it runs");
	evloop_del(&l, sa);
	cr_assert_eq(evloop_mod(&l, sa, EPOLLIN), -EBADF);
	evloop_fini(&l); /* frees the live source too */
	for (int i = 0; i < 2; i++) {
		close(pa[i]);
		close(pb[i]);
	}
}
