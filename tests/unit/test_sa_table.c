// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The handle and reference-count logic of udpespd's SA table, against an
 * in-memory data path that can be told to fail: adds that share a parser
 * entry, deletes with and without the parser, and failed adds that must
 * leave the data path exactly as it was.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>

#include "udpespd/sa_table.h"

#define FAKE_MAX 16

/* A data path in memory: what the maps would hold, plus failure knobs. */
struct fake_dp {
	struct udpesp_parser_key parsers[FAKE_MAX];
	int nparsers;
	struct udpesp_sa_key sas[FAKE_MAX];
	struct udpesp_sa vals[FAKE_MAX];
	int nsas;
	int fail_sa_add;		  /* -errno returned by the next sa_add */
	int fail_parser_add;		  /* -errno returned by the next parser_add */
	int events[16];			  /* count per event type */
	struct udpesp_ctl_event last[16]; /* the latest event of each type */
	int dying_marks;
	int writes;	   /* data-path calls, failed ones included */
	int commits;	   /* sa_table_ops.commit calls */
	int sas_at_commit; /* nsas when commit last ran */
	int changed;	   /* sa_changed calls (state file, kfunc peer) */
};

static int fake_parser_add(void *ctx, const struct udpesp_parser_key *key,
			   const struct udpesp_parser_val *val)
{
	struct fake_dp *dp = ctx;

	(void)val;
	dp->writes++;
	if (dp->fail_parser_add)
		return dp->fail_parser_add;
	cr_assert_lt(dp->nparsers, FAKE_MAX);
	dp->parsers[dp->nparsers++] = *key;
	return 0;
}

