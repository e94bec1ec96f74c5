// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The AF_XDP receive-and-drop ceiling (see xsk_rxdrop.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "bench_net.h"
#include "bench_util.h"
#include "xsk_rxdrop.h"

/* The same sizes as daemon/udpespd/xsk_worker.c. */
#define FRAMES 4096u
#define RX_RING 2048u
#define BATCH 64u
#define POLL_MS 100

void xsk_rxdrop_run(const char *ifname, int xskmap_fd, int cpu, struct xsk_rxdrop_stats *st)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = FRAMES,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = XSK_UMEM__DEFAULT_FRAME_SIZE,
	};
	const struct xsk_socket_config scfg = {
		.rx_size = RX_RING,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	const size_t size = (size_t)FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct pollfd pfd;
	__u32 idx, key = 0;
	int err, fd;
	void *area;

	pin_to(cpu);
	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		    -1, 0);
	if (area == MAP_FAILED)
		die("xsk_rxdrop: mmap: %s", strerror(errno));
	err = xsk_umem__create(&umem, area, size, &fill, &comp, &ucfg);
	if (!err)
		err = xsk_socket__create(&xsk, ifname, 0, umem, &rx, NULL, &scfg);
	if (err)
		die("xsk_rxdrop: AF_XDP socket on %s: %s", ifname, strerror(-err));
	if (xsk_ring_prod__reserve(&fill, FRAMES, &idx) != FRAMES)
		die("xsk_rxdrop: fill ring");
	for (__u32 i = 0; i < FRAMES; i++)
		*xsk_ring_prod__fill_addr(&fill, idx + i) = (__u64)i * XSK_UMEM__DEFAULT_FRAME_SIZE;
	xsk_ring_prod__submit(&fill, FRAMES);
	fd = xsk_socket__fd(xsk);
	if (bpf_map_update_elem(xskmap_fd, &key, &fd, BPF_ANY))
		die("xsk_rxdrop: XSKMAP: %s", strerror(errno));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	__atomic_store_n(&st->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		__u32 n = xsk_ring_cons__peek(&rx, BATCH, &idx), fidx;

		if (!n) {
			poll(&pfd, 1, POLL_MS);
			continue;
		}
		while (xsk_ring_prod__reserve(&fill, n, &fidx) != n)
			;
		for (__u32 i = 0; i < n; i++) {
			__u64 a = xsk_ring_cons__rx_desc(&rx, idx + i)->addr;

			*xsk_ring_prod__fill_addr(&fill, fidx + i) =
				a - a % XSK_UMEM__DEFAULT_FRAME_SIZE;
		}
		xsk_ring_cons__release(&rx, n);
		xsk_ring_prod__submit(&fill, n);
		if (xsk_ring_prod__needs_wakeup(&fill))
			recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		__atomic_store_n(&st->received, st->received + n, __ATOMIC_RELAXED);
	}
}
