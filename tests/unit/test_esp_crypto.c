// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * esp_crypto.h against whichever backend this binary was linked with
 * (build/tests/unit_tests: the one CRYPTO= chose; unit_tests_openssl:
 * OpenSSL). Expected bytes come from outside udpesp only:
 *
 * - draft-mcgrew-gcm-test-01 section 4: AES-GCM ESP packets, ESN ones
 *   included (the 8-byte seq values);
 * - RFC 7634 Appendix A: the ChaCha20-Poly1305 ESP example;
 * - RFC 3602 section 4, cases 5-8: AES-CBC ESP packets (no ICV there,
 *   so the ciphertext is checked and the ICV only round-trips);
 * - RFC 4868 2.7.2 (AUTH256-2, AUTH384-2, AUTH512-2) and RFC 4231 test
 *   cases 2 and 5: HMAC-SHA-2 through NULL-encryption ESP, whose ICV is
 *   the HMAC of the packet (ESN: of the packet and seq hi, so a message
 *   split in two is the same vector);
 * - build/esp_vectors.h from tests/unit/gen_esp_vectors.py: packets
 *   made by Scapy and python-cryptography for every suite, ESN on and off.
 *
 * No AES-GMAC (RFC 4543) ESP vector was found in a published source;
 * GMAC is covered by the generated packets only.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "esp/esp_crypto.h"
#include "common/sa_check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_PKT 2048

struct esp_xvec {
	const char *name;
	enum udpesp_alg alg;
	enum esp_auth hmac;
	unsigned int key_len; /* cipher key bytes; key also holds the salt */
	const __u8 *key;
	unsigned int auth_key_len;
	const __u8 *auth_key;
	bool esn;
	__u32 seq_hi;
	size_t len;
	const __u8 *plain; /* SPI .. trailer in clear, ICV zero */
	const __u8 *wire;  /* as the other implementation sent it */
};

#include "esp_vectors.h"

static struct esp_crypto_thread *t;

static void setup(void)
{
	t = esp_crypto_thread_new();
	cr_assert_not_null(t, "esp_crypto_thread_new: %s", strerror(errno));
}

static void teardown(void)
{
	esp_crypto_thread_free(t);
}

TestSuite(esp_crypto, .init = setup, .fini = teardown);

/* "45 00 0a" or "45000a" (RFC layouts) into bytes; returns the count. */
static size_t unhex(__u8 *out, size_t max, const char *s)
{
	size_t n = 0;

	while (*s) {
		unsigned int b;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		cr_assert(sscanf(s, "%2x", &b) == 1 && n < max, "bad hex: %s", s);
		out[n++] = b;
		s += 2;
	}
	return n;
}