static int fake_parser_del(void *ctx, const struct udpesp_parser_key *key)
{
	struct fake_dp *dp = ctx;

	dp->writes++;
	for (int i = 0; i < dp->nparsers; i++) {
		if (!memcmp(&dp->parsers[i], key, sizeof(*key))) {
			dp->parsers[i] = dp->parsers[--dp->nparsers];
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_sa_add(void *ctx, const struct udpesp_sa_key *key, const struct udpesp_sa *sa,
		       __u32 window, __u64 top)
{
	struct fake_dp *dp = ctx;

	(void)window;
	(void)top;
	dp->writes++;
	if (dp->fail_sa_add)
		return dp->fail_sa_add;
	cr_assert_lt(dp->nsas, FAKE_MAX);
	dp->sas[dp->nsas] = *key;
	dp->vals[dp->nsas++] = *sa;
	return 0;
}

static int fake_find_sa(struct fake_dp *dp, const struct udpesp_sa_key *key)
{
	for (int i = 0; i < dp->nsas; i++)
		if (!memcmp(&dp->sas[i], key, sizeof(*key)))
			return i;
	return -1;
}

static int fake_sa_mark_dying(void *ctx, const struct udpesp_sa_key *key)
{
	struct fake_dp *dp = ctx;
	int i = fake_find_sa(dp, key);

	dp->writes++;
	if (i < 0)
		return -ENOENT;
	dp->vals[i].flags |= UDPESP_SA_F_DYING;
	dp->dying_marks++;
	return 0;
}

static int fake_sa_del(void *ctx, const struct udpesp_sa_key *key)
{
	struct fake_dp *dp = ctx;
	int i = fake_find_sa(dp, key);

	dp->writes++;
	if (i < 0)
		return -ENOENT;
	/* The table must mark an SA dying before deleting it. */
	cr_assert(dp->vals[i].flags & UDPESP_SA_F_DYING, "SA deleted without being marked dying");
	dp->nsas--;
	dp->sas[i] = dp->sas[dp->nsas];
	dp->vals[i] = dp->vals[dp->nsas];
	return 0;
}

static void fake_event(void *ctx, const struct udpesp_ctl_event *ev)
{
	struct fake_dp *dp = ctx;

	if (ev->type < 16) {
		dp->events[ev->type]++;
		dp->last[ev->type] = *ev;
	}
}

static void fake_commit(void *ctx)
{
	struct fake_dp *dp = ctx;

	dp->commits++;
	dp->sas_at_commit = dp->nsas;
}

static void fake_sa_changed(void *ctx, const struct sa_entry *e)
{
	(void)e;
	((struct fake_dp *)ctx)->changed++;
}

static const struct sa_table_ops fake_ops = {
	.parser_add = fake_parser_add,
	.parser_del = fake_parser_del,
	.sa_add = fake_sa_add,
	.sa_mark_dying = fake_sa_mark_dying,
	.sa_del = fake_sa_del,
	.commit = fake_commit,
	.event = fake_event,
	.sa_changed = fake_sa_changed,
};

static struct fake_dp dp;
static struct sa_table table;

static void setup(void)
{
	memset(&dp, 0, sizeof(dp));
	cr_assert_eq(sa_table_init(&table, 4, &fake_ops, &dp), 0);
}

static void teardown(void)
{
	sa_table_fini(&table);
}

/* An inbound AES-GCM-128 SA on UDP/4500, as `sa add` would send it. */
static struct udpesp_ctl_sa inbound(__u32 spi, const char *dst)
{
	struct udpesp_ctl_sa sa = {
		.dir = UDPESP_DIR_IN,
		.mode = UDPESP_MODE_TUNNEL,
		.encap = UDPESP_ENCAP_ESPINUDP,
		.spi = htonl(spi),
		.encap_sport = htons(4500),
		.encap_dport = htons(4500),
		.replay_window = 64,
	};

	sa.src.family = UDPESP_AF_INET;
	inet_pton(AF_INET, "198.51.100.7", sa.src.addr);
	sa.dst.family = UDPESP_AF_INET;
	inet_pton(AF_INET, dst, sa.dst.addr);
	strcpy(sa.aead.name, "rfc4106(gcm(aes))");
	sa.aead.key_len = 20;
	sa.aead.bits = 128;
	memset(sa.aead.key, 0x5a, sa.aead.key_len);
	return sa;
}

TestSuite(sa_table, .init = setup, .fini = teardown);

Test(sa_table, inbound_add_creates_parser_and_returns_both_handles)
{
	struct udpesp_ctl_sa sa = inbound(0x1001, "192.0.2.1");
	struct udpesp_ctl_handles h;
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.handle, 1);
	cr_assert_eq(h.parser, 1);
	cr_assert_eq(dp.nsas, 1);
	cr_assert_eq(dp.nparsers, 1);
	cr_assert_eq(ntohs(dp.parsers[0].port), 4500);
	cr_assert_eq(dp.vals[0].handle, 1);
	cr_assert_eq(dp.vals[0].parser, 1);
	cr_assert_eq(dp.vals[0].backend, UDPESP_BACKEND_XSK);
	cr_assert_eq(dp.events[UDPESP_EV_SA_ADDED], 1);
	cr_assert_eq(dp.events[UDPESP_EV_PARSER_ADDED], 1);
	cr_assert_eq(sa_table_parser(&table, 1)->users, 1);
}

Test(sa_table, second_inbound_sa_shares_the_parser_entry)
{
	struct udpesp_ctl_sa sa[2] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1") };
	struct udpesp_ctl_handles h[2];
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, &sa[0], 1, &h[0], err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_add(&table, &sa[1], 1, &h[1], err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h[1].handle, 2);
	cr_assert_eq(h[1].parser, h[0].parser);
	cr_assert_eq(dp.nparsers, 1);
	cr_assert_eq(sa_table_parser(&table, h[0].parser)->users, 2);
	cr_assert_neq(dp.vals[0].slot, dp.vals[1].slot);
}

Test(sa_table, explicit_parser_handle_reused_and_unknown_refused)
{
	struct udpesp_ctl_sa a = inbound(0x1001, "192.0.2.1"), b = inbound(0x1002, "192.0.2.2");
	struct udpesp_ctl_handles h;
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, &a, 1, &h, err, sizeof(err)), 0, "%s", err);
	b.parser = 7;
	cr_assert_eq(sa_table_add(&table, &b, 1, &h, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "parser entry 7 does not exist"), "%s", err);
	cr_assert_eq(dp.nsas, 1);
	b.parser = 1;
	cr_assert_eq(sa_table_add(&table, &b, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.parser, 1);
}

Test(sa_table, duplicate_dst_spi_names_the_handle)
{
	struct udpesp_ctl_sa sa = inbound(0x1001, "192.0.2.1");
	struct udpesp_ctl_handles h;
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "dst 192.0.2.1 spi 0x1001 already exists (handle 1)"), "%s", err);
	cr_assert_eq(dp.nsas, 1);
}

