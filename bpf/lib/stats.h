/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Counting helpers: every drop has a reason, every reason a counter. */
#ifndef UDPESP_BPF_STATS_H
#define UDPESP_BPF_STATS_H

#include "maps.h"

static __always_inline void count(enum udpesp_counter reason)
{
	__u32 key = reason;
	__u64 *val = bpf_map_lookup_elem(&udpesp_stats, &key);

	/* Per-CPU slot: no other CPU writes it, no atomic needed. */
	if (val)
		*val += 1;
}

static __always_inline struct udpesp_sa_stats *sa_stats(const struct udpesp_sa *sa)
{
	__u32 slot = sa->slot;

	return bpf_map_lookup_elem(&udpesp_sa_stats, &slot);
}

#endif /* UDPESP_BPF_STATS_H */
