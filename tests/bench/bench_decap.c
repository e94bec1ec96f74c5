// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bench_decap: decapsulated packets per second through the whole inbound
 * path, and what each part of it costs alone, measured in the same rounds:
 *
 *   peer netns  AF_PACKET sendmmsg() of pre-built ESP-in-UDP frames (CPU 0)
 *      | veth
 *   gw netns    udpesp_xdp (native) -> AF_XDP socket -> udpespd's worker
 *               (CPU 1): esp_decap() -> write() to udpesp0 (TUN) -> IPv4
 *               -> a UDP socket
 *
 * The veth has one RX queue, so udpespd runs one worker (--xsk-cpu 1).
 * Everything lives in namespaces made here: a private mount namespace with
 * its own bpffs, and two network namespaces joined by a veth, with
 * documentation addresses only. build/udpespd runs in the gateway
 * namespace and is driven over its control socket as udpespctl would,
 * with random keys that never leave memory.
 *
 * Per round, for each inner size and suite, BENCH_PACKETS frames with
 * consecutive sequence numbers are built with esp_crypto_encrypt() and
 * sent as fast as one CPU can. "Inner" is the inner IPv4/UDP packet, the
 * ESP payload before padding, as in bench_crypto's 1400-byte payload.
 *   offered   frames sent / the sender's wall time
 *   decap     DecapOk growth while sending / the same time
 *   loss      frames sent that were not decapsulated once the path
 *             drained; "xsk" is the part lost at the AF_XDP RX ring
 *             (redirected by XDP, never taken by the worker), the rest
 *             was lost before XDP (veth ring)
 *   worker    udpespd's CPU time (all threads: the worker's dominates) per
 *             packet decapsulated, plus ksoftirqd's on the worker's CPU.
 *             Without IRQ time accounting (this kernel) the softirq work
 *             a task runs inline counts as the task's: the IPv4 and UDP
 *             receive that the TUN write runs is the worker's. The XDP
 *             program and the copy into the UMEM run on the sender's CPU
 *             (veth NAPI) and are not.
 *   busy      that CPU time over the time from the first frame sent to
 *             the last decapsulated
 *   runq      udpespd's time runnable but waiting for a CPU over the same
 *             time: where other processes share the worker's CPU, the
 *             decap rate is theirs to set, not udpesp's
 *   sender    the sender thread's CPU time per frame, plus ksoftirqd's on
 *             its CPU: AF_PACKET, veth, udpesp_xdp and the AF_XDP copy
 * Then, on the worker's CPU, in this thread (CPU time, plus ksoftirqd's
 * for the two deliveries), each part alone over BENCH_ALONE packets
 * cycling through 1024 of those frames:
 *   crypto    esp_crypto_decrypt(), less the copy of the packet each
 *             decrypt starts from (the way bench_crypto measures it)
 *   decap()   esp_decap(): parsing, replay check and advance, crypto
 *   TUN       write() of the inner packet to a queue of udpesp0
 *   XSK TX    the delivery the design allowed instead: AF_XDP TX (copy
 *             mode, veth has no zero-copy) of the inner packet behind an
 *             Ethernet header into a veth pair whose other end feeds the
 *             stack. Both deliveries end at the same UDP socket.
 * The UDP socket is not read while measuring (its queue fills and the
 * rest is counted as RcvbufErrors): the cost measured ends in the UDP
 * layer, not in an application. Datagrams that reached UDP are counted
 * and checked against DecapOk.
 *
 * The machine is shared and noisy: every round runs every case, and the
 * tables show medians over rounds (ratios: medians of per-round ratios).
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_PACKETS (frames per
 * measurement, default 250,000), BENCH_ALONE (default 100,000),
 * BENCH_QUICK=1 (3 rounds, 50,000 and 20,000), UDPESPD (the daemon;
 * default ../udpespd next to this binary). Run as root. Results are
 * reported, never asserted: the exit status is 0 unless something fails
 * (set-up, a packet that does not decapsulate, a lost control reply).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "common/ctl_proto.h"
#include "common/counter_names.h"
#include "esp/esp_crypto.h"
#include "esp/esp_decap.h"
#include "common/maps.h"
#include "common/sa_check.h"
#include "udpespd/tun.h"
#include "bench_esp.h"
#include "bench_net.h"
#include "bench_util.h"

