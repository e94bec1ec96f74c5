// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* GRO-coalesced writes to a TUN queue (see tun_batch.h). */
#include <errno.h>
#include <unistd.h>
#include <sys/uio.h>

#include "tun_batch.h"
#include "wk_count.h"

void tun_batch_add(struct tun_batch *b, int fd, const struct udpesp_maps *maps, __u8 *pkt,
		   __u32 len, __u32 slot)
{
	if (b->n == ESP_GRO_MAX)
		tun_batch_flush(b, fd, maps);
	b->pkts[b->n] = (struct esp_gro_pkt){ pkt, len };
	b->slot[b->n++] = slot;
}

void tun_batch_flush(struct tun_batch *b, int fd, const struct udpesp_maps *maps)
{
	unsigned int nitems = esp_gro_batch(b->pkts, b->n, b->items, b->next);

	for (unsigned int i = 0; i < nitems; i++) {
		struct esp_gro_item *it = &b->items[i];
		unsigned int niov = 1;
		bool ok;

		b->iov[0] = (struct iovec){ &it->vh, sizeof(it->vh) };
		for (__u16 j = it->first; j != ESP_GRO_END; j = b->next[j]) {
			size_t skip = j == it->first ? 0 : it->skip;

			b->iov[niov++] =
				(struct iovec){ b->pkts[j].data + skip, b->pkts[j].len - skip };
		}
		ok = writev(fd, b->iov, niov) >= 0;
		for (__u16 j = it->first; j != ESP_GRO_END; j = b->next[j]) {
			if (!ok) {
				wk_count(maps, UDPESP_CNT_IN_BUFFER_ERROR);
				continue;
			}
			wk_count(maps, UDPESP_CNT_DECAP_OK);
			WK_SA_COUNT(maps, b->slot[j], packets, 1);
			WK_SA_COUNT(maps, b->slot[j], bytes, b->pkts[j].len);
		}
	}
	b->n = 0;
}
