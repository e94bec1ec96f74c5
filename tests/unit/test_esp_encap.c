// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * esp_encap() against implementations udpesp did not write, for every
 * suite sa_check() offers:
 *
 * - tests/unit/check_esp_encap.py: Scapy's SecurityAssociation.decrypt()
 *   and python-cryptography (from the RFCs, GMAC and ESN HMACs included)
 *   decrypt what esp_encap() wrote, and check SPI, sequence number, IV,
 *   padding, trailer and TFC bytes;
 * - tshark decrypts the packets, wrapped by esp_encap_outer() in IPv4 and
 *   IPv6 / UDP 4500 in a pcap, and marks every ICV correct (the suites
 *   tshark 4.0 knows: AES-GCM, AES-CBC and NULL with HMAC-SHA-2);
 * - esp_decap() takes each packet back, inside the frame udpesp_xdp
 *   would redirect, and delivers the inner packet byte for byte.
 *
 * Then the rules no other implementation checks: sequence numbers unique
 * across threads and never past 2^32 - 1 (2^64 - 1 with ESN), soft
 * expiry once, CBC IVs that never repeat, padding for every length,
 * TFC padding and its limits, MTU arithmetic, RFC 6040 ECN, outer
 * headers, and refusals that leave everything as it was.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include <udpesp/csum.h>
#include <udpesp/ecn.h>
#include <udpesp/replay.h>
#include "esp/esp_decap.h"
#include "common/sa_check.h"
#include "esp/esp_encap.h"
#include "udpespd/sa_esp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUF_MAX 4096
#define OFF 128 /* inner packets start here: Ethernet, outer IP, UDP, ESP */
#define SPI 0x2001
#define PYTHON "/usr/bin/python3"
#define TSHARK "/usr/bin/tshark"

/* Every suite sa_check() offers, in the names the Python side knows. */
struct suite_def {
	const char *name;
	const char *kind; /* check_esp_encap.py: gcm[8|12] ccm[8|12] chacha gmac cbc ctr null */
	const char *hash; /* sha256 sha384 sha512 sha1 xcbc; NULL for AEAD */
	const char *alg;  /* Linux name: aead, or enc with hash */
	__u32 key_len;	  /* aead: key + salt; enc: key (+ CTR's nonce) */
	const char *tshark_enc; /* tshark 4.0's name; NULL: it has none */
	__u32 icv_bits;		/* aead: 64, 96 or 128 */
};

static const struct suite_def suites[] = {
	{ "gcm128", "gcm", NULL, "rfc4106(gcm(aes))", 20, "AES-GCM with 16 octet ICV [RFC4106]",
	  128 },
	{ "gcm192", "gcm", NULL, "rfc4106(gcm(aes))", 28, "AES-GCM with 16 octet ICV [RFC4106]",
	  128 },
	{ "gcm256", "gcm", NULL, "rfc4106(gcm(aes))", 36, "AES-GCM with 16 octet ICV [RFC4106]",
	  128 },
	{ "gcm128_icv8", "gcm8", NULL, "rfc4106(gcm(aes))", 20,
	  "AES-GCM with 8 octet ICV [RFC4106]", 64 },
	{ "gcm256_icv8", "gcm8", NULL, "rfc4106(gcm(aes))", 36,
	  "AES-GCM with 8 octet ICV [RFC4106]", 64 },
	{ "gcm128_icv12", "gcm12", NULL, "rfc4106(gcm(aes))", 20,
	  "AES-GCM with 12 octet ICV [RFC4106]", 96 },
	{ "gcm192_icv12", "gcm12", NULL, "rfc4106(gcm(aes))", 28,
	  "AES-GCM with 12 octet ICV [RFC4106]", 96 },
	{ "ccm128", "ccm", NULL, "rfc4309(ccm(aes))", 19, NULL, 128 },
	{ "ccm192_icv8", "ccm8", NULL, "rfc4309(ccm(aes))", 27, NULL, 64 },
	{ "ccm256_icv12", "ccm12", NULL, "rfc4309(ccm(aes))", 35, NULL, 96 },
	{ "ccm192", "ccm", NULL, "rfc4309(ccm(aes))", 27, NULL, 128 },
	{ "chacha", "chacha", NULL, "rfc7539esp(chacha20,poly1305)", 36, NULL, 128 },
	{ "gmac128", "gmac", NULL, "rfc4543(gcm(aes))", 20, NULL, 128 },
	{ "gmac192", "gmac", NULL, "rfc4543(gcm(aes))", 28, NULL, 128 },
	{ "gmac256", "gmac", NULL, "rfc4543(gcm(aes))", 36, NULL, 128 },
	{ "cbc128_sha256", "cbc", "sha256", "cbc(aes)", 16, "AES-CBC [RFC3602]", 0 },
	{ "cbc192_sha384", "cbc", "sha384", "cbc(aes)", 24, "AES-CBC [RFC3602]", 0 },
	{ "cbc256_sha512", "cbc", "sha512", "cbc(aes)", 32, "AES-CBC [RFC3602]", 0 },
	{ "cbc128_sha1", "cbc", "sha1", "cbc(aes)", 16, "AES-CBC [RFC3602]", 0 },
	{ "cbc256_xcbc", "cbc", "xcbc", "cbc(aes)", 32, NULL, 0 },
	{ "ctr128_sha1", "ctr", "sha1", "rfc3686(ctr(aes))", 20, "AES-CTR [RFC3686]", 0 },
	{ "ctr192_sha256", "ctr", "sha256", "rfc3686(ctr(aes))", 28, "AES-CTR [RFC3686]", 0 },
	{ "ctr256_sha512", "ctr", "sha512", "rfc3686(ctr(aes))", 36, "AES-CTR [RFC3686]", 0 },
	{ "ctr128_xcbc", "ctr", "xcbc", "rfc3686(ctr(aes))", 20, NULL, 0 },
	{ "null_sha256", "null", "sha256", "ecb(cipher_null)", 0, "NULL", 0 },
	{ "null_sha384", "null", "sha384", "ecb(cipher_null)", 0, "NULL", 0 },
	{ "null_sha512", "null", "sha512", "ecb(cipher_null)", 0, "NULL", 0 },
	{ "null_sha1", "null", "sha1", "ecb(cipher_null)", 0, "NULL", 0 },
	{ "null_xcbc", "null", "xcbc", "ecb(cipher_null)", 0, NULL, 0 },
};

static const struct suite_def *suite_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		if (!strcmp(suites[i].name, name))
			return &suites[i];
	cr_assert_fail("no suite %s", name);
	return NULL;
}

static __u32 hash_key_len(const char *h)
{
	return !strcmp(h, "sha256") ? 32 :
	       !strcmp(h, "sha384") ? 48 :
	       !strcmp(h, "sha512") ? 64 :
	       !strcmp(h, "sha1")   ? 20 :
				      16;
}

/* RFC 4868 truncates to half the hash; RFC 2404 and 3566 to 96 bits. */
static __u32 hash_bits(const char *h)
{
	return !strcmp(h, "sha1") || !strcmp(h, "xcbc") ? 96 : hash_key_len(h) * 4;
}

static const char *tshark_auth(const char *h)
{
	return !strcmp(h, "sha256") ? "HMAC-SHA-256-128 [RFC4868]" :
	       !strcmp(h, "sha384") ? "HMAC-SHA-384-192 [RFC4868]" :
	       !strcmp(h, "sha1")   ? "HMAC-SHA-1-96 [RFC2404]" :
				      "HMAC-SHA-512-256 [RFC4868]";
}

/* Addresses: documentation ranges only. */
#define LOCAL4 "192.0.2.1"
#define PEER4 "198.51.100.7"
#define LOCAL6 "2001:db8::1"
#define PEER6 "2001:db8:1::7"
#define IN_SRC4 "203.0.113.10"
#define IN_DST4 "203.0.113.50"
#define IN_SRC6 "2001:db8:3::10"
#define IN_DST6 "2001:db8:4::50"

/* ---- packets, built here without udpesp's code ---- */

static void put16(__u8 *p, unsigned int v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static unsigned int get16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static void addr(void *dst, const char *s)
{
	cr_assert(inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, dst) == 1, "%s", s);
}

/* The IPv4 header checksum of a 20-byte header, put in place. */
static void ip_csum(__u8 *ip)
{
	__u16 c;

	ip[10] = ip[11] = 0;
	c = udpesp_csum(ip, 20);
	memcpy(ip + 10, &c, 2);
}

/* TCP/UDP checksum over the pseudo-header (RFC 768, 793, 8200 8.1). */
static void l4_csum(__u8 *ip, size_t hl, size_t len, bool v6)
{
	__u8 proto = v6 ? ip[6] : ip[9];
	__u8 *l4 = ip + hl;
	size_t seg = len - hl;
	int off = proto == IPPROTO_UDP ? 6 : proto == IPPROTO_TCP ? 16 : -1;
	__u64 sum;
	__u16 c;

	if (off < 0 || seg < (size_t)off + 2)
		return;
	put16(l4 + off, 0);
	sum = udpesp_csum_pseudo(v6 ? ip + 8 : ip + 12, v6 ? 16 : 4, proto, (__u16)seg);
	c = (__u16)~udpesp_csum_fold(udpesp_csum_add(sum, l4, (__u32)seg));
	if (proto == IPPROTO_UDP && !c)
		c = 0xffff;
	memcpy(l4 + off, &c, 2);
}

/* The L4 header (UDP or TCP when it fits) and a payload pattern. */
static void fill_l4(__u8 *l4, size_t seg, __u8 proto, unsigned int seed)
{
	for (size_t i = 0; i < seg; i++)
		l4[i] = (__u8)(i * 7 + seed);
	if (proto == IPPROTO_UDP && seg >= 8) {
		put16(l4, 40000);
		put16(l4 + 2, 9); /* discard: nothing for tshark to misparse */
		put16(l4 + 4, (unsigned int)seg);
	} else if (proto == IPPROTO_TCP && seg >= 20) {
		put16(l4, 40001);
		put16(l4 + 2, 443);
		l4[12] = 5 << 4; /* data offset */
		l4[13] = 0x18;	 /* PSH ACK */
	}
}

