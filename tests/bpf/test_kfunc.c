// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kfunc backend (build/udpesp_kf.bpf.o, loaded by daemon/udpespd/kfunc.c as
 * udpespd does) through BPF_PROG_TEST_RUN of udpesp_xdp: every AES-GCM
 * frame Scapy built for esp_decap (tests/unit/gen_decap_frames.py) goes
 * through XDP and, in the same test, through the AF_XDP path's
 * esp_decap(). Both must agree: the verdict (as XDP action and counter),
 * the inner packet byte for byte behind the rewritten Ethernet header,
 * and the replay window afterwards. The same for the published ESP
 * packets of draft-mcgrew-gcm-test-01. Then replays of delivered packets,
 * truncation at every length, tampering at every byte, and what the
 * daemon side refuses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>

#include <udpesp/csum.h>
#include <udpesp/replay.h>
#include "esp/esp_decap.h"
#include "common/sa_check.h"
#include "harness.h"
#include "udpespd/kfunc.h"
#include "udpespd/sa_esp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SLOT 5
#define GEN 3

#include "../unit/decap_vec.h"
#include "decap_frames.h"
#include "../unit/gcm_draft.h"

static struct kfunc_backend kf;
/* The SPI of the SA under test: the generator's 0x1001 unless set. */
static __be32 vec_spi;

static void kf_init(void)
{
	harness_init();
	kfunc_load(&kf, &h.m);
	if (!kf.ok)
		cr_skip_test("kfunc backend unavailable: %s", kf.why);
}

static void kf_fini(void)
{
	kfunc_unload(&kf, &h.m);
	harness_fini();
}

#define FX .init = kf_init, .fini = kf_fini

static bool is_gcm(const struct decap_vec *v)
{
	/* With 8, 12 and 16-byte ICVs (RFC 4106 3). */
	return !strcmp(decap_suites[v->suite].aead, "rfc4106(gcm(aes))");
}

static void ctl_addr(struct udpesp_ctl_addr *a, const struct vec_addr *v)
{
	memset(a, 0, sizeof(*a));
	a->family = v->family;
	a->prefixlen = v->prefixlen;
	memcpy(a->addr, v->addr, 16);
}

/* The SA as udpespd would get it from `sa add ... offload kfunc`. */
static void vec_cfg_suite(const struct decap_vec *v, const struct decap_suite *ds,
			  struct udpesp_ctl_sa *cs, struct esp_suite *suite)
{
	bool v4 = v->family == UDPESP_AF_INET;
	char err[UDPESP_CTL_ERRMSG_MAX];

	memset(cs, 0, sizeof(*cs));
	cs->dir = UDPESP_DIR_IN;
	cs->mode = v->mode;
	cs->encap = UDPESP_ENCAP_ESPINUDP;
	cs->offload = UDPESP_OFFLOAD_KFUNC;
	cs->spi = vec_spi ? vec_spi : htonl(0x1001);
	cs->src.family = cs->dst.family = v->family;
	cs->src.prefixlen = cs->dst.prefixlen = v4 ? 32 : 128;
	inet_pton(v4 ? AF_INET : AF_INET6, v4 ? "198.51.100.7" : "2001:db8:1::7", cs->src.addr);
	inet_pton(v4 ? AF_INET : AF_INET6, v4 ? "192.0.2.1" : "2001:db8::1", cs->dst.addr);
	cs->encap_sport = cs->encap_dport = htons(4500);
	cs->replay_window = v->window;
	cs->flags = v->esn ? UDPESP_CTL_SA_ESN : 0;
	ctl_addr(&cs->sel[0].src, &v->sel_src);
	cs->nsel = v->sel_src.family ? 1 : 0;
	ctl_addr(&cs->encap_oa, &v->orig_src);
	strcpy(cs->aead.name, ds->aead);
	memcpy(cs->aead.key, ds->key, ds->key_len);
	cs->aead.key_len = ds->key_len;
	cs->aead.bits = ds->bits;
	cr_assert_eq(sa_check(cs, suite, err, sizeof(err)), 0, "%s: %s", v->name, err);
}

static void vec_cfg(const struct decap_vec *v, struct udpesp_ctl_sa *cs, struct esp_suite *suite)
{
	vec_cfg_suite(v, &decap_suites[v->suite], cs, suite);
}