static void put_be32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* The first differing offset, or -1: tells where a mismatch starts. */
static long diff_at(const __u8 *a, const __u8 *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

static const char *hmac_name(enum esp_auth h)
{
	return h == ESP_AUTH_SHA256 ? "hmac(sha256)" :
	       h == ESP_AUTH_SHA384 ? "hmac(sha384)" :
				     "hmac(sha512)";
}

static __u32 hmac_bits(enum esp_auth h)
{
	return h == ESP_AUTH_SHA256 ? 128 : h == ESP_AUTH_SHA384 ? 192 : 256;
}

static __u32 hmac_key_bytes(enum esp_auth h)
{
	return h == ESP_AUTH_SHA256 ? 32 : h == ESP_AUTH_SHA384 ? 48 : 64;
}

/* The suite sa_check() gives an inbound tunnel SA with these algorithms. */
static struct esp_suite suite_of(enum udpesp_alg alg, enum esp_auth hmac,
				unsigned int key_len)
{
	struct udpesp_ctl_sa sa = {
		.dir = UDPESP_DIR_IN,
		.mode = UDPESP_MODE_TUNNEL,
		.encap = UDPESP_ENCAP_ESPINUDP,
		.spi = htonl(0x1001),
		.src = { .family = UDPESP_AF_INET, .prefixlen = 32 },
		.dst = { .family = UDPESP_AF_INET, .prefixlen = 32 },
		.encap_sport = htons(4500),
		.encap_dport = htons(4500),
		.replay_window = 128,
		.flags = UDPESP_CTL_SA_ESN,
	};
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct esp_suite s;

	inet_pton(AF_INET, "198.51.100.7", sa.src.addr);
	inet_pton(AF_INET, "192.0.2.1", sa.dst.addr);
	switch (alg) {
	case UDPESP_ALG_AES_GCM_16:
		strcpy(sa.aead.name, "rfc4106(gcm(aes))");
		break;
	case UDPESP_ALG_CHACHA20_POLY1305:
		strcpy(sa.aead.name, "rfc7539esp(chacha20,poly1305)");
		break;
	case UDPESP_ALG_AES_GMAC:
		strcpy(sa.aead.name, "rfc4543(gcm(aes))");
		break;
	case UDPESP_ALG_AES_CBC_HMAC:
		strcpy(sa.enc.name, "cbc(aes)");
		break;
	default:
		strcpy(sa.enc.name, "ecb(cipher_null)");
		break;
	}
	if (sa.aead.name[0]) {
		sa.aead.key_len = key_len + 4;
		sa.aead.bits = 128;
	} else {
		sa.enc.key_len = key_len;
		strcpy(sa.auth.name, hmac_name(hmac));
		sa.auth.key_len = hmac_key_bytes(hmac);
		sa.auth.bits = hmac_bits(hmac);
	}
	cr_assert_eq(sa_check(&sa, &s, err, sizeof(err)), 0, "sa_check: %s",
		     err);
	return s;
}

/*
 * Every suite sa_check() offers, by the names the tests print. key_len
 * is the cipher key without salt.
 */
static const struct suite_case {
	const char *name;
	enum udpesp_alg alg;
	enum esp_auth hmac;
	unsigned int key_len;
} suites[] = {
	{ "aes-gcm-128", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 16 },
	{ "aes-gcm-192", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 24 },
	{ "aes-gcm-256", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 32 },
	{ "chacha20-poly1305", UDPESP_ALG_CHACHA20_POLY1305, ESP_AUTH_NONE, 32 },
	{ "aes-gmac-128", UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE, 16 },
	{ "aes-gmac-192", UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE, 24 },
	{ "aes-gmac-256", UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE, 32 },
	{ "aes-cbc-128/sha256", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 16 },
	{ "aes-cbc-192/sha256", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 24 },
	{ "aes-cbc-256/sha256", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 32 },
	{ "aes-cbc-128/sha384", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384, 16 },
	{ "aes-cbc-192/sha384", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384, 24 },
	{ "aes-cbc-256/sha384", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384, 32 },
	{ "aes-cbc-128/sha512", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512, 16 },
	{ "aes-cbc-192/sha512", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512, 24 },
	{ "aes-cbc-256/sha512", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512, 32 },
	{ "null/sha256", UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA256, 0 },
	{ "null/sha384", UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA384, 0 },
	{ "null/sha512", UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA512, 0 },
};

/* Deterministic filler, so that a failure reproduces. */
static __u32 prng_state = 0x4303;

static void fill(__u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		prng_state ^= prng_state << 13;
		prng_state ^= prng_state >> 17;
		prng_state ^= prng_state << 5;
		p[i] = prng_state;
	}
}

/* A context for a suite, with random keys of the lengths it takes. */
static struct esp_crypto *context_for(const struct esp_suite *s)
{
	__u8 key[64], akey[64];
	struct esp_crypto *c;

	fill(key, sizeof(key));
	fill(akey, sizeof(akey));
	c = esp_crypto_new(s, key, akey);
	cr_assert_not_null(c, "esp_crypto_new(%s): %s", s->enc_name,
			   strerror(errno));
	return c;
}

/*
 * A clear ESP packet for the suite: SPI, seq, a random IV, payload bytes
 * of payload, RFC 4303 padding 1, 2, 3 ... to the block, pad length,
 * next header 4, and zeros where the ICV goes. Returns its length.
 */
static size_t build(const struct esp_suite *s, __u8 *pkt, size_t payload)
{
	size_t off = 8 + s->iv_len, pad;

	put_be32(pkt, 0x1001);
	put_be32(pkt + 4, 0x2a);
	fill(pkt + 8, s->iv_len + payload);
	pad = (s->block - (payload + 2) % s->block) % s->block;
	for (size_t i = 0; i < pad; i++)
		pkt[off + payload + i] = i + 1;
	pkt[off + payload + pad] = pad;
	pkt[off + payload + pad + 1] = 4;
	memset(pkt + off + payload + pad + 2, 0, s->icv_len);
	return off + payload + pad + 2 + s->icv_len;
}

