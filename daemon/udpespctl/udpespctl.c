// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl: the command line of udpesp. Every command is one request to
 * udpespd on its Unix socket (include/udpesp/ctl.h), after a HELLO that
 * checks both ends speak the same protocol and map ABI. The grammar is
 * iproute2's: OBJECT COMMAND ARGS, where objects and commands may be
 * shortened to any prefix, the first match in the order they are tried
 * here winning (`udpespctl s l` is `sa list`).
 *
 * Exit status: 0 success, 1 an error udpespd reported (or no udpespd),
 * 2 a usage error found before anything was sent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "udpespctl.h"

_Static_assert(UDPESP_AF_INET == AF_INET && UDPESP_AF_INET6 == AF_INET6,
	       "UDPESP_AF_* are the socket families");

static int udpespctl_usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: udpespctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       udpespctl -V\n"
		"OBJECT := { link | sa | parser | stats | monitor | state }\n"
		"OPTIONS := { -j[son] | -s[ocket] PATH | -P PIN_DIR | -V[ersion] | -h[elp] }\n"
		"The default socket is %s.\n",
		UDPESP_SOCKET_DEFAULT);
	return status;
}

static int do_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	return udpespctl_usage(stdout, EXIT_OK);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} objects[] = {
	{ "link", do_link },   { "sa", do_sa },		  { "parser", do_parser },
	{ "stats", do_stats }, { "monitor", do_monitor }, { "state", do_state },
	{ "help", do_help },
};

static int udpespctl_run(int argc, char **argv)
{
	for (; argc > 0 && argv[0][0] == '-' && argv[0][1]; argc--, argv++) {
		const char *opt = argv[0] + (argv[0][1] == '-'); /* --json = -json */

		if (args_matches(opt, "-json")) {
			print_out.json = true;
		} else if (args_matches(opt, "-socket")) {
			NEXT_ARG();
			conn_sock_path = argv[0];
		} else if (!strcmp(opt, "-P") || args_matches(opt, "-pin-dir")) {
			NEXT_ARG();
			stats_pin_dir = argv[0];
		} else if (!strcmp(opt, "-V") || args_matches(opt, "-version")) {
			printf("udpespctl %s (control protocol %d, map ABI %d)\n", UDPESP_VERSION,
			       UDPESP_CTL_VERSION, UDPESP_ABI_VERSION);
			return EXIT_OK;
		} else if (args_matches(opt, "-help")) {
			return udpespctl_usage(stdout, EXIT_OK);
		} else {
			print_error("option \"%s\" is unknown", argv[0]);
			return udpespctl_usage(stderr, EXIT_USAGE);
		}
	}
	if (argc <= 0)
		return udpespctl_usage(stderr, EXIT_USAGE);
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
		if (args_matches(argv[0], objects[i].name))
			return objects[i].fn(argc - 1, argv + 1);
	print_error("object \"%s\" is unknown", argv[0]);
	return udpespctl_usage(stderr, EXIT_USAGE);
}

int main(int argc, char **argv)
{
	int ret;

	json_print_init(&print_out, stdout, false);
	ret = udpespctl_run(argc - 1, argv + 1);
	conn_close();
	if (print_out.jw.err && ret == EXIT_OK)
		ret = print_error("internal: malformed JSON output");
	if ((fflush(stdout) || ferror(stdout)) && ret == EXIT_OK)
		ret = print_error("writing output: %s", strerror(errno));
	return ret;
}
