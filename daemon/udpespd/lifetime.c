// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* SA lifetimes (see lifetime.h). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "lifetime.h"

struct lifetime_expiry {
	__u32 handle;
	__u8 limit;
	bool hard;
};

struct lifetime_scan {
	struct lifetime *lt;
	time_t now;
	struct lifetime_expiry *found;
	size_t n, cap;
};

void lifetime_init(struct lifetime *lt, struct sa_table *table, const struct udpesp_maps *maps,
		   void (*event)(void *ctx, const struct udpesp_ctl_event *ev), void *ctx)
{
	*lt = (struct lifetime){ .table = table, .maps = maps, .event = event, .ctx = ctx };
}

static bool lifetime_over(__u64 limit, __u64 value)
{
	return limit && value >= limit;
}

/* The first limit reached, hard ones first; -1 if none. */
static int lifetime_limit_reached(const __u64 *lim, __u64 secs, __u64 bytes, __u64 packets,
				  bool *hard)
{
	static const struct {
		int idx;
		bool hard;
		int what; /* 0 time, 1 bytes, 2 packets */
	} order[] = {
		{ UDPESP_LIMIT_TIME_HARD, true, 0 },   { UDPESP_LIMIT_BYTE_HARD, true, 1 },
		{ UDPESP_LIMIT_PACKET_HARD, true, 2 }, { UDPESP_LIMIT_TIME_SOFT, false, 0 },
		{ UDPESP_LIMIT_BYTE_SOFT, false, 1 },  { UDPESP_LIMIT_PACKET_SOFT, false, 2 },
	};
	const __u64 values[] = { secs, bytes, packets };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (lifetime_over(lim[order[i].idx], values[order[i].what])) {
			*hard = order[i].hard;
			return order[i].idx;
		}
	}
	return -1;
}

static int lifetime_scan_one(const struct sa_entry *e, void *arg)
{
	struct lifetime_scan *s = arg;
	struct udpesp_sa_stats st = { 0 };
	const __u64 *lim = e->cfg.limits;
	bool any = false, counted, hard;
	int idx;

	for (int i = 0; i < UDPESP_LIMIT_MAX; i++)
		any |= lim[i] != 0;
	if (!any)
		return 0;
	/*
	 * Counters cost syscalls: read them only for byte and packet limits,
	 * or time lifetimes alone (what IKE daemons set) make a scan of
	 * 1,000,000 SAs take seconds, every second.
	 */
	counted = lim[UDPESP_LIMIT_BYTE_SOFT] || lim[UDPESP_LIMIT_BYTE_HARD] ||
		  lim[UDPESP_LIMIT_PACKET_SOFT] || lim[UDPESP_LIMIT_PACKET_HARD];
	if (counted)
		udpesp_maps_sa_stats(s->lt->maps, e->slot, &st);
	idx = lifetime_limit_reached(e->cfg.limits, s->now - e->add_time, st.bytes, st.packets,
				     &hard);
	if (idx < 0 || (!hard && e->soft_expired))
		return 0;
	if (array_reserve((void **)&s->found, s->n, &s->cap, sizeof(*s->found)))
		return -ENOMEM;
	s->found[s->n++] = (struct lifetime_expiry){ e->handle, idx, hard };
	return 0;
}

void lifetime_expire(struct lifetime *lt, __u32 handle, bool hard, __u8 limit, const char *why)
{
	struct udpesp_ctl_sa_del sel = { .handle = handle };
	struct sa_entry *e = sa_table_find(lt->table, &sel);
	struct udpesp_ctl_event ev = {
		.type = hard ? UDPESP_EV_SA_HARD_EXPIRED : UDPESP_EV_SA_SOFT_EXPIRED,
		.handle = handle,
		.limit = limit,
		.time = time(NULL),
	};
	struct udpesp_ctl_del_result res;
	char err[UDPESP_CTL_ERRMSG_MAX];

	if (!e || (!hard && e->soft_expired))
		return;
	ev.spi = e->cfg.spi;
	ev.addr = e->cfg.dst;
	ev.ifindex = e->cfg.ifindex;
	if (!hard) {
		e->soft_expired = true;
		sa_table_life_update(lt->table, e);
		pr_info("SA %u soft-expired: %s", handle, why);
		lt->event(lt->ctx, &ev);
		return;
	}
	pr_info("SA %u hard-expired (%s): removing it", handle, why);
	lt->event(lt->ctx, &ev);
	if (sa_table_del(lt->table, &sel, &res, err, sizeof(err)))
		pr_warn("removing expired SA %u: %s", handle, err);
}

void lifetime_check(struct lifetime *lt)
{
	struct lifetime_scan s = { .lt = lt, .now = time(NULL) };

	/*
	 * Only the SAs that can be due: with 1,000,000 SAs a walk of them
	 * all took a quarter of a CPU, every second, on this thread.
	 * Collect first: expiring an SA changes the table being walked.
	 */
	sa_table_for_each_due(lt->table, s.now, lifetime_scan_one, &s);
	for (size_t i = 0; i < s.n; i++)
		lifetime_expire(lt, s.found[i].handle, s.found[i].hard, s.found[i].limit,
				"lifetime reached");
	free(s.found);
}