#define ROUNDS_DEFAULT 5u
#define ROUNDS_QUICK 3u
#define ROUNDS_MAX 51u
#define PACKETS_DEFAULT 250000u
#define PACKETS_QUICK 50000u
#define ALONE_DEFAULT 100000u
#define ALONE_QUICK 20000u
#define WARMUP 2000u
/* Frames the "alone" loops cycle through: warm in cache, as in the worker. */
#define SET 1024u
#define BATCH 64u /* frames per sendmmsg() and per AF_XDP TX kick */
#define FRAME_MAX 2048u
#define REPLAY_WINDOW 1024u
#define DRAIN_QUIET_MS 50
#define DRAIN_MAX_MS 5000
#define REPLY_TIMEOUT_MS 10000

#define NSIZES 3
#define NSUITES 3
static const __u32 sizes[NSIZES] = { 64, 512, 1400 };

/* Interfaces: each namespace is ours, so the names clash with nothing. */
#define DEV_GW "bd-gw"
#define DEV_PEER "bd-peer"
#define DEV_X0 "bd-x0" /* AF_XDP TX side of the comparison pair */
#define DEV_X1 "bd-x1" /* its other end, feeding the gateway's stack */
#define TUN_NAME "udpesp0"

#define GW4 "192.0.2.1"
#define PEER4 "192.0.2.2"
#define INNER_SRC "203.0.113.5"
#define INNER_DST "198.51.100.1"
#define INNER_NET "203.0.113.0/24"
#define INNER_SPORT 5000
#define INNER_DPORT 5001
#define SPI_BASE 0x1000u

/* Frame layout: Ethernet, IPv4 (no options), UDP, ESP. */
#define IP_OFF 14u
#define UDP_OFF 34u
#define ESP_OFF 42u

/* Frames of one measurement: n frames, each at buf + i * stride. */
struct frames {
	__u8 *buf;
	size_t cap;
	__u32 stride, len, esp_len, n;
};

/* One measurement of the whole path. */
struct path_m {
	double offered, decap; /* pps */
	double loss, loss_xsk; /* fractions of frames sent */
	double worker_ns, sender_ns;
	double busy;	  /* worker CPU time / time until drained */
	double runq;	  /* its time waiting for a CPU / the same */
	double udp_ratio; /* datagrams that reached UDP / DecapOk */
};

struct result {
	struct path_m p[ROUNDS_MAX];
	double crypto_ns[ROUNDS_MAX], decap_ns[ROUNDS_MAX];
	double ratio[ROUNDS_MAX]; /* worker / crypto */
};

struct deliver {
	double tun_ns[ROUNDS_MAX], xsk_ns[ROUNDS_MAX];
	double tun_share[ROUNDS_MAX]; /* TUN write / worker, first suite */
	double tun_ok, xsk_ok;	      /* smallest arrived / written seen */
};

struct bench {
	__u32 rounds, packets, alone;
	bool quick;
	int sender_cpu, worker_cpu;
	pid_t ksoftirqd[2]; /* of sender_cpu, worker_cpu */
	char daemon[PATH_MAX];
	struct bench_world w;
	pid_t pid;
	struct bench_ctl ctl;
	struct udpesp_maps maps;
	__u8 gw_mac[ETH_ALEN], peer_mac[ETH_ALEN], x0_mac[ETH_ALEN], x1_mac[ETH_ALEN];
	int tx_fd, tx_ifindex; /* AF_PACKET in the peer namespace */
	int udp_fd, tun_fd;
	struct esp_crypto_thread *ct;
	struct bench_suite su[NSUITES];
	struct frames f;
	struct bench_flow flow;
	__u8 *work;
	/* AF_XDP TX into DEV_X0 */
	void *xarea;
	struct xsk_umem *xumem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod xfill, xtx;
	struct xsk_ring_cons xcomp;
	struct result res[NSUITES][NSIZES];
	struct deliver dl[NSIZES];
};

static struct bench b = { .w = { .peer_ns = -1, .gw_ns = -1 },
			  .ctl = { .fd = -1 },
			  .tx_fd = -1,
			  .udp_fd = -1,
			  .tun_fd = -1,
			  .maps = { .sa = -1 } };

/* ---- namespaces and interfaces ---- */

