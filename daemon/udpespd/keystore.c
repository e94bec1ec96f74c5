// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* SA keys in the kernel keyring (see keystore.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>

#include "keystore.h"

/* keyutils' KEY_POS_ALL: every right for possessors, none for anyone else. */
#define KEYSTORE_PERM 0x3f000000UL

/* One SA in a batch's payload: this header, then its key bytes. */
struct keystore_rec {
	__u32 slot;
	__u32 handle;
	__u8 len[3]; /* aead, enc, auth key bytes */
	__u8 pad;
};

/* The largest payload: every SA of a batch with the longest keys. */
#define KEYSTORE_PAYLOAD_MAX (KEYSTORE_BATCH * (sizeof(struct keystore_rec) + 3 * UDPESP_KEY_MAX))

static long keystore_ctl4(int op, unsigned long a, unsigned long b, unsigned long c,
			  unsigned long d)
{
	long r = syscall(__NR_keyctl, op, a, b, c, d);

	return r < 0 ? -errno : r;
}

static long keystore_ctl(int op, unsigned long a, unsigned long b, unsigned long c)
{
	long r = syscall(__NR_keyctl, op, a, b, c, 0UL);

	return r < 0 ? -errno : r;
}

static __s32 keystore_add(const char *type, const char *desc, const void *p, size_t len, __s32 ring)
{
	long r = syscall(__NR_add_key, type, desc, p, len, ring);

	return r < 0 ? -errno : (__s32)r;
}

int keystore_open(struct keystore *ks, const char *desc, __s32 parent, __u32 max_sa, bool *created)
{
	long r;
	int err = 0;

	memset(ks, 0, sizeof(*ks));
	*created = false;
	ks->nbatch = max_sa / KEYSTORE_BATCH + 1;
	ks->keys = calloc(ks->nbatch, sizeof(*ks->keys));
	if (!ks->keys)
		return -ENOMEM;
	/*
	 * A session keyring of our own (inherited across fork, gone with the
	 * process): the link that makes us possess the keyring lives there,
	 * not in whatever session started udpespd.
	 */
	r = keystore_ctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0);
	if (r < 0) {
		err = r;
		goto out;
	}
	/* Found from parent and linked into our session: we possess it. */
	r = keystore_ctl4(KEYCTL_SEARCH, parent, (unsigned long)"keyring", (unsigned long)desc,
			  KEY_SPEC_SESSION_KEYRING);
	if (r == -ENOKEY) {
		/* Made in our session (possessed), locked, then put in parent. */
		r = keystore_add("keyring", desc, NULL, 0, KEY_SPEC_SESSION_KEYRING);
		if (r >= 0) {
			*created = true;
			err = keystore_ctl(KEYCTL_SETPERM, r, KEYSTORE_PERM, 0);
			if (!err)
				err = keystore_ctl(KEYCTL_LINK, r, parent, 0);
			if (err)
				keystore_ctl(KEYCTL_UNLINK, r, KEY_SPEC_SESSION_KEYRING, 0);
		}
	}
	if (r < 0)
		err = r;
	if (err)
		goto out;
	ks->ring = r;
	return 0;
out:
	keystore_close(ks);
	return err;
}

void keystore_close(struct keystore *ks)
{
	free(ks->keys);
	memset(ks, 0, sizeof(*ks));
}

/* Batch b's key holds len bytes at buf now (0 bytes: revoked and unlinked). */
static int keystore_store(struct keystore *ks, __u32 b, const __u8 *buf, size_t len)
{
	char desc[24];
	__s32 key;
	int err;

	if (!len) {
		if (!ks->keys[b])
			return 0;
		/* Revoking frees the payload now; unlinking drops the key. */
		keystore_ctl(KEYCTL_REVOKE, ks->keys[b], 0, 0);
		err = keystore_ctl(KEYCTL_UNLINK, ks->keys[b], ks->ring, 0);
		ks->keys[b] = 0;
		return err == -ENOENT ? 0 : err;
	}
	snprintf(desc, sizeof(desc), "b:%u", b);
	/* add_key() on an existing description updates that key in place. */
	key = keystore_add("user", desc, buf, len, ks->ring);
	if (key < 0)
		return key;
	if (!ks->keys[b]) {
		err = keystore_ctl(KEYCTL_SETPERM, key, KEYSTORE_PERM, 0);
		if (err) {
			keystore_ctl(KEYCTL_REVOKE, key, 0, 0);
			keystore_ctl(KEYCTL_UNLINK, key, ks->ring, 0);
			return err;
		}
	}
	ks->keys[b] = key;
	return 0;
}

