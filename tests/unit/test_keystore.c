// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The key store in the kernel keyring (keystore.c), unprivileged: a
 * keyring in this process's keyring stands in for root's
 * user keyring. Batches are written, read back, rewritten without an SA
 * and revoked when empty; the keys are possessor-only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <criterion/criterion.h>

#include "udpespd/keystore.h"

struct seen {
	int n;
	__u32 slot[8], handle[8];
	__u8 first_key_byte[8];
	__u32 key_len[8];
};

static int collect(void *arg, __u32 slot, __u32 handle, const struct udpesp_ctl_sa *k)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 8);
	s->slot[s->n] = slot;
	s->handle[s->n] = handle;
	s->key_len[s->n] = k->aead.key_len + k->enc.key_len + k->auth.key_len;
	s->first_key_byte[s->n++] = k->aead.key_len ? k->aead.key[0] : k->enc.key[0];
	return 0;
}

static struct udpesp_ctl_sa gcm(__u8 fill)
{
	struct udpesp_ctl_sa sa = { .dir = UDPESP_DIR_IN };

	sa.aead.key_len = 36;
	memset(sa.aead.key, fill, 36);
	return sa;
}

Test(keystore, write_load_rewrite_revoke)
{
	struct udpesp_ctl_sa a = gcm(0xa1), b = gcm(0xb2), c = { .dir = UDPESP_DIR_OUT };
	struct keystore_sa batch[2] = { { .slot = 1, .handle = 11, .cfg = &a },
					{ .slot = 2, .handle = 12, .cfg = &b } };
	struct keystore_sa other = { .slot = KEYSTORE_BATCH, .handle = 13, .cfg = &c };
	struct keystore ks;
	struct seen s = { 0 };
	bool created;
	long perm;
	char desc[256];

	c.enc.key_len = 32;
	memset(c.enc.key, 0xc3, 32);
	c.auth.key_len = 64;
	memset(c.auth.key, 0xd4, 64);
	snprintf(desc, sizeof(desc), "udpespd-test:%d", getpid());
	cr_assert_eq(keystore_open(&ks, desc, KEY_SPEC_PROCESS_KEYRING, 256, &created), 0);
	cr_assert(created);
	cr_assert_eq(keystore_write(&ks, 0, batch, 2), 0);
	cr_assert_eq(keystore_write(&ks, 1, &other, 1), 0);
	cr_assert_eq(keystore_count(&ks), 2);

	/* Possessor rights only: nothing for the user, group or others. */
	perm = syscall(__NR_keyctl, KEYCTL_DESCRIBE, ks.keys[0], desc, sizeof(desc), 0);
	cr_assert_gt(perm, 0);
	cr_assert(strstr(desc, ";3f000000;"), "key permissions: %s", desc);

	/* A new process finds it again (here: the same one, opened anew). */
	keystore_close(&ks);
	snprintf(desc, sizeof(desc), "udpespd-test:%d", getpid());
	cr_assert_eq(keystore_open(&ks, desc, KEY_SPEC_PROCESS_KEYRING, 256, &created), 0);
	cr_assert_not(created, "the keyring was not found again");
	cr_assert_eq(keystore_load(&ks, collect, &s), 0);
	cr_assert_eq(s.n, 3);
	for (int i = 0; i < 3; i++) {
		if (s.handle[i] == 11)
			cr_assert(s.slot[i] == 1 && s.first_key_byte[i] == 0xa1 &&
				  s.key_len[i] == 36);
		else if (s.handle[i] == 12)
			cr_assert(s.slot[i] == 2 && s.first_key_byte[i] == 0xb2);
		else
			cr_assert(s.handle[i] == 13 && s.first_key_byte[i] == 0xc3 &&
				  s.key_len[i] == 96);
	}

	/* SA 11 deleted: its batch rewritten without it. */
	cr_assert_eq(keystore_write(&ks, 0, &batch[1], 1), 0);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(keystore_load(&ks, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_assert(s.handle[0] != 11 && s.handle[1] != 11, "a deleted SA's key is still there");

	/* Empty batches are revoked and unlinked. */
	cr_assert_eq(keystore_write(&ks, 0, NULL, 0), 0);
	cr_assert_eq(keystore_write(&ks, 1, NULL, 0), 0);
	cr_assert_eq(keystore_count(&ks), 0);
	keystore_destroy(&ks, KEY_SPEC_PROCESS_KEYRING);
}
