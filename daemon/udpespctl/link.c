// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespctl link: attach udpesp's XDP program to devices, detach, list. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include "common/ctl_proto.h"
#include "udpespctl.h"

static const char *const xdp_mode_names[] = {
	"auto", [UDPESP_XDP_NATIVE] = "native", [UDPESP_XDP_GENERIC] = "generic"
};

static void link_print(const struct udpesp_ctl_link *l, const char *fmt)
{
	char name[sizeof(l->name) + 1] = "", b[32];

	memcpy(name, l->name, sizeof(l->name));
	json_print_open_object(&print_out, NULL);
	json_print_str(&print_out, PRINT_ANY, "dev", fmt, name);
	json_print_u64(&print_out, PRINT_ANY, "ifindex", " ifindex %llu", l->ifindex);
	json_print_str(&print_out, PRINT_ANY, "mode", " mode %s",
		       NAME(xdp_mode_names, l->mode, "mode", b));
	json_print_u64(&print_out, PRINT_ANY, "prog_id", " prog-id %llu", l->prog_id);
	json_print_bool(&print_out, PRINT_ANY, "owned", " owned", l->owned);
	json_print_nl(&print_out);
	json_print_close_object(&print_out);
}

static int link_one(const struct ctl_msg *m)
{
	if (m->hdr.type != UDPESP_MSG_LINK_INFO)
		return -EPROTO;
	link_print(m->payload, "dev %s");
	return 0;
}

static int link_change(int argc, char **argv, bool attach)
{
	__u32 req = attach ? UDPESP_MSG_LINK_ATTACH : UDPESP_MSG_LINK_DETACH;
	struct udpesp_ctl_link l = { 0 };
	const char *dev = NULL;
	struct ctl_msg m;

	for (; argc > 0; argc--, argv++) {
		if (args_matches(argv[0], "dev")) {
			NEXT_ARG();
			dev = argv[0];
		} else if (attach && args_matches(argv[0], "mode")) {
			NEXT_ARG();
			if (args_matches(argv[0], "native") || args_matches(argv[0], "generic"))
				l.mode = argv[0][0] == 'n' ? UDPESP_XDP_NATIVE : UDPESP_XDP_GENERIC;
			else
				return usage_error("mode: expected native or generic, got \"%s\"",
						   argv[0]);
		} else {
			return usage_error("unexpected \"%s\", try \"udpespctl link help\"",
					   argv[0]);
		}
	}
	if (!dev)
		return usage_error("link %s: dev IFNAME is required", attach ? "attach" : "detach");
	l.ifindex = strlen(dev) < sizeof(l.name) ? if_nametoindex(dev) : 0;
	if (!l.ifindex)
		return print_error("device \"%s\" does not exist", dev);
	memcpy(l.name, dev, strlen(dev));
	if (conn_open() || conn_call(req, &l, sizeof(l), req, &m))
		return EXIT_FAIL;
	if (attach) {
		link_print(m.payload, "attached dev %s");
	} else {
		json_print_open_object(&print_out, NULL);
		json_print_str(&print_out, PRINT_ANY, "detached", "detached dev %s\n", dev);
		json_print_close_object(&print_out);
	}
	ctl_msg_free(&m);
	return EXIT_OK;
}

static void link_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl link attach dev IFNAME [mode native|generic]\n"
		   "       udpespctl link detach dev IFNAME\n"
		   "       udpespctl link [ list ]\n");
}

int do_link(int argc, char **argv)
{
	static const struct conn_dump list = { .req = UDPESP_MSG_LINK_LIST, .one = link_one };
	const char *verb = argc ? argv[0] : "list";

	if (argc)
		argc--, argv++;
	if (args_matches(verb, "help") || args_is_help(argc, argv))
		return link_usage(stdout), EXIT_OK;
	if (args_matches(verb, "attach") || args_matches(verb, "detach"))
		return link_change(argc, argv, verb[0] == 'a');
	if (args_matches(verb, "list") || args_matches(verb, "show"))
		return args_no_more(argc, argv) ?: conn_dump(&list);
	return usage_error_with(link_usage, "command \"%s\" is unknown", verb);
}