/*
 * An IPv4 packet of len bytes (20 or more), TTL 64 and ID 0x1234 as
 * esp_encap_outer() writes them in these tests, so that a transport
 * packet comes back from esp_decap() as it went in.
 */
static size_t ipv4_packet(__u8 *p, size_t len, __u8 proto, __u8 tos, bool df, const char *src,
			  const char *dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[1] = tos;
	put16(p + 2, (unsigned int)len);
	put16(p + 4, 0x1234);
	put16(p + 6, df ? 0x4000 : 0);
	p[8] = 64;
	p[9] = proto;
	addr(p + 12, src);
	addr(p + 16, dst);
	fill_l4(p + 20, len - 20, proto, (unsigned int)len);
	l4_csum(p, 20, len, false);
	ip_csum(p);
	return len;
}

static size_t ipv6_packet(__u8 *p, size_t len, __u8 nh, __u8 tclass, const char *src,
			  const char *dst)
{
	memset(p, 0, 40);
	p[0] = (__u8)(0x60 | tclass >> 4);
	p[1] = (__u8)(tclass << 4);
	put16(p + 4, (unsigned int)(len - 40));
	p[6] = nh;
	p[7] = 64;
	addr(p + 8, src);
	addr(p + 24, dst);
	fill_l4(p + 40, len - 40, nh, (unsigned int)len);
	l4_csum(p, 40, len, true);
	return len;
}

static bool ipv4_csum_ok(const __u8 *ip)
{
	return udpesp_csum(ip, (ip[0] & 15) * 4u) == 0;
}

/* ---- SAs ---- */

/* One outbound SA with its thread state, and the inbound twin. */
struct tx {
	const struct suite_def *d;
	struct udpesp_ctl_sa cfg;
	struct esp_suite suite;
	struct esp_crypto_thread *ct;
	struct esp_encap_thread *t;
	struct esp_encap_sa sa;
	/* the same keys as an inbound SA, for esp_decap() */
	struct esp_suite rx_suite;
	struct esp_decap_sa rx;
	struct udpesp_replay replay;
};

static void ctl_alg(struct udpesp_ctl_alg *a, const char *name, __u32 len, __u32 bits, __u8 seed)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->name, name);
	a->key_len = len;
	a->bits = bits;
	for (__u32 i = 0; i < len; i++)
		a->key[i] = (__u8)(seed + 29 * i);
}

/*
 * mode, outer family (UDPESP_AF_*), ESN, last sequence number used,
 * tfcpad; through sa_check() as udpespd gets it.
 */
static void tx_setup(struct tx *c, const struct suite_def *d, __u8 mode, __u8 family, bool esn,
		     __u64 oseq, __u32 tfcpad)
{
	struct udpesp_ctl_sa *s = &c->cfg, in;
	struct esp_encap_params p;
	char err[UDPESP_CTL_ERRMSG_MAX];
	bool v6 = family == UDPESP_AF_INET6;
	const __u8 *key, *akey;

	memset(c, 0, sizeof(*c));
	c->d = d;
	s->dir = UDPESP_DIR_OUT;
	s->mode = mode;
	s->encap = UDPESP_ENCAP_ESPINUDP;
	s->spi = htonl(SPI);
	s->src.family = s->dst.family = family;
	s->src.prefixlen = s->dst.prefixlen = v6 ? 128 : 32;
	addr(s->src.addr, v6 ? LOCAL6 : LOCAL4);
	addr(s->dst.addr, v6 ? PEER6 : PEER4);
	s->encap_sport = htons(4500);
	s->encap_dport = htons(4500);
	s->flags = esn ? UDPESP_CTL_SA_ESN : 0;
	s->replay_oseq = (__u32)oseq;
	s->replay_oseq_hi = (__u32)(oseq >> 32);
	s->tfcpad = tfcpad;
	if (d->hash) {
		char auth[32];

		if (!strcmp(d->hash, "xcbc"))
			snprintf(auth, sizeof(auth), "xcbc(aes)");
		else
			snprintf(auth, sizeof(auth), "hmac(%s)", d->hash);
		ctl_alg(&s->enc, d->alg, d->key_len, 0, 0x31);
		ctl_alg(&s->auth, auth, hash_key_len(d->hash), hash_bits(d->hash), 0x47);
	} else {
		ctl_alg(&s->aead, d->alg, d->key_len, d->icv_bits, 0x31);
	}
	cr_assert_eq(sa_check(s, &c->suite, err, sizeof(err)), 0, "%s: %s", d->name, err);
	key = d->hash ? s->enc.key : s->aead.key;
	akey = d->hash ? s->auth.key : NULL;
	c->ct = esp_crypto_thread_new();
	cr_assert_not_null(c->ct);
	c->t = esp_encap_thread_new(c->ct);
	cr_assert_not_null(c->t);
	sa_esp_encap_params(&p, s);
	esp_encap_sa_init(&c->sa, &p, &c->suite,
			  esp_crypto_new(&c->suite, d->key_len ? key : NULL, akey));
	cr_assert_not_null(c->sa.crypto, "%s", d->name);

	/* The peer's inbound SA: the same keys, a window to check against. */
	in = *s;
	in.dir = UDPESP_DIR_IN;
	in.replay_window = 128;
	in.replay_oseq = in.replay_oseq_hi = 0;
	in.tfcpad = 0;
	cr_assert_eq(sa_check(&in, &c->rx_suite, err, sizeof(err)), 0, "%s", err);
	c->rx.suite = &c->rx_suite;
	c->rx.crypto = esp_crypto_new(&c->rx_suite, d->key_len ? key : NULL, akey);
	cr_assert_not_null(c->rx.crypto);
	c->rx.replay = &c->replay;
	c->rx.mode = mode;
	c->rx.esn = esn;
	c->replay.window = 128;
}

static void tx_teardown(struct tx *c)
{
	esp_crypto_free(c->sa.crypto);
	esp_crypto_free(c->rx.crypto);
	esp_encap_thread_free(c->t);
	esp_crypto_thread_free(c->ct);
}

static const __u8 *tx_key(const struct tx *c)
{
	return c->d->hash ? c->cfg.enc.key : c->cfg.aead.key;
}

/* The inner packets of the tests, by kind. */
enum inner_kind {
	IN_V4_UDP, /* IPv4, UDP */
	IN_V6_UDP, /* IPv6, UDP */
	IN_V4_TCP, /* IPv4, TCP */
	IN_V6_TCP, /* IPv6, TCP */
	IN_V4_RAW, /* IPv4, protocol 253 (RFC 3692), any length from 20 */
	IN_V6_RAW, /* IPv6, next header 253, any length from 40 */
};

static bool kind_v6(enum inner_kind k)
{
	return k == IN_V6_UDP || k == IN_V6_TCP || k == IN_V6_RAW;
}

/*
 * Tunnel mode carries packets between the inner networks; transport
 * mode packets travel between the SA's own addresses.
 */
static size_t inner_packet(const struct tx *c, __u8 *p, enum inner_kind k, size_t len, __u8 tos,
			   bool df)
{
	bool tun = c->sa.mode == UDPESP_MODE_TUNNEL;
	__u8 proto = k == IN_V4_UDP || k == IN_V6_UDP ? IPPROTO_UDP :
		     k == IN_V4_TCP || k == IN_V6_TCP ? IPPROTO_TCP :
							253;

	if (kind_v6(k))
		return ipv6_packet(p, len, proto, tos, tun ? IN_SRC6 : LOCAL6,
				   tun ? IN_DST6 : PEER6);
	return ipv4_packet(p, len, proto, tos, df, tun ? IN_SRC4 : LOCAL4, tun ? IN_DST4 : PEER4);
}

static enum esp_encap_verdict encap(struct tx *c, __u8 *buf, size_t len, size_t max_esp,
				    struct esp_encap_out *o)
{
	memset(o, 0xa5, sizeof(*o));
	return esp_encap(&c->sa, c->t, buf, BUF_MAX, OFF, len, max_esp, o);
}

static void encap_ok(struct tx *c, __u8 *buf, size_t len, struct esp_encap_out *o)
{
	enum esp_encap_verdict v = encap(c, buf, len, 0, o);

	cr_assert_eq(v, ESP_ENCAP_OK, "%s: %s", c->d->name, esp_encap_verdict_name(v));
}

/* ESP bytes for p bytes of payload, from RFC 4303 2.4 directly. */
static size_t esp_bytes(const struct esp_suite *s, size_t p)
{
	size_t pad = (s->block - (p + 2) % s->block) % s->block;

	return 8 + s->iv_len + p + pad + 2 + s->icv_len;
}

/*
 * The frame udpesp_xdp would redirect: Ethernet, then the outer headers
 * from esp_encap_outer() in front of the ESP packet.
 */
static __u8 *frame_of(struct tx *c, __u8 *buf, const struct esp_encap_out *o, size_t *flen,
		      struct udpesp_xdp_meta *m)
{
	bool v6 = c->sa.dst.family == UDPESP_AF_INET6;
	size_t hl = v6 ? 40 : 20;
	long l3 = esp_encap_outer(&c->sa, o, buf, 64, 0x1234);
	__u8 *f;

	cr_assert_geq(l3, 14, "%s: outer headers at %ld", c->d->name, l3);
	cr_assert_eq((size_t)l3, o->esp_off - hl - 8);
	f = buf + l3 - 14;
	memset(f, 0, 12);
	f[0] = 0x02, f[11] = 0x01;
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	memset(m, 0, sizeof(*m));
	m->magic = UDPESP_META_MAGIC;
	m->l3_off = 14;
	m->l4_off = (__u16)(14 + hl);
	m->esp_off = (__u16)(14 + hl + 8);
	m->family = c->sa.dst.family;
	*flen = 14 + hl + 8 + o->esp_len;
	return f;
}

