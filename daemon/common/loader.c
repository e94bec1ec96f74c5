// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Open, size and load the udpesp XDP object via its skeleton. */
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "udpesp.skel.h"
#include <udpesp/abi.h>

/* The maps indexed by SA slot must agree on their size. */
static int size_sa_maps(struct udpesp *skel, __u32 max_sa)
{
	struct bpf_map *maps[] = { skel->maps.udpesp_sa, skel->maps.udpesp_replay,
				   skel->maps.udpesp_sa_stats, skel->maps.udpesp_xsk_sa };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int err = bpf_map__set_max_entries(maps[i], max_sa);

		if (err)
			return err;
	}
	return 0;
}

static int set_pinning(struct udpesp *skel, const char *pin_dir)
{
	struct bpf_map *map;
	char path[4096];

	bpf_object__for_each_map(map, skel->obj) {
		const char *p = NULL;
		int err;

		if (bpf_map__is_internal(map))
			continue;
		if (pin_dir) {
			if (snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map)) >=
			    (int)sizeof(path))
				return -ENAMETOOLONG;
			p = path;
		}
		err = bpf_map__set_pin_path(map, p);
		if (err)
			return err;
	}
	return 0;
}

/* max_entries of the SA map already pinned under pin_dir, 0 if none. */
static __u32 pinned_max_sa(const char *pin_dir)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[4096];
	int fd;

	if (!pin_dir ||
	    snprintf(path, sizeof(path), "%s/%s", pin_dir, UDPESP_MAP_SA) >= (int)sizeof(path))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/* mkdir -p pin_dir (on bpffs, e.g. tc/globals before iproute2 made it). */
static int make_pin_dir(const char *pin_dir)
{
	char path[4096];

	if (!pin_dir || snprintf(path, sizeof(path), "%s/", pin_dir) >= (int)sizeof(path))
		return pin_dir ? -ENAMETOOLONG : 0;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

struct udpesp *loader_load(const struct loader_opts *opts)
{
	__u32 max_sa = opts && opts->max_sa ? opts->max_sa : UDPESP_MAX_SA_DEFAULT;
	__u32 pinned = pinned_max_sa(opts ? opts->pin_dir : NULL);
	struct udpesp *skel;
	int err;

	/* Reusing pinned maps: libbpf refuses any size but theirs. */
	if (pinned)
		max_sa = pinned;

	err = make_pin_dir(opts ? opts->pin_dir : NULL);
	if (err) {
		errno = -err;
		return NULL;
	}
	skel = udpesp__open();
	if (!skel)
		return NULL;
	err = size_sa_maps(skel, max_sa);
	if (!err)
		err = set_pinning(skel, opts ? opts->pin_dir : NULL);
	if (!err)
		err = udpesp__load(skel);
	if (err) {
		udpesp__destroy(skel);
		errno = err < 0 ? -err : err;
		return NULL;
	}
	return skel;
}

void loader_unload(struct udpesp *skel)
{
	udpesp__destroy(skel);
}