static void net_setup(void)
{
	int s;

	bench_world_veth(&b.w, DEV_GW, DEV_PEER, GW4, PEER4);
	/* The pair for the AF_XDP TX comparison, both ends in the gateway. */
	ns_run(b.w.gw_ns, "ip", "link", "add", DEV_X0, "type", "veth", "peer", "name", DEV_X1,
	       NULL);
	ns_run(b.w.gw_ns, "ip", "link", "set", DEV_X0, "up", NULL);
	ns_run(b.w.gw_ns, "ip", "link", "set", DEV_X1, "up", NULL);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket: %s", strerror(errno));
	get_mac(s, DEV_GW, b.gw_mac);
	get_mac(s, DEV_X0, b.x0_mac);
	get_mac(s, DEV_X1, b.x1_mac);
	close(s);

	/* The sender's socket lives in the peer namespace; this thread returns. */
	enter_ns(b.w.peer_ns);
	b.tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: receives nothing */
	b.tx_ifindex = if_nametoindex(DEV_PEER);
	enter_ns(b.w.gw_ns);
	if (b.tx_fd < 0 || !b.tx_ifindex)
		die("AF_PACKET socket on %s: %s", DEV_PEER, strerror(errno));
	{
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = b.tx_ifindex };
		int one = 1;

		if (bind(b.tx_fd, (struct sockaddr *)&sll, sizeof(sll)) ||
		    setsockopt(b.tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
			die("AF_PACKET bind: %s", strerror(errno));
	}
	get_mac(b.tx_fd, DEV_PEER, b.peer_mac);
	b.flow = (struct bench_flow){ .src = PEER4,
				      .dst = GW4,
				      .src_mac = b.peer_mac,
				      .dst_mac = b.gw_mac,
				      .inner_src = INNER_SRC,
				      .inner_dst = INNER_DST,
				      .inner_sport = INNER_SPORT,
				      .inner_dport = INNER_DPORT };
}

/* ---- udpespd ---- */

static void start_daemon(void)
{
	b.pid = bench_world_daemon(&b.w, b.daemon, b.worker_cpu, &b.ctl, &b.maps);
}

static void link_attach(void)
{
	struct udpesp_ctl_link req = { .ifindex = if_nametoindex(DEV_GW),
				       .mode = UDPESP_XDP_NATIVE };
	struct ctl_msg m;

	if (!req.ifindex)
		die("%s: %s", DEV_GW, strerror(errno));
	bench_ctl_call(&b.ctl, UDPESP_MSG_LINK_ATTACH, &req, sizeof(req), UDPESP_MSG_LINK_ATTACH,
		       &m, NULL, 0);
	ctl_msg_free(&m);
}

/* ---- SAs ---- */

static void suite_init(struct bench_suite *s, int i)
{
	struct ctl_msg m;

	bench_suite_init(s, i, SPI_BASE + i, PEER4, GW4, REPLAY_WINDOW, UDPESP_OFFLOAD_XSK);
	bench_ctl_call(&b.ctl, UDPESP_MSG_SA_ADD, &s->sa, sizeof(s->sa), UDPESP_MSG_SA_ADD, &m,
		       NULL, 0);
	ctl_msg_free(&m);
}

/* ---- packets ---- */

/* n frames of s with the next n sequence numbers of its SA. */
static void build_frames(struct bench_suite *s, __u32 size, __u32 n)
{
	struct frames *f = &b.f;

	f->stride = FRAME_MAX;
	f->n = n;
	for (__u32 i = 0; i < n; i++)
		f->len = bench_esp_frame(s, b.ct, &b.flow, size, s->next_seq++,
					 f->buf + (size_t)i * f->stride);
	f->esp_len = f->len - ESP_OFF;
}

/* ---- the whole path ---- */

static __u64 counter(enum udpesp_counter c)
{
	__u64 v;

	if (udpesp_maps_counter(&b.maps, c, &v))
		die("reading counter %s", udpesp_counter_names[c]);
	return v;
}

static __u64 decap_ok_now(void)
{
	return __atomic_load_n(&b.maps.xsk_cnt_mem->c[UDPESP_CNT_DECAP_OK], __ATOMIC_RELAXED);
}

/* Every counter that means a frame of ours was refused: all must stay 0. */
static const enum udpesp_counter bad_counters[] = {
	UDPESP_CNT_RX_NO_WORKER,	 UDPESP_CNT_RX_META_ERROR,
	UDPESP_CNT_IN_HDR_ERROR,	 UDPESP_CNT_IN_NO_STATES,
	UDPESP_CNT_IN_STATE_PROTO_ERROR, UDPESP_CNT_IN_STATE_MODE_ERROR,
	UDPESP_CNT_IN_STATE_SEQ_ERROR,	 UDPESP_CNT_IN_BUFFER_ERROR,
	UDPESP_CNT_DECAP_BAD_PADDING,	 UDPESP_CNT_DECAP_STALE_SA,
};

static __u64 bad_total(void)
{
	__u64 sum = 0;

	for (size_t i = 0; i < sizeof(bad_counters) / sizeof(bad_counters[0]); i++)
		sum += counter(bad_counters[i]);
	return sum;
}

struct blast {
	__u64 t0, t1, cpu, ok0, ok1;
	__u32 sent;
};

static void *sender(void *arg)
{
	struct blast *bl = arg;
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	__u64 c0;

	pin_to(b.sender_cpu);
	memset(msg, 0, sizeof(msg));
	c0 = thread_ns();
	bl->ok0 = decap_ok_now();
	bl->t0 = now_ns();
	while (bl->sent < b.f.n) {
		__u32 n = b.f.n - bl->sent < BATCH ? b.f.n - bl->sent : BATCH;
		int r;

		for (__u32 i = 0; i < n; i++) {
			iov[i].iov_base = b.f.buf + (size_t)(bl->sent + i) * b.f.stride;
			iov[i].iov_len = b.f.len;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(b.tx_fd, msg, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				sched_yield();
				continue;
			}
			die("sendmmsg: %s", strerror(errno));
		}
		bl->sent += r;
	}
	bl->t1 = now_ns();
	bl->ok1 = decap_ok_now();
	bl->cpu = thread_ns() - c0;
	return NULL;
}

/* Wait until DecapOk has not moved for DRAIN_QUIET_MS; when it last did. */
static __u64 drain(void)
{
	__u64 last = decap_ok_now(), t_last = now_ns(), t0 = t_last;

	for (;;) {
		__u64 v, t;

		usleep(2000);
		v = decap_ok_now();
		t = now_ns();
		if (v != last) {
			last = v;
			t_last = t;
		} else if (t - t_last > DRAIN_QUIET_MS * 1000000ull) {
			return t_last;
		}
		if (t - t0 > DRAIN_MAX_MS * 1000000ull)
			die("DecapOk still moving after %d ms", DRAIN_MAX_MS);
	}
}

/* Send the current frames through the path; fills *pm. */
static void run_path(struct path_m *pm, const char *what)
{
	__u64 red0, ok0, bad0, cpu0, udp0, red1, ok1, bad1, cpu1, udp1, sq0, sq1, w0, w1;
	struct blast bl = { 0 };
	pthread_t th;
	double secs;
	__u64 t_end;

	udp_empty(b.udp_fd);
	red0 = counter(UDPESP_CNT_RX_REDIRECT);
	ok0 = counter(UDPESP_CNT_DECAP_OK);
	bad0 = bad_total();
	udp0 = udp_arrived(b.udp_fd);
	sq0 = task_ns(b.ksoftirqd[0]);
	cpu0 = proc_ns(b.pid, &w0) + task_ns(b.ksoftirqd[1]);
	if (pthread_create(&th, NULL, sender, &bl))
		die("pthread_create");
	pthread_join(th, NULL);
	t_end = drain();
	cpu1 = proc_ns(b.pid, &w1) + task_ns(b.ksoftirqd[1]);
	sq1 = task_ns(b.ksoftirqd[0]);
	udp1 = udp_arrived(b.udp_fd);
	red1 = counter(UDPESP_CNT_RX_REDIRECT);
	ok1 = counter(UDPESP_CNT_DECAP_OK);
	bad1 = bad_total();
	if (bad1 != bad0) {
		bench_log_tail(b.w.log);
		die("%s: %llu frames refused (run `udpespctl stats` on a rerun)", what,
		    (unsigned long long)(bad1 - bad0));
	}
	if (ok1 == ok0)
		die("%s: nothing was decapsulated", what);
	secs = (bl.t1 - bl.t0) / 1e9;
	pm->offered = bl.sent / secs;
	pm->decap = (bl.ok1 - bl.ok0) / secs;
	pm->loss = (double)(bl.sent - (ok1 - ok0)) / bl.sent;
	pm->loss_xsk = (double)((red1 - red0) - (ok1 - ok0)) / bl.sent;
	pm->worker_ns = (double)(cpu1 - cpu0) / (ok1 - ok0);
	pm->sender_ns = (double)(bl.cpu + sq1 - sq0) / bl.sent;
	pm->udp_ratio = (double)(udp1 - udp0) / (ok1 - ok0);
	pm->busy = (double)(cpu1 - cpu0) / (t_end - bl.t0);
	pm->runq = (double)(w1 - w0) / (t_end - bl.t0);
}

/* ---- each part alone, on the worker's CPU ---- */

/* Frame k of the set the alone loops cycle through. */
static const __u8 *set_frame(__u32 k)
{
	return b.f.buf + (size_t)(k % SET) * b.f.stride;
}

static double alone_copy(__u32 off, __u32 len)
{
	__u64 t0 = thread_ns();

	for (__u32 k = 0; k < b.alone; k++) {
		memcpy(b.work, set_frame(k) + off, len);
		__asm__ volatile("" : : "r"(b.work) : "memory");
	}
	return (double)(thread_ns() - t0) / b.alone;
}

static double alone_crypto(struct bench_suite *s)
{
	double copy = alone_copy(ESP_OFF, b.f.esp_len);
	__u64 t0 = thread_ns();
	int bad = 0;

	for (__u32 k = 0; k < b.alone; k++) {
		memcpy(b.work, set_frame(k) + ESP_OFF, b.f.esp_len);
		bad |= esp_crypto_decrypt(s->c, b.ct, b.work, b.f.esp_len, false, 0);
	}
	if (bad)
		die("%s: a packet did not decrypt", s->name);
	return (double)(thread_ns() - t0) / b.alone - copy;
}

/* esp_decap() with a window of its own, reset before each pass of the set. */
static double alone_decap(struct bench_suite *s)
{
	const struct udpesp_xdp_meta meta = {
		.magic = UDPESP_META_MAGIC,
		.l3_off = IP_OFF,
		.l4_off = UDP_OFF,
		.esp_off = ESP_OFF,
		.family = UDPESP_AF_INET,
	};
	static struct udpesp_replay replay;
	struct esp_decap_sa sa = {
		.suite = &s->s, .crypto = s->c, .replay = &replay, .mode = UDPESP_MODE_TUNNEL
	};
	double copy = alone_copy(0, b.f.len);
	struct esp_decap_out out;
	__u64 t0 = thread_ns();

	for (__u32 k = 0; k < b.alone; k++) {
		enum udpesp_decap_verdict v;

		if (k % SET == 0) {
			memset(&replay, 0, sizeof(replay));
			replay.window = REPLAY_WINDOW;
		}
		memcpy(b.work, set_frame(k), b.f.len);
		v = esp_decap(&sa, b.ct, b.work, b.f.len, &meta, &out);
		if (v != UDPESP_DECAP_OK)
			die("%s: esp_decap: %s", s->name, udpesp_decap_verdict_name(v));
	}
	return (double)(thread_ns() - t0) / b.alone - copy;
}

/* The inner packets of the set, for the two deliveries. */
static __u8 *inner_of(__u32 k)
{
	return b.work + FRAME_MAX + (size_t)(k % SET) * FRAME_MAX;
}

static void build_inner(__u32 size)
{
	for (__u32 k = 0; k < SET; k++)
		bench_inner_packet(inner_of(k), &b.flow, size, k + 1);
}

static double alone_tun(__u32 size, double *arrived)
{
	__u64 u0, t0;

	udp_empty(b.udp_fd);
	u0 = udp_arrived(b.udp_fd);
	t0 = thread_ns() + task_ns(b.ksoftirqd[1]);
	for (__u32 k = 0; k < b.alone; k++)
		if (write(b.tun_fd, inner_of(k), size) != (ssize_t)size)
			die("write to %s: %s", TUN_NAME, strerror(errno));
	t0 = thread_ns() + task_ns(b.ksoftirqd[1]) - t0;
	*arrived = (double)(udp_arrived(b.udp_fd) - u0) / b.alone;
	return (double)t0 / b.alone;
}

static void xsk_tx_setup(void)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = FRAME_MAX,
	};
	const struct xsk_socket_config scfg = {
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	size_t size = (size_t)SET * FRAME_MAX;
	int err;

	b.xarea = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b.xarea == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	err = xsk_umem__create(&b.xumem, b.xarea, size, &b.xfill, &b.xcomp, &ucfg);
	if (!err)
		err = xsk_socket__create(&b.xsk, DEV_X0, 0, b.xumem, NULL, &b.xtx, &scfg);
	if (err)
		die("AF_XDP TX socket on %s: %s", DEV_X0, strerror(-err));
}