/* Decrypt wire into plain, then encrypt plain back into wire exactly. */
static void known_answer(const char *what, const struct esp_suite *s,
			 const __u8 *key, const __u8 *auth_key, bool esn,
			 __u32 seq_hi, const __u8 *plain, const __u8 *wire,
			 size_t len)
{
	struct esp_crypto *c = esp_crypto_new(s, key, auth_key);
	size_t icv = s->icv_len;
	__u8 *buf = malloc(len);
	int ret;

	cr_assert_not_null(c, "%s: esp_crypto_new: %s", what, strerror(errno));
	cr_assert_not_null(buf);
	memcpy(buf, wire, len);
	ret = esp_crypto_decrypt(c, t, buf, len, esn, seq_hi);
	cr_assert_eq(ret, 0, "%s: decrypt returned %d", what, ret);
	cr_assert_eq(diff_at(buf, plain, len - icv), -1,
		     "%s: plaintext differs from byte %ld", what,
		     diff_at(buf, plain, len - icv));
	cr_assert_eq(diff_at(buf + len - icv, wire + len - icv, icv), -1,
		     "%s: decrypt touched the ICV", what);

	memcpy(buf, plain, len - icv);
	memset(buf + len - icv, 0, icv);
	ret = esp_crypto_encrypt(c, t, buf, len, esn, seq_hi);
	cr_assert_eq(ret, 0, "%s: encrypt returned %d", what, ret);
	cr_assert_eq(diff_at(buf, wire, len), -1,
		     "%s: encrypted packet differs from byte %ld (ICV at %zu)",
		     what, diff_at(buf, wire, len), len - icv);
	free(buf);
	esp_crypto_free(c);
}

Test(esp_crypto, backend_names_itself)
{
	const char *name = esp_crypto_backend();

	cr_assert(!strncmp(name, "intel-ipsec-mb ", 15) ||
			  !strncmp(name, "OpenSSL ", 8),
		  "backend \"%s\"", name);
	cr_assert(strpbrk(name, "0123456789"), "no version in \"%s\"", name);
}

#include "gcm_draft.h"

Test(esp_crypto, aes_gcm_draft_mcgrew_gcm_test_01)
{
	for (size_t i = 0; i < ARRAY_SIZE(gcm_draft); i++) {
		__u8 key[36], nonce[12], seq[8], plain[MAX_PKT], wire[MAX_PKT];
		size_t klen = unhex(key, 32, gcm_draft[i].key);
		size_t slen = unhex(seq, 8, gcm_draft[i].seq);
		bool esn = slen == 8;
		size_t n, m, len;
		char what[64];
		struct esp_suite s;

		snprintf(what, sizeof(what), "draft-mcgrew-gcm-test-01 #%zu",
			 i + 1);
		unhex(nonce, 12, gcm_draft[i].nonce);
		memcpy(key + klen, nonce, 4); /* key || salt */
		s = suite_of(UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, klen);
		/* SPI | seq lo | IV | ciphertext | ICV */
		unhex(wire, 4, gcm_draft[i].spi);
		memcpy(wire + 4, seq + slen - 4, 4);
		memcpy(wire + 8, nonce + 4, 8);
		n = unhex(plain + 16, MAX_PKT - 32, gcm_draft[i].plain);
		m = unhex(wire + 16, MAX_PKT - 16, gcm_draft[i].ct);
		cr_assert_eq(m, n + 16, "%s: vector lengths", what);
		len = 16 + m;
		memcpy(plain, wire, 16);
		memset(plain + 16 + n, 0, 16);
		known_answer(what, &s, key, NULL, esn,
			     esn ? (__u32)seq[0] << 24 | seq[1] << 16 |
					   seq[2] << 8 | seq[3] :
				   0,
			     plain, wire, len);
	}
}

/* RFC 7634 Appendix A: SPI 0x01020304, seq 5, IV 1011..17, ICMP echo. */
Test(esp_crypto, chacha20_poly1305_rfc7634_appendix_a)
{
	__u8 key[36], plain[128], wire[128];
	struct esp_suite s =
		suite_of(UDPESP_ALG_CHACHA20_POLY1305, ESP_AUTH_NONE, 32);
	size_t n, len;

	unhex(key, sizeof(key),
	      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	      "a0a1a2a3");
	len = unhex(wire, sizeof(wire),
		    "01020304 00000005 1011121314151617"
		    "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
		    "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
		    "cbec163fac469b502773f6fb94e664da9165b82829f641e0"
		    "76aaa8266b7fb0f7b11b369907e1ad43");
	memcpy(plain, wire, 16);
	n = unhex(plain + 16, sizeof(plain) - 16,
		  "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
		  "000736270809 0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
		  "2425262728292a2b2c2d2e2f3031323334353637 01020204");
	cr_assert_eq(16 + n + 16, len);
	memset(plain + 16 + n, 0, 16);
	known_answer("RFC 7634 A", &s, key, NULL, false, 0, plain, wire, len);
}

