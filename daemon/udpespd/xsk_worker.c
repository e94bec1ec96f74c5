// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* AF_XDP crypto workers (see xsk_worker.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <xdp/xsk.h>

#include "esp/esp_decap.h"
#include "common/log.h"
#include "tun.h"
#include "tun_batch.h"
#include "common/util.h"
#include "wk_count.h"
#include "xsk_worker.h"

/* Per socket: 4096 frames of 4 KiB (16 MiB), all of them on the fill ring. */
#define XSK_FRAMES 4096
#define XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define XSK_RX_RING 2048
#define XSK_BATCH 64
#define XSK_POLL_MS 100 /* how soon an idle worker notices it must stop */

struct xsk_worker {
	struct xsk_workers *ws;
	__u32 ifindex, queue, index; /* index = udpesp_xsks key */
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	int tun_fd;
	struct tun_batch *tb; /* --gso on: this batch's packets, coalesced */
	int cpu;
	struct sa_rt_reader reader;
	pthread_t thread;
	bool started;
	bool stop;		    /* atomic */
	struct xdp_statistics seen; /* the socket's counters already counted */
};

/* ---- counters: the workers' share lives in mmap()ed arrays ---- */

#define count(ws, c) wk_count((ws)->maps, (c))
#define SA_COUNT(ws, slot, field, n) WK_SA_COUNT((ws)->maps, (slot), field, (n))

