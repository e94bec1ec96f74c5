/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* udpespd's logger: levels, stderr, a file or syslog; libbpf goes through it. */
#ifndef UDPESP_LOG_H
#define UDPESP_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* file NULL: stderr; "syslog": syslog(3); else a path, reopened by log_reopen. */
int log_open(const char *file, enum log_level level);
int log_reopen(void);
/* Also writes the summary of lines still suppressed. */
void log_close(void);
/*
 * Rate limit: at most burst lines per interval_ms; the lines beyond are
 * counted and, once the interval is over, reported as one line "N
 * messages suppressed". Debug lines are never limited (the operator
 * asked for them). burst 0: no limit. Defaults LOG_RATE_BURST lines
 * per LOG_RATE_INTERVAL_MS, so a client cannot fill the disk.
 */
#define LOG_RATE_BURST 100
#define LOG_RATE_INTERVAL_MS 5000
void log_set_rate(unsigned int burst, unsigned int interval_ms);
/* Call now and then (udpespd: every second): reports a finished interval. */
void log_tick(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* UDPESP_LOG_H */