static void vec_replay(const struct decap_vec *v, struct udpesp_replay *r)
{
	memset(r, 0, sizeof(*r));
	r->window = v->window;
	r->top = v->top;
	for (int i = 0; i < v->nseen; i++)
		r->bitmap[(v->seen[i] / 64) % UDPESP_REPLAY_WORDS] |= 1ULL << (v->seen[i] % 64);
}

static struct udpesp_sa_key vec_key(const struct udpesp_ctl_sa *cs)
{
	struct udpesp_sa_key k = { .spi = cs->spi, .family = cs->dst.family };

	memcpy(k.daddr, cs->dst.addr, sizeof(k.daddr));
	return k;
}

/* Parser entry on 4500, the SA on the kfunc backend, its window. */
static void install_suite(const struct decap_vec *v, const struct decap_suite *ds,
			  struct udpesp_ctl_sa *cs, struct esp_suite *suite)
{
	struct udpesp_parser_key pk = { .port = htons(4500), .family = v->family };
	struct udpesp_parser_val pv = { .handle = 1, .encap = UDPESP_ENCAP_ESPINUDP };
	struct udpesp_sa sa = { 0 };
	struct udpesp_sa_key key;
	struct udpesp_replay r;
	int err;

	vec_cfg_suite(v, ds, cs, suite);
	key = vec_key(cs);
	err = kfunc_sa_add(&kf, SLOT, GEN, cs, suite);
	cr_assert_eq(err, 0, "%s: kfunc_sa_add: %s", v->name, strerror(-err));
	err = udpesp_maps_parser_add(&h.m, &pk, &pv);
	cr_assert(err == 0 || err == -EEXIST, "parser_add: %s", strerror(-err));
	sa.handle = 1;
	sa.slot = SLOT;
	sa.parser = 1;
	sa.gen = GEN;
	sa.flags = v->esn ? UDPESP_SA_F_ESN : 0;
	sa.backend = UDPESP_BACKEND_KFUNC;
	sa.mode = v->mode;
	sa.alg = suite->alg;
	sa.encap = UDPESP_ENCAP_ESPINUDP;
	sa.min_len = suite->min_len;
	err = udpesp_maps_sa_add(&h.m, &key, &sa, v->window, v->top);
	cr_assert_eq(err, 0, "%s: sa_add: %s", v->name, strerror(-err));
	vec_replay(v, &r);
	err = udpesp_maps_replay_set(&h.m, SLOT, &r);
	cr_assert_eq(err, 0);
}

static void install(const struct decap_vec *v, struct udpesp_ctl_sa *cs, struct esp_suite *suite)
{
	install_suite(v, &decap_suites[v->suite], cs, suite);
}

static void uninstall(const struct udpesp_ctl_sa *cs)
{
	struct udpesp_sa_key key = vec_key(cs);

	udpesp_maps_sa_del(&h.m, &key);
	kfunc_sa_del(&kf, SLOT);
}

/* The AF_XDP path on the same frame: esp_decap() with its own copy. */
struct afxdp_result {
	enum udpesp_decap_verdict v;
	struct esp_decap_out out;
	struct udpesp_replay replay;
	__u8 frame[2048];
};

static void afxdp_suite(const struct decap_vec *v, const struct decap_suite *ds,
			const struct udpesp_ctl_sa *cs, const struct esp_suite *suite,
			struct afxdp_result *res)
{
	struct udpesp_xdp_meta m = {
		.magic = UDPESP_META_MAGIC,
		.l3_off = v->l3_off,
		.l4_off = v->l4_off,
		.esp_off = v->esp_off,
		.family = v->family,
	};
	struct esp_decap_sa sa;
	struct esp_crypto_thread *t = esp_crypto_thread_new();
	struct esp_sel sel[UDPESP_SEL_MAX];
	unsigned int nsel = sa_esp_sels(sel, cs);

	vec_replay(v, &res->replay);
	/* As udpespd's workers get it: the same conversion as the kfunc SA. */
	sa_esp_decap_sa(&sa, cs, suite, esp_crypto_new(suite, ds->key, NULL), &res->replay, sel,
			nsel);
	cr_assert_not_null(sa.crypto);
	cr_assert_eq(sa.mode, v->mode);
	cr_assert_eq(sa.esn, v->esn);
	memcpy(res->frame, v->frame, v->frame_len);
	res->v = esp_decap(&sa, t, res->frame, v->frame_len, &m, &res->out);
	esp_crypto_free(sa.crypto);
	esp_crypto_thread_free(t);
}

