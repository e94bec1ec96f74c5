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
	unsigned int icv_bits; /* AEADs: 64, 96 or 128 */
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
	       h == ESP_AUTH_SHA1   ? "hmac(sha1)" :
	       h == ESP_AUTH_XCBC   ? "xcbc(aes)" :
				      "hmac(sha512)";
}

static __u32 hmac_bits(enum esp_auth h)
{
	return h == ESP_AUTH_SHA256 ? 128 :
	       h == ESP_AUTH_SHA384 ? 192 :
	       h == ESP_AUTH_SHA512 ? 256 :
				      96;
}

static __u32 hmac_key_bytes(enum esp_auth h)
{
	return h == ESP_AUTH_SHA256 ? 32 :
	       h == ESP_AUTH_SHA384 ? 48 :
	       h == ESP_AUTH_SHA512 ? 64 :
	       h == ESP_AUTH_SHA1   ? 20 :
				      16;
}

/*
 * The suite sa_check() gives an inbound tunnel SA with these algorithms;
 * icv_bits 0: 128 for an AEAD.
 */
static struct esp_suite suite_icv(enum udpesp_alg alg, enum esp_auth hmac, unsigned int key_len,
				  unsigned int icv_bits)
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
	case UDPESP_ALG_AES_CCM:
		strcpy(sa.aead.name, "rfc4309(ccm(aes))");
		break;
	case UDPESP_ALG_AES_CBC_HMAC:
		strcpy(sa.enc.name, "cbc(aes)");
		break;
	case UDPESP_ALG_AES_CTR_HMAC:
		strcpy(sa.enc.name, "rfc3686(ctr(aes))");
		break;
	default:
		strcpy(sa.enc.name, "ecb(cipher_null)");
		break;
	}
	if (sa.aead.name[0]) {
		sa.aead.key_len = key_len + (alg == UDPESP_ALG_AES_CCM ? 3 : 4);
		sa.aead.bits = icv_bits ? icv_bits : 128;
	} else {
		/* RFC 3686: the 4-byte nonce after the key. */
		sa.enc.key_len = key_len + (alg == UDPESP_ALG_AES_CTR_HMAC ? 4 : 0);
		strcpy(sa.auth.name, hmac_name(hmac));
		sa.auth.key_len = hmac_key_bytes(hmac);
		sa.auth.bits = hmac_bits(hmac);
	}
	cr_assert_eq(sa_check(&sa, &s, err, sizeof(err)), 0, "sa_check: %s", err);
	return s;
}

static struct esp_suite suite_of(enum udpesp_alg alg, enum esp_auth hmac, unsigned int key_len)
{
	return suite_icv(alg, hmac, key_len, 0);
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
	unsigned int icv_bits; /* AEADs; 0: 128 */
} suites[] = {
	{ "aes-gcm-128", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 16, 0 },
	{ "aes-gcm-192", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 24, 0 },
	{ "aes-gcm-256", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 32, 0 },
	{ "chacha20-poly1305", UDPESP_ALG_CHACHA20_POLY1305, ESP_AUTH_NONE, 32, 0 },
	{ "aes-gmac-128", UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE, 16, 0 },
	{ "aes-gmac-192", UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE, 24, 0 },
	{ "aes-gmac-256", UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE, 32, 0 },
	{ "aes-cbc-128/sha256", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 16, 0 },
	{ "aes-cbc-192/sha256", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 24, 0 },
	{ "aes-cbc-256/sha256", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 32, 0 },
	{ "aes-cbc-128/sha384", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384, 16, 0 },
	{ "aes-cbc-192/sha384", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384, 24, 0 },
	{ "aes-cbc-256/sha384", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384, 32, 0 },
	{ "aes-cbc-128/sha512", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512, 16, 0 },
	{ "aes-cbc-192/sha512", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512, 24, 0 },
	{ "aes-cbc-256/sha512", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512, 32, 0 },
	{ "null/sha256", UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA256, 0, 0 },
	{ "null/sha384", UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA384, 0, 0 },
	{ "null/sha512", UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA512, 0, 0 },
	{ "aes-gcm-128-icv8", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 16, 64 },
	{ "aes-gcm-192-icv12", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 24, 96 },
	{ "aes-gcm-256-icv8", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 32, 64 },
	{ "aes-gcm-256-icv12", UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 32, 96 },
	{ "aes-ccm-128-icv8", UDPESP_ALG_AES_CCM, ESP_AUTH_NONE, 16, 64 },
	{ "aes-ccm-128-icv12", UDPESP_ALG_AES_CCM, ESP_AUTH_NONE, 16, 96 },
	{ "aes-ccm-128", UDPESP_ALG_AES_CCM, ESP_AUTH_NONE, 16, 128 },
	{ "aes-ccm-192-icv8", UDPESP_ALG_AES_CCM, ESP_AUTH_NONE, 24, 64 },
	{ "aes-ccm-192", UDPESP_ALG_AES_CCM, ESP_AUTH_NONE, 24, 128 },
	{ "aes-ccm-256-icv12", UDPESP_ALG_AES_CCM, ESP_AUTH_NONE, 32, 96 },
	{ "aes-ccm-256", UDPESP_ALG_AES_CCM, ESP_AUTH_NONE, 32, 128 },
	{ "aes-cbc-128/sha1", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA1, 16, 0 },
	{ "aes-cbc-256/sha1", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA1, 32, 0 },
	{ "aes-cbc-128/xcbc", UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_XCBC, 16, 0 },
	{ "aes-ctr-128/sha1", UDPESP_ALG_AES_CTR_HMAC, ESP_AUTH_SHA1, 16, 0 },
	{ "aes-ctr-192/sha256", UDPESP_ALG_AES_CTR_HMAC, ESP_AUTH_SHA256, 24, 0 },
	{ "aes-ctr-256/sha512", UDPESP_ALG_AES_CTR_HMAC, ESP_AUTH_SHA512, 32, 0 },
	{ "aes-ctr-128/xcbc", UDPESP_ALG_AES_CTR_HMAC, ESP_AUTH_XCBC, 16, 0 },
	{ "null/sha1", UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA1, 0, 0 },
	{ "null/xcbc", UDPESP_ALG_NULL_HMAC, ESP_AUTH_XCBC, 0, 0 },
};