/* Each drop reason: its global and per-SA counter, from udpesp/verdict.h. */
static void count_drop(struct xsk_workers *ws, __u32 slot, enum udpesp_decap_verdict v)
{
	switch (v) {
#define XSK_DROP(id, name, cnt, field)        \
	case UDPESP_DROP_##id:                \
		count(ws, UDPESP_CNT_##cnt);  \
		SA_COUNT(ws, slot, field, 1); \
		break;
		UDPESP_DECAP_DROPS(XSK_DROP)
#undef XSK_DROP
	default:
		count(ws, UDPESP_CNT_IN_ERROR); /* not a drop: never happens */
		break;
	}
}

/* ---- NAT mapping (RFC 3948 / XFRM_MSG_MAPPING) ---- */

/*
 * Called only for authenticated packets: the peer now sends from
 * addr:port. Record it and tell the main loop, once per change.
 */
void xsk_note_peer(struct xsk_workers *ws, struct sa_rt *rt, __u8 family, const __be32 addr[4],
		   __be16 port)
{
	struct xsk_mapping m = { .handle = rt->handle, .family = family, .port = port };
	bool changed;

	pthread_mutex_lock(&rt->mapping_lock);
	changed = rt->peer_port != port || memcmp(rt->peer_addr, addr, sizeof(rt->peer_addr));
	if (changed) {
		memcpy(m.old_addr, rt->peer_addr, sizeof(m.old_addr));
		m.old_port = rt->peer_port;
		memcpy(rt->peer_addr, addr, sizeof(rt->peer_addr));
		rt->peer_port = port;
	}
	pthread_mutex_unlock(&rt->mapping_lock);
	if (!changed)
		return;
	memcpy(m.addr, addr, sizeof(m.addr));
	notify_queue_push(&ws->mappings, &m);
}

/* ---- one frame ---- */

/* The outer source address and UDP source port, before decap moves bytes. */
static bool outer_source(const __u8 *frame, __u32 len, const struct udpesp_xdp_meta *m,
			 __be32 addr[4], __be16 *port)
{
	memset(addr, 0, 16);
	if (m->l4_off + 2u > len)
		return false;
	if (m->family == UDPESP_AF_INET && m->l3_off + 16u <= len)
		memcpy(addr, frame + m->l3_off + 12, 4);
	else if (m->family == UDPESP_AF_INET6 && m->l3_off + 24u <= len)
		memcpy(addr, frame + m->l3_off + 8, 16);
	else
		return false;
	memcpy(port, frame + m->l4_off, 2);
	return true;
}

static void process_frame(struct xsk_worker *w, struct esp_crypto_thread *ct, __u8 *frame,
			  __u32 len)
{
	struct xsk_workers *ws = w->ws;
	struct udpesp_xdp_meta m;
	struct esp_decap_out out;
	enum udpesp_decap_verdict v;
	struct sa_rt *rt;
	__be32 src[4];
	__be16 sport;

	memcpy(&m, frame - sizeof(m), sizeof(m));
	if (m.magic != UDPESP_META_MAGIC) {
		count(ws, UDPESP_CNT_RX_META_ERROR);
		return;
	}
	rt = sa_rt_get(ws->rt, m.slot);
	if (!rt || rt->gen != m.gen || rt->dir != UDPESP_DIR_IN) {
		count(ws, UDPESP_CNT_DECAP_STALE_SA);
		return;
	}
	if (!outer_source(frame, len, &m, src, &sport)) {
		count(ws, UDPESP_CNT_IN_HDR_ERROR);
		SA_COUNT(ws, m.slot, hdr_error, 1);
		return;
	}
	v = esp_decap(&rt->decap, ct, frame, len, &m, &out);
	if (v != UDPESP_DECAP_OK) {
		count_drop(ws, m.slot, v);
		return;
	}
	/* Authenticated: only now may the packet change any state. */
	if (rt->peer_port != sport || memcmp(rt->peer_addr, src, sizeof(src)))
		xsk_note_peer(ws, rt, m.family, src, sport);
	if (w->tb) {
		tun_batch_add(w->tb, w->tun_fd, ws->maps, frame + out.inner_off, out.inner_len,
			      m.slot);
		return;
	}
	if (write(w->tun_fd, frame + out.inner_off, out.inner_len) < 0) {
		count(ws, UDPESP_CNT_IN_BUFFER_ERROR);
		return;
	}
	count(ws, UDPESP_CNT_DECAP_OK);
	SA_COUNT(ws, m.slot, packets, 1);
	SA_COUNT(ws, m.slot, bytes, out.inner_len);
}

/* ---- the socket's own drops (XDP_STATISTICS) ---- */

static void xsk_stats_add(struct xsk_workers *ws, enum udpesp_counter c, __u64 now, __u64 *seen)
{
	/* The kernel's counters only grow while the socket lives. */
	if (now > *seen && ws->maps->xsk_cnt_mem)
		__atomic_fetch_add(&ws->maps->xsk_cnt_mem->c[c], now - *seen, __ATOMIC_RELAXED);
	*seen = now;
}

/*
 * Fold what the kernel dropped at this socket since the last call into
 * the global counters, so that every redirected frame ends in one: a
 * worker's verdict, or one of these.
 */
static void xsk_stats_fold(struct xsk_worker *w)
{
	struct xdp_statistics st = { 0 };
	socklen_t len = sizeof(st);

	if (getsockopt(xsk_socket__fd(w->xsk), SOL_XDP, XDP_STATISTICS, &st, &len))
		return;
	xsk_stats_add(w->ws, UDPESP_CNT_XSK_RX_DROPPED, st.rx_dropped, &w->seen.rx_dropped);
	xsk_stats_add(w->ws, UDPESP_CNT_XSK_RX_INVALID, st.rx_invalid_descs,
		      &w->seen.rx_invalid_descs);
	xsk_stats_add(w->ws, UDPESP_CNT_XSK_TX_INVALID, st.tx_invalid_descs,
		      &w->seen.tx_invalid_descs);
	/* Since Linux 5.9; a shorter struct leaves them 0. */
	xsk_stats_add(w->ws, UDPESP_CNT_XSK_RX_RING_FULL, st.rx_ring_full, &w->seen.rx_ring_full);
	xsk_stats_add(w->ws, UDPESP_CNT_XSK_FILL_EMPTY, st.rx_fill_ring_empty_descs,
		      &w->seen.rx_fill_ring_empty_descs);
}

/* At stop (XDP no longer redirects here): what the RX ring still holds. */
static void xsk_stats_ring_left(struct xsk_worker *w)
{
	__u32 idx, n = xsk_ring_cons__peek(&w->rx, XSK_RX_RING, &idx);

	if (n && w->ws->maps->xsk_cnt_mem)
		__atomic_fetch_add(&w->ws->maps->xsk_cnt_mem->c[UDPESP_CNT_XSK_RX_RING_LEFT], n,
				   __ATOMIC_RELAXED);
	if (n)
		xsk_ring_cons__release(&w->rx, n);
	xsk_stats_fold(w);
}

/* ---- the worker thread ---- */

static void refill(struct xsk_worker *w, const __u64 *addrs, __u32 n)
{
	__u32 idx;

	/* The frames just consumed always fit: the fill ring holds them all. */
	while (xsk_ring_prod__reserve(&w->fill, n, &idx) != n)
		sched_yield();
	for (__u32 i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&w->fill, idx + i) = addrs[i];
	xsk_ring_prod__submit(&w->fill, n);
	/* The driver sleeps until told that the fill ring has frames again. */
	if (xsk_ring_prod__needs_wakeup(&w->fill))
		recvfrom(xsk_socket__fd(w->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/* Frames XDP redirected to this queue: decapsulate them. */
static __u32 receive_batch(struct xsk_worker *w, struct esp_crypto_thread *ct)
{
	__u64 addrs[XSK_BATCH];
	__u32 idx, n;

	n = xsk_ring_cons__peek(&w->rx, XSK_BATCH, &idx);
	for (__u32 i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&w->rx, idx + i);
		__u64 addr = d->addr;

		process_frame(w, ct, xsk_umem__get_data(w->area, addr), d->len);
		addrs[i] = addr - addr % XSK_FRAME_SIZE;
	}
	/* The frames go back to the fill ring only once written. */
	if (n && w->tb)
		tun_batch_flush(w->tb, w->tun_fd, w->ws->maps);
	if (n) {
		xsk_ring_cons__release(&w->rx, n);
		refill(w, addrs, n);
	}
	return n;
}

/*
 * One thread per queue, both directions: ESP from the AF_XDP socket in,
 * plaintext from the worker's own TUN queue out (the kernel spreads
 * flows over TUN queues; each queue has exactly one reader).
 */
static void *worker_main(void *arg)
{
	struct xsk_worker *w = arg;
	struct xsk_workers *ws = w->ws;
	struct pollfd pfd[2] = {
		{ .fd = xsk_socket__fd(w->xsk), .events = POLLIN },
		{ .fd = w->tun_fd, .events = POLLIN },
	};
	struct esp_crypto_thread *ct = esp_crypto_thread_new();
	struct outbound_thread *ot = NULL;
	unsigned int busy = 0;

	if (ct && ws->out)
		ot = outbound_thread_new(ct);
	if (!ct || (ws->out && !ot)) {
		pr_err("worker %u/%u: no crypto state: %s", w->ifindex, w->queue, strerror(errno));
		esp_crypto_thread_free(ct);
		return NULL;
	}
	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			pr_warn("worker %u/%u: cannot pin to CPU %d", w->ifindex, w->queue, w->cpu);
	}
	sa_rt_reader_add(ws->rt, &w->reader);
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		__u32 n;

		sa_rt_online(ws->rt, &w->reader);
		n = receive_batch(w, ct);
		if (ot)
			n += outbound_drain(ws->out, ot, w->tun_fd, XSK_BATCH);
		/* Busy: the socket's counters every 1024 batches; idle: each time. */
		if (!n || !(++busy & 1023))
			xsk_stats_fold(w);
		if (!n) {
			sa_rt_offline(&w->reader);
			poll(pfd, ot ? 2 : 1, XSK_POLL_MS);
		}
	}
	xsk_stats_ring_left(w);
	sa_rt_offline(&w->reader);
	sa_rt_reader_del(ws->rt, &w->reader);
	outbound_thread_free(ot);
	esp_crypto_thread_free(ct);
	return NULL;
}

/* ---- socket set-up and tear-down ---- */

static void worker_free(struct xsk_worker *w)
{
	if (!w)
		return;
	/* XDP stops redirecting here first, then the thread stops. */
	udpesp_maps_xsk_set(w->ws->maps, w->index, -1);
	if (w->started) {
		__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
		pthread_join(w->thread, NULL);
	}
	if (w->xsk)
		xsk_socket__delete(w->xsk);
	if (w->umem)
		xsk_umem__delete(w->umem);
	if (w->area)
		munmap(w->area, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
	if (w->tun_fd >= 0)
		close(w->tun_fd);
	free(w->tb);
	free(w);
}

static int worker_new(struct xsk_workers *ws, __u32 ifindex, __u32 queue, __u32 index, int cpu,
		      struct xsk_worker **out)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = XSK_FRAMES,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = XSK_FRAME_SIZE,
		.frame_headroom = 0,
	};
	const struct xsk_socket_config scfg = {
		.rx_size = XSK_RX_RING,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		/* udpesp_xdp is the program; libxdp must not load its own. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	const size_t size = (size_t)XSK_FRAMES * XSK_FRAME_SIZE;
	char ifname[IF_NAMESIZE];
	struct xsk_worker *w;
	__u32 idx;
	int err;

	if (!if_indextoname(ifindex, ifname))
		return -errno;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ws = ws;
	w->ifindex = ifindex;
	w->queue = queue;
	w->index = index;
	w->cpu = cpu;
	w->tun_fd = -1;
	w->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (w->area == MAP_FAILED) {
		w->area = NULL;
		err = -errno;
		goto fail;
	}
	err = xsk_umem__create(&w->umem, w->area, size, &w->fill, &w->comp, &ucfg);
	if (err)
		goto fail;
	err = xsk_socket__create(&w->xsk, ifname, queue, w->umem, &w->rx, NULL, &scfg);
	if (err)
		goto fail;
	/* Every frame starts on the fill ring and goes back there after use. */
	if (xsk_ring_prod__reserve(&w->fill, XSK_FRAMES, &idx) != XSK_FRAMES) {
		err = -ENOSPC;
		goto fail;
	}
	for (__u32 i = 0; i < XSK_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&w->fill, idx + i) = (__u64)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&w->fill, XSK_FRAMES);

	w->tun_fd = ws->gso ? tun_open_queue_gso(ws->tun_name) : tun_open_queue(ws->tun_name);
	if (w->tun_fd < 0) {
		err = w->tun_fd;
		goto fail;
	}
	if (ws->gso) {
		w->tb = calloc(1, sizeof(*w->tb));
		if (!w->tb) {
			err = -ENOMEM;
			goto fail;
		}
	}
	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err) {
		err = -err;
		goto fail;
	}
	w->started = true;
	/* Only now may udpesp_xdp redirect here. */
	err = udpesp_maps_xsk_set(ws->maps, index, xsk_socket__fd(w->xsk));
	if (err)
		goto fail;
	*out = w;
	return 0;