static void afxdp(const struct decap_vec *v, const struct udpesp_ctl_sa *cs,
		  const struct esp_suite *suite, struct afxdp_result *res)
{
	afxdp_suite(v, &decap_suites[v->suite], cs, suite, res);
}

/*
 * One frame through udpesp_xdp -> udpesp_kf_xdp; checks it against the
 * AF_XDP path and the generator. Returns the XDP action.
 */
static int check_frame(const struct decap_vec *v, const struct udpesp_ctl_sa *cs,
		       const struct esp_suite *suite, const __u8 *frame, __u32 len,
		       const struct afxdp_result *want)
{
	static struct xdp_out out;
	struct udpesp_replay r;
	struct cnt_snap before;
	long long moved[UDPESP_CNT_MAX];
	int act, c = udpesp_decap_counter(want->v);

	(void)cs;
	(void)suite;
	cnt_snap(&before);
	act = run_xdp(frame, len, &xdp_in_lo, &out);
	cnt_delta(&before, moved);
	if (act != (want->v == UDPESP_DECAP_OK ? XDP_PASS : XDP_DROP))
		for (int k = 0; k < UDPESP_CNT_MAX; k++)
			if (moved[k])
				cr_log_error("%s: %s moved %lld", v->name, udpesp_counter_names[k],
					     moved[k]);
	cr_assert_eq(act, want->v == UDPESP_DECAP_OK ? XDP_PASS : XDP_DROP,
		     "%s: action %d for verdict %s", v->name, act,
		     udpesp_decap_verdict_name(want->v));
	if (moved[c] != 1)
		for (int k = 0; k < UDPESP_CNT_MAX; k++)
			if (moved[k])
				cr_log_error("%s: %s moved %lld", v->name, udpesp_counter_names[k],
					     moved[k]);
	cr_assert_eq(moved[c], 1, "%s: counter %s moved %lld", v->name, udpesp_counter_names[c],
		     moved[c]);
	cr_assert_eq(moved[UDPESP_CNT_IN_ERROR], 0, "%s: XfrmInError", v->name);
	cr_assert_eq(udpesp_maps_replay_get(&h.m, SLOT, &r), 0);
	cr_assert_eq(r.lock, 0, "%s: lock left held", v->name);
	cr_assert_eq(memcmp(&r, &want->replay, sizeof(r)), 0,
		     "%s: replay window differs from the AF_XDP path's (top %llu vs %llu)", v->name,
		     (unsigned long long)r.top, (unsigned long long)want->replay.top);
	if (want->v != UDPESP_DECAP_OK)
		return act;
	/* Ethernet header (VLAN tags kept), then exactly the inner packet. */
	cr_assert_eq(out.len, v->l3_off + want->out.inner_len, "%s: %u bytes out", v->name,
		     out.len);
	cr_assert_eq(memcmp(out.data, frame, v->l3_off - 2), 0, "%s: L2 header", v->name);
	cr_assert_eq(out.data[v->l3_off - 2] << 8 | out.data[v->l3_off - 1],
		     want->out.inner_family == UDPESP_AF_INET ? 0x0800 : 0x86dd, "%s: EtherType",
		     v->name);
	cr_assert_eq(memcmp(out.data + v->l3_off, want->frame + want->out.inner_off,
			    want->out.inner_len),
		     0, "%s: inner packet differs from the AF_XDP path's", v->name);
	return act;
}

