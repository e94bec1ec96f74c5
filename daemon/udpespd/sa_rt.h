/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The SAs as the packet workers see them: one struct sa_rt per SA
 * (expanded keys, suite, mode, selector, peer), found by SA slot, the
 * index udpesp_xdp puts in each frame's metadata.
 *
 * The control thread publishes and withdraws them; worker threads only
 * read. A withdrawn sa_rt is freed (keys wiped) once every worker has
 * been quiescent since: each worker marks itself online around the
 * frames it processes and offline while it sleeps (quiescent-state-based
 * reclamation), so workers never take a lock per packet.
 */
#ifndef UDPESP_SA_RT_H
#define UDPESP_SA_RT_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>
#include <udpesp/abi.h>
#include <udpesp/ctl.h>

#include "esp/esp_crypto.h"
#include "esp/esp_decap.h"
#include "esp/esp_encap.h"
#include "common/sa_check.h"

struct sa_entry;

struct sa_rt {
	__u32 handle;
	__u32 slot;
	__u32 gen;
	__u8 dir;    /* enum udpesp_dir */
	__u8 family; /* outer */
	struct esp_suite suite;
	struct esp_crypto *crypto;
	struct esp_decap_sa decap; /* inbound: what esp_decap() needs */
	/*
	 * Inbound: where the peer's packets come from, as the SA was added
	 * or last seen in an authenticated packet (NAT mapping). Written
	 * only by workers under mapping_lock.
	 */
	pthread_mutex_t mapping_lock;
	__be32 peer_addr[4];
	__be16 peer_port;
	/*
	 * Outbound: what esp_encap() needs; its dst and dport follow NAT
	 * mappings (written under mapping_lock by the control thread).
	 */
	struct esp_encap_sa encap;
	__u64 last_tx;	     /* CLOCK_MONOTONIC ms of the last packet sent (atomic) */
	__u32 hard_noted;    /* sequence numbers ran out and the daemon was told */
	__u32 reserve_noted; /* the daemon was asked for more numbers (persist.h) */
	size_t out_idx;	     /* its place in struct outbound's list (control thread) */
	/* Outbound, control thread: MTU a router reported (pmtu.h), until when. */
	unsigned int path_mtu;
	__u64 path_mtu_until; /* CLOCK_MONOTONIC seconds */
	/*
	 * Inbound: what decap checks; outbound: what the senders look up.
	 * Only the SA's own (most have one): 52 bytes each.
	 */
	unsigned int nsel;
	struct esp_sel sel[];
};

/* A worker's quiescence state (see sa_rt_online()). */
struct sa_rt_reader {
	__u64 seen; /* grace-period number last seen; ~0 = offline (atomic) */
	struct sa_rt_reader *next;
};

struct sa_rt_table {
	__u32 max_sa;
	struct sa_rt **slots; /* by slot; read and written atomically */
	__u64 gp;	      /* grace-period counter (atomic) */
	pthread_mutex_t lock; /* readers list and retired list */
	struct sa_rt_reader *readers;
	struct sa_rt_retired *retired;
	struct udpesp_replay *replay_mem; /* mmap of udpesp_replay */
};

int sa_rt_table_init(struct sa_rt_table *t, __u32 max_sa, struct udpesp_replay *replay_mem);
/* Frees everything; the workers must be stopped. */
void sa_rt_table_fini(struct sa_rt_table *t);

/*
 * Build the worker state of an SA the table accepted (expands its keys)
 * and, for an inbound SA, publish it at its slot. 0 or -errno.
 */
int sa_rt_attach(struct sa_rt_table *t, struct sa_entry *e);
/* Withdraw it; it is freed after a grace period (sa_rt_reclaim()). */
void sa_rt_detach(struct sa_rt_table *t, struct sa_entry *e);
/*
 * The same for an rt already taken from its entry; for an outbound SA,
 * only once no published selector snapshot holds it any more.
 */
void sa_rt_release(struct sa_rt_table *t, struct sa_rt *rt);
/* Free what every worker has stopped looking at; from the control thread. */
void sa_rt_reclaim(struct sa_rt_table *t);
/* Free p with fn once no reader can hold it (control thread). */
void sa_rt_retire(struct sa_rt_table *t, void *p, void (*fn)(void *));

/* Worker side. */
void sa_rt_reader_add(struct sa_rt_table *t, struct sa_rt_reader *r);
void sa_rt_reader_del(struct sa_rt_table *t, struct sa_rt_reader *r);

static inline void sa_rt_online(struct sa_rt_table *t, struct sa_rt_reader *r)
{
	__atomic_store_n(&r->seen, __atomic_load_n(&t->gp, __ATOMIC_ACQUIRE), __ATOMIC_SEQ_CST);
}

static inline void sa_rt_offline(struct sa_rt_reader *r)
{
	__atomic_store_n(&r->seen, ~0ull, __ATOMIC_RELEASE);
}

/* Between online and offline only; NULL when no SA sits at slot. */
static inline struct sa_rt *sa_rt_get(struct sa_rt_table *t, __u32 slot)
{
	if (slot >= t->max_sa)
		return NULL;
	return __atomic_load_n(&t->slots[slot], __ATOMIC_ACQUIRE);
}

#endif /* UDPESP_SA_RT_H */