fail:
	worker_free(w);
	return err;
}

/* RX queues of an interface, as ethtool reports them; 1 if it cannot say. */
static __u32 rx_queues(__u32 ifindex)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { 0 };
	__u32 n = 1;
	int s;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return 1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 1;
	ifr.ifr_data = (void *)&ch;
	if (!ioctl(s, SIOCETHTOOL, &ifr)) {
		n = ch.combined_count > ch.rx_count ? ch.combined_count : ch.rx_count;
		if (n == 0)
			n = 1;
	}
	close(s);
	return n > UDPESP_MAX_QUEUES ? UDPESP_MAX_QUEUES : n;
}

static void if_slot_close(struct xsk_workers *ws, int s)
{
	for (__u32 q = 0; q < UDPESP_MAX_QUEUES; q++) {
		worker_free(ws->ifs[s].w[q]);
		ws->ifs[s].w[q] = NULL;
	}
	udpesp_maps_xsk_base_set(ws->maps, ws->ifs[s].ifindex, -1);
	ws->ifs[s].ifindex = 0;
	ws->ifs[s].nqueues = 0;
}

static void if_slot_open(struct xsk_workers *ws, int s, __u32 ifindex)
{
	__u32 base = (__u32)s * UDPESP_MAX_QUEUES, nq = rx_queues(ifindex), ok = 0;
	int err;

	ws->ifs[s].ifindex = ifindex;
	ws->ifs[s].nqueues = nq;
	err = udpesp_maps_xsk_base_set(ws->maps, ifindex, base);
	if (err) {
		pr_err("interface %u: udpesp_xsk_base: %s", ifindex, strerror(-err));
		return;
	}
	for (__u32 q = 0; q < nq; q++) {
		int cpu = ws->cpu_first < 0 ?
				  -1 :
				  (int)((ws->cpu_first + s * UDPESP_MAX_QUEUES + q) % ws->ncpus);

		err = worker_new(ws, ifindex, q, base + q, cpu, &ws->ifs[s].w[q]);
		if (err)
			pr_err("interface %u queue %u: AF_XDP socket: %s", ifindex, q,
			       strerror(-err));
		else
			ok++;
	}
	pr_info("interface %u: %u of %u RX queues have an AF_XDP worker", ifindex, ok, nq);
}

