// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl: the command line of udpesp. This first version reads the
 * global counters straight from the pinned maps (`udpespctl stats`); the
 * object-verb grammar over udpespd's socket comes with the control plane.
 */
#include <stdio.h>
#include <string.h>

#include "maps.h"

static int do_stats(const char *pin_dir, int json)
{
	struct udpesp_maps maps;
	int err = udpesp_maps_open_pinned(&maps, pin_dir);

	if (err) {
		fprintf(stderr, "Error: no udpesp maps under %s: %s\n", pin_dir, strerror(-err));
		return 1;
	}
	printf(json ? "{" : "");
	for (int c = 0; c < UDPESP_CNT_MAX; c++) {
		__u64 v = 0;

		udpesp_maps_counter(&maps, c, &v);
		if (json)
			printf("%s\"%s\":%llu", c ? "," : "", udpesp_counter_names[c],
			       (unsigned long long)v);
		else
			printf("%-24s %llu\n", udpesp_counter_names[c], (unsigned long long)v);
	}
	printf(json ? "}\n" : "");
	udpesp_maps_close(&maps);
	return 0;
}

int main(int argc, char **argv)
{
	const char *pin_dir = UDPESP_PIN_DIR_DEFAULT;
	int json = 0, i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j"))
			json = 1;
		else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("udpespctl %s\n", UDPESP_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-P") && i + 1 < argc)
			pin_dir = argv[++i];
		else {
			fprintf(stderr, "Error: unknown option \"%s\"\n", argv[i]);
			return 2;
		}
	}
	if (i < argc && !strcmp(argv[i], "stats"))
		return do_stats(pin_dir, json);
	fprintf(stderr, "Usage: udpespctl [-j] [-P PIN_DIR] stats\n");
	return i < argc ? 2 : 0;
}
