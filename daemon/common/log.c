// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespd's logger (see log.h). Never given key material by its callers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum log_level max_level = LOG_LVL_INFO;
static const char *log_path; /* NULL: stderr */
static int use_syslog;
static FILE *log_file;

static struct {
	unsigned int burst, interval_ms;
	long long start_ms; /* of the current interval; -1: none yet */
	unsigned int used;
	unsigned long suppressed;
} log_rate = { LOG_RATE_BURST, LOG_RATE_INTERVAL_MS, -1, 0, 0 };

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

static void log_emit(enum log_level level, const char *fmt, va_list ap)
{
	FILE *f = log_file ? log_file : stderr;
	char stamp[32];
	time_t now;

	if (use_syslog) {
		vsyslog(syslog_prio[level], fmt, ap);
		return;
	}
	now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", localtime(&now));
	fprintf(f, "%s udpespd %s: ", stamp, level_names[level]);
	vfprintf(f, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', f);
	fflush(f);
}

static void log_emitf(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void log_emitf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, fmt, ap);
	va_end(ap);
}

static long long log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start a new interval if the current one is over, reporting what it dropped. */
static void log_rate_roll(long long now)
{
	if (log_rate.start_ms >= 0 && now - log_rate.start_ms < log_rate.interval_ms)
		return;
	if (log_rate.suppressed)
		log_emitf(LOG_LVL_WARN, "%lu messages suppressed (more than %u in %u ms)",
			  log_rate.suppressed, log_rate.burst, log_rate.interval_ms);
	log_rate.start_ms = now;
	log_rate.used = 0;
	log_rate.suppressed = 0;
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	/*
	 * Debug lines (--debug, libbpf's loader chatter among them) are what
	 * the operator asked for and neither limited nor counted: counting
	 * them would let a program load use up the burst and suppress the
	 * info, warning and error lines that follow it.
	 */
	if (log_rate.burst && level < LOG_LVL_DEBUG) {
		log_rate_roll(log_now_ms());
		if (log_rate.used >= log_rate.burst) {
			log_rate.suppressed++;
			return;
		}
		log_rate.used++;
	}
	log_emit(level, fmt, ap);
}

void log_set_rate(unsigned int burst, unsigned int interval_ms)
{
	log_rate.burst = burst;
	log_rate.interval_ms = interval_ms;
	log_rate.start_ms = -1;
	log_rate.used = 0;
	log_rate.suppressed = 0;
}

void log_tick(void)
{
	if (log_rate.burst && log_rate.suppressed)
		log_rate_roll(log_now_ms());
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* libbpf's messages, one level below its own idea of them. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level l = level == LIBBPF_WARN ? LOG_LVL_INFO : LOG_LVL_DEBUG;

	vlog(l, fmt, ap);
	return 0;
}

int log_reopen(void)
{
	FILE *f;
	int fd;

	if (!log_path)
		return 0;
	/*
	 * 0600: the log is for root only (never holds keys, but SPIs and
	 * peers). fopen() would create it 0666 & ~umask, readable by all.
	 */
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "a");
	if (!f) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (log_file)
		fclose(log_file);
	log_file = f;
	return 0;
}

int log_open(const char *file, enum log_level level)
{
	max_level = level;
	libbpf_set_print(libbpf_print);
	if (file && !strcmp(file, "syslog")) {
		use_syslog = 1;
		openlog("udpespd", LOG_PID, LOG_DAEMON);
		return 0;
	}
	log_path = file;
	return log_reopen();
}

void log_close(void)
{
	if (log_rate.suppressed) {
		log_rate.start_ms = -1; /* report it now */
		log_rate_roll(log_now_ms());
	}
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	if (use_syslog)
		closelog();
}