Test(kfunc, every_gcm_frame_as_the_afxdp_path, FX, .timeout = 120)
{
	static struct afxdp_result want;
	int n = 0, short_icv = 0;

	for (size_t i = 0; i < ARRAY_SIZE(decap_vecs); i++) {
		const struct decap_vec *v = &decap_vecs[i];
		struct udpesp_ctl_sa cs;
		struct esp_suite suite;

		if (!is_gcm(v))
			continue;
		install(v, &cs, &suite);
		afxdp(v, &cs, &suite, &want);
		cr_assert_eq(want.v, v->verdict, "%s: esp_decap says %s", v->name,
			     udpesp_decap_verdict_name(want.v));
		if (want.v == UDPESP_DECAP_OK)
			cr_assert_eq(memcmp(want.frame + want.out.inner_off, v->inner,
					    v->inner_len),
				     0, "%s: scapy", v->name);
		check_frame(v, &cs, &suite, v->frame, v->frame_len, &want);
		/* A delivered packet again: the window now refuses it. */
		if (want.v == UDPESP_DECAP_OK || want.v == UDPESP_DROP_DUMMY) {
			static struct xdp_out out;
			long long moved[UDPESP_CNT_MAX];
			struct cnt_snap before;

			cnt_snap(&before);
			cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_DROP,
				     "%s: replay passed", v->name);
			cnt_delta(&before, moved);
			cr_assert_eq(moved[UDPESP_CNT_IN_STATE_SEQ_ERROR], 1, "%s", v->name);
		}
		uninstall(&cs);
		n++;
		short_icv += decap_suites[v->suite].bits != 128;
	}
	cr_assert_gt(n, 100, "only %d GCM frames", n);
	cr_assert_gt(short_icv, 100, "only %d GCM frames with 8 or 12-byte ICVs", short_icv);
}

/* First delivered tunnel frame of a suite. */
static const struct decap_vec *find_vec(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(decap_vecs); i++)
		if (!strcmp(decap_vecs[i].name, name))
			return &decap_vecs[i];
	cr_assert_fail("no vector %s", name);
	return NULL;
}

/*
 * Every byte after the SPI flipped, one at a time: nothing delivered,
 * the window untouched, the frame dropped as an ICV failure.
 */
Test(kfunc, tampering_any_byte_is_dropped, FX, .timeout = 120)
{
	const struct decap_vec *v = find_vec("gcm256/tunnel_v6_in_v6");
	static struct xdp_out out;
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	struct udpesp_replay r0, r;
	__u8 buf[2048];

	install(v, &cs, &suite);
	cr_assert_eq(udpesp_maps_replay_get(&h.m, SLOT, &r0), 0);
	for (__u32 i = v->esp_off + 4; i < v->frame_len; i++) {
		long long moved[UDPESP_CNT_MAX];
		struct cnt_snap before;

		memcpy(buf, v->frame, v->frame_len);
		buf[i] ^= 0x01;
		cnt_snap(&before);
		cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_DROP,
			     "byte %u flipped was delivered", i);
		cnt_delta(&before, moved);
		cr_assert_eq(moved[UDPESP_CNT_IN_STATE_PROTO_ERROR], 1, "byte %u", i);
		cr_assert_eq(moved[UDPESP_CNT_DECAP_OK], 0, "byte %u", i);
		cr_assert_eq(udpesp_maps_replay_get(&h.m, SLOT, &r), 0);
		cr_assert_eq(memcmp(&r, &r0, sizeof(r)), 0, "byte %u moved the window", i);
	}
	/* The untouched frame still goes through. */
	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	uninstall(&cs);
}

/* Every shorter frame (UDP/IP lengths fixed up or not): never delivered. */
Test(kfunc, truncation_at_every_length, FX, .timeout = 120)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	static struct xdp_out out;
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	__u8 buf[2048];

	install(v, &cs, &suite);
	for (__u32 len = v->esp_off + 9; len < v->frame_len; len++) {
		__u32 esp = len - v->esp_off;

		/* Lengths that agree with the cut: the ESP itself is short. */
		memcpy(buf, v->frame, len);
		buf[v->l4_off + 4] = (__u8)((esp + 8) >> 8);
		buf[v->l4_off + 5] = (__u8)(esp + 8);
		buf[v->l3_off + 2] = (__u8)((esp + 28) >> 8);
		buf[v->l3_off + 3] = (__u8)(esp + 28);
		cr_assert_eq(run_xdp(buf, len, &xdp_in_lo, &out), XDP_DROP, "len %u", len);
		/* Lengths that still claim the whole packet. */
		memcpy(buf, v->frame, len);
		cr_assert_eq(run_xdp(buf, len, &xdp_in_lo, &out), XDP_DROP, "len %u", len);
	}
	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	uninstall(&cs);
}

