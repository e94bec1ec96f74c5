/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SPI reservations for IKE daemons (SPI_ALLOC): an SPI is handed out for
 * a destination only if no SA towards it uses it and no live reservation
 * holds it; the reservation lasts until an SA with it is added or its
 * time runs out. No I/O and no daemon state, so the rules are unit-tested.
 */
#ifndef UDPESPD_SPI_RESV_H
#define UDPESPD_SPI_RESV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/ctl.h>

#define SPI_RESV_MAX 65536 /* half-open IKE_SAs at one time, generously */

struct spi_resv {
	struct udpesp_ctl_addr dst;
	__be32 spi;
	__u64 until; /* CLOCK_MONOTONIC seconds */
};

struct spi_resv_table {
	struct spi_resv *v;
	size_t n, cap;
};

/* Is (dst, spi) taken by an SA? */
typedef bool (*spi_resv_in_use_fn)(void *ctx, const struct udpesp_ctl_addr *dst, __be32 spi);

/* Drop the reservations whose time is up at now. */
void spi_resv_expire(struct spi_resv_table *t, __u64 now);
bool spi_resv_held(const struct spi_resv_table *t, const struct udpesp_ctl_addr *dst, __be32 spi);
/* An SA with (dst, spi) was added: its reservation, if any, is used up. */
void spi_resv_release(struct spi_resv_table *t, const struct udpesp_ctl_addr *dst, __be32 spi);

/*
 * A random free SPI in [min, max] for dst, reserved until now + timeout:
 * 0, or -EINVAL (range empty or below 256, which IANA reserves), -ENOSPC
 * (SPI_RESV_MAX reservations held), -EADDRINUSE (none free), -EIO (no
 * random numbers), -ENOMEM.
 */
int spi_resv_alloc(struct spi_resv_table *t, const struct udpesp_ctl_addr *dst, __u32 min,
		   __u32 max, __u64 now, __u32 timeout, spi_resv_in_use_fn in_use, void *ctx,
		   __be32 *spi);

/*
 * Keeping reservations across a restart of udpespd (issue 16): IKE sends
 * a reserved SPI to its peer before it adds the SA, so a new udpespd must
 * not hand that SPI out again. spi_resv_save() writes the table to fd
 * (the whole file); spi_resv_load() replaces the table with fd's, minus
 * what expired by now (CLOCK_MONOTONIC: one boot, as the state). 0 or
 * -errno (-EBADMSG: not a reservation file).
 */
int spi_resv_save(const struct spi_resv_table *t, int fd);
int spi_resv_load(struct spi_resv_table *t, int fd, __u64 now);

void spi_resv_fini(struct spi_resv_table *t);

#endif /* UDPESPD_SPI_RESV_H */
