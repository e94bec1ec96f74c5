// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Packet threads to the control thread (see notify_queue.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/types.h>

#include "common/log.h"
#include "notify_queue.h"
#include "common/util.h"

int notify_queue_init(struct notify_queue *q, size_t item_size)
{
	memset(q, 0, sizeof(*q));
	q->item_size = item_size;
	pthread_mutex_init(&q->lock, NULL);
	q->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return q->event_fd < 0 ? -errno : 0;
}

void notify_queue_fini(struct notify_queue *q)
{
	if (!q->item_size)
		return;
	if (q->event_fd >= 0)
		close(q->event_fd);
	free(q->items);
	pthread_mutex_destroy(&q->lock);
	memset(q, 0, sizeof(*q));
	q->event_fd = -1;
}

void notify_queue_push(struct notify_queue *q, const void *item)
{
	__u64 one = 1;
	bool kept = false;

	pthread_mutex_lock(&q->lock);
	if (!array_reserve(&q->items, q->n, &q->cap, q->item_size)) {
		memcpy((char *)q->items + q->n++ * q->item_size, item, q->item_size);
		kept = true;
	}
	pthread_mutex_unlock(&q->lock);
	if (!kept) {
		pr_err("no memory to queue a note for the control thread: dropped");
		return;
	}
	/* Fails only when the counter would overflow: a wake-up is due anyway. */
	if (write(q->event_fd, &one, sizeof(one)) < 0)
		return;
}

size_t notify_queue_pop(struct notify_queue *q, void *out, size_t max)
{
	__u64 ticks;
	size_t n;

	/* Clear the wake-up first: a push after this makes it readable again. */
	if (read(q->event_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		pr_debug("notify queue: eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&q->lock);
	n = q->n < max ? q->n : max;
	memcpy(out, q->items, n * q->item_size);
	memmove(q->items, (char *)q->items + n * q->item_size, (q->n - n) * q->item_size);
	q->n -= n;
	pthread_mutex_unlock(&q->lock);
	return n;
}
