/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SA lifetimes (RFC 4301 4.4.2.1): soft limits mark the SA and tell the
 * monitors once, hard limits tell them and remove the SA. Time limits
 * count from the add, byte and packet limits from the data path's
 * counters. Events leave through the callback the daemon registered.
 */
#ifndef UDPESP_LIFETIME_H
#define UDPESP_LIFETIME_H

#include <stdbool.h>
#include <linux/types.h>
#include <udpesp/ctl.h>

#include "common/maps.h"
#include "sa_table.h"

struct lifetime {
	struct sa_table *table;
	const struct udpesp_maps *maps;
	void (*event)(void *ctx, const struct udpesp_ctl_event *ev);
	void *ctx;
};

void lifetime_init(struct lifetime *lt, struct sa_table *table, const struct udpesp_maps *maps,
		   void (*event)(void *ctx, const struct udpesp_ctl_event *ev), void *ctx);
/*
 * Soft: mark the SA and report it (once); hard: report it and remove the
 * SA. limit is an UDPESP_LIMIT_* index; why goes to the log.
 */
void lifetime_expire(struct lifetime *lt, __u32 handle, bool hard, __u8 limit, const char *why);
/* Once a second: expire the SAs whose limits are reached. */
void lifetime_check(struct lifetime *lt);

#endif /* UDPESP_LIFETIME_H */
