/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Typed access to udpesp's BPF maps. No other file calls bpf_map_* on
 * them: the daemon, the tests and the benchmarks all go through here, so
 * these wrappers are what the tests exercise.
 */
#ifndef UDPESP_MAPS_H
#define UDPESP_MAPS_H

#include <stdbool.h>
#include <linux/types.h>
#include <udpesp/abi.h>

struct bpf_object;

/* File descriptors of every udpesp map; -1 where not open. */
struct udpesp_maps {
	int ports;
	int parser;
	int sa;
	int replay;
	int sa_stats;
	int stats;
	int xsks;
	int xsk_base;
	int xsk_cnt;
	int xsk_sa;
	int kf_prog;  /* udpesp_kf_prog: the kfunc backend's tail call */
	__u32 max_sa; /* max_entries of udpesp_sa (and the slot arrays) */
	bool owned;   /* fds were opened here (pinned) and must be closed */
	/* udpesp_maps_mmap(): the arrays the AF_XDP workers update in place. */
	struct udpesp_replay *replay_mem;	 /* [max_sa] */
	struct udpesp_xsk_counters *xsk_cnt_mem; /* [1] */
	struct udpesp_sa_stats *xsk_sa_mem;	 /* [max_sa] */
};

/* Take the fds of a loaded object (not owned: the object closes them). */
int udpesp_maps_from_obj(struct udpesp_maps *m, struct bpf_object *obj);
/* Open the maps pinned under dir (e.g. UDPESP_PIN_DIR_DEFAULT). */
int udpesp_maps_open_pinned(struct udpesp_maps *m, const char *dir);
/* Also unmaps what udpesp_maps_mmap() mapped. */
void udpesp_maps_close(struct udpesp_maps *m);
/* Map udpesp_replay, udpesp_xsk_cnt and udpesp_xsk_sa for the workers. */
int udpesp_maps_mmap(struct udpesp_maps *m);

/* Parser entries; the udpesp_ports refcount follows adds and deletes. */
int udpesp_maps_parser_add(const struct udpesp_maps *m, const struct udpesp_parser_key *key,
			   const struct udpesp_parser_val *val);
int udpesp_maps_parser_del(const struct udpesp_maps *m, const struct udpesp_parser_key *key);

/*
 * Zero a slot's per-SA counters (XDP's per-CPU ones and the workers'):
 * an SA taking a slot must not inherit its predecessor's packets.
 */
int udpesp_maps_sa_stats_zero(const struct udpesp_maps *m, __u32 slot);

/*
 * Inbound SAs. Adding writes the replay state of sa->slot first (window
 * and starting top; bitmap cleared) and zeroes its counters, then
 * publishes the SA, so XDP never sees an SA with stale slot state.
 * Fails with -EEXIST when the key is taken.
 */
int udpesp_maps_sa_add(const struct udpesp_maps *m, const struct udpesp_sa_key *key,
		       const struct udpesp_sa *sa, __u32 window, __u64 top);
int udpesp_maps_sa_get(const struct udpesp_maps *m, const struct udpesp_sa_key *key,
		       struct udpesp_sa *sa);
/* Marks the SA dying (XDP stops using it at once); then delete it. */
int udpesp_maps_sa_mark_dying(const struct udpesp_maps *m, const struct udpesp_sa_key *key);
int udpesp_maps_sa_del(const struct udpesp_maps *m, const struct udpesp_sa_key *key);

int udpesp_maps_replay_get(const struct udpesp_maps *m, __u32 slot, struct udpesp_replay *out);
/*
 * Replace the whole replay state of a slot (top, window, bitmap; lock is
 * written as given). Workers advance the state in place: only use this
 * while no packet of the slot's SA is in flight (restore, tests).
 */
int udpesp_maps_replay_set(const struct udpesp_maps *m, __u32 slot, const struct udpesp_replay *r);

/*
 * Walk what the maps hold (e.g. left by an earlier udpespd); fn may not
 * delete. Stops at the first non-zero return of fn and returns it.
 */
int udpesp_maps_parser_for_each(const struct udpesp_maps *m,
				int (*fn)(const struct udpesp_parser_key *k,
					  const struct udpesp_parser_val *v, void *arg),
				void *arg);
int udpesp_maps_sa_for_each(const struct udpesp_maps *m,
			    int (*fn)(const struct udpesp_sa_key *k, const struct udpesp_sa *v,
				      void *arg),
			    void *arg);

/* Counters summed over every possible CPU. */
int udpesp_maps_counter(const struct udpesp_maps *m, enum udpesp_counter c, __u64 *out);
int udpesp_maps_sa_stats(const struct udpesp_maps *m, __u32 slot, struct udpesp_sa_stats *out);

/*
 * Register (fd >= 0) or remove (fd < 0) the AF_XDP socket at index
 * (udpesp_xsk_base of its interface + its RX queue).
 */
int udpesp_maps_xsk_set(const struct udpesp_maps *m, __u32 index, int fd);
/* Where an interface's sockets start in udpesp_xsks; base < 0 removes. */
int udpesp_maps_xsk_base_set(const struct udpesp_maps *m, __u32 ifindex, int base);

/* Helpers for building keys (zeroed, so padding compares equal). */
void udpesp_sa_key_init(struct udpesp_sa_key *k, __be32 spi, __u8 family, const __be32 daddr[4]);
void udpesp_parser_key_init(struct udpesp_parser_key *k, __u32 ifindex, __u16 port, __u8 family,
			    const __be32 addr[4]);

#endif /* UDPESP_MAPS_H */