/* What the daemon side refuses, and a slot whose SA was replaced. */
Test(kfunc, daemon_refusals_and_stale_slot, FX)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	static struct xdp_out out;
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	char err[UDPESP_CTL_ERRMSG_MAX];
	struct cnt_snap before;

	vec_cfg(v, &cs, &suite);
	cr_assert_eq(kfunc_supports(&kf, &cs, &suite, err, sizeof(err)), 0, "%s", err);
	/* offload auto only where the kernel's AES is accelerated. */
	cs.offload = UDPESP_OFFLOAD_AUTO;
	cr_assert_eq(kfunc_supports(&kf, &cs, &suite, err, sizeof(err)),
		     kf.aes_fast ? 0 : -EOPNOTSUPP, "%s", err);
	if (!kf.aes_fast)
		cr_assert(strstr(err, "portable C"), "%s", err);
	cs.offload = UDPESP_OFFLOAD_KFUNC;
	cs.dir = UDPESP_DIR_OUT;
	cr_assert_eq(kfunc_supports(&kf, &cs, &suite, err, sizeof(err)), -EOPNOTSUPP);
	cs.dir = UDPESP_DIR_IN;
	suite.alg = UDPESP_ALG_CHACHA20_POLY1305;
	cr_assert_eq(kfunc_supports(&kf, &cs, &suite, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert(strstr(err, "rfc4106"), "%s", err);
	suite.alg = UDPESP_ALG_AES_CCM;
	cr_assert_eq(kfunc_supports(&kf, &cs, &suite, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert(strstr(err, "rfc4106"), "%s", err);
	/* GCM with a truncated ICV is taken (its tag compared in XDP). */
	suite.alg = UDPESP_ALG_AES_GCM_16;
	for (__u8 icv = 8; icv <= 16; icv += 4) {
		suite.icv_len = icv;
		cr_assert_eq(kfunc_supports(&kf, &cs, &suite, err, sizeof(err)), 0, "ICV %u: %s",
			     icv, err);
	}

	/* udpesp_sa names generation GEN + 1: the context is another SA's. */
	install(v, &cs, &suite);
	{
		struct udpesp_sa_key key = vec_key(&cs);
		struct udpesp_sa sa;

		cr_assert_eq(udpesp_maps_sa_get(&h.m, &key, &sa), 0);
		sa.gen = GEN + 1;
		udpesp_maps_sa_del(&h.m, &key);
		cr_assert_eq(udpesp_maps_sa_add(&h.m, &key, &sa, v->window, v->top), 0);
	}
	cnt_snap(&before);
	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_DROP);
	cnt_expect(&before, [UDPESP_CNT_RX_ENCAP] = 1, [UDPESP_CNT_RX_ESP] = 1,
		   [UDPESP_CNT_DECAP_STALE_SA] = 1);
	uninstall(&cs);

	/* No context for the slot at all: passed up, RxNoBackend. */
	install(v, &cs, &suite);
	kfunc_sa_del(&kf, SLOT);
	cnt_snap(&before);
	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cnt_expect(&before, [UDPESP_CNT_RX_ENCAP] = 1, [UDPESP_CNT_RX_ESP] = 1,
		   [UDPESP_CNT_RX_NO_BACKEND] = 1);
	cr_assert_eq(out.len, v->frame_len, "passed up unchanged");
	cr_assert_eq(memcmp(out.data, v->frame, v->frame_len), 0);
	uninstall(&cs);
}

static size_t unhex(__u8 *out, size_t max, const char *s)
{
	size_t n = 0;

	for (; *s; s += 2) {
		unsigned int b;

		cr_assert(sscanf(s, "%2x", &b) == 1 && n < max, "bad hex: %s", s);
		out[n++] = (__u8)b;
	}
	return n;
}

/*
 * draft-mcgrew-gcm-test-01 section 4 (128 and 256-bit keys, ESN and
 * not) as ESP-in-UDP to a transport-mode SA (most of its payloads name
 * ICMP or UDP, not IP-in-IP): the tag verifies in XDP and the rebuilt
 * packet is the AF_XDP path's byte for byte. #4 has SPI 0, which RFC
 * 3948 never reads as ESP.
 */
Test(kfunc, published_gcm_vectors_as_the_afxdp_path, FX)
{
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(gcm_draft); i++) {
		static __u8 frame[2048];
		static struct afxdp_result want;
		__u8 key[36], nonce[12], seq[8];
		size_t klen = unhex(key, 32, gcm_draft[i].key);
		size_t slen = unhex(seq, 8, gcm_draft[i].seq);
		struct decap_vec v = { 0 };
		struct udpesp_ctl_sa cs;
		struct esp_suite suite;
		struct decap_suite ds = { .aead = "rfc4106(gcm(aes))", .bits = 128 };
		__u32 ct_len, hi = 0, lo;
		char name[64];

		unhex(nonce, 12, gcm_draft[i].nonce);
		lo = (__u32)seq[slen - 4] << 24 | seq[slen - 3] << 16 | seq[slen - 2] << 8 |
		     seq[slen - 1];
		if (slen == 8)
			hi = (__u32)seq[0] << 24 | seq[1] << 16 | seq[2] << 8 | seq[3];
		/* Ethernet, IPv4, UDP 4500, then SPI | seq lo | IV | ct | ICV. */
		memset(frame, 0, 42);
		frame[12] = 0x08;
		frame[14] = 0x45;
		frame[22] = 64;
		frame[23] = 17;
		inet_pton(AF_INET, "198.51.100.7", frame + 26);
		inet_pton(AF_INET, "192.0.2.1", frame + 30);
		frame[34] = frame[36] = 0x11;
		frame[35] = frame[37] = 0x94;
		unhex(frame + 42, 4, gcm_draft[i].spi);
		memcpy(frame + 46, seq + slen - 4, 4);
		memcpy(frame + 50, nonce + 4, 8);
		ct_len = (__u32)unhex(frame + 58, sizeof(frame) - 58, gcm_draft[i].ct);
		frame[38] = (__u8)((16 + ct_len + 8) >> 8);
		frame[39] = (__u8)(16 + ct_len + 8);
		frame[16] = (__u8)((16 + ct_len + 28) >> 8);
		frame[17] = (__u8)(16 + ct_len + 28);
		{
			__u16 csum = udpesp_csum(frame + 14, 20);

			memcpy(frame + 24, &csum, 2);
		}
		if (!frame[42] && !frame[43] && !frame[44] && !frame[45])
			continue; /* #4: SPI 0 */

		/* The vector as a decap_vec, so install() and afxdp() take it. */
		snprintf(name, sizeof(name), "draft-mcgrew-gcm-test-01 #%zu", i + 1);
		memcpy(ds.key, key, klen);
		memcpy(ds.key + klen, nonce, 4);
		ds.key_len = (__u32)klen + 4;
		v.name = name;
		v.mode = UDPESP_MODE_TRANSPORT;
		v.esn = slen == 8;
		v.window = 64;
		/* A window just below the number, so ESN infers the draft's high half. */
		v.top = ((__u64)hi << 32 | lo) - 1;
		v.frame = frame;
		v.frame_len = 58 + ct_len;
		v.l3_off = 14;
		v.l4_off = 34;
		v.esp_off = 42;
		v.family = UDPESP_AF_INET;
		memcpy(&vec_spi, frame + 42, 4);
		install_suite(&v, &ds, &cs, &suite);
		afxdp_suite(&v, &ds, &cs, &suite, &want);
		cr_assert_neq(want.v, UDPESP_DROP_ICV, "%s: esp_decap says the tag is wrong", name);
		cr_assert_neq(want.v, UDPESP_DROP_HDR, "%s: esp_decap refuses the frame", name);
		check_frame(&v, &cs, &suite, v.frame, v.frame_len, &want);
		uninstall(&cs);
		n++;
	}
	cr_assert_eq(n, 13, "%d published vectors", n);
}

/*
 * The window's lock as the AF_XDP workers take it (a u32 in the mmap()ed
 * map): while a worker holds it, XDP gives up after its bounded CAS and
 * drops the packet (XfrmInError) with the window untouched; once it is
 * free, the same packet goes through.
 */
Test(kfunc, replay_lock_held_by_a_worker, FX)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	static struct xdp_out out;
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	struct udpesp_replay r0, r;
	struct cnt_snap before;

	install(v, &cs, &suite);
	cr_assert_eq(udpesp_maps_mmap(&h.m), 0);
	cr_assert_eq(udpesp_maps_replay_get(&h.m, SLOT, &r0), 0);
	__atomic_store_n(&h.m.replay_mem[SLOT].lock, 1, __ATOMIC_RELEASE);
	cnt_snap(&before);
	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_DROP);
	cnt_expect(&before, [UDPESP_CNT_RX_ENCAP] = 1, [UDPESP_CNT_RX_ESP] = 1,
		   [UDPESP_CNT_IN_ERROR] = 1);
	cr_assert_eq(udpesp_maps_replay_get(&h.m, SLOT, &r), 0);
	cr_assert_eq(r.lock, 1, "XDP released a lock it did not take");
	r.lock = 0;
	cr_assert_eq(memcmp(&r, &r0, sizeof(r)), 0, "the window moved without the lock");
	__atomic_store_n(&h.m.replay_mem[SLOT].lock, 0, __ATOMIC_RELEASE);
	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(h.m.replay_mem[SLOT].lock, 0);
	cr_assert_eq(h.m.replay_mem[SLOT].top, v->seq);
	uninstall(&cs);
}