static struct esp_suite suite_case_of(const struct suite_case *sc)
{
	return suite_icv(sc->alg, sc->hmac, sc->key_len, sc->icv_bits);
}

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
	cr_assert_not_null(c, "esp_crypto_new(%s): %s", s->enc_name, strerror(errno));
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
static void known_answer(const char *what, const struct esp_suite *s, const __u8 *key,
			 const __u8 *auth_key, bool esn, __u32 seq_hi, const __u8 *plain,
			 const __u8 *wire, size_t len)
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
	cr_assert_eq(diff_at(buf, plain, len - icv), -1, "%s: plaintext differs from byte %ld",
		     what, diff_at(buf, plain, len - icv));
	cr_assert_eq(diff_at(buf + len - icv, wire + len - icv, icv), -1,
		     "%s: decrypt touched the ICV", what);

	memcpy(buf, plain, len - icv);
	memset(buf + len - icv, 0, icv);
	ret = esp_crypto_encrypt(c, t, buf, len, esn, seq_hi);
	cr_assert_eq(ret, 0, "%s: encrypt returned %d", what, ret);
	cr_assert_eq(diff_at(buf, wire, len), -1,
		     "%s: encrypted packet differs from byte %ld (ICV at %zu)", what,
		     diff_at(buf, wire, len), len - icv);
	free(buf);
	esp_crypto_free(c);
}

Test(esp_crypto, backend_names_itself)
{
	const char *name = esp_crypto_backend();

	cr_assert(!strncmp(name, "intel-ipsec-mb ", 15) || !strncmp(name, "OpenSSL ", 8),
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

		snprintf(what, sizeof(what), "draft-mcgrew-gcm-test-01 #%zu", i + 1);
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
			     esn ? (__u32)seq[0] << 24 | seq[1] << 16 | seq[2] << 8 | seq[3] : 0,
			     plain, wire, len);
	}
}

/* RFC 7634 Appendix A: SPI 0x01020304, seq 5, IV 1011..17, ICMP echo. */
Test(esp_crypto, chacha20_poly1305_rfc7634_appendix_a)
{
	__u8 key[36], plain[128], wire[128];
	struct esp_suite s = suite_of(UDPESP_ALG_CHACHA20_POLY1305, ESP_AUTH_NONE, 32);
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
	{ "90d382b410eeba7ad938c46cec1a82bf", "00004321 00000001 e96e8c08ab465763fd098d45dd3ff893",
	  "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f1011121314151617"
	  "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
	  "f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856"
	  "a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874a"
	  "a269add047ad2d5913ac19b7cfbad4a6",
	  1 },
	{ "90d382b410eeba7ad938c46cec1a82bf", "00004321 00000008 69d08df7d203329db093fc4924e5bd80",
	  "0800b5e8a80a0500a69c083d0b660e00777777777777777777777777",
	  "f51995881ec4e0c4488987ce742e8109689bb379d2d750c0d915dca346a89f75", 1 },
	{ "0123456789abcdef0123456789abcdef", "00008765 00000002 f4e765244f6407adf13dc1380f673f37",
	  "45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d"
	  "02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	  "2425262728292a2b2c2d2e2f3031323334353637",
	  "773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8"
	  "e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5"
	  "c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d",
	  4 },
	{ "0123456789abcdef0123456789abcdef", "00008765 00000005 85d47224b5f3dd5d2101d4ea8dffab22",
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
	struct esp_suite s = suite_of(UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 16);
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
		cr_assert_eq(memcmp(buf, clear, off), 0, "case %zu: header or IV changed", i + 5);
		cr_assert_eq(diff_at(buf + off, ct, m), -1,
			     "case %zu: ciphertext differs from byte %ld", i + 5,
			     diff_at(buf + off, ct, m));
		cr_assert_eq(esp_crypto_decrypt(c, t, buf, len, false, 0), 0,
			     "case %zu: ICV of our own packet", i + 5);
		cr_assert_eq(memcmp(buf, clear, off + m), 0, "case %zu: decrypted payload", i + 5);
		esp_crypto_free(c);
	}
}

/*
 * NULL encryption: the ICV is HMAC(key, whole packet [|| seq hi]), so a
 * message of a multiple of 4 bytes (at least 12) is an ESP packet, and
 * with ESN its last 4 bytes can ride as seq hi instead.
 */
