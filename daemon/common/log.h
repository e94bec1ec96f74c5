/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* udpespd's logger: levels, stderr, a file or syslog; libbpf goes through it. */
#ifndef UDPESP_LOG_H
#define UDPESP_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* file NULL: stderr; "syslog": syslog(3); else a path, reopened by log_reopen. */
int log_open(const char *file, enum log_level level);
int log_reopen(void);
void log_close(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* UDPESP_LOG_H */