/* The frames of the set in the UMEM: Ethernet to DEV_X1, then the inner packet. */
static void xsk_fill_umem(__u32 size)
{
	for (__u32 k = 0; k < SET; k++) {
		__u8 *p = (__u8 *)b.xarea + (size_t)k * FRAME_MAX;

		bench_eth_hdr(p, b.x1_mac, b.x0_mac);
		memcpy(p + ETH_HLEN, inner_of(k), size);
	}
}

static double alone_xsk(__u32 size, double *arrived)
{
	__u32 len = ETH_HLEN + size, sent = 0, done = 0, next = 0;
	int fd = xsk_socket__fd(b.xsk);
	__u64 u0, t0;

	udp_empty(b.udp_fd);
	u0 = udp_arrived(b.udp_fd);
	t0 = thread_ns() + task_ns(b.ksoftirqd[1]);
	while (done < b.alone) {
		__u32 idx,
			n = xsk_ring_cons__peek(&b.xcomp, XSK_RING_CONS__DEFAULT_NUM_DESCS, &idx);

		if (n) {
			xsk_ring_cons__release(&b.xcomp, n);
			done += n;
		}
		/* At most SET frames in flight: each UMEM frame is used once at a time. */
		n = b.alone - sent < BATCH ? b.alone - sent : BATCH;
		if (sent - done + n > SET)
			n = 0;
		if (n && xsk_ring_prod__reserve(&b.xtx, n, &idx) == n) {
			for (__u32 i = 0; i < n; i++) {
				struct xdp_desc *d = xsk_ring_prod__tx_desc(&b.xtx, idx + i);

				d->addr = (__u64)(next++ % SET) * FRAME_MAX;
				d->len = len;
				d->options = 0;
			}
			xsk_ring_prod__submit(&b.xtx, n);
			sent += n;
		}
		/* Copy mode sends in the syscall, a bounded number per call. */
		if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
			die("AF_XDP sendto: %s", strerror(errno));
	}
	t0 = thread_ns() + task_ns(b.ksoftirqd[1]) - t0;
	*arrived = (double)(udp_arrived(b.udp_fd) - u0) / b.alone;
	return (double)t0 / b.alone;
}

