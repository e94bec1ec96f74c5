/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What a restarted udpespd needs to carry on with the SAs of the one
 * before it (issue 16), kept where it survives the process but not a
 * reboot:
 *
 *   keys       the kernel keyring (keystore.h), possessor-only;
 *   the rest   a state file next to the control socket (/run is tmpfs),
 *              no key bytes in it: a header (handles to give next, the
 *              keyring's name, the pin directory, the links udpespd
 *              attached) and one fixed record per SA slot (handle,
 *              generation, parser entry, configuration with keys zeroed,
 *              add time, soft expiry, the outbound sequence-number mark).
 *
 * Replay windows and counters stay in the pinned maps, by slot.
 *
 * Outbound sequence numbers: a sender takes numbers only up to
 * esp_encap_sa.oseq_limit; the control thread stores a mark
 * PERSIST_SEQ_BLOCK above the number in use, then raises the limit to it,
 * whenever less than half a block remains. A new udpespd resumes after
 * the mark, so no (SPI, sequence number) is sent twice; a restart skips
 * at most one block of numbers.
 *
 * The file is flock()ed while a udpespd runs on it: a second one waits
 * for the first to exit, or refuses.
 */
#ifndef UDPESP_PERSIST_H
#define UDPESP_PERSIST_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>
#include <linux/types.h>

#include "keystore.h"
#include "links.h"
#include "sa_rt.h"
#include "sa_table.h"

#define PERSIST_SEQ_BLOCK (1ull << 20)

/* An SA as the state kept it, keys filled in from the keyring. */
struct persist_sa {
	struct sa_table_adopt a;
	struct udpesp_ctl_sa cfg;
	__u64 oseq_mark;
	bool has_keys;
};

struct persist_hdr;

struct persist {
	int fd; /* the state file, locked; -1 before persist_lock() */
	char path[PATH_MAX];
	bool enabled; /* SAs are kept: the keyring is open */
	struct keystore ks;
	struct sa_table *t;
	struct persist_hdr *hdr;
	/* What the start found and took over (udpespctl state). */
	bool adopted;
	__u32 adopted_sas, dropped_sas, adopted_links;
	time_t adopted_at;
	__u64 saved_at; /* when the earlier udpespd began keeping this state */
};

/* The state file for a control socket: "X.sock" -> "X.state". */
void persist_default_path(const char *sock, char *buf, size_t len);

/*
 * Open and lock path, waiting up to wait_s seconds for another udpespd
 * to let go of it. -EBUSY (with *holder its pid, when known) if it did
 * not; 0 or -errno.
 */
int persist_lock(struct persist *p, const char *path, unsigned int wait_s, __u32 *holder);

/*
 * Read what an earlier udpespd kept for max_sa slots and pin_dir:
 * *sas (malloc'd, *n of them, keys inside: persist_free_loaded()), or
 * *n = 0 when there is none or it does not fit. Then, either way, open
 * (or create) the keyring so that from here on SAs are kept. Returns 0,
 * or -errno when nothing can be kept (p->enabled false; the daemon runs
 * as before issue 16).
 */
int persist_load(struct persist *p, struct sa_table *t, const char *pin_dir,
		 struct persist_sa **sas, size_t *n);
void persist_free_loaded(struct persist_sa *sas, size_t n);

/* The links the earlier udpespd attached: *n of them. */
void persist_links_get(const struct persist *p, __u32 *ifindex, __u8 *mode, int *n);
/* Keep l's attached links. */
void persist_links_set(struct persist *p, const struct links *l);

/*
 * After the adoption: rewrite every record and key batch from the table
 * (drops whatever was not adopted) and reserve sequence numbers.
 */
int persist_sync(struct persist *p, const struct persist_sa *loaded, size_t n);

/* sa_table_ops: keep an added SA (keys, record, mark); forget a deleted one. */
int persist_sa_add(struct persist *p, struct sa_entry *e, char *err, size_t errlen);
void persist_sa_del(struct persist *p, const struct sa_entry *e);
/* Its record again (soft expiry, NAT mapping). */
void persist_sa_changed(struct persist *p, const struct sa_entry *e);

/*
 * Outbound: when less than half a block remains below rt's limit, store
 * a mark a block above the number in use and raise the limit to it.
 */
void persist_reserve(struct persist *p, struct sa_rt *rt);

/* For udpespctl state. */
void persist_info(const struct persist *p, struct udpesp_ctl_state *out);

/* --flush-on-exit: the keyring and the file's contents go. */
void persist_wipe(struct persist *p);
/* Unlock and close; what is kept stays. */
void persist_close(struct persist *p);

#endif /* UDPESP_PERSIST_H */
