// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespctl monitor: udpespd's events, one line (or JSON object) each. */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "common/ctl_proto.h"
#include "udpespctl.h"

static volatile sig_atomic_t monitor_stop;

static const char *const event_names[] = {
	[UDPESP_EV_SA_ADDED] = "sa-added",
	[UDPESP_EV_SA_DELETED] = "sa-deleted",
	[UDPESP_EV_SA_SOFT_EXPIRED] = "sa-soft-expired",
	[UDPESP_EV_SA_HARD_EXPIRED] = "sa-hard-expired",
	[UDPESP_EV_PARSER_ADDED] = "parser-added",
	[UDPESP_EV_PARSER_REMOVED] = "parser-removed",
	[UDPESP_EV_LINK_GONE] = "link-gone",
	[UDPESP_EV_MAPPING] = "mapping",
};

static void monitor_print_event(const struct udpesp_ctl_event *e)
{
	char b[32], a[INET6_ADDRSTRLEN] = "?";
	bool expiry = e->type == UDPESP_EV_SA_SOFT_EXPIRED || e->type == UDPESP_EV_SA_HARD_EXPIRED;

	json_print_open_object(&print_out, NULL);
	json_print_str(&print_out, PRINT_ANY, "event", "%s",
		       NAME(event_names, e->type, "event", b));
	json_print_u64(&print_out, PRINT_JSON, "time", NULL, e->time);
	if (e->type == UDPESP_EV_LINK_GONE) {
		json_print_u64(&print_out, PRINT_ANY, "ifindex", " ifindex %llu", e->ifindex);
	} else if (e->type == UDPESP_EV_PARSER_ADDED || e->type == UDPESP_EV_PARSER_REMOVED) {
		json_print_u64(&print_out, PRINT_ANY, "handle", " handle %llu", e->handle);
		if (e->ifindex)
			print_dev(" dev %s", e->ifindex);
		if (e->port)
			json_print_u64(&print_out, PRINT_ANY, "port", " port %llu", ntohs(e->port));
	} else if (e->type == UDPESP_EV_MAPPING) {
		json_print_u64(&print_out, PRINT_ANY, "handle", " handle %llu", e->handle);
		print_addr("addr", NULL, &e->addr, false);
		json_print_u64(&print_out, PRINT_JSON, "port", NULL, ntohs(e->port));
		print_fmt_addr(&e->addr, false, a, sizeof(a));
		json_print_text(&print_out,
				e->addr.family == AF_INET6 ? " new [%s]:%u" : " new %s:%u", a,
				ntohs(e->port));
	} else {
		json_print_u64(&print_out, PRINT_ANY, "handle", " handle %llu", e->handle);
		if (e->addr.family)
			print_addr("dst", " dst %s", &e->addr, false);
		if (e->spi)
			print_spi(" spi 0x%08x", e->spi);
		if (expiry)
			json_print_str(&print_out, PRINT_ANY, "limit", " limit %s",
				       NAME(print_limit_names, e->limit, "limit", b));
	}
	json_print_nl(&print_out);
	json_print_close_object(&print_out);
	fflush(stdout);
}

static void monitor_on_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

static void monitor_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl [-j] monitor\n");
}

/* Events until Ctrl-C (exit 0) or until udpespd goes away (exit 1). */
int do_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = monitor_on_signal }; /* no SA_RESTART */
	struct pollfd pfd = { .events = POLLIN };
	sigset_t block, orig;
	struct ctl_msg m;
	int err;

	if (argc && args_matches(argv[0], "help"))
		return monitor_usage(stdout), EXIT_OK;
	if (argc)
		return usage_error_with(monitor_usage, "monitor takes no command, got \"%s\"",
					argv[0]);
	/* Signals only interrupt ppoll(), so none is lost between two checks. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = conn_open() ?: conn_request(UDPESP_MSG_MONITOR, NULL, 0);
	pfd.fd = conn_fd;
	while (!err && !monitor_stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno != EINTR)
				err = print_error("poll: %s", strerror(errno));
			continue;
		}
		err = conn_recv(UDPESP_MSG_MONITOR, &m);
		if (err)
			break;
		if (m.hdr.type == UDPESP_MSG_EVENT)
			monitor_print_event(m.payload);
		else
			err = conn_unexpected(&m, UDPESP_MSG_MONITOR);
		ctl_msg_free(&m);
	}
	return err ? EXIT_FAIL : EXIT_OK;
}