/* ---- set-up of the gateway's inner side ---- */

static void inner_setup(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(INNER_DPORT) };

	ns_run(b.w.gw_ns, "ip", "addr", "add", INNER_DST "/24", "dev", TUN_NAME, NULL);
	ns_run(b.w.gw_ns, "ip", "route", "add", INNER_NET, "dev", TUN_NAME, NULL);
	/* Any address: the XSK TX comparison delivers through DEV_X1. */
	b.udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b.udp_fd < 0 || bind(b.udp_fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("UDP socket on port %d: %s", INNER_DPORT, strerror(errno));
	b.tun_fd = tun_open_queue(TUN_NAME);
	if (b.tun_fd < 0)
		die("a queue of %s: %s", TUN_NAME, strerror(-b.tun_fd));
}

/* A few frames of each suite first: all must decapsulate and arrive. */
static void warm_up(void)
{
	for (int i = 0; i < NSUITES; i++) {
		__u64 ok0 = counter(UDPESP_CNT_DECAP_OK), udp0 = udp_arrived(b.udp_fd), ok1 = ok0,
		      udp1;
		__u64 bad0 = bad_total(), t0;

		build_frames(&b.su[i], sizes[0], WARMUP);
		for (__u32 k = 0; k < WARMUP; k++) {
			/* Slowly, so that nothing may be lost on the way. */
			if (send(b.tx_fd, b.f.buf + (size_t)k * b.f.stride, b.f.len, 0) !=
			    (ssize_t)b.f.len)
				die("send: %s", strerror(errno));
			if (k % 64 == 63)
				usleep(1000);
		}
		t0 = now_ns();
		while (ok1 - ok0 < WARMUP && now_ns() - t0 < 5000000000ull) {
			usleep(5000);
			ok1 = counter(UDPESP_CNT_DECAP_OK);
		}
		udp1 = udp_arrived(b.udp_fd);
		if (ok1 - ok0 != WARMUP || bad_total() != bad0) {
			bench_log_tail(b.w.log);
			die("%s: %llu of %u warm-up frames decapsulated, %llu refused",
			    b.su[i].name, (unsigned long long)(ok1 - ok0), WARMUP,
			    (unsigned long long)(bad_total() - bad0));
		}
		if (udp1 - udp0 != WARMUP)
			die("%s: %llu of %u inner datagrams reached UDP", b.su[i].name,
			    (unsigned long long)(udp1 - udp0), WARMUP);
		udp_empty(b.udp_fd);
	}
}