/*
 * esp_decap() takes the packet back and delivers inner exactly: tunnel
 * mode the packet itself, transport mode the outer header rebuilt into
 * the inner one (the same TTL, ID, TOS and DF as esp_encap_outer() got).
 */
static void decap_back(struct tx *c, __u8 *buf, const struct esp_encap_out *o, const __u8 *inner,
		       size_t inner_len, const char *what)
{
	struct udpesp_xdp_meta m;
	struct esp_decap_out d;
	enum udpesp_decap_verdict v;
	size_t flen;
	__u8 *f = frame_of(c, buf, o, &flen, &m);

	/* The window just below, so ESN infers the high half. */
	memset(&c->replay, 0, sizeof(c->replay));
	c->replay.window = 128;
	c->replay.top = o->seq - 1;
	v = esp_decap(&c->rx, c->ct, f, flen, &m, &d);
	cr_assert_eq(v, UDPESP_DECAP_OK, "%s %s: esp_decap %s", c->d->name, what,
		     udpesp_decap_verdict_name(v));
	cr_assert_eq(d.seq, o->seq, "%s %s", c->d->name, what);
	cr_assert_eq(d.esp_len, o->esp_len);
	cr_assert_eq(d.next_header, o->next_header);
	cr_assert_eq(d.inner_len, inner_len, "%s %s: %u bytes back, sent %zu", c->d->name, what,
		     d.inner_len, inner_len);
	cr_assert_eq(memcmp(f + d.inner_off, inner, inner_len), 0, "%s %s: inner packet differs",
		     c->d->name, what);
}

TestSuite(esp_encap);

Test(esp_encap, verdict_names)
{
	for (int i = 0; i < ESP_ENCAP_VERDICT_MAX; i++) {
		cr_assert_str_neq(esp_encap_verdict_name(i), "unknown", "%d", i);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(esp_encap_verdict_name(i), esp_encap_verdict_name(j));
	}
	cr_assert_str_eq(esp_encap_verdict_name(ESP_ENCAP_VERDICT_MAX), "unknown");
	cr_assert_str_eq(esp_encap_verdict_name((enum esp_encap_verdict) - 1), "unknown");
	errno = 0;
	cr_assert_null(esp_encap_thread_new(NULL));
	cr_assert_eq(errno, EINVAL);
	esp_encap_thread_free(NULL);
}

/* ---- round trips through esp_decap() ---- */

static const struct rt_case {
	const char *name;
	__u8 mode, outer;
	enum inner_kind kind;
	size_t lens[3];
} rt_cases[] = {
#define T UDPESP_MODE_TUNNEL
#define P UDPESP_MODE_TRANSPORT
#define V4 UDPESP_AF_INET
#define V6 UDPESP_AF_INET6
	{ "tunnel 4in4", T, V4, IN_V4_UDP, { 28, 333, 1400 } },
	{ "tunnel 6in4", T, V4, IN_V6_TCP, { 60, 401, 1400 } },
	{ "tunnel 4in6", T, V6, IN_V4_TCP, { 40, 77, 1400 } },
	{ "tunnel 6in6", T, V6, IN_V6_UDP, { 48, 999, 1400 } },
	{ "transport v4 udp", P, V4, IN_V4_UDP, { 28, 129, 1400 } },
	{ "transport v4 tcp", P, V4, IN_V4_TCP, { 40, 555, 1400 } },
	{ "transport v6 udp", P, V6, IN_V6_UDP, { 48, 250, 1400 } },
	{ "transport v6 tcp", P, V6, IN_V6_TCP, { 60, 61, 1400 } },
#undef T
#undef P
#undef V4
#undef V6
};

/* Three packets of one case on a fresh SA, each back through esp_decap(). */
static void round_trip(const struct suite_def *d, const struct rt_case *rc, bool esn)
{
	__u64 start = esn ? 0xfffffffeULL : 0;
	size_t hl = kind_v6(rc->kind) ? 40 : 20;
	struct tx c;

	tx_setup(&c, d, rc->mode, rc->outer, esn, start, 0);
	for (int l = 0; l < 3; l++) {
		__u8 buf[BUF_MAX], inner[BUF_MAX];
		struct esp_encap_out o;
		size_t len, pl;

		memset(buf, 0xcc, sizeof(buf));
		len = inner_packet(&c, buf + OFF, rc->kind, rc->lens[l], 0, true);
		memcpy(inner, buf + OFF, len);
		encap_ok(&c, buf, len, &o);
		cr_assert_eq(o.seq, start + l + 1);
		pl = rc->mode == UDPESP_MODE_TUNNEL ? len : len - hl;
		cr_assert_eq(o.esp_len, esp_bytes(&c.suite, pl));
		if (rc->mode == UDPESP_MODE_TRANSPORT) {
			/* The header moved in front of ESP, unchanged. */
			cr_assert_eq(o.hdr_len, hl);
			cr_assert_eq(o.hdr_off + hl, o.esp_off);
			cr_assert_eq(memcmp(buf + o.hdr_off, inner, hl), 0);
		}
		/* Nothing written outside the packet. */
		for (size_t b = 0; b < BUF_MAX; b++)
			if (b < (o.hdr_len ? o.hdr_off : o.esp_off) || b >= o.esp_off + o.esp_len)
				cr_assert_eq(buf[b], 0xcc, "%s: byte %zu written", rc->name, b);
		decap_back(&c, buf, &o, inner, len, rc->name);
	}
	tx_teardown(&c);
}

/*
 * Every suite, mode and family, ESN off and on (on: numbers across
 * 2^32, so the high half goes into the ICV and the window infers it).
 */
Test(esp_encap, round_trip_every_suite_through_esp_decap)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		for (size_t k = 0; k < ARRAY_SIZE(rt_cases); k++) {
			round_trip(&suites[i], &rt_cases[k], false);
			round_trip(&suites[i], &rt_cases[k], true);
		}
	cr_log_info("%zu packets round-tripped", ARRAY_SIZE(suites) * ARRAY_SIZE(rt_cases) * 2 * 3);
}

/* ---- the Python side: Scapy and python-cryptography ---- */

