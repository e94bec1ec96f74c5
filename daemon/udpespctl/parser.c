// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespctl parser: the parser entries (port, device, family) SAs use. */
#include <errno.h>
#include <stdio.h>
#include <arpa/inet.h>

#include "common/ctl_proto.h"
#include "udpespctl.h"

static const char *const family_names[] = {
	"any", [UDPESP_AF_INET] = "inet", [UDPESP_AF_INET6] = "inet6"
};

static int parser_one(const struct ctl_msg *m)
{
	const struct udpesp_ctl_parser *p = m->payload;
	const __be32 *a = p->addr.addr;
	char b[32];

	if (m->hdr.type != UDPESP_MSG_PARSER_INFO)
		return -EPROTO;
	json_print_open_object(&print_out, NULL);
	json_print_u64(&print_out, PRINT_ANY, "handle", "parser %llu", p->handle);
	print_dev(" dev %s", p->ifindex);
	json_print_u64(&print_out, PRINT_ANY, "port", " port %llu", ntohs(p->port));
	json_print_str(&print_out, PRINT_ANY, "family", " family %s",
		       NAME(family_names, p->addr.family, "family", b));
	if (a[0] || a[1] || a[2] || a[3])
		print_addr("addr", " addr %s", &p->addr, false);
	else
		json_print_null(&print_out, PRINT_JSON, "addr", NULL);
	json_print_str(&print_out, PRINT_ANY, "encap", " encap %s",
		       NAME(print_encap_names, p->encap, "encap", b));
	json_print_u64(&print_out, PRINT_ANY, "users", " users %llu\n", p->users);
	json_print_close_object(&print_out);
	return 0;
}

static void parser_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl parser [ list ]\n");
}

int do_parser(int argc, char **argv)
{
	static const struct conn_dump list = { .req = UDPESP_MSG_PARSER_LIST, .one = parser_one };

	if (argc && (args_matches(argv[0], "help") || args_is_help(argc - 1, argv + 1)))
		return parser_usage(stdout), EXIT_OK;
	if (argc && !args_matches(argv[0], "list") && !args_matches(argv[0], "show"))
		return usage_error_with(parser_usage, "command \"%s\" is unknown", argv[0]);
	return args_no_more(argc - !!argc, argv + !!argc) ?: conn_dump(&list);
}