static void mac_vector(const char *what, enum esp_auth h, const __u8 *key, size_t key_len,
		       const __u8 *msg, size_t n, const char *want_hex)
{
	struct esp_suite s = suite_of(UDPESP_ALG_NULL_HMAC, h, 0);
	size_t wn;
	static __u8 buf[1100];
	__u8 want[64];
	struct esp_crypto *c;

	wn = unhex(want, sizeof(want), want_hex);
	cr_assert_geq(wn, 12);
	cr_assert(n >= 16 && n % 4 == 0, "%s: message not usable as ESP", what);
	s.hmac_key_len = key_len;
	c = esp_crypto_new(&s, key, key);
	cr_assert_not_null(c, "%s: esp_crypto_new: %s", what, strerror(errno));

	for (int esn = 0; esn < 2; esn++) {
		size_t body = esn ? n - 4 : n, len = body + s.icv_len;
		__u32 hi = 0;
		/* Compare what both the RFC and the ICV give. */
		size_t cmp = wn < s.icv_len ? wn : s.icv_len;

		memcpy(buf, msg, body);
		memset(buf + body, 0, s.icv_len);
		if (esn)
			hi = (__u32)msg[n - 4] << 24 | (__u32)msg[n - 3] << 16 |
			     (__u32)msg[n - 2] << 8 | msg[n - 1];
		cr_assert_eq(esp_crypto_encrypt(c, t, buf, len, esn, hi), 0);
		cr_assert_eq(memcmp(buf, msg, body), 0, "%s: NULL encryption changed the payload",
			     what);
		cr_assert_eq(diff_at(buf + body, want, cmp), -1, "%s%s: ICV differs from byte %ld",
			     what, esn ? " (ESN)" : "", diff_at(buf + body, want, cmp));
		cr_assert_eq(esp_crypto_decrypt(c, t, buf, len, esn, hi), 0, "%s%s: decrypt", what,
			     esn ? " (ESN)" : "");
	}
	esp_crypto_free(c);
}

static void hmac_vector(const char *what, enum esp_auth h, const __u8 *key, size_t key_len,
			const char *msg, const char *want_hex)
{
	mac_vector(what, h, key, key_len, (const __u8 *)msg, strlen(msg), want_hex);
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

	hmac_vector("RFC 4231 #2 SHA-256", ESP_AUTH_SHA256, (const __u8 *)"Jefe", 4,
		    "what do ya want for nothing?",
		    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	hmac_vector("RFC 4231 #2 SHA-384", ESP_AUTH_SHA384, (const __u8 *)"Jefe", 4,
		    "what do ya want for nothing?",
		    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		    "8e2240ca5e69e2c78b3239ecfab21649");
	hmac_vector("RFC 4231 #2 SHA-512", ESP_AUTH_SHA512, (const __u8 *)"Jefe", 4,
		    "what do ya want for nothing?",
		    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	/* Test case 5 publishes the first 128 bits only. */
	memset(key5, 0x0c, sizeof(key5));
	hmac_vector("RFC 4231 #5 SHA-256", ESP_AUTH_SHA256, key5, 20, "Test With Truncation",
		    "a3b6167473100ee06e0c796c2955552b");
	hmac_vector("RFC 4231 #5 SHA-384", ESP_AUTH_SHA384, key5, 20, "Test With Truncation",
		    "3abf34c3503b2a23a46efc619baef897");
	hmac_vector("RFC 4231 #5 SHA-512", ESP_AUTH_SHA512, key5, 20, "Test With Truncation",
		    "415fad6271580a531d4179bc891d87a6");
}

/*
 * RFC 2202 section 3, the HMAC-SHA-1 test cases, as RFC 2404 section 5
 * uses them (HMAC-SHA-1-96: the first 96 bits); transcribed from the
 * RFCs' text as python-cryptography's vectors (HMAC/rfc-2202-sha1.txt)
 * also carry them. Cases 6 and 7 take an 80-byte key, hashed first:
 * longer than ESP's 20-byte key and not offloaded. Cases 2 and 5 fit an
 * ESP packet with NULL encryption and run through the ESP path too.
 */
Test(esp_crypto, hmac_sha1_96_rfc2202_and_rfc2404)
{
	static const struct {
		const char *key, *msg, *mac;
	} v[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		  "b617318655057264e28bc0b6" },
		{ "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		  "effcdf6ae5eb2fa2d27416d5" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		  "dddddddddddddddddddddddddddddddddddd",
		  "125d7342b9ac11cd91a39af4" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		  "4c9007f4026250c6bc8414f9" },
		{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		  "546573742057697468205472756e636174696f6e", "4c1a03424b55e07fe7f27be1" },
	};
	__u8 key5[20];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		__u8 key[64], msg[128], want[12], tag[12];
		size_t kn = unhex(key, sizeof(key), v[i].key);
		size_t mn = unhex(msg, sizeof(msg), v[i].msg);

		unhex(want, sizeof(want), v[i].mac);
		cr_assert_eq(esp_crypto_mac_oneshot(t, ESP_AUTH_SHA1, key, kn, msg, mn, tag,
						    sizeof(tag)),
			     0, "RFC 2202 case %zu", i + 1);
		cr_assert_eq(diff_at(tag, want, 12), -1,
			     "RFC 2202 case %zu: HMAC-SHA-1-96 differs from byte %ld", i + 1,
			     diff_at(tag, want, 12));
	}
	hmac_vector("RFC 2202 #2 SHA-1-96", ESP_AUTH_SHA1, (const __u8 *)"Jefe", 4,
		    "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5");
	memset(key5, 0x0c, sizeof(key5));
	hmac_vector("RFC 2202 #5 SHA-1-96", ESP_AUTH_SHA1, key5, 20, "Test With Truncation",
		    "4c1a03424b55e07fe7f27be1");
}

/*
 * RFC 3566 section 4.6, test cases 1 to 7 (key 000102..0f), transcribed
 * from the RFC; the 96-bit truncation is what ESP carries. Cases 3, 4,
 * 5 and 7 (16, 20, 32 and 1000 bytes) are ESP packets with NULL
 * encryption and run through the ESP path too.
 */