/*
 * RFC 3602 section 4 cases 5-8: ESP with AES-CBC-128 and no integrity.
 * Our suites always carry an HMAC, so the RFC's ciphertext is checked
 * byte for byte and the ICV (under an arbitrary HMAC key) only has to
 * verify on the way back.
 */
static const struct {
	const char *key, *esp_hdr_iv, *payload, *ciphertext;
	__u8 next_header;
} cbc_rfc3602[] = {
	{ "90d382b410eeba7ad938c46cec1a82bf",
	  "00004321 00000001 e96e8c08ab465763fd098d45dd3ff893",
	  "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f1011121314151617"
	  "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
	  "f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856"
	  "a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874a"
	  "a269add047ad2d5913ac19b7cfbad4a6",
	  1 },
	{ "90d382b410eeba7ad938c46cec1a82bf",
	  "00004321 00000008 69d08df7d203329db093fc4924e5bd80",
	  "0800b5e8a80a0500a69c083d0b660e00777777777777777777777777",
	  "f51995881ec4e0c4488987ce742e8109689bb379d2d750c0d915dca346a89f75",
	  1 },
	{ "0123456789abcdef0123456789abcdef",
	  "00008765 00000002 f4e765244f6407adf13dc1380f673f37",
	  "45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d"
	  "02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	  "2425262728292a2b2c2d2e2f3031323334353637",
	  "773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8"
	  "e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5"
	  "c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d",
	  4 },
	{ "0123456789abcdef0123456789abcdef",
	  "00008765 00000005 85d47224b5f3dd5d2101d4ea8dffab22",
	  "45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083d"
	  "a3de0300ffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	  "ffffffff",
	  "15b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3fc61203bb5"
	  "0f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3"
	  "d2726d9b5ef6affc6d17a0decbb13892",
	  4 },
};

Test(esp_crypto, aes_cbc_rfc3602_cases_5_to_8)
{
	struct esp_suite s =
		suite_of(UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 16);
	__u8 akey[32];

	fill(akey, sizeof(akey));
	for (size_t i = 0; i < ARRAY_SIZE(cbc_rfc3602); i++) {
		__u8 key[16], buf[256], clear[256], ct[256];
		size_t n, pad, m, len, off = 24;
		struct esp_crypto *c;

		unhex(key, sizeof(key), cbc_rfc3602[i].key);
		unhex(buf, off, cbc_rfc3602[i].esp_hdr_iv);
		n = unhex(buf + off, 128, cbc_rfc3602[i].payload);
		/* RFC 4303 2.4 default padding: 1, 2, 3 ... to the block. */
		pad = (16 - (n + 2) % 16) % 16;
		for (size_t j = 0; j < pad; j++)
			buf[off + n + j] = j + 1;
		buf[off + n + pad] = pad;
		buf[off + n + pad + 1] = cbc_rfc3602[i].next_header;
		m = unhex(ct, sizeof(ct), cbc_rfc3602[i].ciphertext);
		cr_assert_eq(m, n + pad + 2, "case %zu: vector lengths", i + 5);
		len = off + m + s.icv_len;
		memcpy(clear, buf, off + m);

		c = esp_crypto_new(&s, key, akey);
		cr_assert_not_null(c);
		cr_assert_eq(esp_crypto_encrypt(c, t, buf, len, false, 0), 0);
		cr_assert_eq(memcmp(buf, clear, off), 0,
			     "case %zu: header or IV changed", i + 5);
		cr_assert_eq(diff_at(buf + off, ct, m), -1,
			     "case %zu: ciphertext differs from byte %ld",
			     i + 5, diff_at(buf + off, ct, m));
		cr_assert_eq(esp_crypto_decrypt(c, t, buf, len, false, 0), 0,
			     "case %zu: ICV of our own packet", i + 5);
		cr_assert_eq(memcmp(buf, clear, off + m), 0,
			     "case %zu: decrypted payload", i + 5);
		esp_crypto_free(c);
	}
}

/*
 * NULL encryption: the ICV is HMAC(key, whole packet [|| seq hi]), so a
 * message of a multiple of 4 bytes (at least 12) is an ESP packet, and
 * with ESN its last 4 bytes can ride as seq hi instead.
 */