/* What udpesp_kf_peer held, as udpespd's reader hands it over. */
struct peer_evs {
	int n;
	struct udpesp_kf_peer_ev ev[4];
};

static void peer_seen(void *ctx, const struct udpesp_kf_peer_ev *ev)
{
	struct peer_evs *p = ctx;

	if (p->n < (int)ARRAY_SIZE(p->ev))
		p->ev[p->n] = *ev;
	p->n++;
}

static int peer_records(struct peer_evs *p)
{
	memset(p, 0, sizeof(*p));
	cr_assert_geq(kfunc_peer_consume(&kf), 0);
	return p->n;
}

/* frame's copy with another outer UDP source port (and IPv4 source). */
static void moved(__u8 *buf, const struct decap_vec *v, __u16 sport, const char *saddr)
{
	__be16 p = htons(sport);

	memcpy(buf, v->frame, v->frame_len);
	memcpy(buf + v->l4_off, &p, 2);
	if (saddr) {
		__u16 csum;

		inet_pton(AF_INET, saddr, buf + v->l3_off + 12);
		buf[v->l3_off + 10] = buf[v->l3_off + 11] = 0;
		csum = udpesp_csum(buf + v->l3_off, 20);
		memcpy(buf + v->l3_off + 10, &csum, 2);
	}
}