Test(esp_crypto, aes_xcbc_mac_96_rfc3566)
{
	static const char *const mac[] = {
		"75f0251d528ac01c4573dfd584d79f29", "5b376580ae2f19afe7219ceef172756f",
		"d2a246fa349b68a79998a4394ff7a263", "47f51b4564966215b8985c63055ed308",
		"f54f0ec8d2b9f3d36807734bd5283fd4", "becbb3bccdb518a30677d5481fb6b4d8",
		"f0dafee895db30253761103b5d84528f",
	};
	static const size_t lens[] = { 0, 3, 16, 20, 32, 34, 1000 };
	__u8 key[16], msg[1000], want[16], tag[12];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = i;
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		/* 00 01 02 ... for cases 2 to 6, zeros for case 7. */
		for (size_t j = 0; j < lens[i]; j++)
			msg[j] = lens[i] == 1000 ? 0 : j;
		unhex(want, sizeof(want), mac[i]);
		cr_assert_eq(esp_crypto_mac_oneshot(t, ESP_AUTH_XCBC, key, 16, msg, lens[i], tag,
						    sizeof(tag)),
			     0, "RFC 3566 case %zu", i + 1);
		cr_assert_eq(diff_at(tag, want, 12), -1,
			     "RFC 3566 case %zu: AES-XCBC-MAC-96 differs from byte %ld", i + 1,
			     diff_at(tag, want, 12));
	}
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		char what[32];

		if (lens[i] < 16 || lens[i] % 4)
			continue; /* not an ESP packet's length */
		for (size_t j = 0; j < lens[i]; j++)
			msg[j] = lens[i] == 1000 ? 0 : j;
		snprintf(what, sizeof(what), "RFC 3566 #%zu via ESP", i + 1);
		mac_vector(what, ESP_AUTH_XCBC, key, 16, msg, lens[i], mac[i]);
	}
}

/*
 * RFC 3686 section 6, test vectors 1 to 9 (AES-CTR-128/192/256, 16, 32
 * and 36-byte plaintexts), transcribed from the RFC as python-
 * cryptography's ciphers/AES/CTR/aes-*-ctr.txt carry them: counter
 * block = nonce || IV || 00000001. Each plaintext is an ESP payload
 * (all are multiples of 4 bytes) under rfc3686(ctr(aes)) with
 * HMAC-SHA-1-96: the ciphertext must match byte for byte, the ICV of
 * our own packet verify.
 */
static const struct {
	const char *key, *nonce, *iv, *plain, *ct;
} ctr_rfc3686[] = {
	{ "ae6852f8121067cc4bf7a5765577f39e", "00000030", "0000000000000000",
	  "53696e676c6520626c6f636b206d7367", "e4095d4fb7a7b3792d6175a3261311b8" },
	{ "7e24067817fae0d743d6ce1f32539163", "006cb6db", "c0543b59da48d90b",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "5104a106168a72d9790d41ee8edad388eb2e1efc46da57c8fce630df9141be28" },
	{ "7691be035e5020a8ac6e618529f9a0dc", "00e0017b", "27777f3f4a1786f0",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "20212223",
	  "c1cf48a89f2ffdd9cf4652e9efdb72d74540a42bde6d7836d59a5ceaaef31053"
	  "25b2072f" },
	{ "16af5b145fc9f579c175f93e3bfb0eed863d06ccfdb78515", "00000048", "36733c147d6d93cb",
	  "53696e676c6520626c6f636b206d7367", "4b55384fe259c9c84e7935a003cbe928" },
	{ "7c5cb2401b3dc33c19e7340819e0f69c678c3db8e6f6a91a", "0096b03b", "020c6eadc2cb500d",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "453243fc609b23327edfaafa7131cd9f8490701c5ad4a79cfc1fe0ff42f4fb00" },
	{ "02bf391ee8ecb159b959617b0965279bf59b60a786d3e0fe", "0007bdfd", "5cbd60278dcc0912",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "20212223",
	  "96893fc55e5c722f540b7dd1ddf7e758d288bc95c69165884536c811662f2188"
	  "abee0935" },
	{ "776beff2851db06f4c8a0542c8696f6c6a81af1eec96b4d37fc1d689e6c1c104", "00000060",
	  "db5672c97aa8f0b2", "53696e676c6520626c6f636b206d7367",
	  "145ad01dbf824ec7560863dc71e3e0c0" },
	{ "f6d66d6bd52d59bb0796365879eff886c66dd51a5b6a99744b50590c87a23884", "00faac24",
	  "c1585ef15a43d875", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "f05e231b3894612c49ee000b804eb2a9b8306b508f839d6a5530831d9344af1c" },
	{ "ff7a617ce69148e4f1726e2f43581de2aa62d9f805532edff1eed687fb54153d", "001cc5b7",
	  "51a51d70a1c11148",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "20212223",
	  "eb6c52821d0bbbf7ce7594462aca4faab407df866569fd07f48cc0b583d6071f"
	  "1ec0e6b8" },
};