static void hmac_vector(const char *what, enum esp_auth h, const __u8 *key,
			size_t key_len, const char *msg, const char *want_hex)
{
	struct esp_suite s = suite_of(UDPESP_ALG_NULL_HMAC, h, 0);
	size_t n = strlen(msg), wn;
	__u8 want[64], buf[256];
	struct esp_crypto *c;

	wn = unhex(want, sizeof(want), want_hex);
	cr_assert_geq(wn, 16);
	cr_assert(n >= 16 && n % 4 == 0, "%s: message not usable as ESP", what);
	s.hmac_key_len = key_len;
	c = esp_crypto_new(&s, key, key);
	cr_assert_not_null(c, "%s: esp_crypto_new: %s", what, strerror(errno));

	for (int esn = 0; esn < 2; esn++) {
		size_t body = esn ? n - 4 : n, len = body + s.icv_len;
		__u32 hi = 0;
		/* The RFC gives a tag at least 128 bits long; compare that. */
		size_t cmp = wn < s.icv_len ? wn : s.icv_len;

		memcpy(buf, msg, body);
		memset(buf + body, 0, s.icv_len);
		if (esn)
			hi = (__u32)(__u8)msg[n - 4] << 24 |
			     (__u32)(__u8)msg[n - 3] << 16 |
			     (__u32)(__u8)msg[n - 2] << 8 | (__u8)msg[n - 1];
		cr_assert_eq(esp_crypto_encrypt(c, t, buf, len, esn, hi), 0);
		cr_assert_eq(memcmp(buf, msg, body), 0,
			     "%s: NULL encryption changed the payload", what);
		cr_assert_eq(diff_at(buf + body, want, cmp), -1,
			     "%s%s: ICV differs from byte %ld", what,
			     esn ? " (ESN)" : "", diff_at(buf + body, want, cmp));
		cr_assert_eq(esp_crypto_decrypt(c, t, buf, len, esn, hi), 0,
			     "%s%s: decrypt", what, esn ? " (ESN)" : "");
	}
	esp_crypto_free(c);
}

Test(esp_crypto, hmac_sha2_rfc4868_auth_2)
{
	const char *msg = "what do ya want for nothing?";
	__u8 key[64];

	/* Key: "Jefe" repeated to the hash's output length. */
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = "Jefe"[i % 4];
	hmac_vector("RFC 4868 AUTH256-2", ESP_AUTH_SHA256, key, 32, msg,
		    "167f928588c5cc2eef8e3093caa0e87c"
		    "9ff566a14794aa61648d81621a2a40c6");
	hmac_vector("RFC 4868 AUTH384-2", ESP_AUTH_SHA384, key, 48, msg,
		    "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d"
		    "a86a368e9b8e16f5349524ca4e82400cbde0686d403371c9");
	hmac_vector("RFC 4868 AUTH512-2", ESP_AUTH_SHA512, key, 64, msg,
		    "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"
		    "6aa334ae9fb9afc2184932d8695e397bfa0ffb93466cfcceaae38c833b7dba38");
}

