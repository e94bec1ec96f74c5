// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* SPI reservations (see spi_resv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <sys/random.h>
#include <udpesp/abi.h>

#include "common/util.h"
#include "spi_resv.h"

/* Below this many SPIs a range is searched in full, not by random tries. */
#define SPI_RESV_SCAN 4096

static bool spi_resv_same(const struct udpesp_ctl_addr *a, const struct udpesp_ctl_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == UDPESP_AF_INET ? 4 : 16);
}

static void spi_resv_drop(struct spi_resv_table *t, size_t i)
{
	t->v[i] = t->v[--t->n];
}

void spi_resv_expire(struct spi_resv_table *t, __u64 now)
{
	for (size_t i = 0; i < t->n;)
		if (t->v[i].until <= now)
			spi_resv_drop(t, i);
		else
			i++;
}

bool spi_resv_held(const struct spi_resv_table *t, const struct udpesp_ctl_addr *dst, __be32 spi)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].spi == spi && spi_resv_same(&t->v[i].dst, dst))
			return true;
	return false;
}

void spi_resv_release(struct spi_resv_table *t, const struct udpesp_ctl_addr *dst, __be32 spi)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].spi == spi && spi_resv_same(&t->v[i].dst, dst)) {
			spi_resv_drop(t, i);
			return;
		}
}

static bool spi_resv_free(const struct spi_resv_table *t, const struct udpesp_ctl_addr *dst,
			  __u32 spi, spi_resv_in_use_fn in_use, void *ctx)
{
	return !spi_resv_held(t, dst, htonl(spi)) && !(in_use && in_use(ctx, dst, htonl(spi)));
}

int spi_resv_alloc(struct spi_resv_table *t, const struct udpesp_ctl_addr *dst, __u32 min,
		   __u32 max, __u64 now, __u32 timeout, spi_resv_in_use_fn in_use, void *ctx,
		   __be32 *spi)
{
	__u64 span = (__u64)max - min + 1;
	__u32 r, found = 0;

	if (min < 256 || min > max)
		return -EINVAL;
	spi_resv_expire(t, now);
	if (t->n >= SPI_RESV_MAX)
		return -ENOSPC;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -EIO;
	if (span <= SPI_RESV_SCAN) {
		/* Every SPI once, from a random start: a free one is found. */
		for (__u64 k = 0; k < span && !found; k++) {
			__u32 s = min + (__u32)((r + k) % span);

			if (spi_resv_free(t, dst, s, in_use, ctx))
				found = s;
		}
	} else {
		/* Random, so that SPIs say nothing about how many came before. */
		for (int tries = 0; tries < 64 && !found; tries++) {
			__u32 s = min + (__u32)((__u64)r * span >> 32);

			if (spi_resv_free(t, dst, s, in_use, ctx))
				found = s;
			else if (getrandom(&r, sizeof(r), 0) != sizeof(r))
				return -EIO;
		}
	}
	if (!found)
		return -EADDRINUSE;
	if (array_reserve((void **)&t->v, t->n, &t->cap, sizeof(*t->v)))
		return -ENOMEM;
	t->v[t->n++] =
		(struct spi_resv){ .dst = *dst, .spi = htonl(found), .until = now + timeout };
	*spi = htonl(found);
	return 0;
}

#define SPI_RESV_FILE_MAGIC 0x52535055u /* "UPSR" */

struct spi_resv_file_hdr {
	__u32 magic;
	__u32 n;
};

int spi_resv_save(const struct spi_resv_table *t, int fd)
{
	struct spi_resv_file_hdr h = { .magic = SPI_RESV_FILE_MAGIC, .n = (__u32)t->n };
	size_t len = t->n * sizeof(*t->v);

	if (pwrite(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    (len && pwrite(fd, t->v, len, sizeof(h)) != (ssize_t)len))
		return errno ? -errno : -EIO;
	return ftruncate(fd, sizeof(h) + len) ? -errno : 0;
}

int spi_resv_load(struct spi_resv_table *t, int fd, __u64 now)
{
	struct spi_resv_file_hdr h;
	ssize_t r = pread(fd, &h, sizeof(h), 0);
	size_t len;

	t->n = 0;
	if (r == 0)
		return 0; /* a new file: nothing reserved */
	if (r != sizeof(h) || h.magic != SPI_RESV_FILE_MAGIC || h.n > SPI_RESV_MAX)
		return -EBADMSG;
	len = (size_t)h.n * sizeof(*t->v);
	if (h.n > t->cap) {
		struct spi_resv *v = realloc(t->v, len);

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = h.n;
	}
	if (len && pread(fd, t->v, len, sizeof(h)) != (ssize_t)len)
		return -EBADMSG;
	t->n = h.n;
	spi_resv_expire(t, now);
	return 0;
}

void spi_resv_fini(struct spi_resv_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
