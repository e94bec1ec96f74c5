/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The receive side of --gso on: a worker's decapsulated packets of one
 * batch, coalesced as Linux GRO would merge them (esp/esp_gro.h) and
 * written to the worker's TUN queue (opened with tun_open_queue_gso())
 * one writev() per super-packet, the rest alone and in order. Counters
 * stay per ESP packet: decap_ok and the SA's packets and bytes once the
 * write that carried the packet succeeded, in_buffer_error otherwise.
 */
#ifndef UDPESP_TUN_BATCH_H
#define UDPESP_TUN_BATCH_H

#include <sys/uio.h>
#include <linux/types.h>

#include "common/maps.h"
#include "esp/esp_gro.h"

struct tun_batch {
	unsigned int n;
	struct esp_gro_pkt pkts[ESP_GRO_MAX];
	__u32 slot[ESP_GRO_MAX]; /* each packet's SA, for its counters */
	struct esp_gro_item items[ESP_GRO_MAX];
	__u16 next[ESP_GRO_MAX];
	struct iovec iov[ESP_GRO_MAX + 1];
};

/*
 * Add the inner packet at pkt (len bytes, of SA slot): it must stay
 * where it is until tun_batch_flush(), which it may rewrite. A full
 * batch is written first.
 */
void tun_batch_add(struct tun_batch *b, int fd, const struct udpesp_maps *maps, __u8 *pkt,
		   __u32 len, __u32 slot);
/* Coalesce and write what the batch holds; it is empty afterwards. */
void tun_batch_flush(struct tun_batch *b, int fd, const struct udpesp_maps *maps);

#endif /* UDPESP_TUN_BATCH_H */