Test(esp_crypto, hmac_sha2_rfc4231_cases_2_and_5)
{
	__u8 key5[20];

	hmac_vector("RFC 4231 #2 SHA-256", ESP_AUTH_SHA256, (const __u8 *)"Jefe",
		    4, "what do ya want for nothing?",
		    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	hmac_vector("RFC 4231 #2 SHA-384", ESP_AUTH_SHA384, (const __u8 *)"Jefe",
		    4, "what do ya want for nothing?",
		    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		    "8e2240ca5e69e2c78b3239ecfab21649");
	hmac_vector("RFC 4231 #2 SHA-512", ESP_AUTH_SHA512, (const __u8 *)"Jefe",
		    4, "what do ya want for nothing?",
		    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	/* Test case 5 publishes the first 128 bits only. */
	memset(key5, 0x0c, sizeof(key5));
	hmac_vector("RFC 4231 #5 SHA-256", ESP_AUTH_SHA256, key5, 20,
		    "Test With Truncation", "a3b6167473100ee06e0c796c2955552b");
	hmac_vector("RFC 4231 #5 SHA-384", ESP_AUTH_SHA384, key5, 20,
		    "Test With Truncation", "3abf34c3503b2a23a46efc619baef897");
	hmac_vector("RFC 4231 #5 SHA-512", ESP_AUTH_SHA512, key5, 20,
		    "Test With Truncation", "415fad6271580a531d4179bc891d87a6");
}

/* Packets from Scapy and python-cryptography (gen_esp_vectors.py). */
Test(esp_crypto, cross_check_scapy_and_cryptography)
{
	bool seen[UDPESP_ALG_NULL_HMAC + 1][2] = {};

	cr_assert_gt(ARRAY_SIZE(esp_xvecs), 0);
	for (size_t i = 0; i < ARRAY_SIZE(esp_xvecs); i++) {
		const struct esp_xvec *v = &esp_xvecs[i];
		struct esp_suite s = suite_of(v->alg, v->hmac, v->key_len);

		cr_assert_eq(v->auth_key_len, s.hmac_key_len, "%s", v->name);
		known_answer(v->name, &s, v->key, v->auth_key, v->esn,
			     v->seq_hi, v->plain, v->wire, v->len);
		seen[v->alg][v->esn] = true;
	}
	for (int a = UDPESP_ALG_AES_GCM_16; a <= UDPESP_ALG_NULL_HMAC; a++)
		cr_assert(seen[a][0] && seen[a][1],
			  "no generated vector for alg %d with and without ESN",
			  a);
}

/* Encrypt, then decrypt: every suite, ESN on and off, many lengths. */
Test(esp_crypto, round_trip_every_suite)
{
	static const size_t payloads[] = { 0, 1, 2, 3, 13, 14, 15, 16, 17,
					   64, 255, 1000, 1400, 1900 };

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_of(suites[i].alg, suites[i].hmac,
					     suites[i].key_len);
		struct esp_crypto *c = context_for(&s);

		for (size_t p = 0; p < ARRAY_SIZE(payloads); p++) {
			for (int esn = 0; esn < 2; esn++) {
				__u8 pkt[MAX_PKT], orig[MAX_PKT], twin[MAX_PKT];
				size_t len = build(&s, pkt, payloads[p]);
				size_t body = len - s.icv_len;
				size_t off = 8 + s.iv_len;
				__u32 hi = esn ? 0x80000001u + p : 0;
				int ret;

				memcpy(orig, pkt, len);
				memcpy(twin, pkt, len);
				ret = esp_crypto_encrypt(c, t, pkt, len, esn, hi);
				cr_assert_eq(ret, 0, "%s payload %zu: encrypt %d",
					     suites[i].name, payloads[p], ret);
				cr_assert_eq(memcmp(pkt, orig, off), 0,
					     "%s: header or IV changed",
					     suites[i].name);
				/* Only payloads of a block or more must change. */
				if (s.encrypts && body - off >= 16)
					cr_assert_neq(memcmp(pkt + off, orig + off,
							     body - off),
						      0, "%s: not encrypted",
						      suites[i].name);
				if (!s.encrypts)
					cr_assert_eq(memcmp(pkt, orig, body), 0,
						     "%s: payload changed",
						     suites[i].name);
				/* Twice in a row: the second reuses what the first set up. */
				cr_assert_eq(esp_crypto_encrypt(c, t, twin, len, esn, hi), 0);
				cr_assert_eq(memcmp(twin, pkt, len), 0,
					     "%s payload %zu: second encryption differs",
					     suites[i].name, payloads[p]);
				ret = esp_crypto_decrypt(c, t, pkt, len, esn, hi);
				cr_assert_eq(ret, 0, "%s payload %zu esn %d: decrypt %d",
					     suites[i].name, payloads[p], esn,
					     ret);
				cr_assert_eq(memcmp(pkt, orig, body), 0,
					     "%s payload %zu: round trip differs",
					     suites[i].name, payloads[p]);
				cr_assert_eq(esp_crypto_decrypt(c, t, twin, len, esn, hi), 0);
				cr_assert_eq(memcmp(twin, orig, body), 0,
					     "%s payload %zu: second decryption differs",
					     suites[i].name, payloads[p]);
			}
		}
		esp_crypto_free(c);
	}
}

/* -EBADMSG, and the buffer exactly as it came in. */
static void rejected(const char *what, struct esp_crypto *c, __u8 *pkt,
		     size_t len, bool esn, __u32 hi)
{
	__u8 copy[MAX_PKT];
	int ret;

	memcpy(copy, pkt, len);
	ret = esp_crypto_decrypt(c, t, pkt, len, esn, hi);
	cr_assert_eq(ret, -EBADMSG, "%s: decrypt returned %d", what, ret);
	cr_assert_eq(diff_at(pkt, copy, len), -1,
		     "%s: buffer changed at byte %ld", what,
		     diff_at(pkt, copy, len));
}

/*
 * Any bit flipped anywhere (SPI, seq, IV, payload, trailer, ICV), a
 * wrong seq hi, or ESN used on one side only: refused, buffer untouched.
 */
Test(esp_crypto, icv_failure_leaves_buffer_unchanged)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_of(suites[i].alg, suites[i].hmac,
					     suites[i].key_len);
		struct esp_crypto *c = context_for(&s);

		for (int esn = 0; esn < 2; esn++) {
			__u32 hi = esn ? 0x00000007 : 0;
			__u8 pkt[MAX_PKT];
			size_t len = build(&s, pkt, 37);
			char what[96];

			cr_assert_eq(esp_crypto_encrypt(c, t, pkt, len, esn, hi), 0);
			for (size_t b = 0; b < len; b++) {
				__u8 bit = 1u << (b % 8);

				snprintf(what, sizeof(what),
					 "%s esn %d: bit %zu of byte %zu of %zu",
					 suites[i].name, esn, b % 8, b, len);
				pkt[b] ^= bit;
				rejected(what, c, pkt, len, esn, hi);
				pkt[b] ^= bit;
			}
			snprintf(what, sizeof(what), "%s esn %d: wrong seq hi",
				 suites[i].name, esn);
			if (esn) {
				rejected(what, c, pkt, len, true, hi + 1);
				rejected(what, c, pkt, len, true, hi ^ 0x80000000);
				rejected(what, c, pkt, len, false, 0);
			} else {
				rejected(what, c, pkt, len, true, 0);
			}
			/* Still intact: the failures changed nothing. */
			cr_assert_eq(esp_crypto_decrypt(c, t, pkt, len, esn, hi),
				     0, "%s esn %d: good packet after failures",
				     suites[i].name, esn);
		}
		esp_crypto_free(c);
	}
}

