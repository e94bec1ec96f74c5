/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * udpespd's SA and parser-entry table: handles as the Windows "add/delete
 * UDP-ESP SA" requests define them, parser entries reference-counted by
 * their inbound SAs, and adds that are all-or-nothing. The data path is
 * reached only through struct sa_table_ops, so the logic (and its
 * rollback on failure) is tested without BPF.
 */
#ifndef UDPESP_SA_TABLE_H
#define UDPESP_SA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include <udpesp/abi.h>
#include <udpesp/ctl.h>

#include "common/sa_check.h"

struct sa_entry;

/* How the table writes the data path (udpesp maps in udpespd). 0 or -errno. */
struct sa_table_ops {
	int (*parser_add)(void *ctx, const struct udpesp_parser_key *key,
			  const struct udpesp_parser_val *val);
	int (*parser_del)(void *ctx, const struct udpesp_parser_key *key);
	int (*sa_add)(void *ctx, const struct udpesp_sa_key *key, const struct udpesp_sa *sa,
		      __u32 window, __u64 top);
	int (*sa_mark_dying)(void *ctx, const struct udpesp_sa_key *key);
	int (*sa_del)(void *ctx, const struct udpesp_sa_key *key);
	/*
	 * Whether an SA can use the in-kernel (kfunc) backend: 0, or
	 * -errno with the reason in err. NULL: never.
	 */
	int (*kfunc_ok)(void *ctx, const struct udpesp_ctl_sa *cfg, const struct esp_suite *suite,
			char *err, size_t errlen);
	/*
	 * Give the SA (either direction) to the packet workers before it is
	 * published in the maps, and take it back after it left them: the
	 * workers keep their own per-SA state in e->rt. May be NULL.
	 */
	int (*sa_attach)(void *ctx, struct sa_entry *e);
	void (*sa_detach)(void *ctx, struct sa_entry *e);
	/*
	 * Once at the end of every add, delete, flush or link removal, after
	 * its attaches and detaches: publish what they changed. May be NULL.
	 */
	void (*commit)(void *ctx);
	/*
	 * Keep the SA (and its keys) for a later udpespd, after it entered
	 * the data path and before its add is answered: a failure undoes
	 * the add (err says why). Forget it when it is deleted. May be NULL.
	 */
	int (*sa_persist)(void *ctx, struct sa_entry *e, char *err, size_t errlen);
	void (*sa_forget)(void *ctx, struct sa_entry *e);
	/* Its soft_expired flag or NAT mapping changed. May be NULL. */
	void (*sa_changed)(void *ctx, const struct sa_entry *e);
	/* Told of every change, for `udpespctl monitor`. May be NULL. */
	void (*event)(void *ctx, const struct udpesp_ctl_event *ev);
};

struct parser_entry {
	__u32 handle;
	__u32 users; /* inbound SAs referencing it */
	struct udpesp_parser_key key;
	__u8 encap;
	struct parser_entry *next;
};

struct sa_entry {
	__u32 handle;
	__u32 slot;
	__u32 parser; /* handle, 0 for outbound */
	__u32 gen;
	struct udpesp_ctl_sa cfg; /* holds keys: wiped when the SA goes */
	struct esp_suite suite;
	__u8 backend; /* enum udpesp_backend (cfg.offload says the same) */
	time_t add_time;
	bool soft_expired;
	bool adopted; /* taken over from an earlier udpespd (sa_table_adopt_sa) */
	void *rt;     /* the workers' state of this SA (sa_table_ops.sa_attach) */
	struct sa_entry *next_by_handle;
	struct sa_entry *next_by_key;
};

struct sa_table {
	const struct sa_table_ops *ops;
	void *ctx;
	__u32 max_sa; /* SA slots in the data path */
	__u32 count;  /* SAs installed */
	__u32 next_handle;
	__u32 next_parser;
	__u32 nbuckets; /* power of two */
	struct sa_entry **by_handle;
	struct sa_entry **by_key;
	__u32 *free_slots; /* stack of unused slots */
	__u32 nfree;
	__u32 *slot_gen;
	/*
	 * Per slot, for the lifetime scan: the SA in it (NULL when free) and
	 * when its lifetimes next need a look (sa_table_for_each_due()).
	 * Flat arrays, so that a scan of 1,000,000 slots reads 8 MB in
	 * order instead of chasing every entry.
	 */
	struct sa_entry **by_slot;
	__u64 *due;
	struct parser_entry *parsers;
};

int sa_table_init(struct sa_table *t, __u32 max_sa, const struct sa_table_ops *ops, void *ctx);
/* Wipes every SA's keys and frees the table (the data path is left as is). */
void sa_table_fini(struct sa_table *t);

