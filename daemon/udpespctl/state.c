// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespctl state: what udpespd keeps across restarts, and what it adopted. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "udpespctl.h"

static void state_print(const struct udpesp_ctl_state *st)
{
	char path[sizeof(st->path) + 1] = "";
	bool adopted = st->flags & UDPESP_CTL_STATE_ADOPTED;

	memcpy(path, st->path, sizeof(st->path));
	json_print_open_object(&print_out, NULL);
	json_print_str(&print_out, PRINT_ANY, "path", "state %s", path);
	json_print_bool(&print_out, PRINT_JSON, "kept", NULL, st->flags & UDPESP_CTL_STATE_KEPT);
	json_print_text(&print_out, "%s",
			st->flags & UDPESP_CTL_STATE_KEPT ? " kept" : " not kept");
	print_time("kept_since", " since %s\n", st->kept_since);
	json_print_bool(&print_out, PRINT_JSON, "adopted", NULL, adopted);
	json_print_text(&print_out, "%s", adopted ? "\tadopted" : "\tadopted nothing");
	json_print_u64(&print_out, adopted ? PRINT_ANY : PRINT_JSON, "adopted_sas", " sas %llu",
		       st->adopted_sas);
	json_print_u64(&print_out, adopted ? PRINT_ANY : PRINT_JSON, "dropped_sas",
		       " not-adoptable %llu", st->dropped_sas);
	json_print_u64(&print_out, adopted ? PRINT_ANY : PRINT_JSON, "adopted_links", " links %llu",
		       st->adopted_links);
	if (adopted)
		print_time("adopted_at", " at %s", st->adopted_at);
	else
		json_print_u64(&print_out, PRINT_JSON, "adopted_at", NULL, 0);
	json_print_nl(&print_out);
	json_print_u64(&print_out, PRINT_ANY, "key_batches", "\tkeyring-keys %llu",
		       st->key_batches);
	json_print_u64(&print_out, PRINT_ANY, "seq_block", " seq-block %llu\n", st->seq_block);
	json_print_close_object(&print_out);
}

static void state_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl state [ show ]\n");
}

int do_state(int argc, char **argv)
{
	struct ctl_msg m;
	int ret;

	if (argc && (args_matches(argv[0], "help") || args_is_help(argc - 1, argv + 1)))
		return state_usage(stdout), EXIT_OK;
	if (argc && !args_matches(argv[0], "show"))
		return usage_error_with(state_usage, "command \"%s\" is unknown", argv[0]);
	ret = args_no_more(argc - !!argc, argv + !!argc);
	if (ret)
		return ret;
	if (conn_open() || conn_call(UDPESP_MSG_STATE_GET, NULL, 0, UDPESP_MSG_STATE_INFO, &m))
		return EXIT_FAIL;
	state_print(m.payload);
	ctl_msg_free(&m);
	return EXIT_OK;
}