/* Another SA's key fails the ICV too. */
Test(esp_crypto, wrong_key_is_rejected)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_of(suites[i].alg, suites[i].hmac,
					     suites[i].key_len);
		struct esp_crypto *a = context_for(&s), *b = context_for(&s);
		__u8 pkt[MAX_PKT];
		size_t len = build(&s, pkt, 100);

		cr_assert_eq(esp_crypto_encrypt(a, t, pkt, len, false, 0), 0);
		rejected(suites[i].name, b, pkt, len, false, 0);
		esp_crypto_free(a);
		esp_crypto_free(b);
	}
}

/*
 * A thread may keep the last SA's key schedule: a new SA, even one that
 * malloc() places where a freed one was, must not be served from it.
 */
Test(esp_crypto, new_context_never_uses_a_freed_ones_key)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_of(suites[i].alg, suites[i].hmac,
					     suites[i].key_len);
		__u8 pkt[MAX_PKT];
		size_t len = build(&s, pkt, 100);

		for (int k = 0; k < 4; k++) {
			struct esp_crypto *a = context_for(&s), *b;

			cr_assert_eq(esp_crypto_encrypt(a, t, pkt, len, false, 0), 0);
			cr_assert_eq(esp_crypto_decrypt(a, t, pkt, len, false, 0), 0);
			cr_assert_eq(esp_crypto_encrypt(a, t, pkt, len, false, 0), 0);
			esp_crypto_free(a);
			b = context_for(&s);
			rejected(suites[i].name, b, pkt, len, false, 0);
			esp_crypto_free(b);
		}
	}
}

/* Lengths the suite cannot have: -EINVAL from both directions, no write. */
Test(esp_crypto, bad_lengths_are_einval)
{
	static __u8 big[70000];

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_of(suites[i].alg, suites[i].hmac,
					     suites[i].key_len);
		struct esp_crypto *c = context_for(&s);
		size_t bad[] = { 0, 1, 8, s.min_len - 1, s.min_len + 1,
				 s.min_len + s.block / 2, 65536, sizeof(big) };

		cr_assert_eq(s.min_len, 8 + s.iv_len +
						(2 + s.block - 1) / s.block * s.block +
						s.icv_len);
		fill(big, sizeof(big));
		for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
			__u8 before[64];

			memcpy(before, big, sizeof(before));
			cr_assert_eq(esp_crypto_decrypt(c, t, big, bad[k], false, 0),
				     -EINVAL, "%s len %zu decrypt", suites[i].name,
				     bad[k]);
			cr_assert_eq(esp_crypto_encrypt(c, t, big, bad[k], true, 1),
				     -EINVAL, "%s len %zu encrypt", suites[i].name,
				     bad[k]);
			cr_assert_eq(memcmp(before, big, sizeof(before)), 0);
		}
		/* The shortest valid packet is accepted (and fails its ICV). */
		cr_assert_eq(esp_crypto_decrypt(c, t, big, s.min_len, false, 0),
			     -EBADMSG, "%s min_len", suites[i].name);
		cr_assert_eq(esp_crypto_decrypt(NULL, t, big, s.min_len, false, 0),
			     -EINVAL);
		cr_assert_eq(esp_crypto_decrypt(c, NULL, big, s.min_len, false, 0),
			     -EINVAL);
		cr_assert_eq(esp_crypto_encrypt(c, t, NULL, s.min_len, false, 0),
			     -EINVAL);
		esp_crypto_free(c);
	}
}