/*
 * Add n SAs, all or nothing: after any failure every SA of the batch
 * that was installed is removed again, with any parser entry created
 * for it, and err names the problem (prefixed "SA i: " in a batch).
 */
int sa_table_add(struct sa_table *t, const struct udpesp_ctl_sa *sa, size_t n,
		 struct udpesp_ctl_handles *out, char *err, size_t errlen);

/*
 * Delete the SA that sel selects (handle, or dst + spi). With sel->parser
 * set, also delete that parser entry when no SA uses it any more; res
 * says whether it went or how many SAs still use it.
 */
int sa_table_del(struct sa_table *t, const struct udpesp_ctl_sa_del *sel,
		 struct udpesp_ctl_del_result *res, char *err, size_t errlen);
/* Delete every SA; parser entries left without users go too. */
int sa_table_flush(struct sa_table *t, struct udpesp_ctl_del_result *res);
/* Remove everything bound to ifindex (its interface disappeared). */
int sa_table_link_gone(struct sa_table *t, __u32 ifindex);

/*
 * Take over a parser entry found in the maps (left by an earlier udpespd)
 * under its old handle, with no users yet.
 */
int sa_table_adopt_parser(struct sa_table *t, const struct udpesp_parser_key *key,
			  const struct udpesp_parser_val *val);

/* An SA an earlier udpespd kept (persist.c), as it had it. */
struct sa_table_adopt {
	__u32 handle, slot, gen, parser;
	__u8 backend;
	bool soft_expired;
	time_t add_time;
	const struct udpesp_ctl_sa *cfg; /* with its keys */
};

/*
 * Take it over: same handle, slot and parser entry, attached to the
 * workers (sa_attach) but not written to the maps, which still hold it
 * with its replay window and counters. Call sa_table_adopt_done() after
 * the last one. 0 or -errno with err set.
 */
int sa_table_adopt_sa(struct sa_table *t, const struct sa_table_adopt *a, char *err, size_t errlen);
void sa_table_adopt_done(struct sa_table *t, __u32 next_handle, __u32 next_parser);

struct sa_entry *sa_table_find(const struct sa_table *t, const struct udpesp_ctl_sa_del *sel);
struct parser_entry *sa_table_parser(const struct sa_table *t, __u32 handle);

/* Iterate over SAs in handle-bucket order; stop when fn returns non-zero. */
int sa_table_for_each(const struct sa_table *t, int (*fn)(const struct sa_entry *e, void *arg),
		      void *arg);
/*
 * The same walk in steps, for dumps that must not outgrow a client's
 * buffer: from bucket *pos on; fn returns < 0 to stop (returned as is),
 * > 0 to pause once the current bucket is done (returns 1, *pos is where
 * to go on). 0 when the walk is over. SAs added or deleted between steps
 * may or may not be seen; every other SA is seen once.
 */
int sa_table_walk(const struct sa_table *t, __u32 *pos,
		  int (*fn)(const struct sa_entry *e, void *arg), void *arg);

/*
 * Iterate, in slot order, over the SAs whose lifetimes may have been
 * reached at now (CLOCK_REALTIME seconds): those with a byte or packet
 * limit (they follow the traffic) and those at or past their next time
 * limit not acted on yet (the soft one only until soft_expired is set).
 * SAs without limits are never visited. Stops when fn returns non-zero.
 */
int sa_table_for_each_due(const struct sa_table *t, time_t now,
			  int (*fn)(const struct sa_entry *e, void *arg), void *arg);
/* After setting e->soft_expired: only its hard limits are due from now on. */
void sa_table_life_update(struct sa_table *t, const struct sa_entry *e);

/*
 * Move an SA to new outer addresses and UDP ports (NAT mapping, MOBIKE;
 * family 0 in src or dst: unchanged), re-indexed under its new (dst, spi):
 * writing e->cfg.dst directly would leave it in its old hash bucket.
 * -EOPNOTSUPP for the dst of an inbound SA (the data path's key),
 * -EAFNOSUPPORT for another family, -EEXIST if another SA has the key.
 * The workers' copy (e->rt) is the caller's to update; ops->sa_changed is told
 * (the state file, a kfunc SA's peer).
 */
int sa_table_move(struct sa_table *t, struct sa_entry *e, const struct udpesp_ctl_addr *src,
		  const struct udpesp_ctl_addr *dst, __be16 sport, __be16 dport, char *err,
		  size_t errlen);

/* The data-path key of an inbound SA. */
void sa_table_entry_key(const struct sa_entry *e, struct udpesp_sa_key *key);

#endif /* UDPESP_SA_TABLE_H */
