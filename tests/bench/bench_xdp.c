// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bench_xdp: nanoseconds per packet of udpesp_xdp through BPF_PROG_TEST_RUN,
 * each case against a bare XDP_PASS program measured in the same run.
 *
 * The machine this runs on is shared and noisy, so every round measures
 * bare and udpesp back to back for every case, and the table reports the
 * median over the rounds. The kernel reports the average of a run in
 * whole nanoseconds; the ratio column is the median of the per-round
 * ratios, since two runs taken back to back share most of their noise.
 *
 * Environment: BENCH_REPEAT (runs per measurement, default 1,000,000),
 * BENCH_ROUNDS (default 5), BENCH_QUICK=1 (3 rounds, same repeat).
 * The aims at the end are reported, never asserted: the exit status is 0
 * unless something fails (setup, or a program returning another action
 * or taking another path than the case expects).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/loader.h"
#include "common/counter_names.h"
#include "common/maps.h"
#include "udpesp.skel.h"
#include "xdp_bare.skel.h"
#include "bench_pkt.h"
#include "bench_util.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define BENCH_REPEAT_DEFAULT 1000000u
#define BENCH_ROUNDS_DEFAULT 5u
#define BENCH_ROUNDS_QUICK 3u
#define BENCH_ROUNDS_MAX 101u
#define BENCH_BIG_SA 1000000u
#define BENCH_CASES 6

/* Every SA of the big table is distinct by SPI; SPIs 1-255 are reserved. */
#define BENCH_SPI_BASE 0x1000u
/* The SA the ESP packet hits: in the middle of the big table. */
#define BENCH_HIT 500000u
_Static_assert(BENCH_HIT < BENCH_BIG_SA, "the hit SA must be in the big table");
/*
 * Replay state of the hit SA: the packet's sequence number lies inside
 * the window below top and is unseen, so the pre-check reads the bitmap
 * (the longest way through udpesp_replay_check()).
 */
#define BENCH_WINDOW 128u
#define BENCH_TOP 1000u
#define BENCH_SEQ 990u

/* ESP: header 8, IV 8, 64 bytes of "ciphertext" and trailer, ICV 16. */
#define BENCH_ESP_LEN 96u
/* The smallest AES-GCM-16 ESP: header, IV, 4-byte aligned trailer, ICV. */
#define BENCH_MIN_LEN (8 + 8 + 4 + 16)

/* One loaded udpesp object and the maps that go with it. */
struct inst {
	struct udpesp *skel;
	struct udpesp_maps maps;
	int prog_fd;
	bool xsk_on; /* the AF_XDP socket sits in udpesp_xsks[0] */
	__u32 n_sa;
	double load_s, fill_s;
};

struct bench_case {
	const char *id;
	const char *section; /* heading printed above the row, or NULL */
	const char *what;
	const char *path; /* action and counter, for the table */
	struct inst *inst;
	const struct bench_pkt *pkt;
	bool xsk;     /* socket registered on queue 0 during the run */
	bool shim;    /* run behind meta_reset (both sides) */
	__u32 expect; /* XDP action udpesp must return */
	enum udpesp_counter cnt;
	__u64 cnt_per_run; /* how much cnt must grow per run: 0 or 1 */
	double ns_u[BENCH_ROUNDS_MAX], ns_b[BENCH_ROUNDS_MAX];
	double ratio[BENCH_ROUNDS_MAX];
	double med_u, med_b, med_ratio;
};

struct bench {
	__u32 repeat, rounds;
	bool quick;
	struct xdp_bare *bare;
	int bare_fd, shim_fd, next_fd;
	int xsk_fd;
	void *umem;
	size_t umem_len;
	struct inst small, big;
	struct bench_pkt pkt_udp, pkt_ike, pkt_esp;
	int jit;		    /* bpf_jit_enable, read before leaving init_net */
	double need_mib, avail_mib; /* for the big table; see check_memory() */
};

static const char *xdp_action_name(__u32 act)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return act < sizeof(names) / sizeof(names[0]) ? names[act] : "XDP_?";
}

/*
 * The big table's keys: SPI BENCH_SPI_BASE + i, destination cycling over
 * the hosts .1-.254 of the three IPv4 documentation networks, so both
 * SPIs and addresses vary as they would across many peers.
 */
