// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bench_kfunc: the in-kernel (kfunc) backend against the AF_XDP path, on
 * the same AES-GCM-128 frames, in the same run (root; `make bench-kfunc`).
 *
 * For inner packets (IPv4/UDP, as bench_decap counts them) of 64, 512
 * and 1400 bytes, median over BENCH_ROUNDS rounds:
 *  - kfunc: udpesp_xdp -> tail call -> udpesp_kf_xdp decapsulating the
 *    frame, BPF_PROG_TEST_RUN once per packet (the program rewrites the
 *    frame, so it cannot be repeated in place); the kernel's own
 *    duration of each run, so no syscall is counted;
 *  - floor: a bare XDP_PASS program measured the same way (the fixed
 *    cost of a one-shot test run, timer reads included);
 *  - AES: the ecb(aes) kfunc alone over the same number of blocks
 *    (counter blocks + J0), one-shot runs like the packet, floor taken off;
 *  - GHASH: udpesp's GHASH alone over the same bytes (AAD, ciphertext,
 *    lengths), the same way;
 *  - AF_XDP path, XDP part: udpesp_xdp on the same frame for an xsk SA
 *    with no socket (lookup, replay pre-check, pass), repeated;
 *  - AF_XDP path, worker part: esp_decap() (intel-ipsec-mb or OpenSSL)
 *    on a copy of the frame, in this process.
 * ns/pkt of the kfunc backend = kfunc - floor; "own" = that - AES.
 * Packets per second are 10^9 / ns: one CPU's worth, derived.
 * The AF_XDP path also pays the redirect, the AF_XDP rings and the TUN
 * write (about 2 µs per packet on this VM: bench_decap); they are not in
 * its figure here.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_esp.h"
#include "bench_util.h"
#include "esp/esp_decap.h"
#include "udpespd/kfunc.h"
#include "common/loader.h"
#include "common/maps.h"
#include "udpesp.skel.h"
#include "xdp_bare.skel.h"
#include "kf_parts.skel.h"

#define SLOT_KF 1
#define SLOT_XSK 2
#define FRAME_MAX 2048

static const __u32 sizes[] = { 64, 512, 1400 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static const __u8 mac_gw[6] = { 0x02, 0, 0, 0, 0, 1 }, mac_peer[6] = { 0x02, 0, 0, 0, 0, 2 };
static const struct bench_flow flow = {
	.src = "198.51.100.7",
	.dst = "192.0.2.1",
	.src_mac = mac_peer,
	.dst_mac = mac_gw,
	.inner_src = "203.0.113.5",
	.inner_dst = "198.51.100.1",
	.inner_sport = 4000,
	.inner_dport = 5000,
};

/* One test run; the kernel's ns for it (repeat runs: the average). */
static double run_ns(int prog, const void *data, __u32 len, __u32 repeat, int want, __u8 *out,
		     __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len, .repeat = repeat,
		    .data_out = out, .data_size_out = out ? FRAME_MAX : 0);

	if (bpf_prog_test_run_opts(prog, &o))
		die("BPF_PROG_TEST_RUN: %s", strerror(errno));
	if ((int)o.retval != want)
		die("test run returned %u, expected %d", o.retval, want);
	if (out_len)
		*out_len = o.data_size_out;
	return o.duration;
}

static void install(struct udpesp_maps *m, struct kfunc_backend *kf, struct bench_suite *s,
		    __u32 slot, __u8 backend)
{
	struct udpesp_sa sa = { .handle = slot,
				.slot = slot,
				.parser = 1,
				.gen = 1,
				.backend = backend,
				.mode = UDPESP_MODE_TUNNEL,
				.alg = s->s.alg,
				.encap = UDPESP_ENCAP_ESPINUDP,
				.min_len = s->s.min_len };
	struct udpesp_sa_key key = { .spi = s->sa.spi, .family = UDPESP_AF_INET };
	int err;

	memcpy(key.daddr, s->sa.dst.addr, sizeof(key.daddr));
	if (backend == UDPESP_BACKEND_KFUNC) {
		err = kfunc_sa_add(kf, slot, 1, &s->sa, &s->s);
		if (err)
			die("kfunc_sa_add: %s", strerror(-err));
	}
	/* Window 0: no replay check, so one frame can be sent again and again. */
	err = udpesp_maps_sa_add(m, &key, &sa, 0, 0);
	if (err)
		die("udpesp_maps_sa_add: %s", strerror(-err));
}

