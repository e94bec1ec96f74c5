// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * esp_decap() on frames built by Scapy's ESP implementation
 * (tests/unit/gen_decap_frames.py -> build/decap_frames.h): every
 * scenario in every suite, compared byte for byte with the inner packet
 * Scapy expects, plus the replay state before and after. Then what the
 * generator cannot express: header offsets and lengths that lie,
 * truncation at every length, and workers racing on one replay window.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include <udpesp/csum.h>
#include <udpesp/replay.h>
#include "esp/esp_decap.h"
#include "common/sa_check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FRAME_MAX 2048

#include "decap_vec.h"
#include "decap_frames.h"

/* One inbound SA as udpespd would hold it, from the vector's description. */
struct sa_ctx {
	struct udpesp_replay replay;
	struct esp_suite suite;
	struct esp_decap_sa sa;
	struct esp_sel sel; /* the vector's one selector: its inner source */
	struct esp_crypto_thread *t;
};

static void ctl_addr(struct udpesp_ctl_addr *a, const struct vec_addr *v)
{
	memset(a, 0, sizeof(*a));
	a->family = v->family;
	a->prefixlen = v->prefixlen;
	memcpy(a->addr, v->addr, 16);
}

static void esp_addr(struct esp_addr *a, const struct vec_addr *v)
{
	memset(a, 0, sizeof(*a));
	a->family = v->family;
	a->prefixlen = v->prefixlen;
	memcpy(a->addr, v->addr, 16);
}

static void text_addr(struct udpesp_ctl_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = UDPESP_AF_INET;
		a->prefixlen = 32;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, s, a->addr), 1, "%s", s);
		a->family = UDPESP_AF_INET6;
		a->prefixlen = 128;
	}
}

static void ctl_alg(struct udpesp_ctl_alg *a, const char *name, const __u8 *key, __u32 key_len,
		    __u32 bits)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->name, name);
	memcpy(a->key, key, key_len);
	a->key_len = key_len;
	a->bits = bits;
}

/* The SA through sa_check(), as udpespd gets it, and its crypto context. */
static void sa_setup(struct sa_ctx *c, const struct decap_vec *v)
{
	const struct decap_suite *ds = &decap_suites[v->suite];
	bool v4 = v->family == UDPESP_AF_INET;
	struct udpesp_ctl_sa cs = { 0 };
	char err[UDPESP_CTL_ERRMSG_MAX];

	memset(c, 0, sizeof(*c));
	cs.dir = UDPESP_DIR_IN;
	cs.mode = v->mode;
	cs.encap = UDPESP_ENCAP_ESPINUDP;
	cs.spi = htonl(0x1001);
	text_addr(&cs.src, v4 ? "198.51.100.7" : "2001:db8:1::7");
	text_addr(&cs.dst, v4 ? "192.0.2.1" : "2001:db8::1");
	cs.encap_sport = cs.encap_dport = htons(4500);
	cs.replay_window = v->window;
	cs.flags = v->esn ? UDPESP_CTL_SA_ESN : 0;
	ctl_addr(&cs.sel[0].src, &v->sel_src);
	cs.nsel = v->sel_src.family ? 1 : 0;
	if (ds->aead[0]) {
		ctl_alg(&cs.aead, ds->aead, ds->key, ds->key_len, ds->bits);
	} else {
		ctl_alg(&cs.enc, ds->enc, ds->key, ds->key_len, 0);
		ctl_alg(&cs.auth, ds->auth, ds->auth_key, ds->auth_key_len, ds->bits);
	}
	cr_assert_eq(sa_check(&cs, &c->suite, err, sizeof(err)), 0, "%s: %s", v->name, err);

	c->sa.suite = &c->suite;
	c->sa.crypto = esp_crypto_new(&c->suite, ds->key_len ? ds->key : NULL,
				      ds->aead[0] ? NULL : ds->auth_key);
	cr_assert_not_null(c->sa.crypto, "%s: esp_crypto_new", v->name);
	c->sa.replay = &c->replay;
	c->sa.mode = v->mode;
	c->sa.esn = v->esn;
	memset(&c->sel, 0, sizeof(c->sel));
	esp_addr(&c->sel.src, &v->sel_src);
	c->sa.sel = &c->sel;
	c->sa.nsel = v->sel_src.family ? 1 : 0;
	esp_addr(&c->sa.orig_src, &v->orig_src);

	/* The window as the vector says, bits set by hand. */
	c->replay.window = v->window;
	c->replay.top = v->top;
	for (int i = 0; i < v->nseen; i++)
		c->replay.bitmap[(v->seen[i] / 64) % UDPESP_REPLAY_WORDS] |= 1ULL
									     << (v->seen[i] % 64);
	c->t = esp_crypto_thread_new();
	cr_assert_not_null(c->t);
}

