// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespd: owns udpesp's maps. This first version adopts the maps that
 * `ip link ... xdp obj build/udpesp.bpf.o` pinned (or loads the object and
 * pins them itself) and reports what it found; the control socket, SAs
 * and workers come with the control-plane work.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "maps.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: udpespd [--socket PATH] [--pin-dir DIR] [--tun NAME] [--foreground]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "tun", required_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *pin_dir = UDPESP_PIN_DIR_DEFAULT;
	struct udpesp_load_opts lo = { 0 };
	struct udpesp_maps maps;
	struct udpesp *skel = NULL;
	int c, err;

	while ((c = getopt_long(argc, argv, "s:p:t:fVh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 't':
		case 'f':
			break; /* accepted now, used by the control plane */
		case 'p':
			pin_dir = optarg;
			break;
		case 'V':
			printf("udpespd %s\n", UDPESP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	err = udpesp_maps_open_pinned(&maps, pin_dir);
	if (err == -ENOENT) {
		/* Nothing pinned yet: load the object and pin its maps there. */
		lo.pin_dir = pin_dir;
		skel = udpesp_bpf_load(&lo);
		if (!skel) {
			fprintf(stderr, "Error: loading the XDP object: %s\n", strerror(errno));
			return 1;
		}
		err = udpesp_maps_open_pinned(&maps, pin_dir);
	}
	if (err) {
		fprintf(stderr, "Error: opening maps under %s: %s\n", pin_dir, strerror(-err));
		udpesp_bpf_unload(skel);
		return 1;
	}
	fprintf(stderr, "udpespd: maps under %s, %u SA slots\n", pin_dir, maps.max_sa);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	udpesp_maps_close(&maps);
	if (skel)
		udpesp_bpf_unload(skel);
	return 0;
}