Test(sa_table, delete_keeps_parser_unless_asked_and_unused)
{
	struct udpesp_ctl_sa sa[2] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1") };
	struct udpesp_ctl_sa_del sel = { .handle = 1, .parser = 1 };
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h[2];
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, sa, 2, h, err, sizeof(err)), 0, "%s", err);
	/* The parser entry is still used by SA 2: it stays, and we are told so. */
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.deleted, 1);
	cr_assert_eq(res.parser_gone, 0);
	cr_assert_eq(res.parser_users, 1);
	cr_assert_eq(dp.nsas, 1);
	cr_assert_eq(dp.nparsers, 1);
	cr_assert_eq(dp.dying_marks, 1);
	/* Without `parser`, the last SA goes and the entry stays. */
	sel.handle = 2;
	sel.parser = 0;
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp.nsas, 0);
	cr_assert_eq(dp.nparsers, 1);
	cr_assert_eq(sa_table_parser(&table, 1)->users, 0);
}

Test(sa_table, delete_with_parser_removes_the_unused_entry)
{
	struct udpesp_ctl_sa sa = inbound(0x1001, "192.0.2.1");
	struct udpesp_ctl_sa_del sel = { .handle = 1, .parser = 1 };
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h;
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.parser_gone, 1);
	cr_assert_eq(dp.nparsers, 0);
	cr_assert_null(sa_table_parser(&table, 1));
	cr_assert_eq(dp.events[UDPESP_EV_PARSER_REMOVED], 1);
}

Test(sa_table, delete_by_dst_and_spi)
{
	struct udpesp_ctl_sa sa = inbound(0x2002, "192.0.2.9");
	struct udpesp_ctl_sa_del sel = { .spi = htonl(0x2002) };
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h;
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	sel.dst.family = UDPESP_AF_INET;
	inet_pton(AF_INET, "192.0.2.8", sel.dst.addr);
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "no SA with dst 192.0.2.8 spi 0x2002"), "%s", err);
	inet_pton(AF_INET, "192.0.2.9", sel.dst.addr);
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp.nsas, 0);
}

Test(sa_table, failed_datapath_add_rolls_back_the_new_parser)
{
	struct udpesp_ctl_sa sa = inbound(0x1001, "192.0.2.1");
	struct udpesp_ctl_handles h;
	char err[256] = "";

	dp.fail_sa_add = -ENOMEM;
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), -ENOMEM);
	cr_assert_eq(dp.nsas, 0);
	cr_assert_eq(dp.nparsers, 0, "parser entry created for the failed add must go");
	cr_assert_eq(table.count, 0);
	cr_assert_eq(table.nfree, 4, "slot must be returned");
	/* And the table still works afterwards, handles unspent. */
	dp.fail_sa_add = 0;
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.handle, 1);
}

Test(sa_table, failed_parser_add_installs_nothing)
{
	struct udpesp_ctl_sa sa = inbound(0x1001, "192.0.2.1");
	struct udpesp_ctl_handles h;
	char err[256] = "";

	dp.fail_parser_add = -E2BIG;
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), -E2BIG);
	cr_assert_eq(dp.nsas, 0);
	cr_assert_eq(dp.nparsers, 0);
	cr_assert(strstr(err, "parser entry for port 4500"), "%s", err);
}

Test(sa_table, failed_batch_is_rolled_back_whole)
{
	struct udpesp_ctl_sa sa[3] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1001, "192.0.2.1") /* duplicate */ };
	struct udpesp_ctl_handles h[3];
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, sa, 3, h, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "SA 3: "), "%s", err);
	cr_assert_eq(dp.nsas, 0);
	cr_assert_eq(dp.nparsers, 0);
	cr_assert_eq(table.count, 0);
}

Test(sa_table, full_table_says_size_and_how_to_raise_it)
{
	struct udpesp_ctl_handles h;
	char err[256] = "";

	for (__u32 i = 0; i < 4; i++) {
		struct udpesp_ctl_sa sa = inbound(0x1000 + i, "192.0.2.1");

		cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	}
	struct udpesp_ctl_sa extra = inbound(0x2000, "192.0.2.1");

	cr_assert_eq(sa_table_add(&table, &extra, 1, &h, err, sizeof(err)), -ENOSPC);
	cr_assert(strstr(err, "SA table full (4 SAs)"), "%s", err);
	cr_assert(strstr(err, "--max-sa"), "%s", err);
}