Test(esp_crypto, aes_ctr_rfc3686_vectors_1_to_9)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctr_rfc3686); i++) {
		__u8 key[36], akey[20], buf[128], clear[128], ct[64];
		size_t kn = unhex(key, 32, ctr_rfc3686[i].key), n, m, len;
		struct esp_suite s = suite_of(UDPESP_ALG_AES_CTR_HMAC, ESP_AUTH_SHA1, kn);
		struct esp_crypto *c;

		unhex(key + kn, 4, ctr_rfc3686[i].nonce);
		fill(akey, sizeof(akey));
		put_be32(buf, 0x3686);
		put_be32(buf + 4, i + 1);
		unhex(buf + 8, 8, ctr_rfc3686[i].iv);
		n = unhex(buf + 16, 64, ctr_rfc3686[i].plain);
		m = unhex(ct, sizeof(ct), ctr_rfc3686[i].ct);
		cr_assert_eq(n, m, "vector %zu: lengths", i + 1);
		len = 16 + n + s.icv_len;
		memcpy(clear, buf, 16 + n);
		c = esp_crypto_new(&s, key, akey);
		cr_assert_not_null(c);
		cr_assert_eq(esp_crypto_encrypt(c, t, buf, len, false, 0), 0);
		cr_assert_eq(diff_at(buf + 16, ct, n), -1,
			     "RFC 3686 vector %zu: ciphertext differs from byte %ld", i + 1,
			     diff_at(buf + 16, ct, n));
		cr_assert_eq(esp_crypto_decrypt(c, t, buf, len, false, 0), 0,
			     "RFC 3686 vector %zu: ICV of our own packet", i + 1);
		cr_assert_eq(memcmp(buf, clear, 16 + n), 0,
			     "RFC 3686 vector %zu: decrypted payload", i + 1);
		esp_crypto_free(c);
	}
}

/* One AEAD vector: encrypt to CT || tag, then decrypt it back. */
static void aead_vector(const char *what, enum udpesp_alg alg, const char *key_hex,
			const char *nonce_hex, const char *aad_hex, const char *plain_hex,
			const char *ct_tag_hex)
{
	__u8 key[32], nonce[16], aad[64], plain[64], want[96], buf[64], tag[16];
	size_t kn = unhex(key, sizeof(key), key_hex);
	size_t nn = unhex(nonce, sizeof(nonce), nonce_hex);
	size_t an = unhex(aad, sizeof(aad), aad_hex);
	size_t pn = unhex(plain, sizeof(plain), plain_hex);
	size_t wn = unhex(want, sizeof(want), ct_tag_hex), tn = wn - pn;
	int ret;

	memcpy(buf, plain, pn);
	ret = esp_crypto_aead_oneshot(t, alg, key, kn, nonce, nn, aad, an, buf, pn, tag, tn, true);
	cr_assert_eq(ret, 0, "%s: encrypt returned %d", what, ret);
	cr_assert_eq(diff_at(buf, want, pn), -1, "%s: ciphertext differs from byte %ld", what,
		     diff_at(buf, want, pn));
	cr_assert_eq(diff_at(tag, want + pn, tn), -1, "%s: %zu-byte tag differs from byte %ld",
		     what, tn, diff_at(tag, want + pn, tn));
	ret = esp_crypto_aead_oneshot(t, alg, key, kn, nonce, nn, aad, an, buf, pn, tag, tn, false);
	cr_assert_eq(ret, 0, "%s: decrypt returned %d", what, ret);
	cr_assert_eq(memcmp(buf, plain, pn), 0, "%s: decrypted", what);
	/* A flipped tag bit: refused, ciphertext as it came. */
	memcpy(buf, want, pn);
	tag[tn - 1] ^= 1;
	ret = esp_crypto_aead_oneshot(t, alg, key, kn, nonce, nn, aad, an, buf, pn, tag, tn, false);
	cr_assert_eq(ret, -EBADMSG, "%s: bad tag gave %d", what, ret);
	cr_assert_eq(memcmp(buf, want, pn), 0, "%s: buffer after a bad tag", what);
}

/*
 * CCM: RFC 3610 section 8 packet vector #1 (13-byte nonce, 8-byte AAD,
 * 8-byte tag), transcribed from the RFC; and NIST's CAVP CCM vectors for
 * SP 800-38C, transcribed from python-cryptography's copy
 * (ciphers/AES/CCM): VNT*.rsp [Nlen = 11] (ESP's nonce length, 16-byte
 * tags), VTT*.rsp [Tlen = 8] and [Tlen = 12] (ESP's other ICVs), each
 * for AES-128, -192 and -256; and DVPT128.rsp count 181, which must
 * fail to verify.
 */
