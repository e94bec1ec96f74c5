// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * daemon/udpespd/spi_resv.c: the SPIs udpespd hands IKE daemons
 * (SPI_ALLOC) are unique per destination among SAs and live reservations,
 * in the range asked for, held until their SA is added or they time out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include <udpesp/abi.h>

#include "udpespd/spi_resv.h"

static struct spi_resv_table t;

static void fini(void)
{
	spi_resv_fini(&t);
}

TestSuite(spi_resv, .fini = fini);

static struct udpesp_ctl_addr dst4(const char *s)
{
	struct udpesp_ctl_addr a = { .family = UDPESP_AF_INET, .prefixlen = 32 };

	inet_pton(AF_INET, s, a.addr);
	return a;
}

/* SAs that exist: a list of (dst, spi). */
struct fake_sas {
	struct udpesp_ctl_addr dst[8];
	__be32 spi[8];
	int n;
};

static bool fake_in_use(void *ctx, const struct udpesp_ctl_addr *dst, __be32 spi)
{
	struct fake_sas *f = ctx;

	for (int i = 0; i < f->n; i++)
		if (f->spi[i] == spi && !memcmp(&f->dst[i], dst, sizeof(*dst)))
			return true;
	return false;
}

Test(spi_resv, a_small_range_is_used_up_exactly_then_refused)
{
	struct udpesp_ctl_addr a = dst4("192.0.2.1");
	bool seen[4] = { false };
	__be32 spi;

	for (int i = 0; i < 4; i++) {
		cr_assert_eq(spi_resv_alloc(&t, &a, 0x1000, 0x1003, 100, 30, NULL, NULL, &spi), 0);
		cr_assert(ntohl(spi) >= 0x1000 && ntohl(spi) <= 0x1003, "0x%x", ntohl(spi));
		cr_assert_not(seen[ntohl(spi) - 0x1000], "0x%x handed out twice", ntohl(spi));
		seen[ntohl(spi) - 0x1000] = true;
		cr_assert(spi_resv_held(&t, &a, spi));
	}
	cr_assert_eq(spi_resv_alloc(&t, &a, 0x1000, 0x1003, 100, 30, NULL, NULL, &spi),
		     -EADDRINUSE);
}

Test(spi_resv, unique_per_destination_only)
{
	struct udpesp_ctl_addr a = dst4("192.0.2.1"), b = dst4("192.0.2.9");
	__be32 sa, sb;

	cr_assert_eq(spi_resv_alloc(&t, &a, 0x2000, 0x2000, 100, 30, NULL, NULL, &sa), 0);
	cr_assert_eq(spi_resv_alloc(&t, &b, 0x2000, 0x2000, 100, 30, NULL, NULL, &sb), 0,
		     "another dst may use the same SPI");
	cr_assert_eq(sa, sb);
	cr_assert_eq(spi_resv_alloc(&t, &a, 0x2000, 0x2000, 100, 30, NULL, NULL, &sa), -EADDRINUSE);
}

Test(spi_resv, spis_of_installed_sas_are_never_handed_out)
{
	struct udpesp_ctl_addr a = dst4("192.0.2.1");
	struct fake_sas f = { .n = 2 };
	__be32 spi;

	f.dst[0] = f.dst[1] = a;
	f.spi[0] = htonl(0x3000);
	f.spi[1] = htonl(0x3002);
	for (int i = 0; i < 20; i++) {
		spi_resv_fini(&t);
		cr_assert_eq(spi_resv_alloc(&t, &a, 0x3000, 0x3002, 100, 30, fake_in_use, &f, &spi),
			     0);
		cr_assert_eq(ntohl(spi), 0x3001, "got 0x%x", ntohl(spi));
	}
}

Test(spi_resv, added_sa_releases_and_timeout_expires)
{
	struct udpesp_ctl_addr a = dst4("192.0.2.1");
	__be32 spi, again;

	cr_assert_eq(spi_resv_alloc(&t, &a, 0x4000, 0x4000, 100, 30, NULL, NULL, &spi), 0);
	spi_resv_release(&t, &a, spi);
	cr_assert_not(spi_resv_held(&t, &a, spi), "an added SA uses its reservation up");
	cr_assert_eq(t.n, 0);

	cr_assert_eq(spi_resv_alloc(&t, &a, 0x4000, 0x4000, 100, 30, NULL, NULL, &spi), 0);
	cr_assert_eq(spi_resv_alloc(&t, &a, 0x4000, 0x4000, 129, 30, NULL, NULL, &again),
		     -EADDRINUSE, "held until 130");
	cr_assert_eq(spi_resv_alloc(&t, &a, 0x4000, 0x4000, 130, 30, NULL, NULL, &again), 0,
		     "free again when its time is up");
	cr_assert_eq(again, spi);
	cr_assert_eq(t.n, 1, "the expired one is gone, the new one held");
}