static void sa_teardown(struct sa_ctx *c)
{
	esp_crypto_free(c->sa.crypto);
	esp_crypto_thread_free(c->t);
}

static struct udpesp_xdp_meta vec_meta(const struct decap_vec *v)
{
	struct udpesp_xdp_meta m = {
		.magic = UDPESP_META_MAGIC,
		.seq_hi = (__u32)(v->seq >> 32),
		.l3_off = v->l3_off,
		.l4_off = v->l4_off,
		.esp_off = v->esp_off,
		.family = v->family,
	};
	return m;
}

static enum udpesp_decap_verdict decap(struct sa_ctx *c, __u8 *buf, size_t len,
				       const struct udpesp_xdp_meta *m, struct esp_decap_out *out)
{
	memset(out, 0xa5, sizeof(*out));
	return esp_decap(&c->sa, c->t, buf, len, m, out);
}

/*
 * The checksum of a rebuilt transport packet verifies (udpesp/csum.h,
 * tested against a reference in test_csum.c), over its own (received)
 * addresses where it has a pseudo-header (TCP, UDP, ICMPv6).
 */
static bool l4_csum_ok(const __u8 *ip, size_t len, __u8 family)
{
	size_t hl = family == UDPESP_AF_INET ? (ip[0] & 15) * 4u : 40;
	size_t alen = family == UDPESP_AF_INET ? 4 : 16;
	const __u8 *saddr = ip + (family == UDPESP_AF_INET ? 12 : 8);
	__u8 proto = family == UDPESP_AF_INET ? ip[9] : ip[6];
	size_t seg = len - hl;
	__u64 sum = 0;

	if (proto == IPPROTO_UDP && family == UDPESP_AF_INET && !ip[hl + 6] && !ip[hl + 7])
		return true;	   /* no checksum */
	if (proto != IPPROTO_ICMP) /* ICMP alone has no pseudo-header */
		sum = udpesp_csum_pseudo(saddr, alen, proto, (__u16)seg);
	return udpesp_csum_fold(udpesp_csum_add(sum, ip + hl, seg)) == 0xffff;
}

static bool ipv4_csum_ok(const __u8 *ip)
{
	return udpesp_csum(ip, (ip[0] & 15) * 4u) == 0;
}

static bool seq_seen(const struct udpesp_replay *r, __u64 seq)
{
	return (r->bitmap[(seq / 64) % UDPESP_REPLAY_WORDS] >> (seq % 64)) & 1;
}