Test(esp_crypto, aes_ccm_rfc3610_and_nist_sp800_38c)
{
	static const struct {
		const char *what, *key, *nonce, *aad, *plain, *ct;
	} v[] = {
		{ "RFC 3610 #1", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5",
		  "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
		  "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384"
		  "17e8d12cfdf926e0" },
		{ "VNT128 Nlen 11 count 40", "e6ab9e70a4fb51b01c2e262233e64c0d",
		  "74e689eb5af9441dd690a6",
		  "42f6518ee0fbe42f28e13b4bb2eb60517b37c9744394d9143393a879c3e107c7",
		  "ba15916733550d7aa82b2f6b117cd3f54c83ddc16cd0288a",
		  "dcc151443288f35d39ed8fae6f0ce1d1eb656f4f7fd65c0b16f322ce85d7c54e"
		  "71ac560fd4da9651" },
		{ "VTT128 Tlen 8 count 20", "368f35a1f80eaaacd6bb136609389727",
		  "842a8445847502ea77363a16b6",
		  "34396dfcfa6f742aea7040976bd596497a7a6fa4fb85ee8e4ca394d02095b7bf",
		  "1cccd55825316a94c5979e049310d1d717cdfb7624289dac",
		  "1a58094f0e8c6035a5584bfa8d1009c5f78fd2ca487ff222f6d1d897d6051618" },
		{ "VTT128 Tlen 12 count 40", "3ee186594f110fb788a8bf8aa8be5d4a",
		  "44f705d52acf27b7f17196aa9b",
		  "2c16724296ff85e079627be3053ea95adf35722c21886baba343bd6c79b5cb57",
		  "d71864877f2578db092daba2d6a1f9f4698a9c356c7830a1",
		  "b4dd74e7a0cc51aea45dfb401a41d5822c96901a83247ea0d6965f5aa6e31302"
		  "a9cc2b36" },
		{ "VNT192 Nlen 11 count 40", "af84c6f302c59aeee6d5728ed5da2e3c64a5a781c52c4d1b",
		  "df990c42a268950677c433",
		  "a6ab5d78427f297a4b7e21f1091ff3a5b20caa3fe1cbcb09459d9df596a6c8e1",
		  "6db41aeb5f7c24df8929dbc30483b3c7934b3bd1cdce5bb9",
		  "8c9328258bf71970d33e23a3ff81cc1c9cbe196a1294264bfd6a7255e4801963"
		  "bb30a63de3fc5b82" },
		{ "VTT192 Tlen 8 count 20", "bdf277af2226f03ec1a0ba7a8532ade6aea9b3d519fe2d38",
		  "cc3c596be884e7caed503315c0",
		  "4d6546167b3ed55f01c62bd384e02e1039c0d67ef7abe33291fecb136272f73b",
		  "0ff89eff92a530b66684cd75a39481e7e069a7d05e89b692",
		  "6ef66a52c866bd5df20ec5096de92167ad83cab0e095ad0c778a299f1224f10c" },
		{ "VTT192 Tlen 12 count 40", "5a5667197f46b8027980d0a3166c0a419713d4df0629a860",
		  "6236b01079d180fce156fbaab4",
		  "29bdf65b29394d363d5243d4249bad087520f8d733a763daa1356be458d487e5",
		  "d0e4024d6e33daafc011fe463545ed20f172872f6f33cefa",
		  "479f3d408bfa00d1cd1c8bf11a167ce7ae4bcdb011f04e38733013b8ebe5e92b"
		  "1917640c" },
		{ "VNT256 Nlen 11 count 40",
		  "97bc7482a87ba005475dfa3448f59d4b3f9c4c969d08b39b1b21ef965c0f5125",
		  "0bcf78103ec52d6df28887",
		  "049c10f0cb37ae08eae2d0766563b7c5a8454f841c2061a4f71a0a2158ae6ce5",
		  "b99bf4dc781795fc4d3a8467b06e1665d4e543657f23129f",
		  "0d3891fa0caac1f7ebe41b480920ffd34d4155064c24f3b17a483163dd8f228d"
		  "1f20cd4f86cf38fd" },
		{ "VTT256 Tlen 8 count 20",
		  "bae73483de27b581a7c13f178a6d7bda168c1b4a1cb9180512a13e3ab914eb61",
		  "daf54faef6e4fc7867624b76f2",
		  "7022eaa52c9da821da72d2edd98f6b91dfe474999b75b34699aeb38465f70c1c",
		  "28ef408d57930086011b167ac04b866e5b58fe6690a0b9c3",
		  "356367c6cee4453658418d9517f7c6faddcd7c65aef460138cf050f48c505151" },
		{ "VTT256 Tlen 12 count 40",
		  "7f4af6765cad1d511db07e33aaafd57646ec279db629048aa6770af24849aa0d",
		  "dde2a362ce81b2b6913abc3095",
		  "404f5df97ece7431987bc098cce994fc3c063b519ffa47b0365226a0015ef695",
		  "7ebef26bf4ecf6f0ebb2eb860edbf900f27b75b4a6340fdb",
		  "353022db9c568bd7183a13c40b1ba30fcc768c54264aa2cd2927a053c9244d32"
		  "17a7ad05" },
	};
	__u8 key[16], nonce[7], aad[32], ct[28], copy[24];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		aead_vector(v[i].what, UDPESP_ALG_AES_CCM, v[i].key, v[i].nonce, v[i].aad,
			    v[i].plain, v[i].ct);

	/* DVPT128 [Alen = 32, Plen = 24, Nlen = 7, Tlen = 4] count 181: Fail. */
	unhex(key, sizeof(key), "f9fdca4ac64fe7f014de0f43039c7571");
	unhex(nonce, sizeof(nonce), "fdd2d6f503c915");
	unhex(aad, sizeof(aad), "5b92394f21ddc3ad49d9b0881b829a5935cb3a4d23e292a62fb66b5e7ab7020e");
	unhex(ct, sizeof(ct), "4cc57a9927a6bc401441870d3193bf89ebd163f5c01501c728a66b69");
	memcpy(copy, ct, 24);
	cr_assert_eq(esp_crypto_aead_oneshot(t, UDPESP_ALG_AES_CCM, key, 16, nonce, 7, aad, 32, ct,
					     24, ct + 24, 4, false),
		     -EBADMSG, "DVPT128 count 181 verified");
	cr_assert_eq(memcmp(ct, copy, 24), 0, "DVPT128 count 181: buffer changed");
}

/*
 * AES-GCM with 64 and 96-bit tags (RFC 4106's 8 and 12-byte ICVs):
 * NIST's CAVP GCM vectors, gcmEncryptExtIV{128,192,256}.rsp [IVlen = 96]
 * [PTlen = 128] [AADlen = 160] [Taglen = 64] and [Taglen = 96], count 0,
 * transcribed from python-cryptography's copy (ciphers/AES/GCM).
 */
