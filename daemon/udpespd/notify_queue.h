/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What packet threads tell udpespd's control thread (a NAT mapping, an SA
 * out of sequence numbers): a locked array of fixed-size items and an
 * eventfd that the control thread's epoll watches.
 */
#ifndef UDPESP_NOTIFY_QUEUE_H
#define UDPESP_NOTIFY_QUEUE_H

#include <pthread.h>
#include <stddef.h>

struct notify_queue {
	int event_fd; /* readable while items wait */
	pthread_mutex_t lock;
	void *items;
	size_t n, cap, item_size;
};

int notify_queue_init(struct notify_queue *q, size_t item_size);
void notify_queue_fini(struct notify_queue *q);
/* Any thread. An item that finds no memory is dropped (and logged). */
void notify_queue_push(struct notify_queue *q, const void *item);
/*
 * Control thread, when event_fd is readable: the oldest items, at most
 * max of them, into out; call until it returns 0.
 */
size_t notify_queue_pop(struct notify_queue *q, void *out, size_t max);

#endif /* UDPESP_NOTIFY_QUEUE_H */
