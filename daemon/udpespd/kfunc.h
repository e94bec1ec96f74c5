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
struct ring_buffer;
struct udpesp_kf_peer_ev;

/* A NAT mapping XDP saw (udpesp_kf_peer ring), for whoever watches it. */
typedef void (*kfunc_peer_fn)(void *ctx, const struct udpesp_kf_peer_ev *ev);

struct kfunc_backend {
	struct udpesp_kf *skel;
	bool ok;
	char why[160]; /* when !ok: why the kernel cannot run it */
	/* The kernel's AES is accelerated: offload auto picks this backend. */
	bool aes_fast;
	char aes_driver[64];
	struct ring_buffer *peers; /* reader of udpesp_kf_peer, once watched */
	kfunc_peer_fn peer_fn;
	void *peer_ctx;
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
/* An inbound SA moved: XDP takes cfg's src and encap_sport as its peer. */
int kfunc_sa_peer(struct kfunc_backend *kb, __u32 slot, const struct udpesp_ctl_sa *cfg);
/* After the SA left udpesp_sa: release the context, drop the entry. */
void kfunc_sa_del(struct kfunc_backend *kb, __u32 slot);

/*
 * Read udpesp_kf_peer: fn(ctx, ev) for each record, from
 * kfunc_peer_consume(). Returns the fd to poll for records, or -errno.
 */
int kfunc_peer_watch(struct kfunc_backend *kb, kfunc_peer_fn fn, void *ctx);
/* Every record waiting: their number, or -errno. */
int kfunc_peer_consume(struct kfunc_backend *kb);

#endif /* UDPESP_KFUNC_H */