static void big_key(__u32 i, struct udpesp_sa_key *k, char *addr, size_t len)
{
	static const __u8 nets[3][3] = { { 192, 0, 2 }, { 198, 51, 100 }, { 203, 0, 113 } };
	__u32 h = i % (3 * 254);
	__be32 daddr[4] = { 0 };
	__u8 *a = (__u8 *)daddr;

	memcpy(a, nets[h / 254], 3);
	a[3] = 1 + h % 254;
	udpesp_sa_key_init(k, htonl(BENCH_SPI_BASE + i), UDPESP_AF_INET, daddr);
	if (addr)
		inet_ntop(AF_INET, daddr, addr, len);
}

static void sa_template(__u32 i, struct udpesp_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->handle = i + 1;
	sa->slot = i;
	sa->parser = 1;
	sa->backend = UDPESP_BACKEND_XSK;
	sa->mode = UDPESP_MODE_TUNNEL;
	sa->alg = UDPESP_ALG_AES_GCM_16;
	sa->encap = UDPESP_ENCAP_ESPINUDP;
	sa->min_len = BENCH_MIN_LEN;
}

/*
 * RFC 3948 as Linux IKE daemons set it up: one UDP socket on 0.0.0.0:4500,
 * i.e. a parser entry for any interface and any address. It is found by
 * the last of udpesp_xdp's four parser lookups, the slowest case.
 */
static void add_parser(struct inst *in)
{
	struct udpesp_parser_val pv = { .handle = 1, .encap = UDPESP_ENCAP_ESPINUDP };
	struct udpesp_parser_key pk;
	int err;

	udpesp_parser_key_init(&pk, 0, 4500, UDPESP_AF_INET, NULL);
	err = udpesp_maps_parser_add(&in->maps, &pk, &pv);
	if (err)
		die("parser entry: %s", strerror(-err));
}

/*
 * Every SA-slot map is preallocated at load, so a 1,000,000-slot table
 * costs the same empty as full (the memory table shows how much). Check
 * MemAvailable first: on a shared machine a clear refusal beats a load
 * failing half way or pushing everything else into reclaim.
 */
static void check_memory(struct bench *b, __u32 max_sa)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long kib = 0;
	char line[256];
	FILE *f;

	/* Replay state, per-CPU counters (+ pointer), hash element and bucket. */
	b->need_mib = (double)max_sa *
		      (sizeof(struct udpesp_replay) +
		       (ncpu > 0 ? ncpu : 1) * sizeof(struct udpesp_sa_stats) + 8 + 128) /
		      (1024 * 1024);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return; /* cannot tell: let the load decide */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	b->avail_mib = kib / 1024.0;
	/* Half again as much as needed, for the kernel's own rounding and slack. */
	if (kib && b->avail_mib < b->need_mib * 1.5)
		die("%u SA slots need about %.0f MiB of kernel memory; %.0f MiB available", max_sa,
		    b->need_mib, b->avail_mib);
}

static void load_inst(struct inst *in, __u32 max_sa)
{
	struct loader_opts lo = { .max_sa = max_sa, .pin_dir = NULL };
	double t0 = now_s();
	int err;

	in->skel = loader_load(&lo);
	if (!in->skel)
		die("loading udpesp (max_sa %u): %s", max_sa, strerror(errno));
	in->load_s = now_s() - t0;
	err = udpesp_maps_from_obj(&in->maps, in->skel->obj);
	if (err)
		die("udpesp maps: %s", strerror(-err));
	in->prog_fd = bpf_program__fd(in->skel->progs.udpesp_xdp);
	add_parser(in);
}

/* n SAs from big_key(); for n == 1 only the hit SA, in slot 0. */
static void fill_inst(struct inst *in, __u32 n)
{
	struct udpesp_sa_key k;
	struct udpesp_sa sa;
	double t0 = now_s();
	int err;

	if (n == 1) {
		big_key(BENCH_HIT, &k, NULL, 0);
		sa_template(0, &sa);
		err = udpesp_maps_sa_add(&in->maps, &k, &sa, BENCH_WINDOW, BENCH_TOP);
		if (err)
			die("adding the SA: %s", strerror(-err));
		in->n_sa = 1;
		in->fill_s = now_s() - t0;
		return;
	}
	for (__u32 i = 0; i < n; i++) {
		big_key(i, &k, NULL, 0);
		sa_template(i, &sa);
		err = udpesp_maps_sa_add(&in->maps, &k, &sa, BENCH_WINDOW, BENCH_TOP);
		if (err)
			die("adding SA %u of %u: %s", i + 1, n, strerror(-err));
	}
	in->n_sa = n;
	in->fill_s = now_s() - t0;
}

