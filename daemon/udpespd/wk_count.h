/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Counting from udpespd's packet threads: relaxed atomic adds into the
 * mmap()ed udpesp_xsk_cnt and udpesp_xsk_sa arrays (see abi.h), which
 * readers add to the XDP program's per-CPU counters.
 */
#ifndef UDPESP_WK_COUNT_H
#define UDPESP_WK_COUNT_H

#include "common/maps.h"

static inline void wk_count(const struct udpesp_maps *m, enum udpesp_counter c)
{
	if (m->xsk_cnt_mem)
		__atomic_fetch_add(&m->xsk_cnt_mem->c[c], 1, __ATOMIC_RELAXED);
}

/* One field of struct udpesp_sa_stats of an SA slot, plus n. */
#define WK_SA_COUNT(m, slot, field, n)                                                           \
	do {                                                                                     \
		if ((m)->xsk_sa_mem && (slot) < (m)->max_sa)                                     \
			__atomic_fetch_add(&(m)->xsk_sa_mem[slot].field, (n), __ATOMIC_RELAXED); \
	} while (0)

#endif /* UDPESP_WK_COUNT_H */