Test(spi_resv, bad_ranges_are_refused)
{
	struct udpesp_ctl_addr a = dst4("192.0.2.1");
	__be32 spi = 0;

	cr_assert_eq(spi_resv_alloc(&t, &a, 0, 0x1000, 100, 30, NULL, NULL, &spi), -EINVAL,
		     "SPI 0 is never ESP, 1-255 are IANA's");
	cr_assert_eq(spi_resv_alloc(&t, &a, 255, 255, 100, 30, NULL, NULL, &spi), -EINVAL);
	cr_assert_eq(spi_resv_alloc(&t, &a, 0x2000, 0x1000, 100, 30, NULL, NULL, &spi), -EINVAL);
	cr_assert_eq(spi, 0);
	cr_assert_eq(t.n, 0);
}

Test(spi_resv, large_ranges_are_random_and_stay_inside)
{
	struct udpesp_ctl_addr a = dst4("192.0.2.1");
	__be32 first = 0, spi;
	bool differ = false;

	for (int i = 0; i < 200; i++) {
		cr_assert_eq(spi_resv_alloc(&t, &a, 0xc0000000u, 0xcfffffffu, 100, 30, NULL, NULL,
					    &spi),
			     0);
		cr_assert(ntohl(spi) >= 0xc0000000u && ntohl(spi) <= 0xcfffffffu, "0x%x",
			  ntohl(spi));
		if (!i)
			first = spi;
		differ |= spi != first;
	}
	cr_assert(differ);
	cr_assert_eq(t.n, 200, "200 distinct reservations");
}

/*
 * Issue 16: a restarted udpespd must not hand out again an SPI it reserved
 * for IKE (the peer already has it). The reservations go to a file and
 * come back, minus what expired meanwhile.
 */
Test(spi_resv, saved_reservations_come_back_without_the_expired)
{
	struct udpesp_ctl_addr a = dst4("192.0.2.1"), b = dst4("192.0.2.2");
	struct spi_resv_table back = { 0 };
	__be32 s1, s2, s3;
	FILE *f = tmpfile();
	int fd;

	cr_assert_not_null(f);
	fd = fileno(f);
	cr_assert_eq(spi_resv_load(&back, fd, 100), 0, "an empty file: nothing reserved");
	cr_assert_eq(back.n, 0);
	cr_assert_eq(spi_resv_alloc(&t, &a, 0x1000, 0x1fff, 100, 180, NULL, NULL, &s1), 0);
	cr_assert_eq(spi_resv_alloc(&t, &b, 0x1000, 0x1fff, 100, 30, NULL, NULL, &s2), 0);
	cr_assert_eq(spi_resv_alloc(&t, &a, 0x1000, 0x1fff, 100, 180, NULL, NULL, &s3), 0);
	spi_resv_release(&t, &a, s3);
	cr_assert_eq(spi_resv_save(&t, fd), 0);

	/* 60 s later: b's 30-second reservation is gone, a's first one held. */
	cr_assert_eq(spi_resv_load(&back, fd, 160), 0);
	cr_assert_eq(back.n, 1);
	cr_assert(spi_resv_held(&back, &a, s1));
	cr_assert_not(spi_resv_held(&back, &b, s2));
	cr_assert_not(spi_resv_held(&back, &a, s3), "released before the save");

	/* A smaller table saved over a larger one leaves no stale tail. */
	spi_resv_release(&t, &a, s1);
	spi_resv_release(&t, &b, s2);
	cr_assert_eq(spi_resv_save(&t, fd), 0);
	cr_assert_eq(spi_resv_load(&back, fd, 100), 0);
	cr_assert_eq(back.n, 0);
	spi_resv_fini(&back);
	fclose(f);
}

Test(spi_resv, a_file_that_is_not_ours_is_refused)
{
	struct spi_resv_table back = { 0 };
	FILE *f = tmpfile();

	cr_assert_not_null(f);
	fputs("not a reservation file", f);
	fflush(f);
	cr_assert_eq(spi_resv_load(&back, fileno(f), 0), -EBADMSG);
	cr_assert_eq(back.n, 0);
	spi_resv_fini(&back);
	fclose(f);
}
