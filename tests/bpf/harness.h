/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Criterion fixtures for running udpesp_xdp through BPF_PROG_TEST_RUN:
 * each test loads its own copy of build/udpesp.bpf.o (nothing pinned),
 * in its own network namespace, so map state never leaks between tests
 * and the host's interfaces are never touched.
 */
#ifndef UDPESP_TEST_HARNESS_H
#define UDPESP_TEST_HARNESS_H

#include <linux/bpf.h>
#include <linux/types.h>

#include "common/addr.h"
#include "common/counter_names.h"
#include "common/maps.h"
#include "pkt.h"

/* The loopback device of a fresh network namespace is always ifindex 1. */
#define LO_IFINDEX 1
/* The AF_XDP socket of harness_init_xsk() sits on this queue of lo. */
#define XSK_QUEUE 0

struct udpesp;
struct xsk_umem;
struct xsk_socket;

struct harness {
	struct udpesp *skel;
	struct udpesp_maps m;
	int prog_fd;
	/* Set up by harness_init_xsk() only. */
	void *umem_area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	int xsk_fd;
};

extern struct harness h;

/* .init: load the object and take its maps; skips when bpf() is refused. */
void harness_init(void);
/* .init: harness_init() plus an AF_XDP socket registered for XSK_QUEUE. */
void harness_init_xsk(void);
/* .fini for both. */
void harness_fini(void);

/* Where the packet "arrived": sent to the kernel as struct xdp_md. */
struct xdp_in {
	__u32 ifindex;
	__u32 rx_queue;
};

struct xdp_out {
	int action;
	/* Test-run output starts at data_meta: metadata, then the frame. */
	__u32 len;
	__u8 data[PKT_MAX + 256];
	struct xdp_md ctx; /* ctx_out; only when an xdp_in was given */
};

/* lo, queue XSK_QUEUE: what the redirect cases need. */
extern const struct xdp_in xdp_in_lo;

/*
 * Run udpesp_xdp once on len bytes of pkt (len >= 14, the test-run
 * minimum). in may be NULL (the kernel then uses lo, queue 0, but no
 * ctx_out is returned). Fails the test if the syscall fails. Returns the
 * XDP action, also stored in out->action.
 */
int run_xdp(const void *pkt, __u32 len, const struct xdp_in *in, struct xdp_out *out);

/* Global counters at one moment. */
struct cnt_snap {
	__u64 v[UDPESP_CNT_MAX];
};

void cnt_snap(struct cnt_snap *s);
/* How far each global counter moved since the snapshot. */
void cnt_delta(const struct cnt_snap *before, long long moved[UDPESP_CNT_MAX]);
/*
 * Assert that each global counter moved by exactly delta[c] since the
 * snapshot: the ones that must move did, and no other did.
 */
void cnt_expect_at(const struct cnt_snap *before, const int *delta, const char *file, int line);
#define cnt_expect(before, ...) \
	cnt_expect_at(before, (const int[UDPESP_CNT_MAX]){ __VA_ARGS__ }, __FILE__, __LINE__)

#endif /* UDPESP_TEST_HARNESS_H */
