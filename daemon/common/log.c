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

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	FILE *f = log_file ? log_file : stderr;
	char stamp[32];
	time_t now;

	if (level > max_level)
		return;
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
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	if (use_syslog)
		closelog();
}
