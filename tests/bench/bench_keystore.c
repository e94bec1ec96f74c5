// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bench_keystore: what it costs to keep SA keys in the kernel keyring,
 * where they outlive udpespd but not a reboot (issue 16), for the two
 * layouts a key store can take:
 *
 *   per-SA   one "user" key per SA (description "sa:<n>"), written once
 *            at add, unlinked at delete;
 *   batched  BATCH SAs per key, the key rewritten (KEYCTL_UPDATE) each
 *            time one of its SAs is added or deleted.
 *
 * For 100,000 and 1,000,000 SAs it reports the time to add every SA one
 * at a time (what SA_ADD pays), the time to adopt them all (list the
 * keyring, read every key: what a restarted udpespd pays), the root
 * user's keyring quota used (/proc/key-users: the kernel charges payload
 * and description) and the kernel slab memory it took, and where the
 * kernel refuses (EDQUOT at root_maxbytes, 25,000,000 by default).
 *
 * Everything lives in an anonymous session keyring of this process, so
 * nothing of the host's keyrings is touched and the kernel reclaims the
 * keys when the process exits. Root only (the quota read is root's).
 * Environment: BENCH_KS_PAYLOAD (key bytes per SA, default 36: AES-256
 * with its 4-byte salt, the largest AEAD key), BENCH_KS_BATCH (default 64),
 * BENCH_QUICK=1 (100,000 SAs only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>

#include "bench_util.h"

typedef __s32 key_serial_t;

/* keyutils' KS_PERM_POSSESSOR_ALL: every right for possessors, none for anyone else. */
#define KS_PERM_POSSESSOR_ALL 0x3f000000UL

static key_serial_t ks_add(const char *type, const char *desc, const void *p, size_t len,
			   key_serial_t ring)
{
	return syscall(__NR_add_key, type, desc, p, len, ring);
}

static long ks_ctl(int op, unsigned long a, unsigned long b, unsigned long c)
{
	return syscall(__NR_keyctl, op, a, b, c, 0UL);
}

/* Root's keyring quota in use, in bytes, from /proc/key-users. */
static long quota_bytes(void)
{
	unsigned long used = 0, max;
	char line[256];
	FILE *f = fopen("/proc/key-users", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " 0: %*u %*u/%*u %*u/%*u %lu/%lu", &used, &max) == 2)
			break;
	fclose(f);
	return (long)used;
}

static long slab_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

struct ks_result {
	unsigned long added; /* SAs the kernel took before it refused */
	int refusal;	     /* errno of the first refusal, 0 if none */
	double add_s, adopt_s;
	long quota, slab_kib;
};

/* Adds n SAs of payload bytes, batch SAs per key (1: per-SA layout). */
static void ks_run(unsigned long n, size_t payload, unsigned int batch, struct ks_result *r)
{
	key_serial_t ring, *ids = NULL;
	unsigned char *buf = calloc(batch, payload);
	long q0 = quota_bytes(), s0 = slab_kib(), len;
	char desc[32];
	double t;

	memset(r, 0, sizeof(*r));
	if (!buf)
		die("out of memory");
	ring = ks_add("keyring", "udpesp-bench", NULL, 0, KEY_SPEC_SESSION_KEYRING);
	if (ring < 0)
		die("add_key(keyring): %s", strerror(errno));
	t = now_s();
	for (unsigned long i = 0; i < n; i++) {
		unsigned int slot = i % batch;
		key_serial_t k;

		/* Stand-in key bytes; the cost does not depend on their value. */
		memset(buf + slot * payload, (int)(i & 0xff) | 1, payload);
		snprintf(desc, sizeof(desc), "sa:%lu", i / batch);
		/* add_key on an existing description updates that key in place. */
		k = ks_add("user", desc, buf, (slot + 1) * payload, ring);
		if (k < 0) {
			r->refusal = errno;
			break;
		}
		if (slot == 0 && ks_ctl(KEYCTL_SETPERM, k, KS_PERM_POSSESSOR_ALL, 0) < 0)
			die("KEYCTL_SETPERM: %s", strerror(errno));
		r->added++;
	}
	r->add_s = now_s() - t;
	r->quota = quota_bytes() - q0;
	r->slab_kib = slab_kib() - s0;

	t = now_s();
	len = ks_ctl(KEYCTL_READ, ring, 0, 0);
	ids = len > 0 ? malloc(len) : NULL;
	if (len > 0 && (!ids || ks_ctl(KEYCTL_READ, ring, (unsigned long)ids, len) != len))
		die("reading the keyring failed");
	for (long i = 0; i < len / (long)sizeof(*ids); i++)
		if (ks_ctl(KEYCTL_READ, ids[i], (unsigned long)buf, batch * payload) < 0)
			die("KEYCTL_READ: %s", strerror(errno));
	r->adopt_s = now_s() - t;

	ks_ctl(KEYCTL_CLEAR, ring, 0, 0);
	ks_ctl(KEYCTL_UNLINK, ring, KEY_SPEC_SESSION_KEYRING, 0);
	free(ids);
	explicit_bzero(buf, batch * payload);
	free(buf);
}

/* The kernel destroys unlinked keys in its garbage collector, later. */
static void ks_settle(long q0)
{
	for (int i = 0; i < 100 && quota_bytes() > q0; i++)
		usleep(50 * 1000);
}

int main(void)
{
	const char *quick = getenv("BENCH_QUICK"), *e;
	size_t payload = (e = getenv("BENCH_KS_PAYLOAD")) ? strtoul(e, NULL, 0) : 36;
	unsigned int batch = (e = getenv("BENCH_KS_BATCH")) ? strtoul(e, NULL, 0) : 64;
	unsigned long sizes[] = { 100000, 1000000 };
	unsigned int nsizes = quick && *quick == '1' ? 1 : 2;
	char g[32];

	if (geteuid())
		die("needs root (the keyring quota is root's)");
	if (!payload || payload > 1024 || !batch || batch * payload > 32767)
		die("BENCH_KS_PAYLOAD x BENCH_KS_BATCH must fit a user key (32767 bytes)");
	/* A session keyring of our own: the host's keyrings stay untouched. */
	if (ks_ctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0) < 0)
		die("KEYCTL_JOIN_SESSION_KEYRING: %s", strerror(errno));

	printf("keyring key store, %zu key bytes per SA (quota root_maxbytes: see "
	       "/proc/sys/kernel/keys)\n",
	       payload);
	printf("%-8s %9s %10s %12s %12s %14s %12s  %s\n", "layout", "SAs", "added", "add us/SA",
	       "adopt us/SA", "quota B/SA", "slab B/SA", "refused");
	for (unsigned int s = 0; s < nsizes; s++) {
		for (unsigned int l = 0; l < 2; l++) {
			unsigned int b = l ? batch : 1;
			long q0 = quota_bytes();
			struct ks_result r;

			ks_run(sizes[s], payload, b, &r);
			printf("%-8s %9s %10lu %12.2f %12.2f %14.1f %12.1f  %s\n",
			       l ? "batched" : "per-SA", grouped(sizes[s], g, sizeof(g)), r.added,
			       r.added ? r.add_s * 1e6 / r.added : 0,
			       r.added ? r.adopt_s * 1e6 / r.added : 0,
			       r.added ? (double)r.quota / r.added : 0,
			       r.added ? r.slab_kib * 1024.0 / r.added : 0,
			       r.refusal ? strerror(r.refusal) : "-");
			ks_settle(q0);
		}
	}
	return 0;
}