static void kfb_key(struct kf_parts *p)
{
	struct udpesp_kf_args a = { .key_len = 16 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a));

	for (int i = 0; i < 16; i++)
		a.key[i] = (__u8)random();
	if (bpf_prog_test_run_opts(bpf_program__fd(p->progs.kfb_new), &o) || a.err)
		die("kfb_new: %s", strerror(errno ? errno : -a.err));
	memset(&a, 0, sizeof(a));
}

struct row {
	double kf, floor, aes, ghash, xdp_xsk, decap;
};

int main(void)
{
	__u32 rounds = env_u32("BENCH_ROUNDS", 5, 1, 100);
	__u32 n = env_u32("BENCH_PACKETS", 20000, 100, 10000000);
	struct udpesp_parser_key pk = { .port = htons(BENCH_NATT_PORT), .family = UDPESP_AF_INET };
	struct udpesp_parser_val pv = { .handle = 1, .encap = UDPESP_ENCAP_ESPINUDP };
	static __u8 frames[NSIZES][2][FRAME_MAX], out[FRAME_MAX], work[FRAME_MAX];
	__u32 flen[NSIZES][2];
	double *v[6], res[NSIZES][6];
	struct bench_suite s_kf, s_xsk;
	struct esp_crypto_thread *t;
	struct udpesp_maps m;
	struct kfunc_backend kf;
	struct udpesp *skel;
	struct xdp_bare *bare;
	struct kf_parts *parts;
	int xdp, bare_fd;

	skel = loader_load(&(struct loader_opts){ .max_sa = 16 });
	if (!skel)
		die("loading udpesp.bpf.o: %s (root?)", strerror(errno));
	if (udpesp_maps_from_obj(&m, skel->obj))
		die("maps");
	kfunc_load(&kf, &m);
	if (!kf.ok)
		die("kfunc backend unavailable: %s", kf.why);
	bare = xdp_bare__open_and_load();
	parts = kf_parts__open_and_load();
	if (!bare || !parts)
		die("loading the bench programs: %s", strerror(errno));
	kfb_key(parts);
	xdp = bpf_program__fd(skel->progs.udpesp_xdp);
	bare_fd = bpf_program__fd(bare->progs.bare_pass);

	srandom(4106);
	bench_suite_init(&s_kf, 0, 0x1001, flow.src, flow.dst, 0, UDPESP_OFFLOAD_KFUNC);
	bench_suite_init(&s_xsk, 0, 0x1002, flow.src, flow.dst, 0, UDPESP_OFFLOAD_XSK);
	if (udpesp_maps_parser_add(&m, &pk, &pv))
		die("parser entry");
	install(&m, &kf, &s_kf, SLOT_KF, UDPESP_BACKEND_KFUNC);
	install(&m, &kf, &s_xsk, SLOT_XSK, UDPESP_BACKEND_XSK);
	t = esp_crypto_thread_new();
	for (size_t i = 0; i < NSIZES; i++) {
		flen[i][0] = bench_esp_frame(&s_kf, t, &flow, sizes[i], 1, frames[i][0]);
		flen[i][1] = bench_esp_frame(&s_xsk, t, &flow, sizes[i], 1, frames[i][1]);
	}
	for (int k = 0; k < 6; k++)
		v[k] = calloc(rounds, sizeof(double));
	double *one = calloc(n, sizeof(double)), *one_b = calloc(n, sizeof(double));

	for (size_t i = 0; i < NSIZES; i++) {
		__u32 esp_len = flen[i][0] - BENCH_ESP_OFF, ct = esp_len - 32, olen;
		__u32 ghash_bytes = 16 + (ct + 15) / 16 * 16 + 16;
		struct udpesp_replay rp = { 0 };
		struct esp_decap_sa dsa = { .suite = &s_kf.s,
					    .crypto = s_kf.c,
					    .replay = &rp,
					    .mode = UDPESP_MODE_TUNNEL };
		struct udpesp_xdp_meta meta = { .magic = UDPESP_META_MAGIC,
						.l3_off = BENCH_IP_OFF,
						.l4_off = BENCH_UDP_OFF,
						.esp_off = BENCH_ESP_OFF,
						.family = UDPESP_AF_INET };
		struct esp_decap_out dout;

		/* Once: the kfunc path delivers exactly what esp_decap() does. */
		run_ns(xdp, frames[i][0], flen[i][0], 1, XDP_PASS, out, &olen);
		memcpy(work, frames[i][0], flen[i][0]);
		if (esp_decap(&dsa, t, work, flen[i][0], &meta, &dout) != UDPESP_DECAP_OK)
			die("esp_decap refused the frame");
		if (olen != 14 + dout.inner_len ||
		    memcmp(out + 14, work + dout.inner_off, dout.inner_len))
			die("kfunc output differs from esp_decap's at %u bytes", sizes[i]);

		for (__u32 r = 0; r < rounds; r++) {
			__u64 t0;

			for (__u32 j = 0; j < n; j++) {
				one[j] = run_ns(xdp, frames[i][0], flen[i][0], 1, XDP_PASS, NULL,
						NULL);
				one_b[j] = run_ns(bare_fd, frames[i][0], flen[i][0], 1, XDP_PASS,
						  NULL, NULL);
			}
			v[0][r] = median(one, n);
			v[1][r] = median(one_b, n);
			/* The parts one shot at a time too, so all three compare. */
			parts->bss->nbytes = (ct + 15) / 16 * 16 + 16;
			for (__u32 j = 0; j < n; j++)
				one[j] = run_ns(bpf_program__fd(parts->progs.kfb_ecb), frames[i][0],
						64, 1, XDP_DROP, NULL, NULL);
			v[2][r] = median(one, n) - v[1][r];
			parts->bss->nbytes = ghash_bytes;
			for (__u32 j = 0; j < n; j++)
				one[j] = run_ns(bpf_program__fd(parts->progs.kfb_ghash),
						frames[i][0], 64, 1, XDP_DROP, NULL, NULL);
			v[3][r] = median(one, n) - v[1][r];
			v[4][r] = run_ns(xdp, frames[i][1], flen[i][1], n, XDP_PASS, NULL, NULL);
			t0 = now_ns();
			for (__u32 j = 0; j < n; j++) {
				memcpy(work, frames[i][0], flen[i][0]);
				if (esp_decap(&dsa, t, work, flen[i][0], &meta, &dout) !=
				    UDPESP_DECAP_OK)
					die("esp_decap");
			}
			v[5][r] = (double)(now_ns() - t0) / n;
		}
		for (int k = 0; k < 6; k++)
			res[i][k] = median(v[k], rounds);
	}

	printf("kfunc backend vs AF_XDP path, AES-GCM-128, %s, median of %u rounds of %u packets\n",
	       esp_crypto_backend(), rounds, n);
	printf("test-run floor (bare XDP_PASS, one-shot): %.0f / %.0f / %.0f ns\n\n", res[0][1],
	       res[1][1], res[2][1]);
	printf("| inner B | kfunc ns/pkt | AES kfunc ns | GHASH ns | rest ns | kfunc Mpps/CPU |"
	       " AF_XDP: XDP ns | esp_decap ns | XDP+decap ns | Mpps/CPU (before delivery) |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < NSIZES; i++) {
		double kf_ns = res[i][0] - res[i][1], x = res[i][4] + res[i][5];

		printf("| %u | %.0f | %.0f | %.0f | %.0f | %.3f | %.0f | %.0f | %.0f | %.2f |\n",
		       sizes[i], kf_ns, res[i][2], res[i][3], kf_ns - res[i][2] - res[i][3],
		       1e3 / kf_ns, res[i][4], res[i][5], x, 1e3 / x);
	}
	bench_suite_free(&s_kf);
	bench_suite_free(&s_xsk);
	esp_crypto_thread_free(t);
	kfunc_unload(&kf, &m);
	kf_parts__destroy(parts);
	xdp_bare__destroy(bare);
	loader_unload(skel);
	return 0;
}