/*
 * The vector's SA again with its peer where the frame comes from (IPv4),
 * and the ring watched into p.
 */
static void install_peer_of(const struct decap_vec *v, struct udpesp_ctl_sa *cs,
			    struct esp_suite *suite, struct peer_evs *p)
{
	install(v, cs, suite);
	kfunc_sa_del(&kf, SLOT);
	memset(cs->src.addr, 0, sizeof(cs->src.addr));
	memcpy(cs->src.addr, v->frame + v->l3_off + 12, 4);
	memcpy(&cs->encap_sport, v->frame + v->l4_off, 2);
	cr_assert_eq(kfunc_sa_add(&kf, SLOT, GEN, cs, suite), 0);
	cr_assert_geq(kfunc_peer_watch(&kf, peer_seen, p), 0);
}

/*
 * NAT mappings: an authenticated packet from another outer address or
 * port than the SA's peer gives exactly one udpesp_kf_peer record (the
 * slot, its generation, the new source); a forged one and a repeat none.
 */
Test(kfunc, new_peer_reported_once, FX)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	static struct xdp_out out;
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	struct udpesp_replay r;
	struct peer_evs p;
	__be32 want[4] = { 0 };
	__u8 buf[2048];

	cr_assert_eq(v->family, UDPESP_AF_INET);
	install_peer_of(v, &cs, &suite, &p);
	vec_replay(v, &r);

	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(peer_records(&p), 0, "the peer it was added with reported");

	/* Forged, from 4999: dropped, nothing reported. */
	cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
	moved(buf, v, 4999, NULL);
	buf[v->frame_len - 1] ^= 1;
	cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_DROP);
	cr_assert_eq(peer_records(&p), 0, "a forged packet reported");

	/* Authentic, from 4501: one record. */
	moved(buf, v, 4501, NULL);
	cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(peer_records(&p), 1);
	memcpy(want, v->frame + v->l3_off + 12, 4);
	cr_assert_eq(p.ev[0].slot, SLOT);
	cr_assert_eq(p.ev[0].gen, GEN);
	cr_assert_eq(p.ev[0].family, UDPESP_AF_INET);
	cr_assert_eq(p.ev[0].port, htons(4501));
	cr_assert_eq(memcmp(p.ev[0].addr, want, sizeof(want)), 0);

	/* Again from there: nothing new. */
	cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
	cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(peer_records(&p), 0, "the same mapping reported twice");

	/* Another address, same port: one record with it. */
	cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
	moved(buf, v, 4501, "203.0.113.77");
	cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(peer_records(&p), 1);
	inet_pton(AF_INET, "203.0.113.77", want);
	cr_assert_eq(p.ev[0].port, htons(4501));
	cr_assert_eq(memcmp(p.ev[0].addr, want, sizeof(want)), 0);
	uninstall(&cs);
}