static void hex(FILE *f, const __u8 *p, size_t n)
{
	if (!n)
		fputc('-', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* One line for check_esp_encap.py. */
static void record(FILE *f, const struct tx *c, const char *tag, const __u8 *buf,
		   const struct esp_encap_out *o, const __u8 *payload, size_t plen, size_t tfc,
		   bool v6)
{
	fprintf(f, "%s/%s/%s %s %s ", c->d->name, tag, v6 ? "v6" : "v4", c->d->kind,
		c->d->hash ? c->d->hash : "-");
	hex(f, tx_key(c), c->d->key_len);
	fputc(' ', f);
	hex(f, c->cfg.auth.key, c->d->hash ? hash_key_len(c->d->hash) : 0);
	fprintf(f, " 0x%x %d %llu %s %u ", SPI, c->sa.esn, (unsigned long long)o->seq,
		c->sa.mode == UDPESP_MODE_TUNNEL ? "tunnel" : "transport", o->next_header);
	hex(f, payload, plen);
	fprintf(f, " %zu ", tfc);
	hex(f, buf + o->esp_off, o->esp_len);
	fputc('\n', f);
}

/* The directory of tests/unit, from the source path or the binary's. */
static void script_path(char *out, size_t n, const char *name)
{
	char exe[4096];
	ssize_t r;
	char *slash;

	snprintf(out, n, "tests/unit/%s", name);
	if (!access(out, R_OK))
		return;
	/* build/tests/unit_tests -> build/tests -> build -> the repository */
	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(r, 0);
	exe[r] = '\0';
	for (int i = 0; i < 3 && (slash = strrchr(exe, '/')); i++)
		*slash = '\0';
	snprintf(out, n, "%s/tests/unit/%s", exe, name);
	cr_assert_eq(access(out, R_OK), 0, "%s not found", name);
}

/* A private directory for files that hold (test) keys. */
static void private_dir(char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/udpesp-encap-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void remove_dir(const char *dir, const char *const *files, size_t n)
{
	char p[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Runs cmd; returns its exit status, output in out. */
static int run(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	size_t got = 0, r;
	int st;

	cr_assert_not_null(p, "%s", cmd);
	while (got < n - 1 && (r = fread(out + got, 1, n - 1 - got, p)) > 0)
		got += r;
	out[got] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The packets check_esp_encap.py gets from one suite; returns the count. */
static unsigned int scapy_records(FILE *f, const struct suite_def *d)
{
	unsigned int n = 0;

	for (int esn = 0; esn < 2; esn++) {
		/* ESN: high half 1, the low half about to wrap. */
		__u64 start = esn ? 0x1fffffff0ULL : 0xffffff00ULL;
		struct tx c;
		__u8 buf[BUF_MAX], pl[BUF_MAX];
		struct esp_encap_out o;
		size_t len;

		/* Transport: every payload length from 0 to two blocks + 1. */
		tx_setup(&c, d, UDPESP_MODE_TRANSPORT, UDPESP_AF_INET, esn, start, 0);
		for (size_t p = 0; p <= 2u * c.suite.block + 1; p++, n++) {
			len = inner_packet(&c, buf + OFF, IN_V4_RAW, 20 + p, 0, false);
			memcpy(pl, buf + OFF + 20, p);
			encap_ok(&c, buf, len, &o);
			record(f, &c, "transport-len", buf, &o, pl, p, 0, false);
		}
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 300, 0, false);
		memcpy(pl, buf + OFF + 20, 280);
		encap_ok(&c, buf, len, &o);
		record(f, &c, "transport-udp", buf, &o, pl, 280, 0, false);
		n++;
		tx_teardown(&c);

		tx_setup(&c, d, UDPESP_MODE_TRANSPORT, UDPESP_AF_INET6, esn, start, 0);
		len = inner_packet(&c, buf + OFF, IN_V6_TCP, 500, 0, false);
		memcpy(pl, buf + OFF + 40, 460);
		encap_ok(&c, buf, len, &o);
		record(f, &c, "transport-tcp", buf, &o, pl, 460, 0, true);
		n++;
		tx_teardown(&c);

		/* Tunnel: IPv4 inner of every length mod block, IPv6 inner. */
		tx_setup(&c, d, UDPESP_MODE_TUNNEL, UDPESP_AF_INET, esn, start, 0);
		for (size_t l = 20; l <= 20 + 2u * c.suite.block + 1; l++, n++) {
			__u8 inner[BUF_MAX];

			len = inner_packet(&c, buf + OFF, IN_V4_RAW, l, 0, false);
			memcpy(inner, buf + OFF, len);
			encap_ok(&c, buf, len, &o);
			record(f, &c, "tunnel-len", buf, &o, inner, len, 0, false);
		}
		for (size_t l = 40; l < 1500; l += 683, n++) {
			__u8 inner[BUF_MAX];

			len = inner_packet(&c, buf + OFF, IN_V6_UDP, l < 48 ? 48 : l, 0, false);
			memcpy(inner, buf + OFF, len);
			encap_ok(&c, buf, len, &o);
			record(f, &c, "tunnel-v6", buf, &o, inner, len, 0, true);
		}
		tx_teardown(&c);

		/* TFC: 60 bytes padded to 301 (RFC 4303 2.7). */
		tx_setup(&c, d, UDPESP_MODE_TUNNEL, UDPESP_AF_INET6, esn, start, 301);
		{
			__u8 inner[BUF_MAX];

			len = inner_packet(&c, buf + OFF, IN_V4_UDP, 60, 0, false);
			memcpy(inner, buf + OFF, len);
			encap_ok(&c, buf, len, &o);
			record(f, &c, "tunnel-tfc", buf, &o, inner, len, 301 - 60, false);
			n++;
		}
		tx_teardown(&c);
	}
	return n;
}

Test(esp_encap, scapy_and_cryptography_decrypt_every_suite, .timeout = 300)
{
	static const char *const files[] = { "records" };
	char dir[64], path[128], script[4200], cmd[8600], out[8192];
	unsigned int n = 0, checked = 0;
	const char *line;
	FILE *f;
	int st;

	cr_assert_eq(access(PYTHON, X_OK), 0, "%s missing (make deps)", PYTHON);
	script_path(script, sizeof(script), "check_esp_encap.py");
	private_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/records", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		n += scapy_records(f, &suites[i]);
	cr_assert_eq(fclose(f), 0);

	snprintf(cmd, sizeof(cmd), "%s %s %s 2>&1", PYTHON, script, path);
	st = run(cmd, out, sizeof(out));
	remove_dir(dir, files, ARRAY_SIZE(files));
	line = strstr(out, "checked ");
	if (line)
		checked = (unsigned int)strtoul(line + 8, NULL, 10);
	cr_assert_eq(st, 0, "check_esp_encap.py: exit %d\n%s", st, out);
	cr_assert_eq(checked, n, "checked %u of %u records\n%s", checked, n, out);
	cr_log_info("Scapy and python-cryptography checked %u packets", n);
}

/* ---- tshark ---- */

static void pcap_put(FILE *f, const __u8 *frame, size_t len, unsigned int i)
{
	__u32 h[4] = { 1700000000u + i, 0, (__u32)len, (__u32)len };

	cr_assert_eq(fwrite(h, sizeof(h), 1, f), 1);
	cr_assert_eq(fwrite(frame, len, 1, f), 1);
}

/*
 * tshark decrypts UDP 4500 ESP in IPv4 and IPv6 with the SAs in an
 * esp_sa UAT file (in a private configuration directory, so no key is
 * on a command line), checks every ICV and shows the inner packet; it
 * also verifies the outer checksums esp_encap_outer() wrote. tshark 4.0
 * has no ChaCha20-Poly1305, GMAC or ESN: those are left out here.
 */
Test(esp_encap, tshark_decrypts_and_verifies_icv, .timeout = 120)
{
	static const char *const files[] = { "esp.pcap", "esp_sa" };
	static const __u32 pcap_hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	char dir[64], path[160], cmd[1024];
	static char out[65536];
	unsigned int frames = 0, spi_n = 0, good = 0;
	FILE *pcap, *uat;
	char *save, *l;
	int st;

	if (access(TSHARK, X_OK))
		cr_skip_test("%s not installed (make deps)", TSHARK);
	private_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/esp.pcap", dir);
	pcap = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/esp_sa", dir);
	uat = fopen(path, "w");
	cr_assert(pcap && uat);
	cr_assert_eq(fwrite(pcap_hdr, sizeof(pcap_hdr), 1, pcap), 1);

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		const struct suite_def *d = &suites[i];

		if (!d->tshark_enc)
			continue;
		for (int v6 = 0; v6 < 2; v6++) {
			__u8 family = v6 ? UDPESP_AF_INET6 : UDPESP_AF_INET;
			__u32 spi = 0x3000 + (__u32)(i * 2 + v6);
			struct tx c;

			tx_setup(&c, d, UDPESP_MODE_TUNNEL, family, false, 0, 0);
			c.sa.spi = htonl(spi);
			fprintf(uat, "\"%s\",\"*\",\"*\",\"0x%08x\",\"%s\",\"",
				v6 ? "IPv6" : "IPv4", spi, d->tshark_enc);
			if (d->key_len) {
				fputs("0x", uat);
				hex(uat, tx_key(&c), d->key_len);
			}
			fprintf(uat, "\",\"%s\",\"", d->hash ? tshark_auth(d->hash) : "NULL");
			if (d->hash) {
				fputs("0x", uat);
				hex(uat, c.cfg.auth.key, hash_key_len(d->hash));
			}
			fputs("\"\n", uat);
			spi_n++;
			/* Two packets each, one of each inner family. */
			for (int k = 0; k < 2; k++) {
				__u8 buf[BUF_MAX];
				struct esp_encap_out o;
				struct udpesp_xdp_meta m;
				size_t len, flen;
				__u8 *fr;

				len = inner_packet(&c, buf + OFF, k ? IN_V6_UDP : IN_V4_UDP,
						   100 + 37 * k + i, 0, false);
				encap_ok(&c, buf, len, &o);
				fr = frame_of(&c, buf, &o, &flen, &m);
				pcap_put(pcap, fr, flen, frames++);
			}
			tx_teardown(&c);
		}
	}
	cr_assert_eq(fclose(pcap), 0);
	cr_assert_eq(fclose(uat), 0);

	snprintf(cmd, sizeof(cmd),
		 "WIRESHARK_CONFIG_DIR=%s %s -n -r %s/esp.pcap "
		 "-o esp.enable_encryption_decode:TRUE "
		 "-o esp.enable_authentication_check:TRUE "
		 "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-T fields -E separator=';' -e frame.number -e esp.icv_good "
		 "-e esp.icv_bad -e esp.protocol -e ip.dst -e ipv6.dst "
		 "-e udp.dstport -e ip.checksum.status -e udp.checksum.status "
		 "2>&1",
		 dir, TSHARK, dir);
	st = run(cmd, out, sizeof(out));
	remove_dir(dir, files, ARRAY_SIZE(files));
	cr_assert_eq(st, 0, "tshark: exit %d\n%s", st, out);

	/*
	 * One line per frame (odd frames: IPv4 inner; frames 4k+3, 4k+4:
	 * IPv6 outer): the ICV good and not bad; the inner packet decoded
	 * after the outer headers, down to its UDP port 9; IP header
	 * checksums good (1); the outer UDP checksum absent (3) over IPv4
	 * and good (1) over IPv6, the inner one good.
	 */
	for (l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char f[9][128] = {};
		char *p = l, *q;
		unsigned int nr;
		bool in6, out6;
		int nf = 0;

		while (nf < 9 && p) {
			q = strchr(p, ';');
			if (q)
				*q = '\0';
			snprintf(f[nf++], sizeof(f[0]), "%s", p);
			p = q ? q + 1 : NULL;
		}
		nr = (unsigned int)strtoul(f[0], NULL, 10);
		if (nf < 9 || !nr)
			continue; /* not a frame line (a warning) */
		in6 = !(nr & 1);
		out6 = ((nr - 1) / 2) & 1;
		cr_assert_str_eq(f[1], "1", "frame %u: ICV not good: %s", nr, l);
		cr_assert_str_eq(f[2], "0", "frame %u: ICV bad", nr);
		cr_assert_str_eq(f[3], in6 ? "0x29" : "0x04", "frame %u", nr);
		cr_assert(strstr(in6 ? f[5] : f[4], in6 ? IN_DST6 : IN_DST4),
			  "frame %u: no inner packet: %s", nr, l);
		cr_assert_str_eq(f[6], "4500,9", "frame %u: UDP ports %s", nr, f[6]);
		cr_assert_str_eq(f[7], out6 ? (in6 ? "" : "1") : (in6 ? "1" : "1,1"),
				 "frame %u: IPv4 checksum status %s", nr, f[7]);
		cr_assert_str_eq(f[8], out6 ? "1,1" : "3,1", "frame %u: UDP checksum status %s", nr,
				 f[8]);
		good++;
	}
	cr_assert_eq(good, frames, "%u of %u frames verified\n%s", good, frames, out);
	cr_log_info("tshark: %u frames of %u SAs, every ICV correct", frames, spi_n);
}

/* ---- padding, lengths, next header ---- */

/*
 * Decrypt a copy with the backend (tested against published vectors)
 * and read the trailer: pad bytes 1, 2, 3 ..., the fewest that align
 * payload + 2 to the block; the payload as it went in.
 */
static void check_trailer(struct tx *c, const __u8 *buf, const struct esp_encap_out *o,
			  const __u8 *payload, size_t plen, __u8 nh)
{
	const struct esp_suite *s = &c->suite;
	size_t ct = o->esp_len - 8 - s->iv_len - s->icv_len, pad;
	__u8 copy[BUF_MAX], *pt = copy + 8 + s->iv_len;

	memcpy(copy, buf + o->esp_off, o->esp_len);
	cr_assert_eq(esp_crypto_decrypt(c->rx.crypto, c->ct, copy, o->esp_len, c->sa.esn,
					(__u32)(o->seq >> 32)),
		     0, "%s", c->d->name);
	pad = (s->block - (plen + 2) % s->block) % s->block;
	cr_assert_eq(ct, plen + pad + 2, "%s: payload %zu, %zu bytes", c->d->name, plen, ct);
	cr_assert_eq(ct % s->block, 0);
	cr_assert_eq(pt[ct - 2], pad, "%s: pad length", c->d->name);
	cr_assert_eq(pt[ct - 1], nh);
	for (size_t i = 0; i < pad; i++)
		cr_assert_eq(pt[plen + i], i + 1, "%s: pad byte %zu", c->d->name, i);
	cr_assert_eq(memcmp(pt, payload, plen), 0);
	cr_assert_eq(get32(copy), SPI);
	cr_assert_eq(get32(copy + 4), (__u32)o->seq);
}

Test(esp_encap, padding_for_every_length)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct tx c;

		tx_setup(&c, &suites[i], UDPESP_MODE_TRANSPORT, UDPESP_AF_INET, false, 0, 0);
		for (size_t p = 0; p <= 2u * c.suite.block; p++) {
			__u8 buf[BUF_MAX], payload[64];
			struct esp_encap_out o;
			size_t len = inner_packet(&c, buf + OFF, IN_V4_RAW, 20 + p, 0, false);

			memcpy(payload, buf + OFF + 20, p);
			encap_ok(&c, buf, len, &o);
			cr_assert_eq(o.hdr_len, 20);
			cr_assert_eq(o.hdr_off + 20, o.esp_off);
			cr_assert_eq(o.next_header, 253);
			check_trailer(&c, buf, &o, payload, p, 253);
		}
		tx_teardown(&c);

		tx_setup(&c, &suites[i], UDPESP_MODE_TUNNEL, UDPESP_AF_INET6, true, 0, 0);
		for (size_t l = 40; l <= 40 + 2u * c.suite.block; l++) {
			__u8 buf[BUF_MAX], inner[128];
			struct esp_encap_out o;
			size_t len = inner_packet(&c, buf + OFF, IN_V6_RAW, l, 0, false);

			memcpy(inner, buf + OFF, len);
			encap_ok(&c, buf, len, &o);
			cr_assert_eq(o.esp_off, OFF - 8 - c.suite.iv_len);
			cr_assert_eq(o.hdr_len, 0);
			check_trailer(&c, buf, &o, inner, len, IPPROTO_IPV6);
		}
		tx_teardown(&c);
	}
}

/* Bytes after the inner packet's own length are not sent. */
Test(esp_encap, bytes_after_the_inner_packet_dropped)
{
	struct tx c;
	__u8 buf[BUF_MAX], inner[256];
	struct esp_encap_out o;
	size_t len;

	tx_setup(&c, &suites[0], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, false, 0, 0);
	len = inner_packet(&c, buf + OFF, IN_V4_UDP, 100, 0, false);
	memcpy(inner, buf + OFF, len);
	memset(buf + OFF + len, 0xee, 30);
	encap_ok(&c, buf, len + 30, &o);
	cr_assert_eq(o.esp_len, esp_bytes(&c.suite, 100));
	decap_back(&c, buf, &o, inner, len, "trailing bytes");
	tx_teardown(&c);
}

/* ---- sequence numbers ---- */

Test(esp_encap, exhaustion_at_2_32_without_esn)
{
	struct tx c;
	__u8 buf[BUF_MAX], before[BUF_MAX];
	struct esp_encap_out o;
	size_t len;

	tx_setup(&c, &suites[0], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, false, 0xfffffffeULL, 0);
	len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);
	encap_ok(&c, buf, len, &o);
	cr_assert_eq(o.seq, 0xffffffffULL, "2^32 - 1 is the last number sent");
	cr_assert_eq(get32(buf + o.esp_off + 4), 0xffffffffu);
	cr_assert_eq(c.sa.oseq, 0xffffffffULL);

	for (int i = 0; i < 3; i++) {
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);
		memcpy(before, buf, BUF_MAX);
		cr_assert_eq(encap(&c, buf, len, 0, &o), ESP_ENCAP_SEQ_EXHAUSTED);
		cr_assert_eq(memcmp(before, buf, BUF_MAX), 0, "buffer changed");
		cr_assert_eq(c.sa.oseq, 0xffffffffULL, "the counter moved on");
	}
	tx_teardown(&c);
}