/* One vector: verdict, output, replay state; then its replay, if delivered. */
static void check_vec(const struct decap_vec *v)
{
	struct udpesp_xdp_meta m = vec_meta(v);
	struct esp_decap_out out;
	struct udpesp_replay before;
	enum udpesp_decap_verdict got;
	__u8 *buf;
	struct sa_ctx c;

	/* Exactly the frame on the heap, so a sanitizer sees any over-read. */
	buf = malloc(v->frame_len);
	cr_assert_not_null(buf);
	sa_setup(&c, v);
	before = c.replay;
	memcpy(buf, v->frame, v->frame_len);
	got = decap(&c, buf, v->frame_len, &m, &out);
	cr_assert_eq(got, v->verdict, "%s: %s, expected %s", v->name,
		     udpesp_decap_verdict_name(got), udpesp_decap_verdict_name(v->verdict));
	cr_assert_eq(c.replay.lock, 0, "%s: lock left held", v->name);

	if (got != UDPESP_DECAP_OK && got != UDPESP_DROP_DUMMY) {
		cr_assert_eq(memcmp(&c.replay, &before, sizeof(before)), 0,
			     "%s: a drop moved the replay window", v->name);
		/* Before the ICV verified, not one byte may change. */
		if (got == UDPESP_DROP_HDR || got == UDPESP_DROP_REPLAY || got == UDPESP_DROP_ICV)
			cr_assert_eq(memcmp(buf, v->frame, v->frame_len), 0,
				     "%s: unauthenticated frame modified", v->name);
		free(buf);
		sa_teardown(&c);
		return;
	}

	/* Authentic: the number is taken, earlier ones are kept. */
	cr_assert_eq(out.seq, v->seq, "%s: seq %llx", v->name, (unsigned long long)out.seq);
	cr_assert_eq(out.esp_len, v->esp_len, "%s", v->name);
	cr_assert_eq(out.next_header, v->next_header, "%s", v->name);
	cr_assert_eq(c.replay.top, v->seq > v->top ? v->seq : v->top, "%s", v->name);
	cr_assert(seq_seen(&c.replay, v->seq), "%s", v->name);
	for (int i = 0; i < v->nseen; i++)
		if (c.replay.top - v->seen[i] < c.replay.window)
			cr_assert(seq_seen(&c.replay, v->seen[i]), "%s: forgot %llu", v->name,
				  (unsigned long long)v->seen[i]);

	if (got == UDPESP_DECAP_OK) {
		const __u8 *inner = buf + out.inner_off;

		cr_assert_eq(out.inner_family, v->inner_family, "%s", v->name);
		cr_assert_leq((size_t)out.inner_off + out.inner_len, v->frame_len, "%s", v->name);
		cr_assert_eq(out.inner_len, v->inner_len, "%s: inner %u bytes, expected %u",
			     v->name, out.inner_len, v->inner_len);
		cr_assert_eq(memcmp(inner, v->inner, v->inner_len), 0,
			     "%s: inner packet differs from Scapy's", v->name);
		if (v->mode == UDPESP_MODE_TRANSPORT) {
			cr_assert(l4_csum_ok(inner, out.inner_len, v->family), "%s: checksum",
				  v->name);
			if (v->family == UDPESP_AF_INET)
				cr_assert(ipv4_csum_ok(inner), "%s", v->name);
		}
	}

	/* The same frame again is a replay, and changes nothing. */
	before = c.replay;
	memcpy(buf, v->frame, v->frame_len);
	got = decap(&c, buf, v->frame_len, &m, &out);
	cr_assert_eq(got, UDPESP_DROP_REPLAY, "%s again: %s", v->name,
		     udpesp_decap_verdict_name(got));
	cr_assert_eq(memcmp(&c.replay, &before, sizeof(before)), 0, "%s", v->name);
	free(buf);
	sa_teardown(&c);
}

static void run_scenario(const char *scenario)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(decap_vecs); i++) {
		if (strcmp(decap_vecs[i].scenario, scenario))
			continue;
		check_vec(&decap_vecs[i]);
		n++;
	}
	/* Each scenario exists once per suite. */
	cr_assert_eq(n, ARRAY_SIZE(decap_suites), "%s: %zu vectors", scenario, n);
}

static const struct decap_vec *find_vec(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(decap_vecs); i++)
		if (!strcmp(decap_vecs[i].name, name))
			return &decap_vecs[i];
	cr_assert_fail("no vector %s", name);
	return NULL;
}

TestSuite(esp_decap);

/* One test per scenario of gen_decap_frames.py, each over every suite. */
#define SCENARIOS(X)                        \
	X(tunnel_v4_in_v4)                  \
	X(tunnel_v6_in_v4)                  \
	X(tunnel_v4_in_v6)                  \
	X(tunnel_v6_in_v6)                  \
	X(tunnel_vlan_ipopt)                \
	X(tunnel_tfc_v4)                    \
	X(tunnel_tfc_v6)                    \
	X(tunnel_long_padding)              \
	X(tunnel_sel_any)                   \
	X(tunnel_sel_edge_v4)               \
	X(tunnel_sel_mismatch_v4)           \
	X(tunnel_sel_mismatch_v6)           \
	X(tunnel_sel_family)                \
	X(tunnel_bad_next_header)           \
	X(tunnel_version_mismatch)          \
	X(tunnel_inner_truncated)           \
	X(tunnel_inner_short)               \
	X(tunnel_dummy)                     \
	X(bad_pad_bytes)                    \
	X(bad_pad_len)                      \
	X(replayed)                         \
	X(too_old)                          \
	X(seq_zero)                         \
	X(late_in_window)                   \
	X(tampered_payload)                 \
	X(tampered_icv)                     \
	X(tampered_seq)                     \
	X(tampered_iv)                      \
	X(esn_hi)                           \
	X(esn_below_2_32)                   \
	X(esn_above_2_32)                   \
	X(esn_cross_forward)                \
	X(esn_wrong_hi)                     \
	X(esn_replayed)                     \
	X(esn_dummy)                        \
	X(esp_too_short)                    \
	X(esp_misaligned)                   \
	X(transport_udp_v4_oa)              \
	X(transport_udp_v4_recompute)       \
	X(transport_tcp_v4_oa)              \
	X(transport_tcp_v4_recompute)       \
	X(transport_udp_v4_csum0)           \
	X(transport_udp_v4_csum0_recompute) \
	X(transport_udp_v4_tfc)             \
	X(transport_udp_v4_ipopt)           \
	X(transport_no_nat)                 \
	X(transport_icmp_v4)                \
	X(transport_tcp_v6_oa)              \
	X(transport_tcp_v6_recompute)       \
	X(transport_udp_v6_oa)              \
	X(transport_icmp6_v6_oa)            \
	X(transport_icmp6_v6_recompute)     \
	X(transport_bad_next_header)        \
	X(transport_ipv6_in_transport)      \
	X(transport_udp_bad_len)            \
	X(transport_tcp_short)              \
	X(transport_dummy)

