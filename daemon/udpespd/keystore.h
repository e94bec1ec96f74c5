/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SA keys kept in the kernel keyring, where they outlive udpespd but not a
 * reboot (issue 16). udpespd's own keyring is linked into root's user
 * keyring, which lives until reboot; the process links it into its own
 * session keyring to possess it. Every key and the keyring itself grant
 * rights to possessors only: no other process, root or not, can read them
 * unless it possesses them (root's login session does, through @u).
 *
 * Layout (tests/bench/bench_keystore.c, docs/benchmarks.md): batched, one
 * "user" key per KEYSTORE_BATCH consecutive SA slots, description "b:N",
 * rewritten whole each time one of its SAs comes or goes. At 100,000 SAs
 * that is 4.0 us per add instead of 10.6, 0.03 us per SA to adopt instead
 * of 6.0, 36 quota bytes per SA instead of 49. A batch left empty is
 * revoked (the kernel frees its payload with kfree_sensitive() at once)
 * and unlinked; a rewrite frees the old payload the same way.
 */
#ifndef UDPESP_KEYSTORE_H
#define UDPESP_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/ctl.h>

#define KEYSTORE_BATCH 64
#define KEYSTORE_DESC_MAX 64

struct keystore {
	__s32 ring; /* udpespd's keyring; 0 when closed */
	__u32 nbatch;
	__s32 *keys; /* per batch: the key's serial, 0 = none */
};

/* One SA's part of a batch: its slot, handle and the key fields of cfg. */
struct keystore_sa {
	__u32 slot;
	__u32 handle;
	const struct udpesp_ctl_sa *cfg;
};

/*
 * Find the keyring desc in parent (KEY_SPEC_USER_KEYRING in udpespd) or
 * create it there, possessor-only, and possess it through the session
 * keyring. created: whether it was new. 0 or -errno.
 */
int keystore_open(struct keystore *ks, const char *desc, __s32 parent, __u32 max_sa, bool *created);
/* Forget the keyring (it stays in the kernel with its keys). */
void keystore_close(struct keystore *ks);

/*
 * Write batch b as the n SAs given (all in that batch); n == 0 revokes
 * and unlinks its key. 0 or -errno (-EDQUOT: root's keyring quota).
 */
int keystore_write(struct keystore *ks, __u32 b, const struct keystore_sa *sas, size_t n);

/*
 * Rewrite batch b from what the keyring holds: the records keep() says yes
 * to stay, add (if given) is put in, replacing its slot's record. udpespd
 * wipes its own copy of an SA's keys once the crypto contexts exist, so a
 * batch is edited in the kernel's copy, never rebuilt from the daemon's.
 * 0 or -errno (-EDQUOT: root's keyring quota, -EBADMSG: not our format).
 */
int keystore_rewrite(struct keystore *ks, __u32 b,
		     bool (*keep)(void *arg, __u32 slot, __u32 handle), void *arg,
		     const struct keystore_sa *add);

/*
 * Every SA in the store: fn gets its slot, handle and keys (in the key
 * fields of a zeroed cfg, wiped after the call). Stops on fn's non-zero.
 */
int keystore_load(struct keystore *ks,
		  int (*fn)(void *arg, __u32 slot, __u32 handle, const struct udpesp_ctl_sa *keys),
		  void *arg);

/* Keys in the keyring (batches), or -errno. */
int keystore_count(const struct keystore *ks);

/* Revoke every key, unlink the keyring from parent, close. */
void keystore_destroy(struct keystore *ks, __s32 parent);

static inline __u32 keystore_batch(__u32 slot)
{
	return slot / KEYSTORE_BATCH;
}

#endif /* UDPESP_KEYSTORE_H */
