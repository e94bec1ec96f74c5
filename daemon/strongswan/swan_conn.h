/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The charon plugin's connection to udpespd's control socket: requests
 * from many charon threads, one at a time, each matched to its reply by
 * seq; reconnects on demand with a backoff (1 s doubling to 30 s) after
 * udpespd went away, and says so through the log callback. Plain C and
 * pthreads: no strongSwan header.
 */
#ifndef UDPESP_SWAN_CONN_H
#define UDPESP_SWAN_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <udpesp/ctl.h>

#include "common/ctl_proto.h"

#define SWAN_CONN_TIMEOUT_MS 5000 /* udpespd answers from its loop at once */
#define SWAN_CONN_BACKOFF_MAX 30

/* level 0: always shown (lost, unreachable), 1: state changes. */
typedef void (*swan_conn_log_t)(void *ctx, int level, const char *msg);

struct swan_conn {
	pthread_mutex_t lock;
	char path[108];
	int fd; /* -1 while not connected */
	uint32_t seq;
	uint64_t next_try;    /* CLOCK_MONOTONIC ms before which no connect is tried */
	unsigned int backoff; /* seconds, for the next failure */
	bool ever_up;	      /* a later connect is a reconnect */
	char last_err[160];
	swan_conn_log_t log;
	void *log_ctx;
};

void swan_conn_init(struct swan_conn *c, const char *path, swan_conn_log_t log, void *ctx);
void swan_conn_fini(struct swan_conn *c);

/* (Re)connect and greet now, ignoring the backoff: 0 or -errno with err. */
int swan_conn_connect(struct swan_conn *c, char *err, size_t errlen);

/*
 * Open a new connection to path and exchange HELLO: the fd (blocking,
 * close-on-exec) or -errno with the reason in err.
 */
int swan_conn_open(const char *path, char *err, size_t errlen);

/*
 * One request, one reply of reply_len bytes into reply (of type `type`).
 * 0, or -errno: udpespd's own status with its message in err, or a
 * transport error (-ENOTCONN while unreachable; the connection is dropped
 * and retried after the backoff).
 */
int swan_conn_request(struct swan_conn *c, uint32_t type, const void *req, uint32_t len,
		      void *reply, uint32_t reply_len, char *err, size_t errlen);

/* A dump: cb for every message until DONE; cb returning non-zero stops it (all read). */
int swan_conn_dump(struct swan_conn *c, uint32_t type,
		   int (*cb)(void *ctx, const struct ctl_msg *m), void *ctx, char *err,
		   size_t errlen);

#endif /* UDPESP_SWAN_CONN_H */
