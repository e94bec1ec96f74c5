// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * daemon/strongswan/xform.c: what charon's add_sa() hands the plugin,
 * turned into udpespd's SA. Every supported transform pair is installed
 * through sa_check() (the daemon's own validator), so a row in the
 * plugin's table that udpespd would refuse fails here; every refused
 * transform names its reason.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "common/sa_check.h"
#include "strongswan/xform.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t key_a[80], key_b[80];

static void fill_keys(void)
{
	for (size_t i = 0; i < sizeof(key_a); i++) {
		key_a[i] = (uint8_t)(0xa0 + i);
		key_b[i] = (uint8_t)(0x10 + i);
	}
}

TestSuite(swan_xform, .init = fill_keys);

/* What charon passes by default: tunnel, inbound, NAT-T, copy DF/ECN, DSCP out. */
static struct xform_req req(uint16_t enc, size_t enc_len, uint16_t integ, size_t int_len)
{
	return (struct xform_req){
		.enc_alg = enc,
		.enc_key = key_a,
		.enc_key_len = enc_len,
		.int_alg = integ,
		.int_key = key_b,
		.int_key_len = int_len,
		.mode = XFORM_MODE_TUNNEL,
		.inbound = true,
		.encap = true,
		.copy_df = true,
		.copy_ecn = true,
		.copy_dscp = XFORM_DSCP_OUT_ONLY,
		.replay_window = 32,
	};
}

/* The outer fields sa_check() needs; xform leaves them to the plugin. */
static void outer(struct udpesp_ctl_sa *sa)
{
	sa->spi = htonl(0x1001);
	sa->src.family = sa->dst.family = UDPESP_AF_INET;
	sa->src.addr[0] = htonl(0xc6336407);
	sa->dst.addr[0] = htonl(0xc0000201);
	sa->encap_sport = sa->encap_dport = htons(4500);
}

static void expect_installable(const struct xform_req *r, struct udpesp_ctl_sa *sa)
{
	char err[256] = "";
	struct esp_suite s;
	int ret;

	memset(sa, 0, sizeof(*sa));
	ret = xform_sa(r, sa, err, sizeof(err));
	cr_assert_eq(ret, 0, "xform_sa(enc %u, int %u): %d %s", r->enc_alg, r->int_alg, ret, err);
	outer(sa);
	ret = sa_check(sa, &s, err, sizeof(err));
	cr_assert_eq(ret, 0, "udpespd refuses what xform made of enc %u/int %u: %s", r->enc_alg,
		     r->int_alg, err);
}

Test(swan_xform, every_aead_and_key_size_is_installable_with_salt_kept_in_the_key)
{
	int n = 0;

	for (size_t i = 0; i < xform_nencs; i++) {
		const struct xform_alg *a = &xform_encs[i];

		if (!a->aead)
			continue;
		cr_assert_eq(a->salt, strstr(a->name, "ccm") ? 3 : 4,
			     "%s: RFC 4106/4543/7634 salt is 4 bytes, RFC 4309's 3", a->name);
		for (int k = 0; k < a->nkeys; k++) {
			struct xform_req r =
				req(a->id, a->keys[k] + a->salt, XFORM_AUTH_UNDEFINED, 0);
			struct udpesp_ctl_sa sa;

			expect_installable(&r, &sa);
			cr_assert_str_eq(sa.aead.name, a->name);
			cr_assert_eq(sa.aead.key_len, a->keys[k] + a->salt);
			/* key then salt, in charon's order, as ip xfrm takes them */
			cr_assert_arr_eq(sa.aead.key, key_a, sa.aead.key_len);
			cr_assert_eq(sa.aead.bits, a->bits);
			cr_assert_eq(sa.enc.name[0], 0);
			cr_assert_eq(sa.auth.name[0], 0);
			n++;
		}
	}
	cr_assert_eq(n, 22, "GCM-8/12/16 x3, CCM-8/12/16 x3, ChaCha20-Poly1305, GMAC x3; got %d",
		     n);
}

Test(swan_xform, every_cipher_with_every_hmac_is_installable)
{
	int n = 0;

	for (size_t i = 0; i < xform_nencs; i++) {
		const struct xform_alg *e = &xform_encs[i];

		if (e->aead)
			continue;
		for (int k = 0; k < e->nkeys; k++) {
			for (size_t j = 0; j < xform_ninteg; j++) {
				const struct xform_alg *h = &xform_integs[j];
				struct xform_req r =
					req(e->id, e->keys[k] + e->salt, h->id, h->keys[0]);
				struct udpesp_ctl_sa sa;

				expect_installable(&r, &sa);
				cr_assert_str_eq(sa.enc.name, e->name);
				cr_assert_eq(sa.enc.key_len, e->keys[k] + e->salt);
				cr_assert_arr_eq(sa.enc.key, key_a, e->keys[k] + e->salt);
				cr_assert_str_eq(sa.auth.name, h->name);
				cr_assert_eq(sa.auth.key_len, h->keys[0]);
				cr_assert_arr_eq(sa.auth.key, key_b, h->keys[0]);
				cr_assert_eq(sa.auth.bits, h->bits,
					     "RFC 4868: half the hash; 2404, 3566: 96");
				cr_assert_eq(sa.aead.name[0], 0);
				n++;
			}
		}
	}
	cr_assert_eq(
		n, (3 + 3 + 1) * 5,
		"AES-CBC x3, AES-CTR x3 and NULL, each with SHA-256/384/512, SHA-1, XCBC; got %d",
		n);
}

Test(swan_xform, the_suites_of_the_brief_map_to_their_names)
{
	static const struct {
		uint16_t enc, integ;
		size_t enc_len, int_len;
		const char *aead, *enc_name, *auth_name;
	} v[] = {
		{ 20, 1024, 20, 0, "rfc4106(gcm(aes))", "", "" }, /* AES-GCM-128 */
		{ 20, 1024, 36, 0, "rfc4106(gcm(aes))", "", "" }, /* AES-GCM-256 */
		{ 28, 1024, 36, 0, "rfc7539esp(chacha20,poly1305)", "", "" },
		{ 21, 1024, 20, 0, "rfc4543(gcm(aes))", "", "" },   /* AES-GMAC-128 */
		{ 12, 12, 32, 32, "", "cbc(aes)", "hmac(sha256)" }, /* AES-256-CBC/SHA-256 */
		{ 12, 13, 16, 48, "", "cbc(aes)", "hmac(sha384)" },
		{ 11, 14, 0, 64, "", "ecb(cipher_null)", "hmac(sha512)" },
		/* What Windows' IKEv2 client proposes by default: AES-CBC/HMAC-SHA1-96. */
		{ 12, 2, 16, 20, "", "cbc(aes)", "hmac(sha1)" },
		{ 13, 5, 20, 16, "", "rfc3686(ctr(aes))", "xcbc(aes)" }, /* AES-CTR-128/XCBC */
		{ 16, 1024, 19, 0, "rfc4309(ccm(aes))", "", "" },	 /* AES-CCM-16-128 */
		{ 18, 1024, 36, 0, "rfc4106(gcm(aes))", "", "" },	 /* AES-GCM-8-256 */
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct xform_req r = req(v[i].enc, v[i].enc_len, v[i].integ, v[i].int_len);
		struct udpesp_ctl_sa sa;

		expect_installable(&r, &sa);
		cr_assert_str_eq(sa.aead.name, v[i].aead);
		cr_assert_str_eq(sa.enc.name, v[i].enc_name);
		cr_assert_str_eq(sa.auth.name, v[i].auth_name);
	}
}

Test(swan_xform, refused_transforms_name_their_reason)
{
	static const struct {
		uint16_t enc, integ;
		int ret;
		const char *why;
	} v[] = {
		{ XFORM_ENCR_DES, 12, -EOPNOTSUPP, "DES: RFC 8221 says MUST NOT" },
		{ XFORM_ENCR_3DES, 12, -EOPNOTSUPP, "3DES: RFC 8221 says SHOULD NOT" },
		{ XFORM_ENCR_BLOWFISH, 12, -EOPNOTSUPP, "Blowfish" },
		{ XFORM_ENCR_CAMELLIA_CBC, 12, -EOPNOTSUPP, "Camellia" },
		{ XFORM_ENCR_UNDEFINED, 12, -EOPNOTSUPP, "AH is not offloaded" },
		{ 999, 12, -EOPNOTSUPP, "encryption transform 999 refused: not offloaded" },
		{ XFORM_ENCR_AES_CBC, XFORM_AUTH_HMAC_MD5_96, -EOPNOTSUPP,
		  "MD5-96: RFC 8221 says MUST NOT" },
		{ XFORM_ENCR_AES_CBC, XFORM_AUTH_AES_CMAC_96, -EOPNOTSUPP, "AES-CMAC-96" },
		{ XFORM_ENCR_AES_CBC, XFORM_AUTH_HMAC_SHA2_256_96, -EOPNOTSUPP, "not RFC 4868" },
		{ XFORM_ENCR_AES_CBC, XFORM_AUTH_UNDEFINED, -EOPNOTSUPP,
		  "never offloads unauthenticated" },
		{ XFORM_ENCR_NULL, XFORM_AUTH_UNDEFINED, -EOPNOTSUPP,
		  "never offloads unauthenticated" },
		{ XFORM_ENCR_AES_GCM_ICV16, 12, -EINVAL, "is an AEAD" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct xform_req r = req(v[i].enc, 16, v[i].integ, 32);
		struct udpesp_ctl_sa sa = { 0 };
		char err[256] = "";
		int ret = xform_algs(&r, &sa, err, sizeof(err));

		cr_assert_eq(ret, v[i].ret, "enc %u int %u: %d (%s)", v[i].enc, v[i].integ, ret,
			     err);
		cr_assert(strstr(err, v[i].why), "enc %u int %u: \"%s\" lacks \"%s\"", v[i].enc,
			  v[i].integ, err, v[i].why);
		cr_assert_eq(sa.aead.key_len + sa.enc.key_len + sa.auth.key_len, 0,
			     "nothing filled in on refusal");
	}
	cr_assert_null(xform_enc_refusal(XFORM_ENCR_AES_GCM_ICV16));
	cr_assert_null(xform_integ_refusal(XFORM_AUTH_HMAC_SHA2_256_128));
}

Test(swan_xform, wrong_key_lengths_are_refused_with_the_lengths_expected)
{
	static const struct {
		uint16_t enc, integ;
		size_t enc_len, int_len;
		const char *why;
	} v[] = {
		{ 20, 1024, 16, 0, "20, 28 or 36 bytes (key and salt), got 16" }, /* salt missing */
		{ 28, 1024, 32, 0, "36 bytes (key and salt), got 32" },
		{ 12, 12, 20, 32, "cbc(aes) needs a key of 16, 24 or 32 bytes, got 20" },
		{ 12, 12, 16, 20, "hmac(sha256) needs a key of 32 bytes, got 20" },
		{ 11, 12, 4, 32, "ecb(cipher_null) needs a key of 0 bytes, got 4" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct xform_req r = req(v[i].enc, v[i].enc_len, v[i].integ, v[i].int_len);
		struct udpesp_ctl_sa sa = { 0 };
		char err[256] = "";

		cr_assert_eq(xform_algs(&r, &sa, err, sizeof(err)), -EINVAL, "case %zu: %s", i,
			     err);
		cr_assert(strstr(err, v[i].why), "case %zu: \"%s\" lacks \"%s\"", i, err, v[i].why);
	}
}

Test(swan_xform, lifetimes_soft_is_rekey_hard_is_life)
{
	struct xform_req r = req(20, 20, 1024, 0);
	struct udpesp_ctl_sa sa;

	r.time = (struct xform_limit){ .life = 3600, .rekey = 3240 };
	r.bytes = (struct xform_limit){ .life = 1ull << 40, .rekey = 1ull << 39 };
	r.packets = (struct xform_limit){ .life = 0, .rekey = 0 };
	expect_installable(&r, &sa);
	cr_assert_eq(sa.limits[UDPESP_LIMIT_TIME_SOFT], 3240);
	cr_assert_eq(sa.limits[UDPESP_LIMIT_TIME_HARD], 3600);
	cr_assert_eq(sa.limits[UDPESP_LIMIT_BYTE_SOFT], 1ull << 39);
	cr_assert_eq(sa.limits[UDPESP_LIMIT_BYTE_HARD], 1ull << 40);
	cr_assert_eq(sa.limits[UDPESP_LIMIT_PACKET_SOFT], 0, "0: no limit, as in charon");
	cr_assert_eq(sa.limits[UDPESP_LIMIT_PACKET_HARD], 0);
}

Test(swan_xform, direction_mode_replay_esn_tfc)
{
	struct xform_req r = req(20, 20, 1024, 0);
	struct udpesp_ctl_sa sa;

	r.esn = true;
	r.replay_window = 128;
	r.tfc = 1400;
	expect_installable(&r, &sa);
	cr_assert_eq(sa.dir, UDPESP_DIR_IN);
	cr_assert_eq(sa.mode, UDPESP_MODE_TUNNEL);
	cr_assert_eq(sa.encap, UDPESP_ENCAP_ESPINUDP);
	cr_assert_eq(sa.replay_window, 128);
	cr_assert_eq(sa.flags, UDPESP_CTL_SA_ESN);
	cr_assert_eq(sa.tfcpad, 0, "TFC padding is for what we send");

	/* charon proposes 32 outbound too: udpespd wants 0 there */
	r.inbound = false;
	r.replay_window = 32;
	r.mode = XFORM_MODE_TRANSPORT;
	expect_installable(&r, &sa);
	cr_assert_eq(sa.dir, UDPESP_DIR_OUT);
	cr_assert_eq(sa.mode, UDPESP_MODE_TRANSPORT);
	cr_assert_eq(sa.replay_window, 0);
	cr_assert_eq(sa.tfcpad, 1400);
	cr_assert_eq(sa.flags, UDPESP_CTL_SA_ESN);
}

/* One departure from charon's defaults per case. */
static void refusal_case(int i, struct xform_req *r)
{
	switch (i) {
	case 0:
		r->mode = XFORM_MODE_BEET;
		break;
	case 1:
		r->encap = false;
		break;
	case 2:
		r->ipcomp = 2;
		break;
	case 3:
		r->mark_value = 42;
		r->mark_mask = 0xff;
		break;
	case 4:
		r->id_mark_value = 7;
		r->id_mark_mask = ~0u;
		break;
	case 5:
		r->if_id = 9;
		break;
	case 6:
		r->label = true;
		break;
	case 7:
		r->hw_offload = XFORM_HW_OFFLOAD_YES;
		break;
	case 8:
		r->copy_df = false;
		break;
	case 9:
		r->copy_ecn = false;
		break;
	case 10:
		r->copy_dscp = XFORM_DSCP_YES;
		break;
	case 11:
		r->copy_dscp = XFORM_DSCP_NO;
		break;
	case 12:
		r->esn = true;
		r->replay_window = 0;
		break;
	case 13:
		r->replay_window = 5000;
		break;
	}
}

Test(swan_xform, what_udpesp_cannot_honour_is_refused_never_ignored)
{
	static const struct {
		const char *why;
	} v[] = {
		{ "mode 3 refused" },
		{ "without UDP encapsulation" },
		{ "IPComp transform 2 refused" },
		{ "mark 0x2a/0xff refused" },
		{ "mark 0x7/0xffffffff refused" },
		{ "if_id 9 refused" },
		{ "security label refused" },
		{ "hw_offload=yes refused" },
		{ "copy_df=no refused" },
		{ "copy_ecn=no refused" },
		{ "copy_dscp other than out" },
		{ "copy_dscp other than out" },
		{ "ESN with replay_window 0" },
		{ "replay_window 5000 refused" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct xform_req r = req(20, 20, 1024, 0);
		struct udpesp_ctl_sa sa = { 0 };
		char err[256] = "";

		refusal_case((int)i, &r);
		cr_assert_eq(xform_sa(&r, &sa, err, sizeof(err)), -EOPNOTSUPP, "case %zu: %s", i,
			     err);
		cr_assert(strstr(err, v[i].why), "case %zu: \"%s\" lacks \"%s\"", i, err, v[i].why);
		cr_assert_eq(sa.aead.key_len, 0, "case %zu: no key copied on refusal", i);
	}

	/* hw_offload=auto means "if there is any": there is none, so it passes */
	{
		struct xform_req r = req(20, 20, 1024, 0);
		struct udpesp_ctl_sa sa;

		r.hw_offload = XFORM_HW_OFFLOAD_AUTO;
		expect_installable(&r, &sa);
	}
}

static int merge4(struct udpesp_ctl_addr *sel, const char *addr, uint8_t len)
{
	__be32 a;

	inet_pton(AF_INET, addr, &a);
	return xform_sel_merge(sel, UDPESP_AF_INET, &a, len);
}

static void expect_sel(const struct udpesp_ctl_addr *sel, const char *addr, uint8_t len)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(sel->family == UDPESP_AF_INET ? AF_INET : AF_INET6, sel->addr, buf, sizeof(buf));
	cr_assert_str_eq(buf, addr);
	cr_assert_eq(sel->prefixlen, len, "%s/%u, want /%u", buf, sel->prefixlen, len);
}

/* Several traffic selectors on one side: udpesp's one prefix covers them all. */
Test(swan_xform, selectors_merge_into_the_covering_prefix)
{
	struct udpesp_ctl_addr sel = { 0 };
	struct in6_addr v6;

	cr_assert_eq(merge4(&sel, "203.0.113.77", 24), 0);
	expect_sel(&sel, "203.0.113.0", 24);
	cr_assert_eq(merge4(&sel, "203.0.113.130", 25), 0);
	expect_sel(&sel, "203.0.113.0", 24);
	cr_assert_eq(merge4(&sel, "198.51.100.0", 24), 0);
	expect_sel(&sel, "192.0.0.0", 4); /* 203 = 1100 1011, 198 = 1100 0110 */
	cr_assert_eq(merge4(&sel, "0.0.0.0", 0), 0);
	expect_sel(&sel, "0.0.0.0", 0);

	memset(&sel, 0, sizeof(sel));
	cr_assert_eq(merge4(&sel, "192.0.2.1", 32), 0);
	expect_sel(&sel, "192.0.2.1", 32);
	cr_assert_eq(merge4(&sel, "192.0.2.1", 32), 0);
	expect_sel(&sel, "192.0.2.1", 32);
	cr_assert_eq(merge4(&sel, "192.0.2.2", 32), 0);
	expect_sel(&sel, "192.0.2.0", 30);

	inet_pton(AF_INET6, "2001:db8::1", &v6);
	cr_assert_eq(xform_sel_merge(&sel, UDPESP_AF_INET6, &v6, 128), -EAFNOSUPPORT);
	memset(&sel, 0, sizeof(sel));
	cr_assert_eq(xform_sel_merge(&sel, UDPESP_AF_INET6, &v6, 64), 0);
	expect_sel(&sel, "2001:db8::", 64);
	cr_assert_eq(xform_sel_merge(&sel, 7, &v6, 64), -EAFNOSUPPORT);
}

static struct xform_ts ts4(const char *addr, uint8_t len, uint8_t proto, uint16_t from, uint16_t to)
{
	struct xform_ts t = { .family = UDPESP_AF_INET,
			      .prefixlen = len,
			      .exact = true,
			      .proto = proto,
			      .from_port = from,
			      .to_port = to };

	inet_pton(AF_INET, addr, t.addr);
	return t;
}

static struct xform_ts ts6(const char *addr, uint8_t len)
{
	struct xform_ts t = {
		.family = UDPESP_AF_INET6, .prefixlen = len, .exact = true, .to_port = 0xffff
	};

	inet_pton(AF_INET6, addr, t.addr);
	return t;
}

/* One selector per pair of traffic selectors, as charon's one policy per pair. */
Test(swan_xform, selectors_one_per_pair)
{
	struct xform_ts src[3] = { ts4("203.0.113.0", 24, 0, 0, 0xffff),
				   ts4("198.51.100.0", 25, 0, 0, 0xffff), ts6("2001:db8:a::", 48) };
	struct xform_ts dst[2] = { ts4("192.0.2.0", 24, 0, 0, 0xffff), ts6("2001:db8:b::", 48) };
	struct udpesp_ctl_sa sa = { 0 };
	unsigned int notes;

	cr_assert_eq(xform_sels(src, 3, dst, 2, &sa, &notes), 0);
	cr_assert_eq(sa.nsel, 3, "two IPv4 pairs and one IPv6 pair, no mixed ones");
	expect_sel(&sa.sel[0].src, "203.0.113.0", 24);
	expect_sel(&sa.sel[0].dst, "192.0.2.0", 24);
	expect_sel(&sa.sel[1].src, "198.51.100.0", 25);
	expect_sel(&sa.sel[1].dst, "192.0.2.0", 24);
	expect_sel(&sa.sel[2].src, "2001:db8:a::", 48);
	expect_sel(&sa.sel[2].dst, "2001:db8:b::", 48);
	cr_expect_eq(notes, 0);
	for (int i = 0; i < 3; i++)
		cr_expect(!sa.sel[i].proto && !sa.sel[i].sport_hi && !sa.sel[i].dport_hi);

	/* None: any packet. */
	cr_assert_eq(xform_sels(NULL, 0, NULL, 0, &sa, &notes), 0);
	cr_expect_eq(sa.nsel, 0);
	/* Pairs that cannot match a packet: refused, never widened to any. */
	cr_assert_eq(xform_sels(&src[2], 1, dst, 1, &sa, &notes), -EINVAL);
}

Test(swan_xform, selectors_protocol_and_ports)
{
	struct xform_ts src[2] = { ts4("203.0.113.0", 24, 6, 0, 0xffff),
				   ts4("203.0.113.0", 24, 17, 5060, 5060) };
	struct xform_ts dst[2] = { ts4("192.0.2.10", 32, 6, 443, 443),
				   ts4("192.0.2.10", 32, 0, 0, 0xffff) };
	struct udpesp_ctl_sa sa = { 0 };
	unsigned int notes;

	cr_assert_eq(xform_sels(src, 2, dst, 2, &sa, &notes), 0);
	/* tcp x tcp/443, tcp x any, udp/5060 x any (udp x tcp matches nothing). */
	cr_assert_eq(sa.nsel, 3);
	cr_expect(sa.sel[0].proto == 6 && sa.sel[0].dport_lo == 443 && sa.sel[0].dport_hi == 443);
	cr_expect(!sa.sel[0].sport_lo && !sa.sel[0].sport_hi);
	cr_expect(sa.sel[1].proto == 6 && !sa.sel[1].dport_hi);
	cr_expect(sa.sel[2].proto == 17 && sa.sel[2].sport_lo == 5060 &&
		  sa.sel[2].sport_hi == 5060 && !sa.sel[2].dport_hi);
	cr_expect_eq(notes, 0);

	/* ICMP type/code, and ports without a protocol, are widened and said. */
	src[0] = ts4("203.0.113.0", 24, 1, 0x0800, 0x08ff);
	cr_assert_eq(xform_sels(src, 1, &dst[1], 1, &sa, &notes), 0);
	cr_expect(sa.nsel == 1 && sa.sel[0].proto == 1 && !sa.sel[0].sport_hi);
	cr_expect_eq(notes, XFORM_SEL_ICMP);
	src[0] = ts4("203.0.113.0", 24, 0, 80, 80);
	cr_assert_eq(xform_sels(src, 1, &dst[1], 1, &sa, &notes), 0);
	cr_expect(sa.nsel == 1 && !sa.sel[0].proto && !sa.sel[0].sport_hi);
	cr_expect_eq(notes, XFORM_SEL_PORTS);
	/* A range that is not a subnet: its covering subnet, said. */
	src[0] = ts4("203.0.113.0", 24, 0, 0, 0xffff);
	src[0].exact = false;
	cr_assert_eq(xform_sels(src, 1, &dst[1], 1, &sa, &notes), 0);
	cr_expect_eq(notes, XFORM_SEL_RANGE);
}

/* Over UDPESP_SEL_MAX pairs: the covering prefix per family and side. */
Test(swan_xform, selectors_too_many_pairs_merge)
{
	struct xform_ts src[3], dst[3];
	struct udpesp_ctl_sa sa = { 0 };
	unsigned int notes;

	src[0] = ts4("203.0.113.0", 26, 0, 0, 0xffff);
	src[1] = ts4("203.0.113.64", 26, 0, 0, 0xffff);
	src[2] = ts4("203.0.113.128", 26, 6, 0, 0xffff);
	dst[0] = ts4("192.0.2.0", 26, 0, 0, 0xffff);
	dst[1] = ts4("192.0.2.64", 26, 0, 0, 0xffff);
	dst[2] = ts4("192.0.2.192", 26, 0, 0, 0xffff);
	cr_assert_eq(xform_sels(src, 3, dst, 3, &sa, &notes), 0);
	cr_expect(notes & XFORM_SEL_MERGED);
	cr_assert_eq(sa.nsel, 1);
	expect_sel(&sa.sel[0].src, "203.0.113.0", 24);
	expect_sel(&sa.sel[0].dst, "192.0.2.0", 24);
	cr_expect_eq(sa.sel[0].proto, 0);
}