/*
 * A sender whose high-water mark is not stored yet takes no number past
 * oseq_limit and changes nothing; once the limit is raised it goes on
 * from the next number (issue 16: no number sent twice across restarts).
 */
Test(esp_encap, stops_at_the_reserved_limit)
{
	struct tx c;
	__u8 buf[BUF_MAX], before[BUF_MAX];
	struct esp_encap_out o;
	size_t len;

	tx_setup(&c, &suites[0], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, false, 100, 0);
	cr_assert_eq(c.sa.oseq_limit, 0xffffffffULL, "init: the whole space");
	c.sa.oseq_limit = 101;
	len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);
	encap_ok(&c, buf, len, &o);
	cr_assert_eq(o.seq, 101);
	len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);
	memcpy(before, buf, BUF_MAX);
	cr_assert_eq(encap(&c, buf, len, 0, &o), ESP_ENCAP_SEQ_UNRESERVED);
	cr_assert_eq(memcmp(before, buf, BUF_MAX), 0, "buffer changed");
	cr_assert_eq(c.sa.oseq, 101, "a number was taken past the limit");
	c.sa.oseq_limit = 200;
	encap_ok(&c, buf, len, &o);
	cr_assert_eq(o.seq, 102);
	tx_teardown(&c);
}

Test(esp_encap, exhaustion_at_2_64_with_esn)
{
	struct tx c;
	__u8 buf[BUF_MAX];
	struct esp_encap_out o;
	size_t len;

	tx_setup(&c, suite_named("chacha"), UDPESP_MODE_TUNNEL, UDPESP_AF_INET, true, ~0ULL - 1, 0);
	len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);
	encap_ok(&c, buf, len, &o);
	cr_assert_eq(o.seq, ~0ULL);
	/* The IV is the whole number: all ones. */
	for (int i = 0; i < 8; i++)
		cr_assert_eq(buf[o.esp_off + 8 + i], 0xff);
	len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);
	cr_assert_eq(encap(&c, buf, len, 0, &o), ESP_ENCAP_SEQ_EXHAUSTED);
	cr_assert_eq(encap(&c, buf, len, 0, &o), ESP_ENCAP_SEQ_EXHAUSTED);
	cr_assert_eq(c.sa.oseq, ~0ULL, "the counter wrapped");
	tx_teardown(&c);
}

/*
 * ESN: past 2^32 - 1 the low half on the wire starts again at 0 and the
 * high half goes into the ICV only; decrypting with another high half
 * fails. Without ESN the same number would have been refused.
 */
Test(esp_encap, esn_high_half_carried)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct tx c;
		__u8 buf[BUF_MAX], copy[BUF_MAX];
		struct esp_encap_out o;
		size_t len;

		tx_setup(&c, &suites[i], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, true, 0xffffffffULL,
			 0);
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 90, 0, false);
		encap_ok(&c, buf, len, &o);
		cr_assert_eq(o.seq, 1ULL << 32);
		cr_assert_eq(get32(buf + o.esp_off + 4), 0, "%s: seq lo", suites[i].name);
		memcpy(copy, buf + o.esp_off, o.esp_len);
		cr_assert_eq(esp_crypto_decrypt(c.rx.crypto, c.ct, copy, o.esp_len, true, 0),
			     -EBADMSG, "%s: verifies without the high half", suites[i].name);
		cr_assert_eq(esp_crypto_decrypt(c.rx.crypto, c.ct, copy, o.esp_len, true, 1), 0,
			     "%s", suites[i].name);
		tx_teardown(&c);
	}
}

#define SEQ_THREADS 4
#define SEQ_PACKETS 20000

struct seq_worker {
	struct tx *c;
	__u64 *seqs; /* SEQ_PACKETS numbers this worker got */
	unsigned int ok, exhausted, soft, bad;
	pthread_barrier_t *start;
};