/*
 * With the ring full the change is not recorded either: once udpespd has
 * read the ring, the next packet from the new source reports it.
 */
Test(kfunc, new_peer_retried_after_full_ring, FX, .timeout = 60)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	static struct xdp_out out;
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	struct udpesp_replay r;
	struct peer_evs p;
	__u8 buf[2048];
	int i, n;

	install(v, &cs, &suite);
	cr_assert_geq(kfunc_peer_watch(&kf, peer_seen, &p), 0);
	vec_replay(v, &r);
	/* 64 KiB of 28-byte records (and their headers): fewer than 4000. */
	for (i = 0; i < 4000; i++) {
		cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
		moved(buf, v, (__u16)(5000 + (i & 1)), NULL);
		cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	}
	cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
	moved(buf, v, 6000, NULL);
	cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	n = peer_records(&p);
	cr_assert(n > 100 && n < 4000, "%d records: the ring never filled", n);
	/* Delivered while the ring was full, reported now. */
	cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
	cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(peer_records(&p), 1, "the change was lost with the full ring");
	cr_assert_eq(p.ev[0].port, htons(6000));
	uninstall(&cs);
}

/*
 * A move (an IKE daemon's SA_UPDATE) tells XDP the peer's new place
 * (udpesp_kf_peer_set): a packet from there reports nothing, one from
 * where the SA was before reports the change.
 */
Test(kfunc, moved_sa_reports_from_its_new_peer, FX)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	static struct xdp_out out;
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	struct udpesp_replay r;
	struct peer_evs p;
	__u8 buf[2048];

	install_peer_of(v, &cs, &suite, &p);
	vec_replay(v, &r);

	cs.encap_sport = htons(4501);
	cr_assert_eq(kfunc_sa_peer(&kf, SLOT, &cs), 0);
	moved(buf, v, 4501, NULL);
	cr_assert_eq(run_xdp(buf, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(peer_records(&p), 0, "the peer the SA was moved to reported");
	cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
	cr_assert_eq(run_xdp(v->frame, v->frame_len, &xdp_in_lo, &out), XDP_PASS);
	cr_assert_eq(peer_records(&p), 1, "the old place not reported after the move");
	cr_assert_eq(kfunc_sa_peer(&kf, SLOT + 1, &cs), -ENOENT);
	uninstall(&cs);
}

/*
 * The inner destination is checked inside XDP as esp_decap() checks it:
 * of the two halves of the IPv4 space exactly one takes the packet, and
 * each run gives the AF_XDP path's verdict, counters and bytes.
 */
Test(kfunc, inner_destination_selector_as_the_afxdp_path, FX)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	static const __u8 half[2] = { 0x00, 0x80 };
	struct afxdp_result *want = calloc(1, sizeof(*want));
	struct udpesp_ctl_sa cs;
	struct esp_suite suite;
	struct udpesp_replay r;
	int passed = 0;

	cr_assert_not_null(want);
	for (int i = 0; i < 2; i++) {
		char err[UDPESP_CTL_ERRMSG_MAX];

		install(v, &cs, &suite);
		kfunc_sa_del(&kf, SLOT);
		cs.nsel = 1;
		memset(&cs.sel[0].dst, 0, sizeof(cs.sel[0].dst));
		cs.sel[0].dst.family = UDPESP_AF_INET;
		cs.sel[0].dst.prefixlen = 1;
		((__u8 *)cs.sel[0].dst.addr)[0] = half[i];
		cr_assert_eq(sa_check(&cs, &suite, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(kfunc_sa_add(&kf, SLOT, GEN, &cs, &suite), 0);
		vec_replay(v, &r);
		cr_assert_eq(udpesp_maps_replay_set(&h.m, SLOT, &r), 0);
		afxdp(v, &cs, &suite, want);
		cr_assert(want->v == UDPESP_DECAP_OK || want->v == UDPESP_DROP_SELECTOR,
			  "verdict %s", udpesp_decap_verdict_name(want->v));
		passed += check_frame(v, &cs, &suite, v->frame, v->frame_len, want) == XDP_PASS;
		uninstall(&cs);
	}
	cr_assert_eq(passed, 1, "%d of the two halves took the packet", passed);
	free(want);
}