/*
 * An AF_XDP socket bound (copy mode) to queue 0 of this network
 * namespace's loopback, the device and queue BPF_PROG_TEST_RUN presents
 * to the program. Test runs never deliver to it: it only has to exist
 * so bpf_redirect_map() on udpesp_xsks finds an entry, hence raw
 * socket options and no ring mappings.
 */
static int xsk_open(struct bench *b)
{
	struct sockaddr_xdp sxdp = { .sxdp_family = AF_XDP,
				     .sxdp_queue_id = 0,
				     .sxdp_flags = XDP_COPY };
	const int frames = 64, frame = 4096;
	struct xdp_umem_reg mr = { 0 };
	int fd, ring = frames;

	b->umem_len = (size_t)frames * frame;
	b->umem =
		mmap(NULL, b->umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->umem == MAP_FAILED)
		return -errno;
	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	mr.addr = (unsigned long)b->umem;
	mr.len = b->umem_len;
	mr.chunk_size = frame;
	sxdp.sxdp_ifindex = if_nametoindex("lo");
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) || !sxdp.sxdp_ifindex ||
	    bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp))) {
		int err = -errno;

		close(fd);
		return err ? err : -ENODEV;
	}
	b->xsk_fd = fd;
	return 0;
}

static void xsk_state(struct bench *b, struct inst *in, bool on)
{
	int err;

	if (in->xsk_on == on)
		return;
	/* A test run without a context comes from lo (ifindex 1), queue 0. */
	err = udpesp_maps_xsk_base_set(&in->maps, 1, on ? 0 : -1);
	if (!err)
		err = udpesp_maps_xsk_set(&in->maps, 0, on ? b->xsk_fd : -1);
	if (err)
		die("%s the AF_XDP socket: %s", on ? "registering" : "removing", strerror(-err));
	in->xsk_on = on;
}

/* One BPF_PROG_TEST_RUN; returns the kernel's average ns per run. */
static __u32 test_run(int fd, const struct bench_pkt *pkt, __u32 repeat, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt->data, .data_size_in = pkt->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_TEST_RUN: %s", strerror(errno));
	*retval = o.retval;
	return o.duration;
}

/*
 * Times one side of a case and checks it did what the case says: the
 * action returned by the last run, and (for udpesp) that the case's
 * counter grew by exactly one per run, so every run, not only the last,
 * took the path named in the table.
 */
static __u32 measure(struct bench *b, struct bench_case *c, bool bare, __u32 repeat)
{
	int fd = bare ? b->bare_fd : c->inst->prog_fd;
	__u32 expect = bare ? XDP_PASS : c->expect, act, ns;
	__u64 before = 0, after = 0;
	int err;

	if (c->shim) {
		__u32 slot = 0;

		if (bpf_map_update_elem(b->next_fd, &slot, &fd, BPF_ANY))
			die("prog array: %s", strerror(errno));
		fd = b->shim_fd;
	}
	if (!bare) {
		xsk_state(b, c->inst, c->xsk);
		err = udpesp_maps_counter(&c->inst->maps, c->cnt, &before);
		if (err)
			die("reading %s: %s", udpesp_counter_names[c->cnt], strerror(-err));
	}
	ns = test_run(fd, c->pkt, repeat, &act);
	if (act != expect)
		die("case %s: %s returned %s, expected %s", c->id,
		    bare ? "bare_pass" : "udpesp_xdp", xdp_action_name(act),
		    xdp_action_name(expect));
	if (!bare) {
		err = udpesp_maps_counter(&c->inst->maps, c->cnt, &after);
		if (err)
			die("reading %s: %s", udpesp_counter_names[c->cnt], strerror(-err));
		if (after - before != c->cnt_per_run * repeat)
			die("case %s: %s grew by %llu in %u runs, expected %llu", c->id,
			    udpesp_counter_names[c->cnt], (unsigned long long)(after - before),
			    repeat, (unsigned long long)(c->cnt_per_run * repeat));
	}
	return ns;
}

/* Memory the kernel charges for a map: the memlock line of its fdinfo. */
static unsigned long long map_memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static double mib(unsigned long long v)
{
	return v / (1024.0 * 1024.0);
}