Test(sa_table, outbound_sa_ignores_parser_and_datapath)
{
	struct udpesp_ctl_sa sa = inbound(0x3003, "198.51.100.7");
	struct udpesp_ctl_handles h;
	char err[256] = "";

	sa.dir = UDPESP_DIR_OUT;
	sa.replay_window = 0; /* only receivers keep a window */
	sa.parser = 99;	      /* ignored for outbound, as the Windows request does */
	inet_pton(AF_INET, "192.0.2.1", sa.src.addr);
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.parser, 0);
	cr_assert_eq(dp.nsas, 0);
	cr_assert_eq(dp.nparsers, 0);
}

Test(sa_table, flush_and_link_gone_remove_everything_bound)
{
	struct udpesp_ctl_sa a = inbound(0x1001, "192.0.2.1"), b = inbound(0x1002, "192.0.2.1");
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h;
	char err[256] = "";

	a.ifindex = 5;
	cr_assert_eq(sa_table_add(&table, &a, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_add(&table, &b, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp.nparsers, 2, "one entry per interface");
	cr_assert_eq(sa_table_link_gone(&table, 5), 0);
	cr_assert_eq(dp.nsas, 1);
	cr_assert_eq(dp.nparsers, 1);
	cr_assert_eq(dp.events[UDPESP_EV_LINK_GONE], 1);
	cr_assert_eq(sa_table_flush(&table, &res), 0);
	cr_assert_eq(res.deleted, 1);
	cr_assert_eq(res.parser_gone, 1);
	cr_assert_eq(dp.nsas, 0);
	cr_assert_eq(dp.nparsers, 0);
}

/* Nothing written, nothing announced: the data path as before the request. */
static void assert_untouched(void)
{
	cr_assert_eq(dp.writes, 0, "a refused batch made %d data-path writes", dp.writes);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(dp.events[i], 0, "a refused batch raised event %d", i);
}

Test(sa_table, refused_batch_never_touches_the_datapath)
{
	struct udpesp_ctl_sa sa[3] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1003, "192.0.2.1") };
	struct udpesp_ctl_handles h[3];
	char err[256] = "";

	/* The second needs a parser entry of its own, the third is invalid. */
	sa[1].encap_dport = htons(4501);
	sa[2].replay_window = 5000;
	cr_assert_eq(sa_table_add(&table, sa, 3, h, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "SA 3: replay-window 5000 exceeds 4096"), "%s", err);
	assert_untouched();
	cr_assert_eq(table.count, 0);
	cr_assert_eq(table.nfree, 4);
	/* Handles are not spent by a refused batch. */
	sa[2].replay_window = 64;
	cr_assert_eq(sa_table_add(&table, sa, 3, h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h[0].handle, 1);
	cr_assert_eq(h[2].handle, 3);
	cr_assert_eq(h[1].parser, 2);
}

Test(sa_table, duplicate_inside_a_batch_names_both_places)
{
	/* B repeats at 4 and A at 5: the first repeat in batch order is reported. */
	struct udpesp_ctl_sa sa[5] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1003, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1001, "192.0.2.1") };
	struct udpesp_ctl_handles h[5];
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, sa, 5, h, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err,
			 "SA 4: an SA with dst 192.0.2.1 spi 0x1002 is also SA 2 of this batch"),
		  "%s", err);
	assert_untouched();
	/* Same SPI, other destination: no conflict. */
	sa[3] = inbound(0x1002, "192.0.2.2");
	sa[4] = inbound(0x1001, "192.0.2.2");
	cr_assert_eq(sa_table_add(&table, sa, 4, h, err, sizeof(err)), 0, "%s", err);
}