/* Suites and keys no backend should take. */
Test(esp_crypto, bad_suites_are_refused)
{
	__u8 key[128] = { 1 };
	struct esp_suite gcm = suite_of(UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 16);
	struct esp_suite cbc =
		suite_of(UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 16);
	struct esp_suite nul = suite_of(UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA512, 0);
	struct {
		const char *what;
		struct esp_suite s;
		const __u8 *key, *auth_key;
	} bad[] = {
		{ "AES-GCM with a 20-byte key", gcm, key, NULL },
		{ "AES-GCM without a key", gcm, NULL, NULL },
		{ "AES-GCM with an 8-byte ICV", gcm, key, NULL },
		{ "AES-CBC without HMAC key", cbc, key, NULL },
		{ "AES-CBC without key", cbc, NULL, key },
		{ "HMAC-SHA-256 key longer than its block", cbc, key, key },
		{ "HMAC key of 0 bytes", nul, NULL, key },
		{ "HMAC-SHA-512 key longer than its block", nul, NULL, key },
		{ "no algorithm", gcm, key, key },
	};

	bad[0].s.key_len = 20;
	bad[2].s.icv_len = 8;
	bad[5].s.hmac_key_len = 65;
	bad[6].s.hmac_key_len = 0;
	bad[7].s.hmac_key_len = 129;
	bad[8].s.alg = UDPESP_ALG_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		cr_assert_null(esp_crypto_new(&bad[i].s, bad[i].key,
					      bad[i].auth_key),
			       "%s accepted", bad[i].what);
		cr_assert_eq(errno, EINVAL, "%s: errno %d", bad[i].what, errno);
	}
	cr_assert_null(esp_crypto_new(NULL, key, key));
	/* The longest HMAC keys RFC 2104 uses as they are: one block. */
	cbc.hmac_key_len = 64;
	nul.hmac_key_len = 128;
	esp_crypto_free(esp_crypto_new(&cbc, key, key));
	esp_crypto_free(esp_crypto_new(&nul, NULL, key));
	esp_crypto_free(NULL);
	esp_crypto_thread_free(NULL);
}

/* One SA's context, read-only, used by several threads at once. */
struct worker_arg {
	struct esp_crypto *c;
	const struct esp_suite *s;
	int failures;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	struct esp_crypto_thread *mine = esp_crypto_thread_new();
	__u8 pkt[MAX_PKT], orig[MAX_PKT];

	if (!mine) {
		a->failures = -1;
		return NULL;
	}
	for (int i = 0; i < 2000; i++) {
		size_t len = 8 + a->s->iv_len + 64 + a->s->icv_len;

		memset(pkt, i, len);
		memset(pkt + len - a->s->icv_len, 0, a->s->icv_len);
		memcpy(orig, pkt, len);
		if (esp_crypto_encrypt(a->c, mine, pkt, len, true, i) ||
		    esp_crypto_decrypt(a->c, mine, pkt, len, true, i) ||
		    memcmp(pkt, orig, len - a->s->icv_len))
			a->failures++;
	}
	esp_crypto_thread_free(mine);
	return NULL;
}

Test(esp_crypto, one_context_many_threads)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i += 3) {
		struct esp_suite s = suite_of(suites[i].alg, suites[i].hmac,
					     suites[i].key_len);
		struct worker_arg args[4];
		pthread_t th[4];
		struct esp_crypto *c = context_for(&s);

		for (int k = 0; k < 4; k++) {
			args[k] = (struct worker_arg){ .c = c, .s = &s };
			cr_assert_eq(pthread_create(&th[k], NULL, worker,
						    &args[k]),
				     0);
		}
		for (int k = 0; k < 4; k++) {
			pthread_join(th[k], NULL);
			cr_assert_eq(args[k].failures, 0, "%s thread %d",
				     suites[i].name, k);
		}
		esp_crypto_free(c);
	}
}