static void print_memory(const struct bench *b)
{
	const struct inst *in[2] = { &b->small, &b->big };
	unsigned long long sa[2], rp[2], st[2], other[2], per[2];
	int ncpu = libbpf_num_possible_cpus();
	char g0[32], g1[32], label[64];

	for (int i = 0; i < 2; i++) {
		const struct udpesp_maps *m = &in[i]->maps;

		sa[i] = map_memlock(m->sa);
		rp[i] = map_memlock(m->replay);
		st[i] = map_memlock(m->sa_stats);
		other[i] = map_memlock(m->ports) + map_memlock(m->parser) + map_memlock(m->stats) +
			   map_memlock(m->xsks);
		per[i] = sa[i] + rp[i] + st[i];
	}
	printf("\nMap memory (fdinfo memlock; every map preallocated, so the same with 1 SA as full):\n");
	printf("  %-44s %16s %16s\n", "", "max_sa", "max_sa");
	printf("  %-44s %16s %16s\n", "", grouped(b->small.maps.max_sa, g0, sizeof(g0)),
	       grouped(b->big.maps.max_sa, g1, sizeof(g1)));
	snprintf(label, sizeof(label), "udpesp_sa (hash, key %zu B, value %zu B)",
		 sizeof(struct udpesp_sa_key), sizeof(struct udpesp_sa));
	printf("  %-44s %12.1f MiB %12.1f MiB\n", label, mib(sa[0]), mib(sa[1]));
	snprintf(label, sizeof(label), "udpesp_replay (mmapable array, %zu B)",
		 sizeof(struct udpesp_replay));
	printf("  %-44s %12.1f MiB %12.1f MiB\n", label, mib(rp[0]), mib(rp[1]));
	snprintf(label, sizeof(label), "udpesp_sa_stats (per-CPU array, %zu B x %d)",
		 sizeof(struct udpesp_sa_stats), ncpu);
	printf("  %-44s %12.1f MiB %12.1f MiB\n", label, mib(st[0]), mib(st[1]));
	printf("  %-44s %12.1f MiB %12.1f MiB\n", "ports, parser, stats, xsks (fixed size)",
	       mib(other[0]), mib(other[1]));
	printf("  %-44s %12.1f MiB %12.1f MiB\n", "total", mib(per[0] + other[0]),
	       mib(per[1] + other[1]));
	printf("  %-44s %14.0f B %14.0f B\n", "per SA slot (the three slot-sized maps)",
	       (double)per[0] / in[0]->maps.max_sa, (double)per[1] / in[1]->maps.max_sa);
	printf("  %-44s %14.0f B %14.0f B\n", "  of which udpesp_sa",
	       (double)sa[0] / in[0]->maps.max_sa, (double)sa[1] / in[1]->maps.max_sa);
	printf("  %-44s %14.0f B %14.0f B\n", "  of which udpesp_replay",
	       (double)rp[0] / in[0]->maps.max_sa, (double)rp[1] / in[1]->maps.max_sa);
	printf("  %-44s %14.0f B %14.0f B\n", "  of which udpesp_sa_stats",
	       (double)st[0] / in[0]->maps.max_sa, (double)st[1] / in[1]->maps.max_sa);
	{
		FILE *f = bench_json_open();

		for (int i = 0; f && i < 2; i++)
			fprintf(f,
				"{\"path\": \"sa_memory\", \"max_sa\": %u, \"bytes_per_sa\": %.0f, \"map_bytes\": %llu}\n",
				in[i]->maps.max_sa, (double)per[i] / in[i]->maps.max_sa,
				per[i] + other[i]);
		if (f)
			fclose(f);
	}
}

static const char *met(bool ok)
{
	return ok ? "met" : "NOT met";
}

