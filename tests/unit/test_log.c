// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The logger's rate limit: an abusive client made udpespd write 85,690
 * lines (7.3 MB); now lines beyond the burst are counted and reported as
 * one "N messages suppressed" line. Each test runs in its own process
 * (Criterion forks), so the logger's state starts fresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "common/log.h"

static char log_path[64];

static void log_setup(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "/tmp/udpesp-test-log.XXXXXX");
	fd = mkstemp(log_path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(log_open(log_path, LOG_LVL_INFO), 0);
}

static void log_teardown(void)
{
	log_close();
	unlink(log_path);
}

/* Lines of the log holding text. */
static int log_count(const char *text)
{
	FILE *f = fopen(log_path, "r");
	char line[512];
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

TestSuite(log, .init = log_setup, .fini = log_teardown);

Test(log, burst_then_summary)
{
	log_set_rate(5, 300);
	for (int i = 0; i < 50; i++)
		pr_info("flood line %d", i);
	cr_assert_eq(log_count("flood line"), 5, "only the burst is written");
	cr_assert_eq(log_count("suppressed"), 0, "no summary before the interval ends");
	sleep_ms(400);
	pr_warn("after the flood");
	cr_assert_eq(log_count("45 messages suppressed"), 1);
	cr_assert_eq(log_count("after the flood"), 1, "a new interval writes again");
}

Test(log, tick_reports_without_another_line)
{
	log_set_rate(3, 200);
	for (int i = 0; i < 10; i++)
		pr_err("flood line %d", i);
	log_tick();
	cr_assert_eq(log_count("suppressed"), 0, "the interval is not over yet");
	sleep_ms(300);
	log_tick();
	cr_assert_eq(log_count("7 messages suppressed"), 1);
	log_tick();
	cr_assert_eq(log_count("suppressed"), 1, "reported once");
}

Test(log, close_reports_what_is_left)
{
	log_set_rate(2, 60000);
	for (int i = 0; i < 4; i++)
		pr_info("flood line %d", i);
	log_close();
	cr_assert_eq(log_count("2 messages suppressed"), 1);
	cr_assert_eq(log_open(log_path, LOG_LVL_INFO), 0); /* for the fini */
}

Test(log, default_limit_holds_a_flood)
{
	for (int i = 0; i < 10000; i++)
		pr_info("flood line %d", i);
	cr_assert_eq(log_count("flood line"), LOG_RATE_BURST);
}

Test(log, no_limit_when_burst_is_zero)
{
	log_set_rate(0, 0);
	for (int i = 0; i < 500; i++)
		pr_debug("debug %d", i); /* below the level: never counted */
	for (int i = 0; i < 500; i++)
		pr_info("flood line %d", i);
	cr_assert_eq(log_count("flood line"), 500);
	cr_assert_eq(log_count("suppressed"), 0);
}

/*
 * udpespd --debug logged libbpf's hundreds of loader lines first; they used
 * up the burst and the "AF_XDP worker" info line after them was suppressed.
 */
Test(log, debug_lines_leave_the_burst_to_the_rest)
{
	log_close();
	cr_assert_eq(log_open(log_path, LOG_LVL_DEBUG), 0);
	for (int i = 0; i < 2 * LOG_RATE_BURST; i++)
		pr_debug("loader line %d", i);
	pr_info("worker started");
	cr_assert_eq(log_count("loader line"), 2 * LOG_RATE_BURST);
	cr_assert_eq(log_count("worker started"), 1);
	cr_assert_eq(log_count("suppressed"), 0);
}