#define SCENARIO_TEST(n)          \
	Test(esp_decap, n)        \
	{                         \
		run_scenario(#n); \
	}
SCENARIOS(SCENARIO_TEST)

#define SCENARIO_NAME(n) #n,
static const char *const scenario_names[] = { SCENARIOS(SCENARIO_NAME) };

Test(esp_decap, every_vector_has_a_test)
{
	for (size_t i = 0; i < ARRAY_SIZE(decap_vecs); i++) {
		bool found = false;

		for (size_t j = 0; j < ARRAY_SIZE(scenario_names); j++)
			found |= !strcmp(decap_vecs[i].scenario, scenario_names[j]);
		cr_assert(found, "scenario %s has no Test()", decap_vecs[i].scenario);
	}
}

Test(esp_decap, verdict_names)
{
	for (int i = 0; i < UDPESP_DECAP_VERDICT_MAX; i++) {
		cr_assert_str_neq(udpesp_decap_verdict_name(i), "unknown", "verdict %d", i);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(udpesp_decap_verdict_name(i),
					  udpesp_decap_verdict_name(j));
	}
	cr_assert_str_eq(udpesp_decap_verdict_name(UDPESP_DECAP_VERDICT_MAX), "unknown");
	cr_assert_str_eq(udpesp_decap_verdict_name((enum udpesp_decap_verdict) - 1), "unknown");
}

/* ---- frames the generator does not make ---- */

static void ipv4_fix_csum(__u8 *ip)
{
	__u16 csum;

	ip[10] = ip[11] = 0;
	csum = udpesp_csum(ip, (ip[0] & 15) * 4u);
	memcpy(ip + 10, &csum, 2);
}

static void put16(__u8 *p, unsigned int v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* A lying frame or metadata: UDPESP_DROP_HDR, and nothing changed. */
static void expect_hdr(struct sa_ctx *c, const __u8 *frame, size_t len,
		       const struct udpesp_xdp_meta *m, const char *what)
{
	struct udpesp_replay before = c->replay;
	/* Exactly len bytes on the heap, so a sanitizer sees any over-read. */
	__u8 *buf = malloc(len ? len : 1);
	struct esp_decap_out out;
	enum udpesp_decap_verdict v;

	cr_assert_not_null(buf);
	memcpy(buf, frame, len);
	v = decap(c, buf, len, m, &out);
	cr_assert_eq(v, UDPESP_DROP_HDR, "%s: %s", what, udpesp_decap_verdict_name(v));
	cr_assert_eq(memcmp(&c->replay, &before, sizeof(before)), 0, "%s", what);
	cr_assert_eq(memcmp(buf, frame, len), 0, "%s", what);
	free(buf);
}

Test(esp_decap, outer_headers_that_lie_v4)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	struct udpesp_xdp_meta good = vec_meta(v), m;
	__u8 f[FRAME_MAX], *ip = f + v->l3_off, *udp = f + v->l4_off;
	size_t len = v->frame_len;
	struct sa_ctx c;

	sa_setup(&c, v);
#define RESET() (memcpy(f, v->frame, len), m = good)
	RESET(), m.magic = 0, expect_hdr(&c, f, len, &m, "magic");
	RESET(), m.family = 0, expect_hdr(&c, f, len, &m, "family 0");
	RESET(), m.family = UDPESP_AF_INET6, expect_hdr(&c, f, len, &m, "family");
	RESET(), m.l4_off += 4, m.esp_off += 4, expect_hdr(&c, f, len, &m, "ihl");
	RESET(), m.l4_off = m.l3_off, expect_hdr(&c, f, len, &m, "l4 = l3");
	RESET(), m.l3_off = 0xfff0, expect_hdr(&c, f, len, &m, "l3 past the end");
	RESET(), m.esp_off += 4, expect_hdr(&c, f, len, &m, "esp_off");
	RESET(), m.l4_off = m.esp_off = 0xffff, expect_hdr(&c, f, len, &m, "huge");
	RESET(), ip[0] = 0x65, ipv4_fix_csum(ip), expect_hdr(&c, f, len, &m, "version");
	RESET(), ip[9] = 50, ipv4_fix_csum(ip), expect_hdr(&c, f, len, &m, "proto");
	RESET(), ip[6] |= 0x20, ipv4_fix_csum(ip), expect_hdr(&c, f, len, &m, "MF");
	RESET(), ip[7] = 1, ipv4_fix_csum(ip), expect_hdr(&c, f, len, &m, "frag off");
	RESET(), ip[11] ^= 1, expect_hdr(&c, f, len, &m, "header checksum");
	RESET(), put16(ip + 2, (ip[2] << 8 | ip[3]) - 4), ipv4_fix_csum(ip),
		expect_hdr(&c, f, len, &m, "IP shorter than UDP");
	RESET(), put16(udp + 4, 7), expect_hdr(&c, f, len, &m, "UDP length 7");
	/* Both lengths grown alike: they agree, but the frame ends first. */
	RESET(), put16(ip + 2, (ip[2] << 8 | ip[3]) + 4),
		put16(udp + 4, (udp[4] << 8 | udp[5]) + 4), ipv4_fix_csum(ip),
		expect_hdr(&c, f, len, &m, "beyond the frame");
	/* Shrunk alike below the suite's minimum ESP. */
	RESET(), put16(ip + 2, 20 + 8 + c.suite.min_len - 4),
		put16(udp + 4, 8 + c.suite.min_len - 4), ipv4_fix_csum(ip),
		expect_hdr(&c, f, len, &m, "below min_len");
#undef RESET
	sa_teardown(&c);
}

Test(esp_decap, outer_headers_that_lie_v6)
{
	const struct decap_vec *v = find_vec("cbc_sha256/tunnel_v4_in_v6");
	struct udpesp_xdp_meta good = vec_meta(v), m;
	__u8 f[FRAME_MAX], *ip = f + v->l3_off, *udp = f + v->l4_off;
	size_t len = v->frame_len;
	struct sa_ctx c;

	sa_setup(&c, v);
#define RESET() (memcpy(f, v->frame, len), m = good)
	RESET(), m.family = UDPESP_AF_INET, expect_hdr(&c, f, len, &m, "family");
	RESET(), m.l4_off += 8, m.esp_off += 8, expect_hdr(&c, f, len, &m, "ext hdr");
	RESET(), ip[0] = 0x45, expect_hdr(&c, f, len, &m, "version");
	RESET(), ip[6] = 0, expect_hdr(&c, f, len, &m, "next header");
	RESET(), put16(ip + 4, (ip[4] << 8 | ip[5]) + 1),
		expect_hdr(&c, f, len, &m, "payload length");
	RESET(), put16(udp + 4, (udp[4] << 8 | udp[5]) - 16),
		expect_hdr(&c, f, len, &m, "UDP length");
	/* CBC: a ciphertext that is not whole blocks, lengths agreeing. */
	RESET(), put16(ip + 4, (ip[4] << 8 | ip[5]) - 4),
		put16(udp + 4, (udp[4] << 8 | udp[5]) - 4),
		expect_hdr(&c, f, len, &m, "partial block");
#undef RESET
	sa_teardown(&c);
}

/* Every truncation of good frames is refused before any crypto. */
Test(esp_decap, truncated_at_every_length)
{
	const char *names[] = { "gcm128/tunnel_v4_in_v4", "chacha/tunnel_v6_in_v6",
				"null_sha512/transport_tcp_v6_oa", "cbc_sha256/tunnel_vlan_ipopt" };

	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		const struct decap_vec *v = find_vec(names[k]);
		struct udpesp_xdp_meta m = vec_meta(v);
		struct sa_ctx c;

		sa_setup(&c, v);
		for (size_t len = 0; len < v->frame_len; len++)
			expect_hdr(&c, v->frame, len, &m, v->name);
		sa_teardown(&c);
	}
}