static void print_results(const struct bench *b, const struct bench_case *cases, int n)
{
	const struct bench_case *c1 = &cases[0], *c2 = &cases[1];
	const struct bench_case *c3 = &cases[2], *c4 = &cases[3];
	double r43[BENCH_ROUNDS_MAX], n43[BENCH_ROUNDS_MAX];
	double q43, q43net;

	printf("\n%-4s %-40s %-24s %8s %8s %7s\n", "case", "packet", "udpesp_xdp path", "udpesp",
	       "bare", "ratio");
	printf("%-4s %-40s %-24s %8s %8s %7s\n", "", "", "(action, counter)", "ns/pkt", "ns/pkt",
	       "u/bare");
	for (int i = 0; i < n; i++) {
		const struct bench_case *c = &cases[i];

		if (c->section)
			printf("  %s\n", c->section);
		printf("%-4s %-40s %-24s %8.0f %8.0f %7.2f\n", c->id, c->what, c->path, c->med_u,
		       c->med_b, c->med_ratio);
	}
	/* Cases 3 and 4 ran a fraction of a second apart in every round: pair them too. */
	for (__u32 r = 0; r < b->rounds; r++) {
		double net3 = c3->ns_u[r] - c3->ns_b[r];

		r43[r] = c4->ns_u[r] / (c3->ns_u[r] ? c3->ns_u[r] : 1);
		n43[r] = (c4->ns_u[r] - c4->ns_b[r]) / (net3 > 0 ? net3 : 1);
	}
	q43 = median(r43, b->rounds);
	q43net = median(n43, b->rounds);

	printf("\nns/pkt: median over %u rounds of the kernel's per-run average (whole ns);\n"
	       "ratio: median of the per-round udpesp/bare ratios.\n",
	       b->rounds);
	printf("Per round, udpesp/bare ns:\n");
	for (int i = 0; i < n; i++) {
		printf("  %-3s", cases[i].id);
		for (__u32 r = 0; r < b->rounds; r++)
			printf(" %4.0f/%-3.0f", cases[i].ns_u[r], cases[i].ns_b[r]);
		printf("\n");
	}

	printf("\nAims (reported, not asserted):\n");
	printf("  non-ESP within 1.5x of bare: case 1 %.2fx, case 2 %.2fx -> %s\n", c1->med_ratio,
	       c2->med_ratio, met(c1->med_ratio <= 1.5 && c2->med_ratio <= 1.5));
	printf("  lookup at 1,000,000 SAs within 1.2x of 1 SA: case 4 / case 3 = %.2fx -> %s\n",
	       q43, met(q43 <= 1.2));
	printf("    (net of bare, (u4 - b4) / (u3 - b3) = %.2fx; both medians of per-round quotients)\n",
	       q43net);
	{
		FILE *f = bench_json_open();

		for (int i = 0; f && i < n; i++) {
			fprintf(f, "{\"path\": \"xdp_classify\", \"case\": \"%s\", \"packet\": ",
				cases[i].id);
			bench_json_str(f, cases[i].what);
			fprintf(f,
				", \"ns_per_pkt\": %.0f, \"bare_ns_per_pkt\": %.0f, \"ratio\": %.3f}\n",
				cases[i].med_u, cases[i].med_b, cases[i].med_ratio);
		}
		if (f) {
			fprintf(f,
				"{\"path\": \"sa_lookup_scale\", \"sas\": [1, %u], \"ns_per_pkt\": [%.0f, %.0f], \"ratio\": %.3f, \"ratio_net_of_bare\": %.3f}\n",
				BENCH_BIG_SA, c3->med_u, c4->med_u, q43, q43net);
			fclose(f);
		}
	}
	/* What a test run cannot show: say so next to the number. */
	printf("    one packet repeated: its SA's bucket and element stay in cache, so this is\n"
	       "    the hash cost at 1,000,000 entries, not the cache misses of traffic spread\n"
	       "    over 1,000,000 SAs\n");
}

