/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Opening and loading build/udpesp.bpf.o through its generated skeleton. */
#ifndef UDPESP_LOADER_H
#define UDPESP_LOADER_H

#include <linux/types.h>

struct udpesp; /* the skeleton, build/udpesp.skel.h */

struct loader_opts {
	__u32 max_sa;	     /* SA slots; 0 = UDPESP_MAX_SA_DEFAULT */
	const char *pin_dir; /* reuse/pin maps there; NULL = no pinning */
};

/* Open, size and load the object. NULL with errno set on failure. */
struct udpesp *loader_load(const struct loader_opts *opts);
void loader_unload(struct udpesp *skel);

#endif /* UDPESP_LOADER_H */