/* ---- report ---- */

static void print_header(void)
{
	struct utsname u;

	uname(&u);
	printf("udpesp decap benchmark: veth -> udpesp_xdp -> AF_XDP worker -> esp_decap -> TUN %s -> UDP\n",
	       TUN_NAME);
	printf("kernel %s, %ld CPUs online; sender on CPU %d, worker (and the alone loops) on CPU %d\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), b.sender_cpu, b.worker_cpu);
	printf("%s; %u frames per measurement, alone loops %u packets over %u; median of %u round%s%s\n",
	       esp_crypto_backend(), b.packets, b.alone, SET, b.rounds, b.rounds > 1 ? "s" : "",
	       b.quick ? " (BENCH_QUICK)" : "");
	printf("inner = the inner IPv4/UDP packet, the ESP payload before padding (bench_crypto's \"payload\")\n\n");
	fflush(stdout);
}

static void print_results(void)
{
	double tmp[ROUNDS_MAX];

#define MED(expr)                                       \
	({                                              \
		for (__u32 r_ = 0; r_ < b.rounds; r_++) \
			tmp[r_] = (expr);               \
		median(tmp, b.rounds);                  \
	})
	printf("%-18s %5s %7s %6s %6s %5s %5s %4s %4s %6s %6s %7s %7s %6s\n", "suite", "inner",
	       "offered", "decap", "decap", "loss", "xsk", "busy", "runq", "worker", "crypto",
	       "worker", "decap()", "sender");
	printf("%-18s %5s %7s %6s %6s %5s %5s %4s %4s %6s %6s %7s %7s %6s\n", "", "bytes", "kpps",
	       "kpps", "Mbit/s", "%", "%", "%", "%", "ns/pkt", "ns/pkt", "/crypto", "ns/pkt",
	       "ns/pkt");
	for (int i = 0; i < NSUITES; i++) {
		for (int z = 0; z < NSIZES; z++) {
			struct result *x = &b.res[i][z];
			double decap = MED(x->p[r_].decap);

			printf("%-18s %5u %7.0f %6.0f %6.0f %5.1f %5.1f %4.0f %4.0f %6.0f %6.0f %7.2f %7.0f %6.0f\n",
			       b.su[i].name, sizes[z], MED(x->p[r_].offered) / 1e3, decap / 1e3,
			       decap * sizes[z] * 8 / 1e6, MED(x->p[r_].loss) * 100,
			       MED(x->p[r_].loss_xsk) * 100, MED(x->p[r_].busy) * 100,
			       MED(x->p[r_].runq) * 100, MED(x->p[r_].worker_ns),
			       MED(x->crypto_ns[r_]), MED(x->ratio[r_]), MED(x->decap_ns[r_]),
			       MED(x->p[r_].sender_ns));
		}
	}
	printf("\ndelivery of the inner packet alone (worker's CPU, thread CPU time per packet)\n");
	printf("%5s %10s %14s %10s %14s\n", "inner", "TUN write", "AF_XDP TX veth", "XSK / TUN",
	       "TUN / worker");
	printf("%5s %10s %14s %10s %14s\n", "bytes", "ns/pkt", "ns/pkt", "", b.su[0].name);
	for (int z = 0; z < NSIZES; z++) {
		struct deliver *d = &b.dl[z];

		printf("%5u %10.0f %14.0f %10.2f %14.2f\n", sizes[z], MED(d->tun_ns[r_]),
		       MED(d->xsk_ns[r_]), MED(d->xsk_ns[r_] / d->tun_ns[r_]),
		       MED(d->tun_share[r_]));
	}
#undef MED
	{
		double lo = 1e9, hi = 0, tun_ok = 1e9, xsk_ok = 1e9;

		for (int i = 0; i < NSUITES; i++)
			for (int z = 0; z < NSIZES; z++)
				for (__u32 r = 0; r < b.rounds; r++) {
					double v = b.res[i][z].p[r].udp_ratio;

					lo = v < lo ? v : lo;
					hi = v > hi ? v : hi;
				}
		for (int z = 0; z < NSIZES; z++) {
			tun_ok = b.dl[z].tun_ok < tun_ok ? b.dl[z].tun_ok : tun_ok;
			xsk_ok = b.dl[z].xsk_ok < xsk_ok ? b.dl[z].xsk_ok : xsk_ok;
		}
		printf("\nchecks: inner datagrams that reached UDP per DecapOk %.3f-%.3f; "
		       "per TUN write >= %.3f; per AF_XDP TX frame >= %.3f\n",
		       lo, hi, tun_ok, xsk_ok);
	}
	printf("worker/crypto: udpespd's CPU time per decapsulated packet over esp_crypto_decrypt() alone\n");
}

static void cleanup(void)
{
	int status;

	if (b.xsk)
		xsk_socket__delete(b.xsk);
	if (b.xumem)
		xsk_umem__delete(b.xumem);
	b.xsk = NULL;
	b.xumem = NULL;
	if (b.ctl.fd >= 0)
		close(b.ctl.fd);
	b.ctl.fd = -1;
	if (b.maps.sa >= 0)
		udpesp_maps_close(&b.maps);
	b.maps.sa = -1;
	if (b.pid > 0) {
		kill(b.pid, SIGTERM);
		waitpid(b.pid, &status, 0);
		b.pid = 0;
	}
	for (int i = 0; i < NSUITES; i++)
		bench_suite_free(&b.su[i]);
	if (b.ct)
		esp_crypto_thread_free(b.ct);
	b.ct = NULL;
	bench_world_cleanup(&b.w);
}

int main(void)
{
	const char *quick = getenv("BENCH_QUICK");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	b.quick = quick && !strcmp(quick, "1");
	b.rounds = env_u32("BENCH_ROUNDS", b.quick ? ROUNDS_QUICK : ROUNDS_DEFAULT, 1, ROUNDS_MAX);
	b.packets =
		env_u32("BENCH_PACKETS", b.quick ? PACKETS_QUICK : PACKETS_DEFAULT, SET, 4000000);
	b.alone = env_u32("BENCH_ALONE", b.quick ? ALONE_QUICK : ALONE_DEFAULT, SET, 10000000);
	b.sender_cpu = 0;
	b.worker_cpu = ncpu > 1 ? 1 : 0;

	bench_find_daemon(b.daemon, sizeof(b.daemon));
	b.ksoftirqd[0] = find_ksoftirqd(b.sender_cpu);
	b.ksoftirqd[1] = find_ksoftirqd(b.worker_cpu);
	b.f.cap = (size_t)b.packets * FRAME_MAX;
	b.f.buf = mmap(NULL, b.f.cap, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	b.work = malloc(FRAME_MAX * (SET + 1));
	b.ct = esp_crypto_thread_new();
	if (b.f.buf == MAP_FAILED || !b.work || !b.ct)
		die("out of memory (%zu MiB of frames)", b.f.cap >> 20);
	atexit(cleanup);
	libbpf_set_print(NULL);
	bench_world_make(&b.w, "bench-decap");
	net_setup();
	start_daemon();
	link_attach();
	inner_setup();
	xsk_tx_setup();
	/* After udpespd started, so that it does not inherit the pinning. */
	pin_to(b.worker_cpu);
	for (int i = 0; i < NSUITES; i++)
		suite_init(&b.su[i], i);
	warm_up();
	print_header();

	for (__u32 r = 0; r < b.rounds; r++) {
		for (int z = 0; z < NSIZES; z++) {
			struct deliver *d = &b.dl[z];
			double arrived;

			for (int i = 0; i < NSUITES; i++) {
				struct result *x = &b.res[i][z];
				char what[64];

				snprintf(what, sizeof(what), "%s %u", b.su[i].name, sizes[z]);
				build_frames(&b.su[i], sizes[z], b.packets);
				run_path(&x->p[r], what);
				x->crypto_ns[r] = alone_crypto(&b.su[i]);
				x->decap_ns[r] = alone_decap(&b.su[i]);
				x->ratio[r] = x->p[r].worker_ns / x->crypto_ns[r];
				fprintf(stderr,
					"round %u %-24s offered %4.0f kpps, decap %4.0f kpps, busy %3.0f%%, runq %3.0f%%, worker %4.0f ns, crypto %4.0f ns\n",
					r + 1, what, x->p[r].offered / 1e3, x->p[r].decap / 1e3,
					x->p[r].busy * 100, x->p[r].runq * 100, x->p[r].worker_ns,
					x->crypto_ns[r]);
			}
			build_inner(sizes[z]);
			xsk_fill_umem(sizes[z]);
			d->tun_ns[r] = alone_tun(sizes[z], &arrived);
			d->tun_ok = r == 0 || arrived < d->tun_ok ? arrived : d->tun_ok;
			d->xsk_ns[r] = alone_xsk(sizes[z], &arrived);
			d->xsk_ok = r == 0 || arrived < d->xsk_ok ? arrived : d->xsk_ok;
			d->tun_share[r] = d->tun_ns[r] / b.res[0][z].p[r].worker_ns;
		}
	}
	print_results();
	return 0;
}