static void print_header(const struct bench *b)
{
	char g0[32], g1[32], g2[32], g3[32];
	struct utsname u;

	uname(&u);
	printf("udpesp XDP benchmark: BPF_PROG_TEST_RUN, repeat %s, %u rounds%s%s\n",
	       grouped(b->repeat, g0, sizeof(g0)), b->rounds, b->quick ? " (BENCH_QUICK)" : "",
	       b->repeat < BENCH_REPEAT_DEFAULT ? " (repeat below 1,000,000 by request)" : "");
	printf("kernel %s, %ld CPUs online, bpf_jit_enable=%d\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), b->jit);
	printf("parser entry: any interface, any address, UDP 4500, ESP-in-UDP "
	       "(matched by the 4th parser lookup)\n");
	printf("SAs: backend XSK, AES-GCM-16, IPv4; hit SA: window %u, top %u, packet seq %u "
	       "(bitmap read)\n",
	       BENCH_WINDOW, BENCH_TOP, BENCH_SEQ);
	printf("tables: %s SA in max_sa %s (load %.2f s); %s SAs in max_sa %s "
	       "(load %.1f s, filled in %.1f s by udpesp_maps_sa_add)\n",
	       grouped(b->small.n_sa, g0, sizeof(g0)),
	       grouped(b->small.maps.max_sa, g1, sizeof(g1)), b->small.load_s,
	       grouped(b->big.n_sa, g2, sizeof(g2)), grouped(b->big.maps.max_sa, g3, sizeof(g3)),
	       b->big.load_s, b->big.fill_s);
	printf("memory: the %s-slot table needs about %.0f MiB; %.0f MiB were available\n",
	       grouped(b->big.maps.max_sa, g0, sizeof(g0)), b->need_mib, b->avail_mib);
}

/* Documentation addresses only; the ESP packet hits SA BENCH_HIT. */
static void build_packets(struct bench *b)
{
	__u8 payload[BENCH_ESP_LEN];
	char daddr[INET_ADDRSTRLEN];
	struct udpesp_sa_key hit;
	const char *saddr = "203.0.113.10";

	big_key(BENCH_HIT, &hit, daddr, sizeof(daddr));
	memset(payload, 0x5a, sizeof(payload));
	if (bench_pkt_udp4(&b->pkt_udp, saddr, daddr, 40000, 53, payload, 40))
		die("building the UDP packet");
	/* IKE behind the non-ESP marker: 4 zero bytes, IKE header, a payload. */
	memset(payload, 0, 4);
	if (bench_pkt_udp4(&b->pkt_ike, saddr, daddr, 4500, 4500, payload, 4 + 28 + 40))
		die("building the IKE packet");
	if (bench_esp_payload(payload, BENCH_ESP_LEN, BENCH_SPI_BASE + BENCH_HIT, BENCH_SEQ) ||
	    bench_pkt_udp4(&b->pkt_esp, saddr, daddr, 4500, 4500, payload, BENCH_ESP_LEN))
		die("building the ESP packet");
}

/*
 * Cases 3 and 4 keep udpesp_xsks empty, so udpesp_xdp goes through the
 * parser, SA lookup, per-SA counters and replay pre-check, finds no
 * worker on the queue and passes the packet up (RxNoWorker): every run
 * is the same, and the ratio is against plain bare_pass. The x rows add
 * the socket and time the redirect itself (metadata, bpf_redirect_map),
 * which needs meta_reset in front (see xdp_bare.bpf.c).
 */
static int setup_cases(struct bench *b, struct bench_case *c)
{
	c[0] = (struct bench_case){ .id = "1",
				    .what = "UDP/IPv4 to port 53 (not 4500)",
				    .path = "PASS",
				    .inst = &b->small,
				    .pkt = &b->pkt_udp,
				    .expect = XDP_PASS,
				    .cnt = UDPESP_CNT_RX_ENCAP,
				    .cnt_per_run = 0 };
	c[1] = (struct bench_case){ .id = "2",
				    .what = "IKE to 4500 (4-byte zero marker)",
				    .path = "PASS, RxIke",
				    .inst = &b->small,
				    .pkt = &b->pkt_ike,
				    .expect = XDP_PASS,
				    .cnt = UDPESP_CNT_RX_IKE,
				    .cnt_per_run = 1 };
	c[2] = (struct bench_case){
		.id = "3",
		.what = "ESP to 4500, SA hit, 1 SA",
		.section = "ESP, no AF_XDP socket on the queue: SA lookup and replay "
			   "pre-check, then passed up",
		.path = "PASS, RxNoWorker",
		.inst = &b->small,
		.pkt = &b->pkt_esp,
		.expect = XDP_PASS,
		.cnt = UDPESP_CNT_RX_NO_WORKER,
		.cnt_per_run = 1
	};
	c[3] = (struct bench_case){ .id = "4",
				    .what = "ESP to 4500, SA hit, 1,000,000 SAs",
				    .path = "PASS, RxNoWorker",
				    .inst = &b->big,
				    .pkt = &b->pkt_esp,
				    .expect = XDP_PASS,
				    .cnt = UDPESP_CNT_RX_NO_WORKER,
				    .cnt_per_run = 1 };
	c[4] = (struct bench_case){
		.id = "3x",
		.what = "ESP to 4500, SA hit, 1 SA",
		.section = "ESP, AF_XDP socket on the queue: redirected (both sides "
			   "behind meta_reset, see xdp_bare.bpf.c)",
		.path = "REDIRECT, RxXskRedirect",
		.inst = &b->small,
		.pkt = &b->pkt_esp,
		.xsk = true,
		.shim = true,
		.expect = XDP_REDIRECT,
		.cnt = UDPESP_CNT_RX_REDIRECT,
		.cnt_per_run = 1
	};
	c[5] = (struct bench_case){ .id = "4x",
				    .what = "ESP to 4500, SA hit, 1,000,000 SAs",
				    .path = "REDIRECT, RxXskRedirect",
				    .inst = &b->big,
				    .pkt = &b->pkt_esp,
				    .xsk = true,
				    .shim = true,
				    .expect = XDP_REDIRECT,
				    .cnt = UDPESP_CNT_RX_REDIRECT,
				    .cnt_per_run = 1 };
	return 6;
}

static int read_jit(void)
{
	FILE *f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	int jit = -1;

	if (f) {
		if (fscanf(f, "%d", &jit) != 1)
			jit = -1;
		fclose(f);
	}
	return jit;
}

static void cleanup(struct bench *b)
{
	if (b->small.skel)
		loader_unload(b->small.skel);
	if (b->big.skel)
		loader_unload(b->big.skel);
	xdp_bare__destroy(b->bare);
	if (b->xsk_fd >= 0)
		close(b->xsk_fd);
	if (b->umem && b->umem != MAP_FAILED)
		munmap(b->umem, b->umem_len);
}

int main(void)
{
	static struct bench_case cases[BENCH_CASES];
	static struct bench b = { .xsk_fd = -1 };
	const char *quick = getenv("BENCH_QUICK");
	__u32 warm;
	int n, err;

	b.quick = quick && !strcmp(quick, "1");
	b.repeat = env_u32("BENCH_REPEAT", BENCH_REPEAT_DEFAULT, 1, UINT_MAX);
	b.rounds = env_u32("BENCH_ROUNDS", b.quick ? BENCH_ROUNDS_QUICK : BENCH_ROUNDS_DEFAULT, 1,
			   BENCH_ROUNDS_MAX);
	/* A sysctl of the initial namespace only: read it before leaving. */
	b.jit = read_jit();

	/*
	 * A private network namespace: the AF_XDP socket binds to its
	 * loopback, away from anything else on the machine using lo, and
	 * goes away with the process.
	 */
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s (run as root)", strerror(errno));
	libbpf_set_print(NULL); /* failures are reported below, with context */

	b.bare = xdp_bare__open_and_load();
	if (!b.bare)
		die("loading xdp_bare: %s", strerror(errno));
	b.bare_fd = bpf_program__fd(b.bare->progs.bare_pass);
	b.shim_fd = bpf_program__fd(b.bare->progs.meta_reset);
	b.next_fd = bpf_map__fd(b.bare->maps.bench_next);

	load_inst(&b.small, 0);
	fill_inst(&b.small, 1);
	check_memory(&b, BENCH_BIG_SA);
	load_inst(&b.big, BENCH_BIG_SA);
	fill_inst(&b.big, BENCH_BIG_SA);
	err = xsk_open(&b);
	if (err)
		die("AF_XDP socket on lo: %s", strerror(-err));
	build_packets(&b);
	n = setup_cases(&b, cases);

	print_header(&b);
	fflush(stdout);

	/* Warm-up, and a first check of every path before anything is timed. */
	warm = b.repeat < 100000 ? b.repeat : 100000;
	for (int i = 0; i < n; i++) {
		measure(&b, &cases[i], true, warm);
		measure(&b, &cases[i], false, warm);
	}
	for (__u32 r = 0; r < b.rounds; r++) {
		for (int i = 0; i < n; i++) {
			struct bench_case *c = &cases[i];

			c->ns_b[r] = measure(&b, c, true, b.repeat);
			c->ns_u[r] = measure(&b, c, false, b.repeat);
			/* A bare run of 0 ns (repeat 1 on a fast box) must not divide. */
			c->ratio[r] = c->ns_u[r] / (c->ns_b[r] ? c->ns_b[r] : 1);
		}
	}
	for (int i = 0; i < n; i++) {
		cases[i].med_u = median(cases[i].ns_u, b.rounds);
		cases[i].med_b = median(cases[i].ns_b, b.rounds);
		cases[i].med_ratio = median(cases[i].ratio, b.rounds);
	}

	print_results(&b, cases, n);
	print_memory(&b);
	cleanup(&b);
	return 0;
}