/* Bytes after the IP packet (Ethernet padding) are not ESP. */
Test(esp_decap, ethernet_padding_ignored)
{
	const char *names[] = { "gcm256/transport_udp_v4_oa", "cbc_sha256/tunnel_v6_in_v4" };

	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		const struct decap_vec *v = find_vec(names[k]);
		struct udpesp_xdp_meta m = vec_meta(v);
		struct esp_decap_out out;
		__u8 buf[FRAME_MAX];
		struct sa_ctx c;

		sa_setup(&c, v);
		memcpy(buf, v->frame, v->frame_len);
		memset(buf + v->frame_len, 0, 30);
		cr_assert_eq(decap(&c, buf, v->frame_len + 30, &m, &out), UDPESP_DECAP_OK, "%s",
			     v->name);
		cr_assert_eq(out.inner_len, v->inner_len);
		cr_assert_eq(memcmp(buf + out.inner_off, v->inner, v->inner_len), 0);
		sa_teardown(&c);
	}
}

/* NAT-OA of the other family cannot be used: recompute instead. */
Test(esp_decap, orig_src_of_other_family_recomputes)
{
	const struct decap_vec *v = find_vec("gcm128/transport_tcp_v4_oa");
	struct udpesp_xdp_meta m = vec_meta(v);
	struct esp_decap_out out;
	__u8 buf[FRAME_MAX];
	struct sa_ctx c;

	sa_setup(&c, v);
	c.sa.orig_src.family = UDPESP_AF_INET6;
	c.sa.orig_src.prefixlen = 128;
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:2::5", c.sa.orig_src.addr), 1);
	memcpy(buf, v->frame, v->frame_len);
	cr_assert_eq(decap(&c, buf, v->frame_len, &m, &out), UDPESP_DECAP_OK);
	cr_assert_eq(memcmp(buf + out.inner_off, v->inner, v->inner_len), 0);
	sa_teardown(&c);
}

