// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What udpespd keeps for its next start (persist.c): the outbound
 * sequence-number mark is stored before senders may use a number under
 * it, moves a block ahead when half a block is left, stops at the end of
 * the space, and is what a new start reads back. Uses a temporary state
 * file and a keyring in the calling user's user keyring, wiped at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "udpespd/persist.h"

static const struct sa_table_ops no_ops;

static __u64 mark_on_disk(const char *path, __u32 slot)
{
	FILE *f = fopen(path, "rb");
	__u64 m = 0;

	cr_assert_not_null(f);
	/* Header 4096 bytes, 1 KiB per slot, the mark at offset 32 of a record. */
	cr_assert_eq(fseek(f, 4096 + slot * 1024 + 32, SEEK_SET), 0);
	cr_assert_eq(fread(&m, sizeof(m), 1, f), 1);
	fclose(f);
	return m;
}

Test(persist, mark_kept_before_use_and_read_back)
{
	char path[] = "/tmp/udpesp-persist-XXXXXX";
	struct sa_entry e = { .handle = 1, .slot = 3, .gen = 1 };
	struct persist_sa *kept;
	struct sa_rt rt = { .handle = 1, .slot = 3, .dir = UDPESP_DIR_OUT };
	struct sa_table t;
	struct persist p;
	char err[256] = "";
	size_t n;
	__u32 holder;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(sa_table_init(&t, 64, &no_ops, NULL), 0);
	cr_assert_eq(persist_lock(&p, path, 0, &holder), 0);
	cr_assert_eq(persist_load(&p, &t, "/pin", &kept, &n), 0);
	cr_assert_eq(n, 0, "a fresh state file adopted something");
	cr_assert(p.enabled);

	e.cfg.dir = UDPESP_DIR_OUT;
	e.cfg.aead.key_len = 20;
	memset(e.cfg.aead.key, 0x77, 20);
	e.rt = &rt;
	rt.encap.esn = false;
	rt.encap.oseq = 100;
	rt.encap.oseq_limit = esp_seq_max(false);
	cr_assert_eq(persist_sa_add(&p, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rt.encap.oseq_limit, 100 + PERSIST_SEQ_BLOCK);
	cr_assert_eq(mark_on_disk(path, 3), 100 + PERSIST_SEQ_BLOCK,
		     "limit raised before the mark was kept");

	/* More than half a block left: nothing moves. */
	rt.encap.oseq = 100 + PERSIST_SEQ_BLOCK / 2 - 1;
	persist_reserve(&p, &rt);
	cr_assert_eq(rt.encap.oseq_limit, 100 + PERSIST_SEQ_BLOCK);
	/* Half a block or less: a block ahead of the number in use, kept first. */
	rt.encap.oseq = 100 + PERSIST_SEQ_BLOCK / 2 + 1;
	rt.reserve_noted = 1;
	persist_reserve(&p, &rt);
	cr_assert_eq(rt.encap.oseq_limit, rt.encap.oseq + PERSIST_SEQ_BLOCK);
	cr_assert_eq(mark_on_disk(path, 3), rt.encap.oseq_limit);
	cr_assert_eq(rt.reserve_noted, 0, "senders cannot ask again");
	/* Never past the end of the space (2^32 - 1 without ESN). */
	rt.encap.oseq = 0xffffffffULL - 10;
	persist_reserve(&p, &rt);
	cr_assert_eq(rt.encap.oseq_limit, 0xffffffffULL);
	cr_assert_eq(mark_on_disk(path, 3), 0xffffffffULL);

	/* A new start reads the SA back with its keys and mark. */
	persist_close(&p);
	cr_assert_eq(persist_lock(&p, path, 0, &holder), 0);
	cr_assert_eq(persist_load(&p, &t, "/pin", &kept, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(kept[0].a.handle, 1);
	cr_assert_eq(kept[0].a.slot, 3);
	cr_assert(kept[0].has_keys);
	cr_assert_eq(kept[0].cfg.aead.key[19], 0x77);
	cr_assert_eq(kept[0].oseq_mark, 0xffffffffULL);
	persist_free_loaded(kept, n);

	/* A different pin directory: not adopted, and its keys wiped. */
	persist_close(&p);
	cr_assert_eq(persist_lock(&p, path, 0, &holder), 0);
	cr_assert_eq(persist_load(&p, &t, "/elsewhere", &kept, &n), 0);
	cr_assert_eq(n, 0);
	persist_wipe(&p);
	persist_close(&p);
	sa_table_fini(&t);
	unlink(path);
}

/* One udpespd per state file: a second one is refused while the first holds it. */
Test(persist, second_holder_refused)
{
	char path[] = "/tmp/udpesp-persist-XXXXXX";
	struct persist a, b;
	__u32 holder;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(persist_lock(&a, path, 0, &holder), 0);
	cr_assert_eq(persist_lock(&b, path, 0, &holder), -EBUSY);
	persist_close(&a);
	cr_assert_eq(persist_lock(&b, path, 0, &holder), 0);
	persist_close(&b);
	unlink(path);
}