void xsk_workers_sync(struct xsk_workers *ws, const __u32 *ifindexes, size_t n)
{
	for (int s = 0; s < XSK_IF_SLOTS; s++)
		ws->ifs[s].seen = false;
	for (size_t i = 0; i < n; i++) {
		int s, free_slot = -1;

		for (s = 0; s < XSK_IF_SLOTS; s++) {
			if (ws->ifs[s].ifindex == ifindexes[i])
				break;
			if (!ws->ifs[s].ifindex && free_slot < 0)
				free_slot = s;
		}
		if (s == XSK_IF_SLOTS) {
			if (free_slot < 0) {
				pr_warn("interface %u: no room for more than %d interfaces with workers",
					ifindexes[i], XSK_IF_SLOTS);
				continue;
			}
			s = free_slot;
			if_slot_open(ws, s, ifindexes[i]);
		}
		ws->ifs[s].seen = true;
	}
	for (int s = 0; s < XSK_IF_SLOTS; s++) {
		if (ws->ifs[s].ifindex && !ws->ifs[s].seen) {
			pr_info("interface %u: udpesp_xdp gone, stopping its workers",
				ws->ifs[s].ifindex);
			if_slot_close(ws, s);
		}
	}
}

size_t xsk_workers_count(const struct xsk_workers *ws)
{
	size_t n = 0;

	for (int s = 0; s < XSK_IF_SLOTS; s++)
		for (__u32 q = 0; q < UDPESP_MAX_QUEUES; q++)
			n += ws->ifs[s].w[q] != NULL;
	return n;
}

int xsk_workers_init(struct xsk_workers *ws, struct udpesp_maps *maps, struct sa_rt_table *rt,
		     struct outbound *out, const char *tun_name, int cpu_first)
{
	memset(ws, 0, sizeof(*ws));
	ws->maps = maps;
	ws->rt = rt;
	ws->out = out;
	ws->tun_name = tun_name;
	ws->cpu_first = cpu_first;
	ws->ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ws->ncpus < 1)
		ws->ncpus = 1;
	return notify_queue_init(&ws->mappings, sizeof(struct xsk_mapping));
}

void xsk_workers_fini(struct xsk_workers *ws)
{
	if (!ws->maps)
		return;
	for (int s = 0; s < XSK_IF_SLOTS; s++)
		if (ws->ifs[s].ifindex)
			if_slot_close(ws, s);
	notify_queue_fini(&ws->mappings);
	memset(ws, 0, sizeof(*ws));
}