Test(esp_crypto, aes_gcm_truncated_tags_nist_cavp)
{
	static const struct {
		const char *what, *key, *iv, *aad, *plain, *ct;
	} v[] = {
		{ "gcmEncryptExtIV128 Taglen 64", "e9ac1e944502a2a76768872d5f994c21",
		  "abd6886bd16151d08d86fe70", "347e12e6e8ffe41286dd35ef6a3618ae25d9be73",
		  "cd1f675f713866b209ecbf9c6bc819cb",
		  "816f73be161083f525d1aae1c12c0484"
		  "5f7224f6af05e7f1" },
		{ "gcmEncryptExtIV128 Taglen 96", "90bf5dc928e91cc2f05f8c55dc1ffbc0",
		  "db658c4362e7d6a03faa8492", "ee192a6b71e57f3f2b27efc9b1cb385d6c1be0c4",
		  "99eac872b13b623f255bcdc0eeb1c529",
		  "93d95389595d76131b8b763e50a5fe79"
		  "0c37dd797b78bdecceb9c2a7" },
		{ "gcmEncryptExtIV192 Taglen 64",
		  "70f20794c9198a3af891cdf518a657d5d555ee4d3a138ca8", "7042238e06e8d799954eee41",
		  "251524ce6feab5087b9bddfe474f5c549c05fa86", "b8f9138513e88c9464f45ce980b36e8f",
		  "b8b98b87ee15f37a4e5ef502c3107503"
		  "67d664d40143b910" },
		{ "gcmEncryptExtIV192 Taglen 96",
		  "783e8302c2ec8e36f3caf5e14e8c61dcc20bd2bb90a01702", "625e5690395df430d2b9f1d5",
		  "8473751fa178265600c7ebcd9254da67ddd47433", "847f039af1e9a880181e92be5c63bae0",
		  "020e94cbc9a041c750d8c19a48c9e0a3"
		  "b922bab3f43c8f6ec85fafb7" },
		{ "gcmEncryptExtIV256 Taglen 64",
		  "790915f0da0e8d91d13ddabd99fa6cae2760875ca4c4a4aca880c34488893ef2",
		  "0de373a32ea6712eddf551aa", "a191bbe17a80f89077562dd64d423e6722a7c7b6",
		  "efae9b74961c0028907ef40cfd73266a",
		  "582d86a0abf9a21590dbf6afdbcc816f"
		  "e253fd9b12d5e7ea" },
		{ "gcmEncryptExtIV256 Taglen 96",
		  "02168b4fdd00870a8f9f443e79ee379b676c3c383c60a027b435722ae41af284",
		  "62bbebbc68e5423d27fe5d59", "4bcc4045752634c528fd9450e56c960ffafdc7fb",
		  "08422dd3e9d87ef50a0c989a1088dc1e",
		  "9b46212802e81fe366efdb4e279bc9b7"
		  "7106445c3261652764102b1d" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		aead_vector(v[i].what, UDPESP_ALG_AES_GCM_16, v[i].key, v[i].iv, v[i].aad,
			    v[i].plain, v[i].ct);
}

/* Packets from Scapy and python-cryptography (gen_esp_vectors.py). */
Test(esp_crypto, cross_check_scapy_and_cryptography)
{
	bool seen[UDPESP_ALG_AES_CTR_HMAC + 1][2] = {};

	cr_assert_gt(ARRAY_SIZE(esp_xvecs), 0);
	for (size_t i = 0; i < ARRAY_SIZE(esp_xvecs); i++) {
		const struct esp_xvec *v = &esp_xvecs[i];
		struct esp_suite s = suite_icv(v->alg, v->hmac, v->key_len, v->icv_bits);

		cr_assert_eq(v->auth_key_len, s.hmac_key_len, "%s", v->name);
		known_answer(v->name, &s, v->key, v->auth_key, v->esn, v->seq_hi, v->plain, v->wire,
			     v->len);
		seen[v->alg][v->esn] = true;
	}
	for (int a = UDPESP_ALG_AES_GCM_16; a <= UDPESP_ALG_AES_CTR_HMAC; a++)
		cr_assert(seen[a][0] && seen[a][1],
			  "no generated vector for alg %d with and without ESN", a);
}

/* Encrypt, then decrypt: every suite, ESN on and off, many lengths. */
Test(esp_crypto, round_trip_every_suite)
{
	static const size_t payloads[] = {
		0, 1, 2, 3, 13, 14, 15, 16, 17, 64, 255, 1000, 1400, 1900
	};

	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_case_of(&suites[i]);
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
				cr_assert_eq(ret, 0, "%s payload %zu: encrypt %d", suites[i].name,
					     payloads[p], ret);
				cr_assert_eq(memcmp(pkt, orig, off), 0, "%s: header or IV changed",
					     suites[i].name);
				/* Only payloads of a block or more must change. */
				if (s.encrypts && body - off >= 16)
					cr_assert_neq(memcmp(pkt + off, orig + off, body - off), 0,
						      "%s: not encrypted", suites[i].name);
				if (!s.encrypts)
					cr_assert_eq(memcmp(pkt, orig, body), 0,
						     "%s: payload changed", suites[i].name);
				/* Twice in a row: the second reuses what the first set up. */
				cr_assert_eq(esp_crypto_encrypt(c, t, twin, len, esn, hi), 0);
				cr_assert_eq(memcmp(twin, pkt, len), 0,
					     "%s payload %zu: second encryption differs",
					     suites[i].name, payloads[p]);
				ret = esp_crypto_decrypt(c, t, pkt, len, esn, hi);
				cr_assert_eq(ret, 0, "%s payload %zu esn %d: decrypt %d",
					     suites[i].name, payloads[p], esn, ret);
				cr_assert_eq(memcmp(pkt, orig, body), 0,
					     "%s payload %zu: round trip differs", suites[i].name,
					     payloads[p]);
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
static void rejected(const char *what, struct esp_crypto *c, __u8 *pkt, size_t len, bool esn,
		     __u32 hi)
{
	__u8 copy[MAX_PKT];
	int ret;

	memcpy(copy, pkt, len);
	ret = esp_crypto_decrypt(c, t, pkt, len, esn, hi);
	cr_assert_eq(ret, -EBADMSG, "%s: decrypt returned %d", what, ret);
	cr_assert_eq(diff_at(pkt, copy, len), -1, "%s: buffer changed at byte %ld", what,
		     diff_at(pkt, copy, len));
}

/*
 * Any bit flipped anywhere (SPI, seq, IV, payload, trailer, ICV), a
 * wrong seq hi, or ESN used on one side only: refused, buffer untouched.
 */
Test(esp_crypto, icv_failure_leaves_buffer_unchanged)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_case_of(&suites[i]);
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
					 "%s esn %d: bit %zu of byte %zu of %zu", suites[i].name,
					 esn, b % 8, b, len);
				pkt[b] ^= bit;
				rejected(what, c, pkt, len, esn, hi);
				pkt[b] ^= bit;
			}
			snprintf(what, sizeof(what), "%s esn %d: wrong seq hi", suites[i].name,
				 esn);
			if (esn) {
				rejected(what, c, pkt, len, true, hi + 1);
				rejected(what, c, pkt, len, true, hi ^ 0x80000000);
				rejected(what, c, pkt, len, false, 0);
			} else {
				rejected(what, c, pkt, len, true, 0);
			}
			/* Still intact: the failures changed nothing. */
			cr_assert_eq(esp_crypto_decrypt(c, t, pkt, len, esn, hi), 0,
				     "%s esn %d: good packet after failures", suites[i].name, esn);
		}
		esp_crypto_free(c);
	}
}

