// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* SAs kept across udpespd restarts: a state file and the keyring (see persist.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/util.h"
#include "esp/esp_encap.h"
#include "persist.h"

#define PERSIST_MAGIC "udpespS1"
#define PERSIST_VERSION 3
#define PERSIST_HDR_SIZE 4096
/*
 * A power of two below the page size: a record never straddles a page.
 * 1 KiB of tmpfs per SA slot in use (102 MB for 100,000 SAs): eight
 * traffic selectors made the configuration outgrow 512 bytes.
 */
#define PERSIST_REC_SIZE 1024
#define PERSIST_REC_MAGIC 0x55455352u /* "RSEU" */

struct persist_hdr {
	char magic[8];
	__u32 version;
	__u32 rec_size;
	__u32 max_sa;
	__u32 abi;
	__u32 next_handle;
	__u32 next_parser;
	__u32 pid; /* of the udpespd holding the file */
	__u32 nlinks;
	__u64 created; /* CLOCK_REALTIME seconds */
	char keyring[KEYSTORE_DESC_MAX];
	char pin_dir[256];
	__u32 link_ifindex[LINKS_MAX_OWNED];
	__u8 link_mode[LINKS_MAX_OWNED];
};
_Static_assert(sizeof(struct persist_hdr) <= PERSIST_HDR_SIZE, "persist_hdr");

/* An algorithm as kept: no key bytes, only their length. */
struct persist_alg {
	char name[UDPESP_ALG_NAME_MAX];
	__u32 key_len;
	__u32 bits;
};

/* The configuration up to its algorithms, which follow without keys. */
#define PERSIST_CFG_HEAD offsetof(struct udpesp_ctl_sa, aead)

struct persist_rec {
	__u32 magic; /* PERSIST_REC_MAGIC; 0: free slot */
	__u32 handle;
	__u32 gen;
	__u32 parser;
	__u8 backend;
	__u8 soft_expired;
	__u8 pad[6];
	__u64 add_time;
	__u64 oseq_mark; /* outbound: no number above it was used */
	__u8 cfg[PERSIST_CFG_HEAD];
	struct persist_alg alg[3]; /* aead, enc, auth */
};
_Static_assert(sizeof(struct persist_rec) <= PERSIST_REC_SIZE, "persist_rec");

static struct udpesp_ctl_alg *persist_cfg_alg(struct udpesp_ctl_sa *c, int i)
{
	return i == 0 ? &c->aead : i == 1 ? &c->enc : &c->auth;
}

/* cfg from a record: keys zero, lengths as they were. */
static void persist_rec_cfg(const struct persist_rec *rec, struct udpesp_ctl_sa *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg, rec->cfg, PERSIST_CFG_HEAD);
	for (int i = 0; i < 3; i++) {
		struct udpesp_ctl_alg *a = persist_cfg_alg(cfg, i);

		memcpy(a->name, rec->alg[i].name, sizeof(a->name));
		a->key_len = rec->alg[i].key_len;
		a->bits = rec->alg[i].bits;
	}
}

static off_t persist_rec_off(__u32 slot)
{
	return PERSIST_HDR_SIZE + (off_t)slot * PERSIST_REC_SIZE;
}

void persist_default_path(const char *sock, char *buf, size_t len)
{
	size_t n = strlen(sock);

	if (n > 5 && !strcmp(sock + n - 5, ".sock"))
		n -= 5;
	snprintf(buf, len, "%.*s.state", (int)n, sock);
}