Test(sa_table, batch_larger_than_the_free_slots_installs_nothing)
{
	struct udpesp_ctl_sa sa[3] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1003, "192.0.2.1") };
	struct udpesp_ctl_handles h[3];
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, sa, 2, h, err, sizeof(err)), 0, "%s", err);
	memset(&dp.events, 0, sizeof(dp.events));
	dp.writes = 0;
	sa[0] = inbound(0x1004, "192.0.2.1");
	sa[1] = inbound(0x1005, "192.0.2.1");
	cr_assert_eq(sa_table_add(&table, sa, 3, h, err, sizeof(err)), -ENOSPC);
	cr_assert(strstr(err,
			 "SA 3: SA table full (4 SAs); restart udpespd with a larger --max-sa"),
		  "%s", err);
	assert_untouched();
	cr_assert_eq(table.count, 2);
}

Test(sa_table, parser_events_carry_the_port)
{
	struct udpesp_ctl_sa sa = inbound(0x1001, "192.0.2.1");
	struct udpesp_ctl_sa_del sel = { .handle = 1, .parser = 1 };
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h;
	char err[256] = "";

	sa.encap_dport = htons(4501);
	sa.ifindex = 3;
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ntohs(dp.last[UDPESP_EV_PARSER_ADDED].port), 4501);
	cr_assert_eq(dp.last[UDPESP_EV_PARSER_ADDED].handle, 1);
	cr_assert_eq(dp.last[UDPESP_EV_PARSER_ADDED].ifindex, 3);
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ntohs(dp.last[UDPESP_EV_PARSER_REMOVED].port), 4501);
	cr_assert_eq(dp.last[UDPESP_EV_PARSER_REMOVED].handle, 1);
}

/* sa_table_for_each_due() callback: a bit per handle visited. */
static int mark_due(const struct sa_entry *e, void *arg)
{
	*(unsigned int *)arg |= 1u << e->handle;
	return 0;
}

static unsigned int due_at(time_t now)
{
	unsigned int seen = 0;

	cr_assert_eq(sa_table_for_each_due(&table, now, mark_due, &seen), 0);
	return seen;
}

Test(sa_table, lifetime_scan_visits_only_sas_that_can_be_due)
{
	struct udpesp_ctl_sa sa[3] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1003, "192.0.2.1") };
	struct udpesp_ctl_sa_del sel = { .handle = 2 };
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h[3];
	struct sa_entry *e;
	char err[256] = "";
	time_t t0;

	/* 1: no limits; 2: time-soft 10 s, time-hard 20 s; 3: byte-hard. */
	sa[1].limits[UDPESP_LIMIT_TIME_SOFT] = 10;
	sa[1].limits[UDPESP_LIMIT_TIME_HARD] = 20;
	sa[2].limits[UDPESP_LIMIT_BYTE_HARD] = 1000;
	cr_assert_eq(sa_table_add(&table, sa, 3, h, err, sizeof(err)), 0, "%s", err);
	e = sa_table_find(&table, &sel);
	cr_assert_not_null(e);
	t0 = e->add_time;

	/* Byte limits follow the traffic: looked at on every scan. */
	cr_assert_eq(due_at(t0), 1u << 3);
	cr_assert_eq(due_at(t0 + 9), 1u << 3);
	cr_assert_eq(due_at(t0 + 10), 1u << 2 | 1u << 3);
	/* Once soft-expired, only the hard limit brings it back. */
	e->soft_expired = true;
	sa_table_life_update(&table, e);
	cr_assert_eq(due_at(t0 + 19), 1u << 3);
	cr_assert_eq(due_at(t0 + 20), 1u << 2 | 1u << 3);
	/* Never the SA without limits; never a deleted one. */
	sel.handle = 3;
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(due_at(t0 + 1000000), 1u << 2);
}