static void *seq_work(void *arg)
{
	struct seq_worker *w = arg;
	struct esp_crypto_thread *ct = esp_crypto_thread_new();
	struct esp_encap_thread *t = esp_encap_thread_new(ct);
	__u8 buf[BUF_MAX], tmpl[128];
	size_t len;

	pthread_barrier_wait(w->start);
	if (!t) {
		w->bad = SEQ_PACKETS;
		return NULL;
	}
	len = inner_packet(w->c, tmpl, IN_V4_UDP, 64, 0, false);
	for (int i = 0; i < SEQ_PACKETS; i++) {
		struct esp_encap_out o;
		enum esp_encap_verdict v;

		memcpy(buf + OFF, tmpl, len); /* encrypted in place last time */
		v = esp_encap(&w->c->sa, t, buf, BUF_MAX, OFF, len, 0, &o);
		if (v == ESP_ENCAP_SEQ_EXHAUSTED) {
			w->exhausted++;
			continue;
		}
		if (v != ESP_ENCAP_OK || get32(buf + o.esp_off + 4) != (__u32)o.seq ||
		    get32(buf + o.esp_off + 12) != (__u32)o.seq ||
		    get32(buf + o.esp_off + 8) != (__u32)(o.seq >> 32)) {
			w->bad++;
			continue;
		}
		w->seqs[w->ok++] = o.seq;
		w->soft += o.soft_expire;
	}
	esp_encap_thread_free(t);
	esp_crypto_thread_free(ct);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * SEQ_THREADS threads send on one SA from start: returns how many
 * numbers were given, checks they are exactly start + 1 ... in some
 * order (each once), and counts soft-expiry reports.
 */
static unsigned int seq_race(bool esn, __u64 start, unsigned int *soft)
{
	struct seq_worker w[SEQ_THREADS];
	pthread_t th[SEQ_THREADS];
	pthread_barrier_t barrier;
	__u64 *all = calloc(SEQ_THREADS * SEQ_PACKETS, sizeof(*all));
	unsigned int n = 0;
	struct tx c;

	cr_assert_not_null(all);
	tx_setup(&c, &suites[0], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, esn, start, 0);
	pthread_barrier_init(&barrier, NULL, SEQ_THREADS);
	for (int k = 0; k < SEQ_THREADS; k++) {
		w[k] = (struct seq_worker){ .c = &c, .start = &barrier };
		w[k].seqs = all + k * SEQ_PACKETS;
		cr_assert_eq(pthread_create(&th[k], NULL, seq_work, &w[k]), 0);
	}
	*soft = 0;
	for (int k = 0; k < SEQ_THREADS; k++) {
		pthread_join(th[k], NULL);
		cr_assert_eq(w[k].bad, 0, "worker %d: %u bad packets", k, w[k].bad);
		*soft += w[k].soft;
	}
	pthread_barrier_destroy(&barrier);
	/* Compact, sort, and every number from start + 1 exactly once. */
	for (int k = 0; k < SEQ_THREADS; k++) {
		memmove(all + n, w[k].seqs, w[k].ok * sizeof(*all));
		n += w[k].ok;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	for (unsigned int i = 0; i < n; i++)
		cr_assert_eq(all[i], start + 1 + i, "number %llu given %s",
			     (unsigned long long)(start + 1 + i),
			     all[i] > start + 1 + i ? "never" : "twice");
	cr_assert_eq(c.sa.oseq, start + n);
	free(all);
	tx_teardown(&c);
	return n;
}

Test(esp_encap, seq_unique_across_threads, .timeout = 120)
{
	unsigned int soft;

	cr_assert_eq(seq_race(false, 0, &soft), SEQ_THREADS * SEQ_PACKETS);
	cr_assert_eq(soft, 0);
	/* ESN, the low half wrapping while they race. */
	cr_assert_eq(seq_race(true, 0xffffffffULL - SEQ_PACKETS, &soft), SEQ_THREADS * SEQ_PACKETS);
	cr_assert_eq(soft, 0);
}

/* Threads racing into the end: exactly the numbers left, none twice. */
Test(esp_encap, exhaustion_race, .timeout = 120)
{
	unsigned int soft;

	cr_assert_eq(seq_race(false, 0xffffffffULL - 1000, &soft), 1000);
	cr_assert_eq(soft, 1, "soft expiry reported %u times", soft);
	cr_assert_eq(seq_race(true, ~0ULL - 1000, &soft), 1000);
	cr_assert_eq(soft, 1);
}

/* Racing across the soft threshold: one report, for a number past it. */
Test(esp_encap, soft_expiry_race, .timeout = 120)
{
	unsigned int soft;

	cr_assert_eq(seq_race(false, esp_seq_soft(false) - 5000, &soft), SEQ_THREADS * SEQ_PACKETS);
	cr_assert_eq(soft, 1, "soft expiry reported %u times", soft);
}

Test(esp_encap, soft_expiry_once)
{
	static const struct {
		bool esn;
		__u64 start;
		int first; /* packet (from 1) that reports, 0 = none */
	} cases[] = {
		{ false, 0xe0000000ULL - 3, 3 },
		{ false, 0xe0000000ULL + 100, 1 }, /* started past it */
		{ false, 0, 0 },
		{ true, 0xe000000000000000ULL - 2, 2 },
		{ true, 0xffffffffULL, 0 }, /* 2^32 is nothing with ESN */
	};

	cr_assert_eq(esp_seq_soft(false), 0xe0000000ULL);
	cr_assert_eq(esp_seq_soft(true), 0xe000000000000000ULL);
	cr_assert_eq(esp_seq_max(false), 0xffffffffULL);
	cr_assert_eq(esp_seq_max(true), ~0ULL);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tx c;

		tx_setup(&c, suite_named("cbc128_sha256"), UDPESP_MODE_TUNNEL, UDPESP_AF_INET,
			 cases[i].esn, cases[i].start, 0);
		for (int p = 1; p <= 6; p++) {
			__u8 buf[BUF_MAX];
			struct esp_encap_out o;
			size_t len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);

			encap_ok(&c, buf, len, &o);
			cr_assert_eq(o.soft_expire, p == cases[i].first,
				     "case %zu packet %d (seq %llx)", i, p,
				     (unsigned long long)o.seq);
		}
		tx_teardown(&c);
	}
}

/* ---- IVs ---- */

static int cmp_iv(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

#define CBC_IVS 3000 /* more than ten batches of random bytes */

/* AES-CBC: IVs never repeat, over batches, threads and SAs. */
Test(esp_encap, cbc_ivs_never_repeat)
{
	static __u8 ivs[2 * CBC_IVS][16];
	struct esp_encap_thread *t2;
	struct tx c;
	size_t n = 0;

	tx_setup(&c, suite_named("cbc128_sha256"), UDPESP_MODE_TUNNEL, UDPESP_AF_INET, false, 0, 0);
	t2 = esp_encap_thread_new(c.ct);
	cr_assert_not_null(t2);
	for (int i = 0; i < 2 * CBC_IVS; i++) {
		__u8 buf[BUF_MAX], inner[256];
		struct esp_encap_out o;
		enum esp_encap_verdict v;
		size_t len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64 + i % 50, 0, false);

		memcpy(inner, buf + OFF, len);
		/* Two thread states alternating: their batches differ too. */
		v = esp_encap(&c.sa, i & 1 ? t2 : c.t, buf, BUF_MAX, OFF, len, 0, &o);
		cr_assert_eq(v, ESP_ENCAP_OK);
		memcpy(ivs[n++], buf + o.esp_off + 8, 16);
		if (i % 500 == 0)
			decap_back(&c, buf, &o, inner, len, "cbc");
	}
	qsort(ivs, n, 16, cmp_iv);
	for (size_t i = 1; i < n; i++)
		cr_assert_neq(memcmp(ivs[i - 1], ivs[i], 16), 0, "IV repeated");
	esp_encap_thread_free(t2);
	tx_teardown(&c);
}

/*
 * The IV of the counter modes is the sequence number, so that it never
 * repeats under the key (RFC 4106 3.1, 4309 3.1, 4543 3.1, 7634 2,
 * 3686 3.1): the AEADs and AES-CTR.
 */
Test(esp_encap, aead_iv_is_the_sequence_number)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct tx c;
		__u8 buf[BUF_MAX];
		struct esp_encap_out o;
		size_t len;

		if (suites[i].hash && strcmp(suites[i].kind, "ctr"))
			continue;
		tx_setup(&c, &suites[i], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, true, 0x123456789aULL,
			 0);
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 64, 0, false);
		encap_ok(&c, buf, len, &o);
		cr_assert_eq(o.seq, 0x123456789bULL);
		cr_assert_eq(get32(buf + o.esp_off + 8), 0x12);
		cr_assert_eq(get32(buf + o.esp_off + 12), 0x3456789b);
		tx_teardown(&c);
	}
}

/* ---- TFC padding ---- */

Test(esp_encap, tfc_padding_and_its_limits)
{
	struct tx c;
	__u8 buf[BUF_MAX], inner[256];
	struct esp_encap_out o;
	size_t len, p;

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		const struct esp_suite *s;

		tx_setup(&c, &suites[i], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, false, 0, 1000);
		s = &c.suite;
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 100, 0, false);
		memcpy(inner, buf + OFF, len);
		encap_ok(&c, buf, len, &o);
		cr_assert_eq(o.esp_len, esp_bytes(s, 1000), "%s", suites[i].name);
		decap_back(&c, buf, &o, inner, len, "tfc");

		/* The path allows less: as much as fits, no more. */
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 100, 0, false);
		cr_assert_eq(encap(&c, buf, len, 500, &o), ESP_ENCAP_OK);
		cr_assert_leq(o.esp_len, 500);
		for (p = 0; esp_bytes(s, p) <= 500; p++)
			;
		cr_assert_eq(o.esp_len, esp_bytes(s, p - 1), "%s: %u bytes", suites[i].name,
			     o.esp_len);
		decap_back(&c, buf, &o, inner, len, "tfc to the MTU");

		/* So does the buffer. */
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 100, 0, false);
		cr_assert_eq(esp_encap(&c.sa, c.t, buf, OFF + 400, OFF, len, 0, &o), ESP_ENCAP_OK);
		cr_assert_leq(o.esp_off + o.esp_len, OFF + 400);
		cr_assert_gt(o.esp_off + o.esp_len + s->block, OFF + 400);
		decap_back(&c, buf, &o, inner, len, "tfc to the buffer");

		/* A packet longer than tfcpad is not padded. */
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 1200, 0, false);
		encap_ok(&c, buf, len, &o);
		cr_assert_eq(o.esp_len, esp_bytes(s, 1200));
		tx_teardown(&c);

		/* Transport mode: no TFC (TCP could not tell where it ends). */
		tx_setup(&c, &suites[i], UDPESP_MODE_TRANSPORT, UDPESP_AF_INET, false, 0, 1000);
		len = inner_packet(&c, buf + OFF, IN_V4_TCP, 100, 0, false);
		encap_ok(&c, buf, len, &o);
		cr_assert_eq(o.esp_len, esp_bytes(s, 80));
		tx_teardown(&c);
	}
}

/* ---- MTU ---- */

/*
 * One suite, mode and outer family: the inner MTU is exact (a packet of
 * that size fits the outer MTU, one byte more is refused with that MTU
 * in out->inner_mtu), and the overhead bound holds and is met.
 */