static int persist_pwrite(const struct persist *p, const void *buf, size_t len, off_t off)
{
	ssize_t r = pwrite(p->fd, buf, len, off);

	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

static int persist_hdr_write(struct persist *p)
{
	return persist_pwrite(p, p->hdr, sizeof(*p->hdr), 0);
}

int persist_lock(struct persist *p, const char *path, unsigned int wait_s, __u32 *holder)
{
	struct persist_hdr h;
	bool told = false;
	int err;

	memset(p, 0, sizeof(*p));
	*holder = 0;
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->hdr = calloc(1, sizeof(*p->hdr));
	if (!p->hdr)
		return -ENOMEM;
	p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (p->fd < 0) {
		err = -errno;
		goto out;
	}
	for (unsigned int i = 0;; i++) {
		if (!flock(p->fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK) {
			err = -errno;
			goto out;
		}
		if (pread(p->fd, &h, sizeof(h), 0) == sizeof(h) &&
		    !memcmp(h.magic, PERSIST_MAGIC, 8))
			*holder = h.pid;
		if (i >= wait_s * 10) {
			err = -EBUSY;
			goto out;
		}
		if (!told)
			pr_info("%s: another udpespd (pid %u) runs on it; waiting up to %u s for it to exit",
				path, *holder, wait_s);
		told = true;
		usleep(100 * 1000);
	}
out:
	persist_close(p);
	return err;
}

/* A new header and keyring: nothing kept so far. */
static int persist_fresh(struct persist *p, const char *pin_dir)
{
	__u8 rnd[16];
	bool created;
	int err;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	memset(p->hdr, 0, sizeof(*p->hdr));
	memcpy(p->hdr->magic, PERSIST_MAGIC, 8);
	p->hdr->version = PERSIST_VERSION;
	p->hdr->rec_size = PERSIST_REC_SIZE;
	p->hdr->max_sa = p->t->max_sa;
	p->hdr->abi = UDPESP_ABI_VERSION;
	p->hdr->next_handle = 1;
	p->hdr->next_parser = 1;
	p->hdr->pid = getpid();
	p->hdr->created = time(NULL);
	snprintf(p->hdr->pin_dir, sizeof(p->hdr->pin_dir), "%s", pin_dir);
	snprintf(p->hdr->keyring, sizeof(p->hdr->keyring), "udpespd:");
	for (int i = 0; i < 16; i++)
		snprintf(p->hdr->keyring + 8 + 2 * i, 3, "%02x", rnd[i]);
	if (ftruncate(p->fd, 0))
		return -errno;
	err = keystore_open(&p->ks, p->hdr->keyring, KEY_SPEC_USER_KEYRING, p->t->max_sa, &created);
	if (err)
		return err;
	err = persist_hdr_write(p);
	if (err)
		keystore_destroy(&p->ks, KEY_SPEC_USER_KEYRING);
	return err;
}

struct persist_loading {
	struct persist_sa *sas;
	size_t n, cap;
	size_t *idx; /* by slot: 1 + index into sas, 0 = none */
	__u32 max_sa;
};

/* The records in the file's data (tmpfs: freed records are holes). */
static int persist_read_records(struct persist *p, struct persist_loading *l)
{
	off_t end = persist_rec_off(p->hdr->max_sa), off = PERSIST_HDR_SIZE;
	struct persist_rec *rec = malloc(PERSIST_REC_SIZE);
	int err = 0;

	if (!rec)
		return -ENOMEM;
	while (!err && off < end) {
		off_t data = lseek(p->fd, off, SEEK_DATA), hole;

		if (data < 0)
			break; /* ENXIO: no data after off */
		hole = lseek(p->fd, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		/* Whole records from the one data starts in. */
		off = PERSIST_HDR_SIZE +
		      (data - PERSIST_HDR_SIZE) / PERSIST_REC_SIZE * PERSIST_REC_SIZE;
		for (; off < hole; off += PERSIST_REC_SIZE) {
			__u32 slot = (off - PERSIST_HDR_SIZE) / PERSIST_REC_SIZE;
			struct persist_sa *s;

			if (pread(p->fd, rec, PERSIST_REC_SIZE, off) != PERSIST_REC_SIZE)
				break;
			if (rec->magic != PERSIST_REC_MAGIC || !rec->handle)
				continue;
			if (array_reserve((void **)&l->sas, l->n, &l->cap, sizeof(*l->sas))) {
				err = -ENOMEM;
				break;
			}
			s = &l->sas[l->n++];
			memset(s, 0, sizeof(*s));
			persist_rec_cfg(rec, &s->cfg);
			s->a = (struct sa_table_adopt){
				.handle = rec->handle,
				.slot = slot,
				.gen = rec->gen,
				.parser = rec->parser,
				.backend = rec->backend,
				.soft_expired = rec->soft_expired,
				.add_time = (time_t)rec->add_time,
			};
			s->oseq_mark = rec->oseq_mark;
			l->idx[slot] = l->n;
		}
	}
	free(rec);
	return err;
}

static int persist_take_keys(void *arg, __u32 slot, __u32 handle, const struct udpesp_ctl_sa *k)
{
	struct persist_loading *l = arg;
	struct persist_sa *s;
	struct udpesp_ctl_alg *dst[3];
	const struct udpesp_ctl_alg *src[3] = { &k->aead, &k->enc, &k->auth };

	if (slot >= l->max_sa || !l->idx[slot])
		return 0;
	s = &l->sas[l->idx[slot] - 1];
	if (s->a.handle != handle)
		return 0; /* a key left by an SA deleted meanwhile */
	dst[0] = &s->cfg.aead;
	dst[1] = &s->cfg.enc;
	dst[2] = &s->cfg.auth;
	for (int i = 0; i < 3; i++)
		if (dst[i]->key_len != src[i]->key_len)
			return 0;
	for (int i = 0; i < 3; i++)
		memcpy(dst[i]->key, src[i]->key, src[i]->key_len);
	s->has_keys = true;
	return 0;
}

int persist_load(struct persist *p, struct sa_table *t, const char *pin_dir,
		 struct persist_sa **sas, size_t *n)
{
	struct persist_loading l = { .max_sa = t->max_sa };
	bool created = true, found;
	const char *why = NULL;
	int err;

	*sas = NULL;
	*n = 0;
	p->t = t;
	found = pread(p->fd, p->hdr, sizeof(*p->hdr), 0) == sizeof(*p->hdr) &&
		!memcmp(p->hdr->magic, PERSIST_MAGIC, 8);
	if (found) {
		p->hdr->keyring[sizeof(p->hdr->keyring) - 1] = '\0';
		keystore_open(&p->ks, p->hdr->keyring, KEY_SPEC_USER_KEYRING, t->max_sa, &created);
	}
	if (!found)
		why = NULL; /* no state: a first start */
	else if (p->hdr->version != PERSIST_VERSION || p->hdr->rec_size != PERSIST_REC_SIZE ||
		 p->hdr->abi != UDPESP_ABI_VERSION)
		why = "it is from another version of udpespd";
	else if (p->hdr->max_sa != t->max_sa)
		why = "the maps have another number of SA slots";
	else if (strncmp(p->hdr->pin_dir, pin_dir, sizeof(p->hdr->pin_dir)))
		why = "it is for maps pinned elsewhere";
	else if (created)
		why = "its keys are gone (the keyring was removed)";
	else
		goto load;
	if (why)
		pr_warn("%s: not adopted: %s", p->path, why);
	/* Whatever keys it had are wiped: nothing will use them. */
	if (p->ks.ring)
		keystore_destroy(&p->ks, KEY_SPEC_USER_KEYRING);
	err = persist_fresh(p, pin_dir);
	goto out;
load:
	p->saved_at = p->hdr->created;
	l.idx = calloc(t->max_sa, sizeof(*l.idx));
	err = l.idx ? persist_read_records(p, &l) : -ENOMEM;
	if (!err)
		err = keystore_load(&p->ks, persist_take_keys, &l);
	free(l.idx);
	if (err) {
		pr_warn("%s: cannot read it (%s): starting without it", p->path, strerror(-err));
		persist_free_loaded(l.sas, l.n);
		keystore_destroy(&p->ks, KEY_SPEC_USER_KEYRING);
		err = persist_fresh(p, pin_dir);
		goto out;
	}
	p->hdr->pid = getpid();
	err = persist_hdr_write(p);
	*sas = l.sas;
	*n = l.n;
out:
	p->enabled = !err;
	if (err)
		pr_warn("SAs will not be kept across restarts: %s", strerror(-err));
	return err;
}

void persist_free_loaded(struct persist_sa *sas, size_t n)
{
	if (sas)
		explicit_bzero(sas, n * sizeof(*sas));
	free(sas);
}

void persist_links_get(const struct persist *p, __u32 *ifindex, __u8 *mode, int *n)
{
	*n = 0;
	if (!p->enabled)
		return;
	for (__u32 i = 0; i < p->hdr->nlinks && i < LINKS_MAX_OWNED; i++) {
		ifindex[*n] = p->hdr->link_ifindex[i];
		mode[(*n)++] = p->hdr->link_mode[i];
	}
}

void persist_links_set(struct persist *p, const struct links *l)
{
	if (!p->enabled)
		return;
	p->hdr->nlinks = l->nowned;
	for (int i = 0; i < l->nowned; i++) {
		p->hdr->link_ifindex[i] = l->owned[i];
		p->hdr->link_mode[i] = l->owned_mode[i];
	}
	if (persist_hdr_write(p))
		pr_warn("%s: cannot keep the attached links: %s", p->path, strerror(errno));
}

struct persist_keep {
	const struct persist *p;
	const struct sa_entry *skip;
};

/* A record in the keyring stays while its SA is in the table (and not skip). */
static bool persist_keeps(void *arg, __u32 slot, __u32 handle)
{
	const struct persist_keep *k = arg;
	const struct sa_entry *e = slot < k->p->t->max_sa ? k->p->t->by_slot[slot] : NULL;

	return e && e != k->skip && e->handle == handle;
}

/*
 * The key batch of slot b: e's keys put in (add), skip's left out, and any
 * SA the table no longer holds dropped. Edited in the keyring's copy: the
 * daemon's own copy of the keys is wiped once the SA is set up.
 */
static int persist_keys_write(struct persist *p, __u32 b, const struct sa_entry *add,
			      const struct sa_entry *skip)
{
	struct persist_keep k = { .p = p, .skip = skip };
	struct keystore_sa a;

	if (add)
		a = (struct keystore_sa){ .slot = add->slot,
					  .handle = add->handle,
					  .cfg = &add->cfg };
	return keystore_rewrite(&p->ks, b, persist_keeps, &k, add ? &a : NULL);
}

static __u64 persist_mark_for(const struct sa_rt *rt)
{
	__u64 max = esp_seq_max(rt->encap.esn);
	__u64 cur = __atomic_load_n(&rt->encap.oseq, __ATOMIC_RELAXED);

	return max - cur < PERSIST_SEQ_BLOCK ? max : cur + PERSIST_SEQ_BLOCK;
}

static int persist_rec_write(struct persist *p, const struct sa_entry *e, __u64 mark)
{
	struct persist_rec *rec = calloc(1, PERSIST_REC_SIZE);
	int err;

	if (!rec)
		return -ENOMEM;
	rec->magic = PERSIST_REC_MAGIC;
	rec->handle = e->handle;
	rec->gen = e->gen;
	rec->parser = e->parser;
	rec->backend = e->backend;
	rec->soft_expired = e->soft_expired;
	rec->add_time = (__u64)e->add_time;
	rec->oseq_mark = mark;
	memcpy(rec->cfg, &e->cfg, PERSIST_CFG_HEAD);
	/* Lengths stay, no key byte: the keyring's bytes must fit them at adoption. */
	for (int i = 0; i < 3; i++) {
		const struct udpesp_ctl_alg *a =
			persist_cfg_alg((struct udpesp_ctl_sa *)&e->cfg, i);

		memcpy(rec->alg[i].name, a->name, sizeof(rec->alg[i].name));
		rec->alg[i].key_len = a->key_len;
		rec->alg[i].bits = a->bits;
	}
	err = persist_pwrite(p, rec, PERSIST_REC_SIZE, persist_rec_off(e->slot));
	explicit_bzero(rec, PERSIST_REC_SIZE);
	free(rec);
	return err;
}

/* Record, mark and limit of one SA (keys apart). */
static int persist_sa_write(struct persist *p, const struct sa_entry *e)
{
	struct sa_rt *rt = e->cfg.dir == UDPESP_DIR_OUT ? e->rt : NULL;
	__u64 mark = rt ? persist_mark_for(rt) : 0;
	int err = persist_rec_write(p, e, mark);

	/* Only once the mark is kept may senders go up to it. */
	if (!err && rt)
		__atomic_store_n(&rt->encap.oseq_limit, mark, __ATOMIC_RELEASE);
	return err;
}

static int persist_hdr_handles(struct persist *p, __u32 next_handle)
{
	p->hdr->next_handle = next_handle;
	p->hdr->next_parser = p->t->next_parser;
	return persist_pwrite(p, (const __u8 *)p->hdr + offsetof(struct persist_hdr, next_handle),
			      2 * sizeof(__u32), offsetof(struct persist_hdr, next_handle));
}

int persist_sa_add(struct persist *p, struct sa_entry *e, char *err, size_t errlen)
{
	int ret;

	if (!p->enabled)
		return 0;
	ret = persist_keys_write(p, keystore_batch(e->slot), e, NULL);
	if (ret) {
		errf(err, errlen, "keeping the SA's keys in the kernel keyring: %s%s",
		     strerror(-ret),
		     ret == -EDQUOT ?
			     " (root's keyring quota is full: raise /proc/sys/kernel/keys/root_maxbytes and root_maxkeys)" :
			     "");
		return ret;
	}
	/* The next handle too: a record is never ahead of its header. */
	ret = persist_hdr_handles(p, p->t->next_handle > e->handle ? p->t->next_handle :
								     e->handle + 1);
	if (!ret)
		ret = persist_sa_write(p, e);
	if (ret) {
		errf(err, errlen, "keeping the SA in %s: %s", p->path, strerror(-ret));
		persist_keys_write(p, keystore_batch(e->slot), NULL, e);
	}
	return ret;
}

void persist_sa_del(struct persist *p, const struct sa_entry *e)
{
	int err;

	if (!p->enabled)
		return;
	/* A hole: tmpfs frees the page once all its records are gone. */
	if (fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, persist_rec_off(e->slot),
		      PERSIST_REC_SIZE)) {
		static const __u32 zero;

		persist_pwrite(p, &zero, sizeof(zero), persist_rec_off(e->slot));
	}
	err = persist_keys_write(p, keystore_batch(e->slot), NULL, e);
	if (err)
		pr_warn("SA %u: wiping its keys from the keyring: %s", e->handle, strerror(-err));
}

void persist_sa_changed(struct persist *p, const struct sa_entry *e)
{
	struct sa_rt *rt = e->cfg.dir == UDPESP_DIR_OUT ? e->rt : NULL;
	__u64 mark = rt ? __atomic_load_n(&rt->encap.oseq_limit, __ATOMIC_ACQUIRE) : 0;

	if (p->enabled && persist_rec_write(p, e, mark))
		pr_warn("SA %u: keeping its change in %s failed", e->handle, p->path);
}

void persist_reserve(struct persist *p, struct sa_rt *rt)
{
	__u64 max, cur, lim, mark;

	if (!p->enabled || rt->dir != UDPESP_DIR_OUT)
		return;
	/* Senders may ask again from here on. */
	__atomic_store_n(&rt->reserve_noted, 0, __ATOMIC_RELAXED);
	max = esp_seq_max(rt->encap.esn);
	cur = __atomic_load_n(&rt->encap.oseq, __ATOMIC_RELAXED);
	lim = __atomic_load_n(&rt->encap.oseq_limit, __ATOMIC_RELAXED);
	if (lim >= max || (lim > cur && lim - cur > PERSIST_SEQ_BLOCK / 2))
		return;
	mark = persist_mark_for(rt);
	if (persist_pwrite(p, &mark, sizeof(mark),
			   persist_rec_off(rt->slot) + offsetof(struct persist_rec, oseq_mark))) {
		pr_warn("SA %u: cannot keep its sequence-number mark: %s", rt->handle,
			strerror(errno));
		return;
	}
	__atomic_store_n(&rt->encap.oseq_limit, mark, __ATOMIC_RELEASE);
}

int persist_sync(struct persist *p, const struct persist_sa *loaded, size_t n)
{
	int err = 0;

	if (!p->enabled)
		return 0;
	/* Every batch that holds a key or an SA, from the table. */
	for (__u32 b = 0; !err && b < p->ks.nbatch; b++) {
		bool any = p->ks.keys[b];

		for (__u32 s = b * KEYSTORE_BATCH;
		     !any && s < (b + 1) * KEYSTORE_BATCH && s < p->t->max_sa; s++)
			any = p->t->by_slot[s];
		if (any)
			err = persist_keys_write(p, b, NULL, NULL);
	}
	/* Records: the adopted ones again (marks reserved), the rest holes. */
	for (size_t i = 0; !err && i < n; i++) {
		const struct sa_entry *e = p->t->by_slot[loaded[i].a.slot];

		if (e && e->handle == loaded[i].a.handle)
			err = persist_sa_write(p, e);
		else
			fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  persist_rec_off(loaded[i].a.slot), PERSIST_REC_SIZE);
	}
	if (!err)
		err = persist_hdr_handles(p, p->t->next_handle);
	return err;
}

void persist_info(const struct persist *p, struct udpesp_ctl_state *out)
{
	int n = p->enabled ? keystore_count(&p->ks) : 0;
	size_t len = strlen(p->path);

	memset(out, 0, sizeof(*out));
	out->flags = (p->enabled ? UDPESP_CTL_STATE_KEPT : 0) |
		     (p->adopted ? UDPESP_CTL_STATE_ADOPTED : 0);
	out->adopted_sas = p->adopted_sas;
	out->dropped_sas = p->dropped_sas;
	out->adopted_links = p->adopted_links;
	out->adopted_at = p->adopted ? (__u64)p->adopted_at : 0;
	out->kept_since = p->enabled && p->hdr ? p->hdr->created : 0;
	out->seq_block = PERSIST_SEQ_BLOCK;
	out->key_batches = n > 0 ? (__u32)n : 0;
	/* A longer path shows cut (the control protocol carries 255 bytes). */
	memcpy(out->path, p->path, len < sizeof(out->path) ? len : sizeof(out->path) - 1);
}

void persist_wipe(struct persist *p)
{
	if (!p->enabled)
		return;
	keystore_destroy(&p->ks, KEY_SPEC_USER_KEYRING);
	if (ftruncate(p->fd, 0))
		pr_warn("%s: cannot empty it: %s", p->path, strerror(errno));
	p->enabled = false;
}

void persist_close(struct persist *p)
{
	keystore_close(&p->ks);
	if (p->fd >= 0)
		close(p->fd); /* and the lock with it */
	free(p->hdr);
	p->hdr = NULL;
	p->fd = -1;
	p->enabled = false;
}
