/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What every udpesp benchmark needs: dying with a message, clocks,
 * numbers from the environment, medians, readable big numbers, and a
 * udpespd of its own to talk to.
 */
#ifndef UDPESP_BENCH_UTIL_H
#define UDPESP_BENCH_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* "<program>: message" on stderr, then exit(1). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

double now_s(void); /* CLOCK_MONOTONIC, seconds */
__u64 now_ns(void); /* CLOCK_MONOTONIC, nanoseconds */

/* An unsigned from the environment: def when unset, dies when malformed. */
__u32 env_u32(const char *name, __u32 def, __u32 min, __u32 max);

/* The median of n values (v is left as it is). */
double median(const double *v, __u32 n);

/* 1000000 -> "1,000,000": the tables are read by people. */
const char *grouped(unsigned long long v, char *buf, size_t len);

/*
 * Start udpespd (argv[0] is its path; its stdin and stdout go to
 * /dev/null, it dies with the benchmark) and connect to its control
 * socket, waiting at most timeout_s seconds. Dies, showing the end of
 * log, if it exits first or never listens. Returns its pid; *fd is the
 * connected socket.
 */
pid_t bench_daemon_start(char *const argv[], const char *sock, const char *log, int timeout_s,
			 int *fd);
/* The last 20 lines of udpespd's log, on stderr. */
void bench_log_tail(const char *log);

/*
 * Where results go for `make bench`: $BENCH_JSON opened for appending,
 * one JSON object per line; NULL when it is unset. Dies if it cannot be
 * opened.
 */
#include <stdio.h>
FILE *bench_json_open(void);
/* s as a JSON string, quotes included. */
void bench_json_str(FILE *f, const char *s);

/*
 * The udpespd to run: $UDPESPD, else ../udpespd next to this binary.
 * Dies if it is not executable.
 */
void bench_find_daemon(char *path, size_t len);

struct ctl_msg;

/* A connection to udpespd's control socket, as udpespctl holds one. */
struct bench_ctl {
	int fd;
	__u32 seq;
	const char *log; /* udpespd's log, shown when it stops answering */
};

/*
 * Send one request and wait for its reply. 0: the reply, of type want,
 * is in *m (the caller frees it). -1: udpespd refused; err gets its
 * message (dies instead when err is NULL). Dies when the socket fails.
 */
int bench_ctl_call(struct bench_ctl *c, __u32 type, const void *payload, __u32 len, __u32 want,
		   struct ctl_msg *m, char *err, size_t errlen);

#endif /* UDPESP_BENCH_UTIL_H */
