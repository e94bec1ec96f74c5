/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What udpespctl's files share: one file per object (sa.c, link.c,
 * parser.c, stats.c, monitor.c, each with its do_<object>() entry), the
 * words of the command line (args.c), the connection to udpespd (conn.c)
 * and what they print with (print.c, on json_print.h).
 */
#ifndef UDPESP_UDPESPCTL_H
#define UDPESP_UDPESPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <sys/socket.h>
#include <udpesp/abi.h>
#include <udpesp/ctl.h>

#include "json_print.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct ctl_msg;

/* args.c */
#define usage_error(...) (print_error(__VA_ARGS__), EXIT_USAGE)
/* The same, followed by the usage it breaks (on stderr, as `ip` does). */
#define usage_error_with(usage_fn, ...) (print_error(__VA_ARGS__), usage_fn(stderr), EXIT_USAGE)

/* Step to the word after the keyword at argv[0], which must exist. */
#define NEXT_ARG()                                                                \
	do {                                                                      \
		argc--, argv++;                                                   \
		if (argc <= 0)                                                    \
			return usage_error("\"%s\" needs an argument", argv[-1]); \
	} while (0)

/* iproute2's matches(): word is a non-empty prefix of name. */
bool args_matches(const char *word, const char *name);
int args_no_more(int argc, char **argv);
bool args_is_help(int argc, char **argv);

/* conn.c: the socket (-s), and the connection once conn_open() made it. */
extern const char *conn_sock_path;
extern int conn_fd;
int conn_open(void);
void conn_close(void);
int conn_request(__u32 type, const void *payload, __u32 len);
/*
 * The next reply to request req: 0 with anything but an ERROR (the
 * caller checks the type), or -errno after printing why.
 */
int conn_recv(__u32 req, struct ctl_msg *m);
/* One request, one reply of type rep (ctl_recv checked its length). */
int conn_call(__u32 req, const void *p, __u32 len, __u32 rep, struct ctl_msg *m);
/* Prints that udpespd answered req with m's type; returns -EPROTO. */
int conn_unexpected(const struct ctl_msg *m, __u32 req);
/*
 * A dump: req, then info messages handed to one() (-EPROTO: not the
 * expected type), then DONE. begin() runs before the first reply that is
 * not an error and end() after DONE, so an error reply leaves stdout
 * empty; without them the replies form one JSON array.
 */
struct conn_dump {
	__u32 req;
	int (*one)(const struct ctl_msg *m);
	void (*begin)(void);
	void (*end)(void);
};
int conn_dump(const struct conn_dump *d);

/* print.c */
extern struct json_print print_out;
extern const char *const print_limit_names[UDPESP_LIMIT_MAX];
extern const char *const print_encap_names[UDPESP_ENCAP_ESPINUDP + 1];
/* "Error: ..." on stderr; returns EXIT_FAIL. */
__attribute__((format(printf, 1, 2))) int print_error(const char *fmt, ...);
/* names[v], or "what-v" in buf for a value this udpespctl does not know. */
const char *print_name(const char *const *names, unsigned int n, unsigned int v, const char *what,
		       char *buf, size_t len);
#define NAME(tbl, v, what, buf) print_name(tbl, ARRAY_SIZE(tbl), v, what, buf, sizeof(buf))
/* Address (with /len if prefix) in buf, or NULL when none is set. */
const char *print_fmt_addr(const struct udpesp_ctl_addr *a, bool prefix, char *buf, size_t len);
/* JSON: the address or null; text: fmt with the address or "any". */
void print_addr(const char *key, const char *fmt, const struct udpesp_ctl_addr *a, bool prefix);
void print_spi(const char *fmt, __be32 spi);
void print_dev(const char *fmt, __u32 ifindex);
/* JSON: seconds since the epoch; text: local time, "-" for 0. */
void print_time(const char *key, const char *fmt, __u64 t);

/* The objects: argv holds the words after the object's name. */
extern const char *stats_pin_dir;
int do_sa(int argc, char **argv);
int do_link(int argc, char **argv);
int do_parser(int argc, char **argv);
int do_state(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);

#endif /* UDPESP_UDPESPCTL_H */
