// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Fixtures and the BPF_PROG_TEST_RUN wrapper for the XDP tests (harness.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>
#include <criterion/criterion.h>

#include "harness.h"
#include "common/loader.h"
#include "udpesp.skel.h"

#define UMEM_FRAMES 64
#define RING_SIZE 64

struct harness h = { .prog_fd = -1, .xsk_fd = -1 };

const struct xdp_in xdp_in_lo = { .ifindex = LO_IFINDEX, .rx_queue = XSK_QUEUE };

/* Our rings: the tests never move packets through them, only the socket. */
static struct xsk_ring_prod fill_ring;
static struct xsk_ring_cons comp_ring;
static struct xsk_ring_cons rx_ring;

void harness_init(void)
{
	int err;

	h.skel = loader_load(&(struct loader_opts){ .pin_dir = NULL });
	if (!h.skel) {
		err = errno;
		if (err == EPERM || err == EACCES)
			cr_skip_test("bpf() not permitted: %s (run as root, or "
				     "with CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)",
				     strerror(err));
		cr_assert_fail("loading build/udpesp.bpf.o failed: %s", strerror(err));
	}
	err = udpesp_maps_from_obj(&h.m, h.skel->obj);
	cr_assert_eq(err, 0, "udpesp_maps_from_obj: %s", strerror(-err));
	h.prog_fd = bpf_program__fd(h.skel->progs.udpesp_xdp);
	cr_assert_geq(h.prog_fd, 0, "no fd for udpesp_xdp");

	/*
	 * A private namespace: its lo is ifindex 1 with one queue, and an
	 * AF_XDP socket bound to it cannot collide (EBUSY) with another test
	 * process running in parallel, or disturb the host's lo.
	 */
	if (unshare(CLONE_NEWNET)) {
		err = errno;
		if (err == EPERM)
			cr_skip_test("unshare(CLONE_NEWNET) not permitted: %s", strerror(err));
		cr_assert_fail("unshare(CLONE_NEWNET): %s", strerror(err));
	}
}

void harness_init_xsk(void)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = RING_SIZE,
		.comp_size = RING_SIZE,
		.frame_size = XSK_UMEM__DEFAULT_FRAME_SIZE,
		.frame_headroom = 0,
	};
	const struct xsk_socket_config scfg = {
		.rx_size = RING_SIZE,
		.tx_size = 0,
		/* udpesp_xdp is run by test-run, not attached: libxdp must not
		 * attach its own program to lo either. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = XDP_FLAGS_SKB_MODE,
		/* lo has no zero-copy driver support. */
		.bind_flags = XDP_COPY,
	};
	const size_t size = (size_t)UMEM_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE;
	int err;

	harness_init();
	h.umem_area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(h.umem_area, MAP_FAILED, "mmap umem: %s", strerror(errno));
	err = xsk_umem__create(&h.umem, h.umem_area, size, &fill_ring, &comp_ring, &ucfg);
	cr_assert_eq(err, 0, "xsk_umem__create: %s", strerror(-err));
	err = xsk_socket__create(&h.xsk, "lo", XSK_QUEUE, h.umem, &rx_ring, NULL, &scfg);
	cr_assert_eq(err, 0, "xsk_socket__create on lo queue %d: %s", XSK_QUEUE, strerror(-err));
	h.xsk_fd = xsk_socket__fd(h.xsk);
	/* lo's sockets start at index 0 of udpesp_xsks. */
	err = udpesp_maps_xsk_base_set(&h.m, LO_IFINDEX, 0);
	cr_assert_eq(err, 0, "udpesp_maps_xsk_base_set: %s", strerror(-err));
	err = udpesp_maps_xsk_set(&h.m, XSK_QUEUE, h.xsk_fd);
	cr_assert_eq(err, 0, "udpesp_maps_xsk_set: %s", strerror(-err));
}

void harness_fini(void)
{
	if (h.xsk)
		xsk_socket__delete(h.xsk);
	if (h.umem)
		xsk_umem__delete(h.umem);
	if (h.umem_area && h.umem_area != MAP_FAILED)
		munmap(h.umem_area, (size_t)UMEM_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE);
	if (h.skel)
		loader_unload(h.skel);
	h = (struct harness){ .prog_fd = -1, .xsk_fd = -1 };
}

int run_xdp(const void *pkt, __u32 len, const struct xdp_in *in, struct xdp_out *out)
{
	struct xdp_md ctx_in = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	cr_assert_geq(len, UDPESP_ETH_HLEN, "XDP test-run needs >= 14 bytes, got %u", len);
	/* Fresh output every call: nothing of an earlier run can pass for this one. */
	memset(out, 0, sizeof(*out));
	opts.data_in = pkt;
	opts.data_size_in = len;
	opts.data_out = out->data;
	opts.data_size_out = sizeof(out->data);
	opts.repeat = 1;
	if (in) {
		/* The kernel insists that data_end is the input length. */
		ctx_in.data_end = len;
		ctx_in.ingress_ifindex = in->ifindex;
		ctx_in.rx_queue_index = in->rx_queue;
		opts.ctx_in = &ctx_in;
		opts.ctx_size_in = sizeof(ctx_in);
		opts.ctx_out = &out->ctx;
		opts.ctx_size_out = sizeof(out->ctx);
	}
	err = bpf_prog_test_run_opts(h.prog_fd, &opts);
	cr_assert_eq(err, 0, "BPF_PROG_TEST_RUN (%u bytes): %s", len, strerror(errno));
	cr_assert_leq(opts.data_size_out, sizeof(out->data),
		      "test-run output (%u bytes) did not fit", opts.data_size_out);
	out->len = opts.data_size_out;
	out->action = (int)opts.retval;
	return out->action;
}

void cnt_snap(struct cnt_snap *s)
{
	for (int c = 0; c < UDPESP_CNT_MAX; c++) {
		int err = udpesp_maps_counter(&h.m, c, &s->v[c]);

		cr_assert_eq(err, 0, "reading counter %s: %s", udpesp_counter_names[c],
			     strerror(-err));
	}
}

void cnt_delta(const struct cnt_snap *before, long long moved[UDPESP_CNT_MAX])
{
	struct cnt_snap now;

	cnt_snap(&now);
	for (int c = 0; c < UDPESP_CNT_MAX; c++)
		moved[c] = (long long)(now.v[c] - before->v[c]);
}

void cnt_expect_at(const struct cnt_snap *before, const int *delta, const char *file, int line)
{
	long long moved[UDPESP_CNT_MAX];

	cnt_delta(before, moved);
	for (int c = 0; c < UDPESP_CNT_MAX; c++)
		cr_assert_eq(moved[c], delta[c], "%s:%d: counter %s moved by %lld, expected %d",
			     file, line, udpesp_counter_names[c], moved[c], delta[c]);
}