/* Append sa's record to buf at *len. */
static void keystore_encode(__u8 *buf, size_t *len, const struct keystore_sa *sa)
{
	const struct udpesp_ctl_sa *c = sa->cfg;
	const struct udpesp_ctl_alg *alg[3] = { &c->aead, &c->enc, &c->auth };
	struct keystore_rec rec = { .slot = sa->slot, .handle = sa->handle };

	for (int k = 0; k < 3; k++)
		rec.len[k] = alg[k]->key_len <= UDPESP_KEY_MAX ? alg[k]->key_len : 0;
	memcpy(buf + *len, &rec, sizeof(rec));
	*len += sizeof(rec);
	for (int k = 0; k < 3; k++) {
		memcpy(buf + *len, alg[k]->key, rec.len[k]);
		*len += rec.len[k];
	}
}

int keystore_write(struct keystore *ks, __u32 b, const struct keystore_sa *sas, size_t n)
{
	size_t len = 0;
	__u8 *buf;
	int err;

	if (b >= ks->nbatch || n > KEYSTORE_BATCH)
		return -EINVAL;
	if (!n)
		return keystore_store(ks, b, NULL, 0);
	buf = malloc(KEYSTORE_PAYLOAD_MAX);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		keystore_encode(buf, &len, &sas[i]);
	err = keystore_store(ks, b, buf, len);
	explicit_bzero(buf, len);
	free(buf);
	return err;
}

int keystore_rewrite(struct keystore *ks, __u32 b,
		     bool (*keep)(void *arg, __u32 slot, __u32 handle), void *arg,
		     const struct keystore_sa *add)
{
	__u8 *old = malloc(KEYSTORE_PAYLOAD_MAX), *buf = malloc(KEYSTORE_PAYLOAD_MAX);
	size_t len = 0, n = 0;
	long olen = 0;
	int err = 0;

	if (b >= ks->nbatch) {
		err = -EINVAL;
		goto out;
	}
	if (!old || !buf) {
		err = -ENOMEM;
		goto out;
	}
	if (ks->keys[b]) {
		olen = keystore_ctl(KEYCTL_READ, ks->keys[b], (unsigned long)old,
				    KEYSTORE_PAYLOAD_MAX);
		if (olen < 0 || olen > (long)KEYSTORE_PAYLOAD_MAX) {
			err = olen < 0 ? (int)olen : -EBADMSG;
			goto out;
		}
	}
	/* The records kept, as they are: their keys never leave the kernel long. */
	for (size_t off = 0; off < (size_t)olen;) {
		struct keystore_rec rec;
		size_t size;

		if (olen - off < sizeof(rec)) {
			err = -EBADMSG;
			goto out;
		}
		memcpy(&rec, old + off, sizeof(rec));
		size = sizeof(rec) + rec.len[0] + rec.len[1] + rec.len[2];
		if (size > olen - off) {
			err = -EBADMSG;
			goto out;
		}
		if (keep(arg, rec.slot, rec.handle) && !(add && add->slot == rec.slot) &&
		    n < KEYSTORE_BATCH) {
			memcpy(buf + len, old + off, size);
			len += size;
			n++;
		}
		off += size;
	}
	if (add && n < KEYSTORE_BATCH)
		keystore_encode(buf, &len, add);
	err = keystore_store(ks, b, buf, len);
out:
	if (old)
		explicit_bzero(old, KEYSTORE_PAYLOAD_MAX);
	if (buf)
		explicit_bzero(buf, KEYSTORE_PAYLOAD_MAX);
	free(old);
	free(buf);
	return err;
}

/* The serials in the keyring; *n of them, malloc'd. */
static int keystore_list(const struct keystore *ks, __s32 **out, size_t *n)
{
	__s32 *ids = NULL;
	long len = 0, r;

	for (;;) {
		r = keystore_ctl(KEYCTL_READ, ks->ring, (unsigned long)ids, len);
		if (r < 0) {
			free(ids);
			return r;
		}
		if (r <= len)
			break;
		free(ids);
		len = r;
		ids = malloc(len);
		if (!ids)
			return -ENOMEM;
	}
	*out = ids;
	*n = ids ? (size_t)r / sizeof(*ids) : 0;
	return 0;
}

