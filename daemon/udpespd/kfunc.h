/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The in-kernel crypto backend as udpespd drives it: load
 * build/udpesp_kf.bpf.o next to udpesp.bpf.o's maps (the load is the
 * probe for the bpf_crypto kfuncs), put its XDP program where udpesp_xdp
 * tail calls it, and create and destroy each kfunc SA's ecb(aes)
 * context and GHASH table in udpesp_kf_sa.
 */
#ifndef UDPESP_KFUNC_H
#define UDPESP_KFUNC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/ctl.h>

#include "common/maps.h"
#include "common/sa_check.h"

struct udpesp_kf;

struct kfunc_backend {
	struct udpesp_kf *skel;
	bool ok;
	char why[160]; /* when !ok: why the kernel cannot run it */
	/* The kernel's AES is accelerated: offload auto picks this backend. */
	bool aes_fast;
	char aes_driver[64];
};

/*
 * Load and probe (a throwaway context through every program). Never
 * fatal: on failure kb->ok is false and kb->why says why.
 */
void kfunc_load(struct kfunc_backend *kb, const struct udpesp_maps *m);
void kfunc_unload(struct kfunc_backend *kb, const struct udpesp_maps *m);

/*
 * Whether an SA can run on this backend: 0, or -EOPNOTSUPP with the
 * reason in err (suite, direction, or the kernel). For offload auto
 * also whether it should: only with an accelerated kernel AES.
 */
int kfunc_supports(const struct kfunc_backend *kb, const struct udpesp_ctl_sa *cfg,
		   const struct esp_suite *s, char *err, size_t errlen);

/* The context and table of an inbound SA in slot, before it is published. */
int kfunc_sa_add(struct kfunc_backend *kb, __u32 slot, __u32 gen, const struct udpesp_ctl_sa *cfg,
		 const struct esp_suite *s);
/* After the SA left udpesp_sa: release the context, drop the entry. */
void kfunc_sa_del(struct kfunc_backend *kb, __u32 slot);

#endif /* UDPESP_KFUNC_H */