/* An SA with no valid mode delivers nothing, and keeps its window. */
Test(esp_decap, unknown_mode_delivers_nothing)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	struct udpesp_xdp_meta m = vec_meta(v);
	struct esp_decap_out out;
	__u8 buf[FRAME_MAX];
	struct sa_ctx c;

	sa_setup(&c, v);
	c.sa.mode = 0;
	memcpy(buf, v->frame, v->frame_len);
	cr_assert_eq(decap(&c, buf, v->frame_len, &m, &out), UDPESP_DROP_NEXT_HDR);
	cr_assert_eq(c.replay.top, 0);
	sa_teardown(&c);
}

/* ---- several workers on one SA ---- */

#define RACE_THREADS 4
#define RACE_PACKETS 3000
#define RACE_ROUNDS 20

struct race {
	struct sa_ctx *c;
	const struct decap_vec *v;
	__u8 (*esp)[FRAME_MAX]; /* RACE_PACKETS ESP packets, seq i + 1 */
	size_t esp_len;
	unsigned int *accepted; /* per sequence number */
	unsigned int others;	/* verdicts other than OK and REPLAY */
	pthread_barrier_t *start;
	int id;
};

static void *race_worker(void *arg)
{
	struct race *r = arg;
	struct esp_crypto_thread *t = esp_crypto_thread_new();
	struct udpesp_xdp_meta m = vec_meta(r->v);
	struct esp_decap_out out;
	__u8 buf[FRAME_MAX];

	pthread_barrier_wait(r->start);
	if (!t) {
		r->others = RACE_PACKETS;
		return NULL;
	}
	for (int k = 0; k < RACE_PACKETS; k++) {
		/*
		 * Workers 0 and 1 take the same order, so they keep meeting
		 * on one number at once; 2 goes backwards, 3 from the middle.
		 */
		int i = k;
		enum udpesp_decap_verdict v;

		if (r->id == 2)
			i = RACE_PACKETS - 1 - k;
		else if (r->id == 3)
			i = (k + RACE_PACKETS / 2) % RACE_PACKETS;
		memcpy(buf, r->v->frame, r->v->esp_off);
		memcpy(buf + r->v->esp_off, r->esp[i], r->esp_len);
		v = esp_decap(&r->c->sa, t, buf, r->v->esp_off + r->esp_len, &m, &out);
		if (v == UDPESP_DECAP_OK)
			__atomic_add_fetch(&r->accepted[i], 1, __ATOMIC_RELAXED);
		else if (v != UDPESP_DROP_REPLAY)
			r->others++;
	}
	esp_crypto_thread_free(t);
	return NULL;
}