/* Another SA's key fails the ICV too. */
Test(esp_crypto, wrong_key_is_rejected)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		struct esp_suite s = suite_case_of(&suites[i]);
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
		struct esp_suite s = suite_case_of(&suites[i]);
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
		struct esp_suite s = suite_case_of(&suites[i]);
		struct esp_crypto *c = context_for(&s);
		size_t bad[] = {
			0,     1,	   8, s.min_len - 1, s.min_len + 1, s.min_len + s.block / 2,
			65536, sizeof(big)
		};

		cr_assert_eq(s.min_len,
			     8 + s.iv_len + (2 + s.block - 1) / s.block * s.block + s.icv_len);
		fill(big, sizeof(big));
		for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
			__u8 before[64];

			memcpy(before, big, sizeof(before));
			cr_assert_eq(esp_crypto_decrypt(c, t, big, bad[k], false, 0), -EINVAL,
				     "%s len %zu decrypt", suites[i].name, bad[k]);
			cr_assert_eq(esp_crypto_encrypt(c, t, big, bad[k], true, 1), -EINVAL,
				     "%s len %zu encrypt", suites[i].name, bad[k]);
			cr_assert_eq(memcmp(before, big, sizeof(before)), 0);
		}
		/* The shortest valid packet is accepted (and fails its ICV). */
		cr_assert_eq(esp_crypto_decrypt(c, t, big, s.min_len, false, 0), -EBADMSG,
			     "%s min_len", suites[i].name);
		cr_assert_eq(esp_crypto_decrypt(NULL, t, big, s.min_len, false, 0), -EINVAL);
		cr_assert_eq(esp_crypto_decrypt(c, NULL, big, s.min_len, false, 0), -EINVAL);
		cr_assert_eq(esp_crypto_encrypt(c, t, NULL, s.min_len, false, 0), -EINVAL);
		esp_crypto_free(c);
	}
}

/* Suites and keys no backend should take. */
Test(esp_crypto, bad_suites_are_refused)
{
	__u8 key[128] = { 1 };
	struct esp_suite gcm = suite_of(UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE, 16);
	struct esp_suite cbc = suite_of(UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, 16);
	struct esp_suite nul = suite_of(UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA512, 0);
	struct {
		const char *what;
		struct esp_suite s;
		const __u8 *key, *auth_key;
	} bad[] = {
		{ "AES-GCM with a 20-byte key", gcm, key, NULL },
		{ "AES-GCM without a key", gcm, NULL, NULL },
		{ "AES-GCM with a 4-byte ICV", gcm, key, NULL },
		{ "AES-CBC without HMAC key", cbc, key, NULL },
		{ "AES-CBC without key", cbc, NULL, key },
		{ "HMAC-SHA-256 key longer than its block", cbc, key, key },
		{ "HMAC key of 0 bytes", nul, NULL, key },
		{ "HMAC-SHA-512 key longer than its block", nul, NULL, key },
		{ "no algorithm", gcm, key, key },
	};

	bad[0].s.key_len = 20;
	bad[2].s.icv_len = 4;
	bad[5].s.hmac_key_len = 65;
	bad[6].s.hmac_key_len = 0;
	bad[7].s.hmac_key_len = 129;
	bad[8].s.alg = UDPESP_ALG_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		cr_assert_null(esp_crypto_new(&bad[i].s, bad[i].key, bad[i].auth_key),
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
		struct esp_suite s = suite_case_of(&suites[i]);
		struct worker_arg args[4];
		pthread_t th[4];
		struct esp_crypto *c = context_for(&s);

		for (int k = 0; k < 4; k++) {
			args[k] = (struct worker_arg){ .c = c, .s = &s };
			cr_assert_eq(pthread_create(&th[k], NULL, worker, &args[k]), 0);
		}
		for (int k = 0; k < 4; k++) {
			pthread_join(th[k], NULL);
			cr_assert_eq(args[k].failures, 0, "%s thread %d", suites[i].name, k);
		}
		esp_crypto_free(c);
	}
}