int keystore_count(const struct keystore *ks)
{
	__s32 *ids;
	size_t n;
	int err = keystore_list(ks, &ids, &n);

	if (err)
		return err;
	free(ids);
	return (int)n;
}

/* The batch number of key id ("b:N"), or -errno if it is not one of ours. */
static long keystore_batch_of(__s32 id)
{
	char d[256], *semi;
	unsigned long b;
	long r = keystore_ctl(KEYCTL_DESCRIBE, id, (unsigned long)d, sizeof(d));

	if (r < 0)
		return r;
	d[sizeof(d) - 1] = '\0';
	semi = strrchr(d, ';');
	if (strncmp(d, "user;", 5) || !semi || sscanf(semi + 1, "b:%lu", &b) != 1)
		return -EINVAL;
	return (long)b;
}

/* Call fn for each record of one batch's payload. */
static int keystore_parse(const __u8 *buf, size_t len,
			  int (*fn)(void *, __u32, __u32, const struct udpesp_ctl_sa *), void *arg,
			  struct udpesp_ctl_sa *cfg)
{
	size_t off = 0;
	int err = 0;

	while (!err && off + sizeof(struct keystore_rec) <= len) {
		struct udpesp_ctl_alg *alg[3] = { &cfg->aead, &cfg->enc, &cfg->auth };
		struct keystore_rec rec;

		memcpy(&rec, buf + off, sizeof(rec));
		off += sizeof(rec);
		memset(cfg, 0, sizeof(*cfg));
		for (int k = 0; k < 3; k++) {
			if (rec.len[k] > UDPESP_KEY_MAX || off + rec.len[k] > len)
				return -EBADMSG;
			alg[k]->key_len = rec.len[k];
			memcpy(alg[k]->key, buf + off, rec.len[k]);
			off += rec.len[k];
		}
		err = fn(arg, rec.slot, rec.handle, cfg);
	}
	explicit_bzero(cfg, sizeof(*cfg));
	return err ? err : off == len ? 0 : -EBADMSG;
}

int keystore_load(struct keystore *ks,
		  int (*fn)(void *arg, __u32 slot, __u32 handle, const struct udpesp_ctl_sa *keys),
		  void *arg)
{
	struct udpesp_ctl_sa *cfg = calloc(1, sizeof(*cfg));
	__u8 *buf = malloc(KEYSTORE_PAYLOAD_MAX);
	__s32 *ids = NULL;
	size_t n = 0;
	int err;

	err = !cfg || !buf ? -ENOMEM : keystore_list(ks, &ids, &n);
	for (size_t i = 0; !err && i < n; i++) {
		long b = keystore_batch_of(ids[i]), len;

		if (b < 0 || (unsigned long)b >= ks->nbatch)
			continue; /* not ours, or from a larger table: left alone */
		len = keystore_ctl(KEYCTL_READ, ids[i], (unsigned long)buf, KEYSTORE_PAYLOAD_MAX);
		if (len < 0) {
			err = len;
			break;
		}
		ks->keys[b] = ids[i];
		if (len > (long)KEYSTORE_PAYLOAD_MAX)
			err = -EBADMSG;
		else
			err = keystore_parse(buf, len, fn, arg, cfg);
		explicit_bzero(buf, KEYSTORE_PAYLOAD_MAX);
	}
	free(ids);
	free(buf);
	free(cfg);
	return err;
}

void keystore_destroy(struct keystore *ks, __s32 parent)
{
	__s32 *ids;
	size_t n;

	if (!ks->ring)
		return;
	if (!keystore_list(ks, &ids, &n)) {
		for (size_t i = 0; i < n; i++)
			keystore_ctl(KEYCTL_REVOKE, ids[i], 0, 0);
		free(ids);
	}
	keystore_ctl(KEYCTL_CLEAR, ks->ring, 0, 0);
	keystore_ctl(KEYCTL_UNLINK, ks->ring, parent, 0);
	keystore_ctl(KEYCTL_UNLINK, ks->ring, KEY_SPEC_SESSION_KEYRING, 0);
	keystore_close(ks);
}