/*
 * RACE_THREADS workers each receive all RACE_PACKETS packets of one SA:
 * however they interleave, each number is delivered at most once, and
 * with a window larger than the burst exactly once.
 */
static void race(__u32 window, bool exactly_once)
{
	const struct decap_vec *v = find_vec("gcm128/tunnel_v4_in_v4");
	size_t esp_len = v->esp_len, pt_len;
	struct race r[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	pthread_barrier_t start;
	unsigned int *accepted;
	__u8(*esp)[FRAME_MAX];
	unsigned long total = 0;
	struct sa_ctx c;
	__u8 pad;

	sa_setup(&c, v);
	c.replay.window = window;
	esp = calloc(RACE_PACKETS, sizeof(*esp));
	accepted = calloc(RACE_PACKETS, sizeof(*accepted));
	cr_assert(esp && accepted);

	/* The vector's inner packet, encrypted again under numbers 1..N. */
	pt_len = esp_len - 8 - c.suite.iv_len - c.suite.icv_len;
	pad = (__u8)(pt_len - 2 - v->inner_len);
	for (__u32 i = 0; i < RACE_PACKETS; i++) {
		__u8 *e = esp[i], *pt = e + 8 + c.suite.iv_len;
		__be32 w;

		w = htonl(0x1001);
		memcpy(e, &w, 4);
		w = htonl(i + 1);
		memcpy(e + 4, &w, 4);
		memset(e + 8, 0, c.suite.iv_len);
		memcpy(e + 8, &w, 4); /* a distinct IV per packet */
		memcpy(pt, v->inner, v->inner_len);
		for (__u8 p = 0; p < pad; p++)
			pt[v->inner_len + p] = p + 1;
		pt[pt_len - 2] = pad;
		pt[pt_len - 1] = IPPROTO_IPIP;
		cr_assert_eq(esp_crypto_encrypt(c.sa.crypto, c.t, e, esp_len, false, 0), 0);
	}

	for (int round = 0; round < RACE_ROUNDS; round++) {
		memset(&c.replay, 0, sizeof(c.replay));
		c.replay.window = window;
		memset(accepted, 0, RACE_PACKETS * sizeof(*accepted));
		pthread_barrier_init(&start, NULL, RACE_THREADS);
		for (int k = 0; k < RACE_THREADS; k++) {
			r[k] = (struct race){ .c = &c,
					      .v = v,
					      .esp = esp,
					      .esp_len = esp_len,
					      .accepted = accepted,
					      .start = &start,
					      .id = k };
			cr_assert_eq(pthread_create(&th[k], NULL, race_worker, &r[k]), 0);
		}
		for (int k = 0; k < RACE_THREADS; k++) {
			pthread_join(th[k], NULL);
			cr_assert_eq(r[k].others, 0, "worker %d: other verdicts", k);
		}
		pthread_barrier_destroy(&start);
		total = 0;
		for (int i = 0; i < RACE_PACKETS; i++) {
			cr_assert_leq(accepted[i], 1, "round %d: seq %d delivered %u times", round,
				      i + 1, accepted[i]);
			if (exactly_once)
				cr_assert_eq(accepted[i], 1, "round %d: seq %d lost", round, i + 1);
			total += accepted[i];
		}
		/* The highest number can never be too old: someone took it. */
		cr_assert_eq(c.replay.top, RACE_PACKETS);
		cr_assert_eq(accepted[RACE_PACKETS - 1], 1);
		cr_assert_eq(c.replay.lock, 0);
	}
	cr_log_info("window %u, %d rounds: %lu of %d delivered once in the last", window,
		    RACE_ROUNDS, total, RACE_PACKETS);
	free(esp);
	free(accepted);
	sa_teardown(&c);
}

Test(esp_decap, workers_race_on_one_sa, .timeout = 60)
{
	race(UDPESP_REPLAY_MAX, true);
}

Test(esp_decap, workers_race_small_window, .timeout = 60)
{
	race(64, false);
}
