// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl stats: the global counters and every SA's, from udpespd, or
 * with -P from the maps pinned under a directory (no udpespd needed).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/counter_names.h"
#include "common/ctl_proto.h"
#include "common/maps.h"
#include "udpespctl.h"

const char *stats_pin_dir; /* -P: read pinned maps, no daemon */

static const struct {
	const char *text, *key;
	size_t off;
} stats_sa_fields[] = {
#define F(t, k) { t, #k, offsetof(struct udpesp_ctl_sa_stats, k) }
	F("packets", packets),
	F("bytes", bytes),
	F("replay", replay),
	F("integrity-failed", integrity_failed),
	F("bad-padding", bad_padding),
	F("bad-next-header", bad_next_header),
	F("tmpl-mismatch", tmpl_mismatch),
	F("no-worker", no_worker),
	F("hdr-error", hdr_error),
	F("inner-error", inner_error),
	F("dummy", dummy),
	F("ecn-dropped", ecn_dropped),
#undef F
};

static bool stats_counters, stats_sa;

static void stats_begin(void)
{
	json_print_open_object(&print_out, NULL);
}

static void stats_end(void)
{
	if (!stats_counters) {
		json_print_open_object(&print_out, "counters");
		json_print_close_object(&print_out);
	}
	if (!stats_sa)
		json_print_open_array(&print_out, "sa");
	json_print_close_array(&print_out);
	json_print_close_object(&print_out);
}

/* STATS_INFO (once, first), then SA_STATS. */
static int stats_one(const struct ctl_msg *m)
{
	const struct udpesp_ctl_sa_stats *s = m->payload;
	const __u64 *c = m->payload;

	if (m->hdr.type == UDPESP_MSG_STATS_INFO && !stats_counters && !stats_sa) {
		stats_counters = true;
		json_print_open_object(&print_out, "counters");
		/* A newer or older udpespd may count more or fewer reasons. */
		for (size_t i = 0; i < m->hdr.len / sizeof(*c) && i < UDPESP_CNT_MAX; i++) {
			json_print_text(&print_out, "%-24s ", udpesp_counter_names[i]);
			json_print_u64(&print_out, PRINT_ANY, udpesp_counter_names[i], "%llu\n",
				       c[i]);
		}
		json_print_close_object(&print_out);
		return 0;
	}
	if (m->hdr.type != UDPESP_MSG_SA_STATS)
		return -EPROTO;
	if (!stats_sa)
		json_print_open_array(&print_out, "sa");
	stats_sa = true;
	json_print_open_object(&print_out, NULL);
	json_print_u64(&print_out, PRINT_ANY, "handle", "handle %llu", s->handle);
	for (size_t i = 0; i < ARRAY_SIZE(stats_sa_fields); i++) {
		json_print_text(&print_out, " %s ", stats_sa_fields[i].text);
		json_print_u64(&print_out, PRINT_ANY, stats_sa_fields[i].key, "%llu",
			       *(const __u64 *)((const char *)s + stats_sa_fields[i].off));
	}
	json_print_nl(&print_out);
	json_print_close_object(&print_out);
	return 0;
}

/*
 * `-P DIR stats`: the global counters straight from the maps pinned under
 * DIR, for a program attached with `ip link` and no udpespd running.
 */
static int stats_from_pins(void)
{
	__u64 counters[UDPESP_CNT_MAX];
	struct ctl_msg m = { .hdr = { .type = UDPESP_MSG_STATS_INFO, .len = sizeof(counters) },
			     .payload = counters };
	struct udpesp_maps maps;
	int err = udpesp_maps_open_pinned(&maps, stats_pin_dir);

	if (err)
		return print_error("no udpesp maps under %s: %s", stats_pin_dir, strerror(-err));
	for (int i = 0; i < UDPESP_CNT_MAX && !err; i++)
		err = udpesp_maps_counter(&maps, i, &counters[i]);
	udpesp_maps_close(&maps);
	if (err)
		return print_error("reading counters under %s: %s", stats_pin_dir, strerror(-err));
	stats_begin();
	stats_one(&m);
	stats_end();
	return EXIT_OK;
}

static void stats_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl [-P PIN_DIR] stats [ show ]\n");
}

int do_stats(int argc, char **argv)
{
	static const struct conn_dump d = { UDPESP_MSG_STATS, stats_one, stats_begin, stats_end };

	if (argc && (args_matches(argv[0], "help") || args_is_help(argc - 1, argv + 1)))
		return stats_usage(stdout), EXIT_OK;
	if (argc && args_matches(argv[0], "show"))
		argc--, argv++;
	else if (argc)
		return usage_error_with(stats_usage, "command \"%s\" is unknown", argv[0]);
	if (!stats_pin_dir)
		return args_no_more(argc, argv) ?: conn_dump(&d);
	return args_no_more(argc, argv) ?: stats_from_pins();
}