/* A batch is one change for the data path: one commit, after all of it. */
Test(sa_table, commit_once_per_request_after_its_changes)
{
	struct udpesp_ctl_sa sa[3] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1003, "192.0.2.1") };
	struct udpesp_ctl_handles h[3];
	struct udpesp_ctl_sa_del sel = { .handle = 0 };
	struct udpesp_ctl_del_result res;
	char err[256];

	cr_assert_eq(sa_table_add(&table, sa, 3, h, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(dp.commits, 1);
	cr_expect_eq(dp.sas_at_commit, 3, "commit ran before the batch was in");
	sel.handle = h[1].handle;
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(dp.commits, 2);
	cr_expect_eq(dp.sas_at_commit, 2);
	/* A refused add is a request too: whatever it undid is published. */
	cr_assert_neq(sa_table_add(&table, sa, 1, h, err, sizeof(err)), 0);
	cr_expect_eq(dp.commits, 3);
	cr_assert_eq(sa_table_flush(&table, &res), 0);
	cr_expect_eq(dp.commits, 4);
	cr_expect_eq(dp.sas_at_commit, 0);
}

static struct udpesp_ctl_addr addr4(const char *s)
{
	struct udpesp_ctl_addr a = { .family = UDPESP_AF_INET, .prefixlen = 32 };

	inet_pton(AF_INET, s, a.addr);
	return a;
}

/*
 * A NAT rebinding moves an outbound SA to the peer's new address: the
 * table must find it there afterwards, and its old (dst, spi) must be
 * free. udpespd wrote cfg.dst in place before sa_table_move(), leaving the
 * SA in its old hash bucket: found under neither key, unlinked from the
 * wrong bucket on delete.
 */
Test(sa_table, move_reindexes_an_outbound_sa_under_its_new_dst)
{
	struct udpesp_ctl_sa a = inbound(0x3003, "198.51.100.7"), b;
	struct udpesp_ctl_addr to = addr4("198.51.100.9"), none = { 0 };
	struct udpesp_ctl_sa_del old_key = { .spi = htonl(0x3003), .dst = addr4("198.51.100.7") };
	struct udpesp_ctl_sa_del new_key = { .spi = htonl(0x3003), .dst = to };
	struct udpesp_ctl_sa_del by_handle = { 0 };
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h, hb;
	struct sa_entry *e;
	char err[256] = "";

	a.dir = UDPESP_DIR_OUT;
	a.replay_window = 0;
	inet_pton(AF_INET, "192.0.2.1", a.src.addr);
	b = a;
	cr_assert_eq(sa_table_add(&table, &a, 1, &h, err, sizeof(err)), 0, "%s", err);
	e = sa_table_find(&table, &old_key);
	cr_assert_not_null(e);
	cr_assert_eq(sa_table_move(&table, e, &none, &to, 0, htons(4501), err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(sa_table_find(&table, &new_key), e, "found under its new dst");
	cr_assert_null(sa_table_find(&table, &old_key), "its old key is free");
	cr_assert_eq(ntohs(e->cfg.encap_dport), 4501);
	cr_assert_eq(ntohs(e->cfg.encap_sport), 4500, "port 0: unchanged");
	cr_assert_eq(e->handle, h.handle, "the handle stays");

	/* The old key can be used again, and both delete cleanly. */
	cr_assert_eq(sa_table_add(&table, &b, 1, &hb, err, sizeof(err)), 0, "%s", err);
	by_handle.handle = h.handle;
	cr_assert_eq(sa_table_del(&table, &by_handle, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(sa_table_find(&table, &new_key));
	cr_assert_eq(sa_table_find(&table, &old_key)->handle, hb.handle);
	cr_assert_eq(sa_table_del(&table, &old_key, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(table.count, 0);
}

Test(sa_table, move_refuses_what_would_change_a_lookup_key_it_cannot)
{
	struct udpesp_ctl_sa in = inbound(0x1001, "192.0.2.1"),
			     out = inbound(0x2002, "198.51.100.7");
	struct udpesp_ctl_sa other = inbound(0x2002, "198.51.100.9");
	struct udpesp_ctl_addr none = { 0 }, v6 = { .family = UDPESP_AF_INET6, .prefixlen = 128 };
	struct udpesp_ctl_addr peer = addr4("198.51.100.77"), local = addr4("192.0.2.2");
	struct udpesp_ctl_addr taken = addr4("198.51.100.9");
	struct udpesp_ctl_sa_del sel = { 0 };
	struct udpesp_ctl_handles h[3];
	struct sa_entry *ein, *eout;
	char err[256] = "";

	out.dir = other.dir = UDPESP_DIR_OUT;
	out.replay_window = other.replay_window = 0;
	cr_assert_eq(sa_table_add(&table, &in, 1, &h[0], err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_add(&table, &out, 1, &h[1], err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_add(&table, &other, 1, &h[2], err, sizeof(err)), 0, "%s", err);
	sel.handle = h[0].handle;
	ein = sa_table_find(&table, &sel);
	sel.handle = h[1].handle;
	eout = sa_table_find(&table, &sel);

	/* inbound: the peer may move (src, sport), not this host's side */
	cr_assert_eq(sa_table_move(&table, ein, &peer, &none, htons(1234), 0, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(ntohs(ein->cfg.encap_sport), 1234);
	cr_assert_eq(ein->cfg.src.addr[0], peer.addr[0]);
	/* Told, so the state file keeps it (an SA_UPDATE was lost on restart). */
	cr_assert_eq(dp.changed, 1);
	cr_assert_eq(sa_table_move(&table, ein, &none, &local, 0, 0, err, sizeof(err)),
		     -EOPNOTSUPP);
	cr_assert(strstr(err, "lookup key"), "%s", err);
	cr_assert_eq(sa_table_move(&table, ein, &none, &none, 0, htons(4501), err, sizeof(err)),
		     -EOPNOTSUPP);
	cr_assert(strstr(err, "parser entry"), "%s", err);
	cr_assert_eq(sa_table_move(&table, eout, &none, &v6, 0, 0, err, sizeof(err)),
		     -EAFNOSUPPORT);
	cr_assert(strstr(err, "address family"), "%s", err);
	cr_assert_eq(sa_table_move(&table, eout, &none, &taken, 0, 0, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "already has dst and spi 0x2002"), "%s", err);
	cr_assert_eq(eout->cfg.dst.addr[0], out.dst.addr[0], "a refused move changes nothing");
	cr_assert_eq(dp.changed, 1, "a refused move was reported as a change");
}

struct walk_seen {
	unsigned int mask, calls, pause_every;
};

/* sa_table_walk() callback: a bit per handle; asks to pause now and then. */
static int walk_mark(const struct sa_entry *e, void *arg)
{
	struct walk_seen *w = arg;

	cr_assert_eq(w->mask & (1u << e->handle), 0, "handle %u seen twice", e->handle);
	w->mask |= 1u << e->handle;
	w->calls++;
	return w->pause_every && w->calls % w->pause_every == 0 ? 1 : 0;
}

/* A dump in steps sees every SA once, as one walk does. */
Test(sa_table, walk_in_steps_sees_every_sa_once)
{
	struct udpesp_ctl_sa sa[4] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1003, "192.0.2.1"), inbound(0x1004, "192.0.2.1") };
	struct udpesp_ctl_handles h[4];
	struct walk_seen whole = { 0 }, steps = { .pause_every = 1 };
	char err[256] = "";
	__u32 pos = 0;
	int ret, n = 0;

	cr_assert_eq(sa_table_add(&table, sa, 4, h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_walk(&table, &pos, walk_mark, &whole), 0);
	cr_assert_eq(whole.mask, 0x1e);
	pos = 0;
	while ((ret = sa_table_walk(&table, &pos, walk_mark, &steps)) == 1)
		n++;
	cr_assert_eq(ret, 0);
	cr_assert_eq(steps.mask, 0x1e);
	cr_assert_eq(steps.calls, 4);
	cr_assert_geq(n, 1, "the walk paused");
	/* A finished walk stays finished. */
	cr_assert_eq(sa_table_walk(&table, &pos, walk_mark, &steps), 0);
	cr_assert_eq(steps.calls, 4);
}

/* ---- keeping SAs for a later udpespd (issue 16) ---- */

static int persist_fail; /* -errno for the next sa_persist */
static int persisted, forgotten;

static int fake_persist(void *ctx, struct sa_entry *e, char *err, size_t errlen)
{
	(void)ctx;
	(void)e;
	if (persist_fail) {
		snprintf(err, errlen, "keeping the SA's keys in the kernel keyring: quota");
		return persist_fail;
	}
	persisted++;
	return 0;
}

static void fake_forget(void *ctx, struct sa_entry *e)
{
	(void)ctx;
	(void)e;
	forgotten++;
}

static const struct sa_table_ops persist_ops = {
	.parser_add = fake_parser_add,
	.parser_del = fake_parser_del,
	.sa_add = fake_sa_add,
	.sa_mark_dying = fake_sa_mark_dying,
	.sa_del = fake_sa_del,
	.commit = fake_commit,
	.event = fake_event,
	.sa_persist = fake_persist,
	.sa_forget = fake_forget,
};

static void persist_setup(void)
{
	memset(&dp, 0, sizeof(dp));
	persist_fail = persisted = forgotten = 0;
	cr_assert_eq(sa_table_init(&table, 4, &persist_ops, &dp), 0);
}

TestSuite(sa_table_persist, .init = persist_setup, .fini = teardown);

/* A store that refuses (EDQUOT) fails the add with nothing half-installed. */
Test(sa_table_persist, refused_store_fails_the_add_cleanly)
{
	struct udpesp_ctl_sa sa = inbound(0x1001, "192.0.2.1");
	struct udpesp_ctl_handles h = { 0 };
	char err[256] = "";

	persist_fail = -EDQUOT;
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), -EDQUOT);
	cr_assert(strstr(err, "keyring"), "%s", err);
	cr_assert_eq(dp.nsas, 0, "SA left in the data path");
	cr_assert_eq(dp.nparsers, 0, "parser entry left in the data path");
	cr_assert_eq(table.count, 0);
	cr_assert_eq(dp.events[UDPESP_EV_SA_ADDED], 0);
	persist_fail = 0;
	cr_assert_eq(sa_table_add(&table, &sa, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.handle, 1, "the refused add used up a handle");
	cr_assert_eq(persisted, 1);
}

/* Deletes and flushes forget what was kept; sa_table_fini() (exit) does not. */
Test(sa_table_persist, delete_and_flush_forget_exit_keeps)
{
	struct udpesp_ctl_sa sa[3] = { inbound(0x1001, "192.0.2.1"), inbound(0x1002, "192.0.2.1"),
				       inbound(0x1003, "192.0.2.1") };
	struct udpesp_ctl_sa_del sel = { .handle = 1 };
	struct udpesp_ctl_del_result res;
	struct udpesp_ctl_handles h[3];
	char err[256] = "";

	cr_assert_eq(sa_table_add(&table, sa, 3, h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(persisted, 3);
	cr_assert_eq(sa_table_del(&table, &sel, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(forgotten, 1);
	cr_assert_eq(sa_table_flush(&table, &res), 0);
	cr_assert_eq(forgotten, 3);
	cr_assert_eq(sa_table_add(&table, sa, 1, h, err, sizeof(err)), 0, "%s", err);
	sa_table_fini(&table);
	cr_assert_eq(forgotten, 3, "exit forgot a kept SA");
	cr_assert_eq(sa_table_init(&table, 4, &persist_ops, &dp), 0);
}

/* An adopted SA keeps handle, slot, generation and parser; new ones go on from there. */
Test(sa_table_persist, adopt_keeps_handles_and_slots)
{
	struct udpesp_ctl_sa cfg = inbound(0x1001, "192.0.2.1"),
			     next = inbound(0x1002, "192.0.2.1");
	struct udpesp_parser_key pk = { .port = htons(4500), .family = UDPESP_AF_INET };
	struct udpesp_parser_val pv = { .handle = 3, .encap = UDPESP_ENCAP_ESPINUDP };
	struct sa_table_adopt a = { .handle = 7,
				    .slot = 2,
				    .gen = 5,
				    .parser = 3,
				    .backend = UDPESP_BACKEND_XSK,
				    .add_time = 1000,
				    .cfg = &cfg };
	struct udpesp_ctl_sa_del sel = { .handle = 7 };
	struct udpesp_ctl_handles h;
	struct sa_entry *e;
	char err[256] = "";

	cfg.parser = 3;
	cr_assert_eq(sa_table_adopt_parser(&table, &pk, &pv), 0);
	cr_assert_eq(sa_table_adopt_sa(&table, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sa_table_adopt_sa(&table, &a, err, sizeof(err)), -EEXIST);
	sa_table_adopt_done(&table, 9, 4);
	e = sa_table_find(&table, &sel);
	cr_assert_not_null(e);
	cr_assert_eq(e->slot, 2);
	cr_assert_eq(e->gen, 5);
	cr_assert_eq(e->add_time, 1000);
	cr_assert_eq(sa_table_parser(&table, 3)->users, 1);
	cr_assert_eq(dp.nsas, 0, "adoption wrote the maps");
	cr_assert_eq(persisted, 0);
	cr_assert_eq(sa_table_add(&table, &next, 1, &h, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.handle, 9);
	cr_assert_eq(h.parser, 3);
	cr_assert_neq(dp.vals[0].slot, 2, "the adopted slot was given again");
}