static void mtu_exact(const struct suite_def *d, __u8 mode, bool v6)
{
	static const unsigned int mtus[] = { 576, 1280, 1420, 1500, 9000 };
	static __u8 buf[16384];
	__u8 fam = v6 ? UDPESP_AF_INET6 : UDPESP_AF_INET;
	enum inner_kind kind = v6 ? IN_V6_RAW : IN_V4_RAW;
	unsigned int hl = v6 ? 40 : 20, ov;
	size_t worst = 0;
	struct tx c;

	tx_setup(&c, d, mode, fam, false, 0, 0);
	ov = esp_encap_overhead(&c.suite, mode, fam);
	for (size_t m = 0; m < ARRAY_SIZE(mtus); m++) {
		unsigned int in = esp_encap_inner_mtu(&c.suite, mode, fam, mtus[m]);
		size_t max_esp = mtus[m] - hl - 8, len;
		struct esp_encap_out o;
		enum esp_encap_verdict v;

		cr_assert_geq(in + ov, mtus[m], "%s: overhead bound", d->name);
		len = inner_packet(&c, buf + OFF, kind, in, 0, false);
		v = esp_encap(&c.sa, c.t, buf, sizeof(buf), OFF, len, max_esp, &o);
		cr_assert_eq(v, ESP_ENCAP_OK, "%s mtu %u", d->name, mtus[m]);
		cr_assert_leq(o.esp_len, max_esp);
		len = inner_packet(&c, buf + OFF, kind, in + 1, 0, false);
		v = esp_encap(&c.sa, c.t, buf, sizeof(buf), OFF, len, max_esp, &o);
		cr_assert_eq(v, ESP_ENCAP_TOO_BIG);
		cr_assert_eq(o.inner_mtu, in, "%s mtu %u: %u, not %u", d->name, mtus[m],
			     o.inner_mtu, in);
	}
	/* Overhead: never more than the bound, and equal to it once. */
	for (size_t l = 100; l < 100 + 2u * c.suite.block; l++) {
		size_t pl = mode == UDPESP_MODE_TUNNEL ? l : l - hl;
		size_t o = esp_bytes(&c.suite, pl) + 8 + hl - l;

		cr_assert_leq(o, ov);
		if (o > worst)
			worst = o;
	}
	cr_assert_eq(worst, ov, "%s: overhead %u, worst seen %zu", d->name, ov, worst);
	tx_teardown(&c);
}

Test(esp_encap, mtu_helpers_exact)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++)
		for (int v6 = 0; v6 < 2; v6++) {
			mtu_exact(&suites[i], UDPESP_MODE_TUNNEL, v6);
			mtu_exact(&suites[i], UDPESP_MODE_TRANSPORT, v6);
		}
}

Test(esp_encap, mtu_known_values)
{
	struct tx c;

	/* AES-GCM-16 over IPv4: 1500 - 20 - 8 - 8 - 8 - 16 = 1440 = 1438 + 2. */
	tx_setup(&c, &suites[0], UDPESP_MODE_TUNNEL, UDPESP_AF_INET, false, 0, 0);
	cr_assert_eq(esp_encap_inner_mtu(&c.suite, UDPESP_MODE_TUNNEL, UDPESP_AF_INET, 1500), 1438);
	cr_assert_eq(esp_encap_overhead(&c.suite, UDPESP_MODE_TUNNEL, UDPESP_AF_INET),
		     20 + 8 + 8 + 8 + 3 + 2 + 16);
	cr_assert_eq(esp_encap_inner_mtu(&c.suite, UDPESP_MODE_TUNNEL, UDPESP_AF_INET, 40), 0);
	tx_teardown(&c);
	/* AES-CBC / SHA-256 over IPv6: 1500 - 48 - 24 - 16 = 1412 -> 1408 - 2. */
	tx_setup(&c, suite_named("cbc128_sha256"), UDPESP_MODE_TUNNEL, UDPESP_AF_INET6, false, 0,
		 0);
	cr_assert_eq(esp_encap_inner_mtu(&c.suite, UDPESP_MODE_TUNNEL, UDPESP_AF_INET6, 1500),
		     1406);
	cr_assert_eq(esp_encap_inner_mtu(&c.suite, UDPESP_MODE_TRANSPORT, UDPESP_AF_INET6, 1500),
		     1446);
	tx_teardown(&c);
}

/* ---- refusals ---- */

/* A refused packet: the verdict, and neither buffer nor SA changed. */
static void refused(struct tx *c, __u8 *buf, size_t size, size_t off, size_t len, size_t max_esp,
		    enum esp_encap_verdict want, const char *what)
{
	static __u8 before[BUF_MAX];
	__u64 oseq = c->sa.oseq;
	struct esp_encap_out o;
	enum esp_encap_verdict v;

	memcpy(before, buf, BUF_MAX);
	v = esp_encap(&c->sa, c->t, buf, size, off, len, max_esp, &o);
	cr_assert_eq(v, want, "%s: %s, expected %s", what, esp_encap_verdict_name(v),
		     esp_encap_verdict_name(want));
	cr_assert_eq(memcmp(before, buf, BUF_MAX), 0, "%s: buffer changed", what);
	cr_assert_eq(c->sa.oseq, oseq, "%s: a number was taken", what);
}

Test(esp_encap, refusals_change_nothing)
{
	static const __u8 transport_refused[] = { 0, 4, 41, 43, 44, 59 };
	struct tx c;
	__u8 buf[BUF_MAX];
	size_t len;

	tx_setup(&c, suite_named("cbc128_sha256"), UDPESP_MODE_TUNNEL, UDPESP_AF_INET, false, 7, 0);
#define V4(n) (len = inner_packet(&c, buf + OFF, IN_V4_UDP, (n), 0, false))
	V4(100), refused(&c, buf, BUF_MAX, 23, len, 0, ESP_ENCAP_NO_ROOM, "headroom");
	V4(100), refused(&c, buf, BUF_MAX, 0, len, 0, ESP_ENCAP_NO_ROOM, "off 0");
	V4(100), refused(&c, buf, OFF + 100 + 10, OFF, len, 0, ESP_ENCAP_NO_ROOM, "tailroom");
	V4(100), refused(&c, buf, OFF + 50, OFF, len, 0, ESP_ENCAP_NO_ROOM, "len past size");
	V4(100), refused(&c, buf, BUF_MAX, BUF_MAX + 1, 0, 0, ESP_ENCAP_NO_ROOM, "off past size");
	V4(100), refused(&c, buf, BUF_MAX, OFF, len, 100, ESP_ENCAP_TOO_BIG, "max_esp");
	V4(100), refused(&c, buf, BUF_MAX, OFF, 19, 0, ESP_ENCAP_INNER, "short");
	V4(100), refused(&c, buf, BUF_MAX, OFF, 0, 0, ESP_ENCAP_INNER, "empty");
	V4(100), refused(&c, buf, BUF_MAX, OFF, 99, 0, ESP_ENCAP_INNER, "IP length past len");
	V4(100), buf[OFF] = 0x44, refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "IHL 4");
	V4(100), buf[OFF] = 0x55,
		 refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "version 5");
	V4(100), put16(buf + OFF + 2, 19),
		refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "IP length 19");
	len = inner_packet(&c, buf + OFF, IN_V6_UDP, 100, 0, false);
	refused(&c, buf, BUF_MAX, OFF, 39, 0, ESP_ENCAP_INNER, "v6 short");
	refused(&c, buf, BUF_MAX, OFF, 99, 0, ESP_ENCAP_INNER, "v6 length past len");
	/* A selector of one family: the other is not this SA's. */
	c.suite.inner_family = UDPESP_AF_INET;
	refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "family");
	c.suite.inner_family = 0;
	c.sa.mode = 0;
	V4(100), refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "no mode");
	tx_teardown(&c);

	tx_setup(&c, &suites[0], UDPESP_MODE_TRANSPORT, UDPESP_AF_INET, false, 7, 0);
	V4(100), put16(buf + OFF + 6, 0x2000),
		refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "MF");
	V4(100), put16(buf + OFF + 6, 0x0001),
		refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "offset");
	for (size_t k = 0; k < ARRAY_SIZE(transport_refused); k++) {
		char what[32];

		snprintf(what, sizeof(what), "transport nh %u", transport_refused[k]);
		V4(100), buf[OFF + 9] = transport_refused[k];
		refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, what);
	}
	/* Transport mode keeps the family: an IPv6 packet cannot go. */
	len = inner_packet(&c, buf + OFF, IN_V6_UDP, 100, 0, false);
	refused(&c, buf, BUF_MAX, OFF, len, 0, ESP_ENCAP_INNER, "transport v6 on v4");
#undef V4
	tx_teardown(&c);
}

/* ---- ECN, DSCP, DF ---- */

/* udpesp/ecn.h against RFC 6040 Figure 4, rows inner Not-ECT, ECT(0), ECT(1), CE; -1 = drop. */
static const int rfc6040_fig4[4][4] = {
	/* outer: Not-ECT  ECT(0)  ECT(1)  CE */
	[UDPESP_ECN_NOT_ECT] = { 0, 0, 0, -1 },
	[UDPESP_ECN_ECT0] = { 2, 2, 1, 3 },
	[UDPESP_ECN_ECT1] = { 1, 1, 1, 3 },
	[UDPESP_ECN_CE] = { 3, 3, 3, 3 },
};
static const __u8 fig4_outer[4] = { UDPESP_ECN_NOT_ECT, UDPESP_ECN_ECT0, UDPESP_ECN_ECT1,
				    UDPESP_ECN_CE };

Test(esp_encap, ecn_decap_rfc6040_table)
{
	for (int in = 0; in < 4; in++)
		for (int o = 0; o < 4; o++)
			cr_assert_eq(udpesp_ecn_decap(fig4_outer[o], (__u8)in), rfc6040_fig4[in][o],
				     "inner %d outer %d", in, fig4_outer[o]);
	/* Only the ECN bits count: whole TOS bytes work too. */
	cr_assert_eq(udpesp_ecn_decap(0xb8 | UDPESP_ECN_CE, 0x28 | UDPESP_ECN_ECT0), UDPESP_ECN_CE);
}

Test(esp_encap, ecn_decap_packet)
{
	for (int in = 0; in < 4; in++)
		for (int o = 0; o < 4; o++) {
			__u8 p4[64], p6[80], orig4[64], orig6[80];
			int want = rfc6040_fig4[in][o];
			__u8 outer = (__u8)(0xa0 | fig4_outer[o]);

			ipv4_packet(p4, 64, IPPROTO_UDP, (__u8)(0xb8 | in), true, IN_SRC4, IN_DST4);
			ipv6_packet(p6, 80, IPPROTO_UDP, (__u8)(0xb8 | in), IN_SRC6, IN_DST6);
			memcpy(orig4, p4, 64);
			memcpy(orig6, p6, 80);
			cr_assert_eq(udpesp_ecn_decap_ip(outer, p4, 64), want < 0 ? -1 : 0);
			cr_assert_eq(udpesp_ecn_decap_ip(outer, p6, 80), want < 0 ? -1 : 0);
			if (want < 0) {
				cr_assert_eq(memcmp(p4, orig4, 64), 0);
				cr_assert_eq(memcmp(p6, orig6, 80), 0);
				continue;
			}
			cr_assert_eq(p4[1], 0xb8 | want, "v4 in %d out %d", in, o);
			cr_assert(ipv4_csum_ok(p4), "v4 checksum in %d out %d", in, o);
			cr_assert_eq(memcmp(p4 + 2, orig4 + 2, 8), 0);
			cr_assert_eq(memcmp(p4 + 12, orig4 + 12, 52), 0);
			/* Traffic class 0xb8|ecn across bytes 0 and 1. */
			cr_assert_eq(p6[0], 0x6b);
			cr_assert_eq(p6[1], (0x8 | want) << 4, "v6 in %d out %d", in, o);
			cr_assert_eq(memcmp(p6 + 2, orig6 + 2, 78), 0);
		}
	cr_assert_eq(udpesp_ecn_decap_ip(0, (__u8[40]){ 0x50 }, 40), -1);
	cr_assert_eq(udpesp_ecn_decap_ip(0, (__u8[40]){ 0x45 }, 19), -1);
}

/*
 * The decapsulation table applied by esp_decap() itself: a congestion
 * mark put on the outer header in transit (CE, the outer IPv4 checksum
 * mended as a router would) reaches the inner packet, for IPv4 and IPv6
 * outer and inner; CE over Not-ECT is dropped as UDPESP_DROP_ECN but takes
 * its sequence number, since the packet was authentic.
 */
Test(esp_encap, ecn_decap_in_esp_decap)
{
	static const struct {
		__u8 outer;
		enum inner_kind kind;
	} cases[] = { { UDPESP_AF_INET, IN_V4_UDP },
		      { UDPESP_AF_INET, IN_V6_UDP },
		      { UDPESP_AF_INET6, IN_V4_TCP },
		      { UDPESP_AF_INET6, IN_V6_TCP } };

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++)
		for (int in = 0; in < 4; in++)
			for (int o = 0; o < 4; o++) {
				int want = rfc6040_fig4[in][o];
				__u8 buf[BUF_MAX], inner[BUF_MAX];
				struct udpesp_xdp_meta m;
				struct esp_encap_out eo;
				struct esp_decap_out d;
				enum udpesp_decap_verdict v;
				size_t len, flen;
				struct tx c;
				__u8 *f, *l3;

				tx_setup(&c, &suites[0], UDPESP_MODE_TUNNEL, cases[k].outer, false,
					 0, 0);
				len = inner_packet(&c, buf + OFF, cases[k].kind, 200,
						   (__u8)(0x28 | in), true);
				memcpy(inner, buf + OFF, len);
				encap_ok(&c, buf, len, &eo);
				f = frame_of(&c, buf, &eo, &flen, &m);
				l3 = f + 14;
				/* A router on the way marks the outer header. */
				if (cases[k].outer == UDPESP_AF_INET) {
					l3[1] = (__u8)((l3[1] & ~3) | fig4_outer[o]);
					ip_csum(l3);
				} else {
					l3[1] = (__u8)((l3[1] & ~0x30) | fig4_outer[o] << 4);
				}
				memset(&c.replay, 0, sizeof(c.replay));
				c.replay.window = 64;
				v = esp_decap(&c.rx, c.ct, f, flen, &m, &d);
				if (want < 0) {
					cr_assert_eq(v, UDPESP_DROP_ECN,
						     "case %zu in %d out %d: %s", k, in, o,
						     udpesp_decap_verdict_name(v));
				} else {
					cr_assert_eq(v, UDPESP_DECAP_OK,
						     "case %zu in %d out %d: %s", k, in, o,
						     udpesp_decap_verdict_name(v));
					cr_assert_eq(udpesp_ecn_decap_ip(fig4_outer[o], inner, len),
						     0);
					cr_assert_eq(d.inner_len, len);
					cr_assert_eq(memcmp(f + d.inner_off, inner, len), 0,
						     "case %zu in %d out %d", k, in, o);
					if (kind_v6(cases[k].kind))
						cr_assert_eq((f[d.inner_off + 1] >> 4) & 3, want);
					else
						cr_assert(ipv4_csum_ok(f + d.inner_off));
				}
				/* Either way the number is used. */
				cr_assert_eq(c.replay.top, eo.seq);
				tx_teardown(&c);
			}
}

/*
 * Outer DSCP and ECN copied from the inner packet, CE too (RFC 6040 4.1
 * normal mode, RFC 4301 5.1.2.1); DF from IPv4, set for IPv6.
 */
Test(esp_encap, outer_tos_and_df)
{
	for (int mode = UDPESP_MODE_TUNNEL; mode <= UDPESP_MODE_TRANSPORT; mode++) {
		struct tx c4, c6;

		tx_setup(&c4, &suites[0], (__u8)mode, UDPESP_AF_INET, false, 0, 0);
		tx_setup(&c6, &suites[0], (__u8)mode, UDPESP_AF_INET6, false, 0, 0);
		for (int tos = 0; tos < 256; tos++) {
			__u8 buf[BUF_MAX];
			struct esp_encap_out o;
			size_t len;

			cr_assert_eq(esp_outer_tos((__u8)tos), tos);
			len = inner_packet(&c4, buf + OFF, IN_V4_UDP, 80, (__u8)tos, tos & 1);
			encap_ok(&c4, buf, len, &o);
			cr_assert_eq(o.tos, tos);
			cr_assert_eq(o.df, tos & 1, "DF copied");
			cr_assert_eq(o.inner_family, UDPESP_AF_INET);
			len = inner_packet(&c6, buf + OFF, IN_V6_UDP, 80, (__u8)tos, false);
			encap_ok(&c6, buf, len, &o);
			cr_assert_eq(o.tos, tos, "traffic class %x -> %x", tos, o.tos);
			cr_assert(o.df);
			cr_assert_eq(o.inner_family, UDPESP_AF_INET6);
		}
		tx_teardown(&c4);
		tx_teardown(&c6);
	}
}

/* ---- outer headers ---- */

Test(esp_encap, outer_headers)
{
	for (int v6 = 0; v6 < 2; v6++) {
		__u8 fam = v6 ? UDPESP_AF_INET6 : UDPESP_AF_INET;
		size_t hl = v6 ? 40 : 20;
		__u8 buf[BUF_MAX], a[16];
		struct esp_encap_out o;
		struct tx c;
		size_t len;
		long l3;
		__u8 *ip, *udp;

		tx_setup(&c, &suites[0], UDPESP_MODE_TUNNEL, fam, false, 0, 0);
		c.sa.sport = htons(4500);
		c.sa.dport = htons(61000); /* the peer's NAT-mapped port */
		len = inner_packet(&c, buf + OFF, IN_V4_UDP, 333, 0x2e, true);
		encap_ok(&c, buf, len, &o);
		l3 = esp_encap_outer(&c.sa, &o, buf, 17, 0xbeef);
		cr_assert_eq(l3, (long)(o.esp_off - hl - 8));
		ip = buf + l3;
		udp = ip + hl;
		cr_assert_eq(get16(udp), 4500);
		cr_assert_eq(get16(udp + 2), 61000);
		cr_assert_eq(get16(udp + 4), 8 + o.esp_len);
		if (!v6) {
			cr_assert_eq(ip[0], 0x45);
			cr_assert_eq(ip[1], 0x2e);
			cr_assert_eq(get16(ip + 2), 20 + 8 + o.esp_len);
			cr_assert_eq(get16(ip + 4), 0xbeef);
			cr_assert_eq(get16(ip + 6), 0x4000, "DF");
			cr_assert_eq(ip[8], 17);
			cr_assert_eq(ip[9], IPPROTO_UDP);
			cr_assert(ipv4_csum_ok(ip));
			addr(a, LOCAL4);
			cr_assert_eq(memcmp(ip + 12, a, 4), 0);
			addr(a, PEER4);
			cr_assert_eq(memcmp(ip + 16, a, 4), 0);
			cr_assert_eq(get16(udp + 6), 0, "IPv4 UDP checksum 0 (RFC 3948)");
		} else {
			__u64 sum;

			cr_assert_eq(ip[0], 0x62);
			cr_assert_eq(ip[1], 0xe0);
			cr_assert_eq(get16(ip + 4), 8 + o.esp_len);
			cr_assert_eq(ip[6], IPPROTO_UDP);
			cr_assert_eq(ip[7], 17);
			addr(a, LOCAL6);
			cr_assert_eq(memcmp(ip + 8, a, 16), 0);
			addr(a, PEER6);
			cr_assert_eq(memcmp(ip + 24, a, 16), 0);
			/* The checksum verifies over the pseudo-header. */
			cr_assert_neq(get16(udp + 6), 0);
			sum = udpesp_csum_pseudo(ip + 8, 16, IPPROTO_UDP, (__u16)(8 + o.esp_len));
			cr_assert_eq(udpesp_csum_fold(udpesp_csum_add(sum, udp, 8 + o.esp_len)),
				     0xffff);
		}
		/* No room in front: refused. */
		o.esp_off = (__u32)(hl + 7);
		cr_assert_eq(esp_encap_outer(&c.sa, &o, buf, 64, 0), -1);
		c.sa.dst.family = 0;
		o.esp_off = 200;
		cr_assert_eq(esp_encap_outer(&c.sa, &o, buf, 64, 0), -1);
		tx_teardown(&c);
	}
}
