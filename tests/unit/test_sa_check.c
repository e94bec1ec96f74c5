// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * sa_check(): every offloaded suite with each key size it takes, and
 * every refusal with its message. Keys are filled with 0xa5 so that a
 * message leaking key bytes would show "a5a5".
 */
#define _GNU_SOURCE /* strcasestr */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "common/sa_check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void addr(struct udpesp_ctl_addr *a, const char *s, __u8 plen)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1)
		a->family = UDPESP_AF_INET;
	else if (inet_pton(AF_INET6, s, a->addr) == 1)
		a->family = UDPESP_AF_INET6;
	else
		cr_assert_fail("bad test address %s", s);
	a->prefixlen = plen;
}

static void alg(struct udpesp_ctl_alg *a, const char *name, __u32 key_len, __u32 bits)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->name, name);
	a->key_len = key_len;
	a->bits = bits;
	memset(a->key, 0xa5, key_len <= UDPESP_KEY_MAX ? key_len : 0);
}

/* The DESIGN.md example: inbound AES-GCM-16-128 tunnel over UDP/4500. */
static void base(struct udpesp_ctl_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->dir = UDPESP_DIR_IN;
	sa->mode = UDPESP_MODE_TUNNEL;
	sa->encap = UDPESP_ENCAP_ESPINUDP;
	sa->spi = htonl(0x1001);
	addr(&sa->src, "198.51.100.7", 32);
	addr(&sa->dst, "192.0.2.1", 32);
	addr(&sa->encap_oa, "0.0.0.0", 32);
	sa->encap_sport = htons(4500);
	sa->encap_dport = htons(4500);
	sa->replay_window = 128;
	sa->flags = UDPESP_CTL_SA_ESN;
	sa->nsel = 1;
	addr(&sa->sel[0].src, "203.0.113.0", 24);
	addr(&sa->sel[0].dst, "198.18.0.0", 24);
	alg(&sa->aead, "rfc4106(gcm(aes))", 20, 128);
}

static void base_cbc(struct udpesp_ctl_sa *sa)
{
	base(sa);
	memset(&sa->aead, 0, sizeof(sa->aead));
	alg(&sa->enc, "cbc(aes)", 16, 0);
	alg(&sa->auth, "hmac(sha256)", 32, 128);
}

static void accepted(const struct udpesp_ctl_sa *sa, struct esp_suite *s)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret = sa_check(sa, s, err, sizeof(err));

	cr_assert_eq(ret, 0, "refused: %s", err);
	cr_assert_str_empty(err);
}

/* Refused with -EINVAL, a message containing want, and no key bytes. */
static void refused(const struct udpesp_ctl_sa *sa, const char *want)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct esp_suite s;
	int ret = sa_check(sa, &s, err, sizeof(err));

	cr_assert_eq(ret, -EINVAL, "accepted, expected \"%s\"", want);
	cr_assert(strstr(err, want), "message \"%s\" lacks \"%s\"", err, want);
	cr_assert(!strcasestr(err, "a5a5"), "key bytes in \"%s\"", err);
	cr_assert_lt(strlen(err), UDPESP_CTL_ERRMSG_MAX - 1, "message may be truncated: \"%s\"",
		     err);
}

static void refused_exact(const struct udpesp_ctl_sa *sa, const char *want)
{
	char err[UDPESP_CTL_ERRMSG_MAX] = "";

	cr_assert_eq(sa_check(sa, NULL, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, want);
}

/*
 * Every suite and key size. min_len = 8 (SPI + seq) + IV + the 2 trailer
 * bytes padded to the block + ICV:
 *   AEADs (GCM, ChaCha20-Poly1305, GMAC): 8 + 8 + 4 + 16  = 36
 *   cbc(aes) + hmac(sha256):  8 + 16 + 16 + 16 = 56
 *   cbc(aes) + hmac(sha384):  8 + 16 + 16 + 24 = 64
 *   cbc(aes) + hmac(sha512):  8 + 16 + 16 + 32 = 72
 *   ecb(cipher_null) + hmac(sha256): 8 + 0 + 4 + 16 = 28
 *   ecb(cipher_null) + hmac(sha384): 8 + 0 + 4 + 24 = 36
 *   ecb(cipher_null) + hmac(sha512): 8 + 0 + 4 + 32 = 44
 */
static const struct suite_case {
	const char *enc; /* aead name when auth is NULL */
	__u32 enc_key, enc_bits;
	const char *auth;
	__u32 auth_key, auth_bits;
	/* expected */
	enum udpesp_alg alg;
	enum esp_auth hmac;
	const char *enc_name, *auth_name;
	bool encrypts;
	__u8 key_len, salt_len, iv_len, block, icv_len, hmac_key_len;
	__u16 min_len;
} suites[] = {
	{ "rfc4106(gcm(aes))", 20, 128, NULL, 0, 0, UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE,
	  "rfc4106(gcm(aes))", NULL, true, 16, 4, 8, 4, 16, 0, 36 },
	{ "rfc4106(gcm(aes))", 28, 128, NULL, 0, 0, UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE,
	  "rfc4106(gcm(aes))", NULL, true, 24, 4, 8, 4, 16, 0, 36 },
	{ "rfc4106(gcm(aes))", 36, 128, NULL, 0, 0, UDPESP_ALG_AES_GCM_16, ESP_AUTH_NONE,
	  "rfc4106(gcm(aes))", NULL, true, 32, 4, 8, 4, 16, 0, 36 },
	{ "rfc7539esp(chacha20,poly1305)", 36, 128, NULL, 0, 0, UDPESP_ALG_CHACHA20_POLY1305,
	  ESP_AUTH_NONE, "rfc7539esp(chacha20,poly1305)", NULL, true, 32, 4, 8, 4, 16, 0, 36 },
	{ "rfc4543(gcm(aes))", 20, 128, NULL, 0, 0, UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE,
	  "rfc4543(gcm(aes))", NULL, false, 16, 4, 8, 4, 16, 0, 36 },
	{ "rfc4543(gcm(aes))", 28, 128, NULL, 0, 0, UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE,
	  "rfc4543(gcm(aes))", NULL, false, 24, 4, 8, 4, 16, 0, 36 },
	{ "rfc4543(gcm(aes))", 36, 128, NULL, 0, 0, UDPESP_ALG_AES_GMAC, ESP_AUTH_NONE,
	  "rfc4543(gcm(aes))", NULL, false, 32, 4, 8, 4, 16, 0, 36 },
	{ "cbc(aes)", 16, 0, "hmac(sha256)", 32, 128, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256,
	  "cbc(aes)", "hmac(sha256)", true, 16, 0, 16, 16, 16, 32, 56 },
	{ "cbc(aes)", 24, 0, "hmac(sha256)", 32, 128, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256,
	  "cbc(aes)", "hmac(sha256)", true, 24, 0, 16, 16, 16, 32, 56 },
	{ "cbc(aes)", 32, 0, "hmac(sha256)", 32, 128, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256,
	  "cbc(aes)", "hmac(sha256)", true, 32, 0, 16, 16, 16, 32, 56 },
	{ "cbc(aes)", 16, 0, "hmac(sha384)", 48, 192, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384,
	  "cbc(aes)", "hmac(sha384)", true, 16, 0, 16, 16, 24, 48, 64 },
	{ "cbc(aes)", 32, 0, "hmac(sha512)", 64, 256, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512,
	  "cbc(aes)", "hmac(sha512)", true, 32, 0, 16, 16, 32, 64, 72 },
	/* `auth` (bits 0): Linux's default, which is RFC 4868's for these. */
	{ "cbc(aes)", 16, 0, "hmac(sha384)", 48, 0, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA384,
	  "cbc(aes)", "hmac(sha384)", true, 16, 0, 16, 16, 24, 48, 64 },
	{ "cbc(aes)", 16, 0, "hmac(sha512)", 64, 0, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA512,
	  "cbc(aes)", "hmac(sha512)", true, 16, 0, 16, 16, 32, 64, 72 },
	/* Linux's compat names. */
	{ "aes", 16, 0, "sha256", 32, 128, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA256, "cbc(aes)",
	  "hmac(sha256)", true, 16, 0, 16, 16, 16, 32, 56 },
	{ "ecb(cipher_null)", 0, 0, "hmac(sha256)", 32, 128, UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA256,
	  "ecb(cipher_null)", "hmac(sha256)", false, 0, 0, 0, 4, 16, 32, 28 },
	{ "ecb(cipher_null)", 0, 0, "hmac(sha384)", 48, 192, UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA384,
	  "ecb(cipher_null)", "hmac(sha384)", false, 0, 0, 0, 4, 24, 48, 36 },
	{ "cipher_null", 0, 0, "hmac(sha512)", 64, 256, UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA512,
	  "ecb(cipher_null)", "hmac(sha512)", false, 0, 0, 0, 4, 32, 64, 44 },
};

Test(sa_check, every_suite)
{
	for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
		const struct suite_case *t = &suites[i];
		struct udpesp_ctl_sa sa;
		struct esp_suite s;

		base(&sa);
		memset(&sa.aead, 0, sizeof(sa.aead));
		if (t->auth) {
			alg(&sa.enc, t->enc, t->enc_key, t->enc_bits);
			alg(&sa.auth, t->auth, t->auth_key, t->auth_bits);
		} else {
			alg(&sa.aead, t->enc, t->enc_key, t->enc_bits);
		}
		memset(&s, 0xff, sizeof(s));
		accepted(&sa, &s);
		cr_expect_eq(s.alg, t->alg, "case %zu", i);
		cr_expect_eq(s.hmac, t->hmac, "case %zu", i);
		cr_expect_str_eq(s.enc_name, t->enc_name, "case %zu", i);
		if (t->auth_name)
			cr_expect_str_eq(s.auth_name, t->auth_name, "case %zu", i);
		else
			cr_expect_null(s.auth_name, "case %zu", i);
		cr_expect_eq(s.aead, !t->auth, "case %zu", i);
		cr_expect_eq(s.encrypts, t->encrypts, "case %zu", i);
		cr_expect_eq(s.key_len, t->key_len, "case %zu", i);
		cr_expect_eq(s.salt_len, t->salt_len, "case %zu", i);
		cr_expect_eq(s.iv_len, t->iv_len, "case %zu", i);
		cr_expect_eq(s.block, t->block, "case %zu", i);
		cr_expect_eq(s.icv_len, t->icv_len, "case %zu", i);
		cr_expect_eq(s.hmac_key_len, t->hmac_key_len, "case %zu", i);
		cr_expect_eq(s.min_len, t->min_len, "case %zu: min_len %u", i, s.min_len);
	}
}

Test(sa_check, design_example_and_null_buffers)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	cr_assert_eq(sa_check(&sa, NULL, NULL, 0), 0);
	sa.spi = 0;
	cr_assert_eq(sa_check(&sa, NULL, NULL, 0), -EINVAL);
}

/* Each AEAD names its key sizes in bytes and bits, salt included. */
Test(sa_check, aead_key_lengths)
{
	static const struct {
		const char *name;
		__u32 len;
		const char *msg;
	} cases[] = {
		{ "rfc4106(gcm(aes))", 16,
		  "rfc4106(gcm(aes)) needs a 20, 28 or 36-byte key (128/192/256-bit key + 4-byte salt), got 16" },
		{ "rfc4106(gcm(aes))", 32,
		  "rfc4106(gcm(aes)) needs a 20, 28 or 36-byte key (128/192/256-bit key + 4-byte salt), got 32" },
		{ "rfc4106(gcm(aes))", 0,
		  "rfc4106(gcm(aes)) needs a 20, 28 or 36-byte key (128/192/256-bit key + 4-byte salt), got 0" },
		{ "rfc7539esp(chacha20,poly1305)", 32,
		  "rfc7539esp(chacha20,poly1305) needs a 36-byte key (256-bit key + 4-byte salt), got 32" },
		{ "rfc4543(gcm(aes))", 3,
		  "rfc4543(gcm(aes)) needs a 20, 28 or 36-byte key (128/192/256-bit key + 4-byte salt), got 3" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct udpesp_ctl_sa sa;

		base(&sa);
		alg(&sa.aead, cases[i].name, cases[i].len, 128);
		refused_exact(&sa, cases[i].msg);
	}
}

/* RFC 4106 3 and RFC 4309 3.2: 8, 12 or 16-byte ICVs; the others 16. */
Test(sa_check, aead_icv_lengths)
{
	static const __u32 bad[] = { 0, 32, 63, 65, 80, 112, 120, 127, 129, 160, 256 };
	struct udpesp_ctl_sa sa;
	struct esp_suite s;

	for (__u32 bits = 64; bits <= 128; bits += 32) {
		base(&sa);
		sa.aead.bits = bits;
		accepted(&sa, &s);
		cr_assert_eq(s.icv_len, bits / 8);
		cr_assert_eq(s.min_len, 8 + 8 + 4 + bits / 8);
		alg(&sa.aead, "rfc4309(ccm(aes))", 19, bits);
		accepted(&sa, &s);
		cr_assert_eq(s.alg, UDPESP_ALG_AES_CCM);
		cr_assert_eq(s.icv_len, bits / 8);
		cr_assert_eq(s.salt_len, 3);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		base(&sa);
		sa.aead.bits = bad[i];
		refused(&sa,
			"rfc4106(gcm(aes)): the ICV must be 64, 96 or 128 bits (ENCR_AES_GCM_8/12/16, RFC 4106), got");
		alg(&sa.aead, "rfc4309(ccm(aes))", 19, bad[i]);
		refused(&sa,
			"rfc4309(ccm(aes)): the ICV must be 64, 96 or 128 bits (ENCR_AES_CCM_8/12/16, RFC 4309), got");
	}
	alg(&sa.aead, "rfc7539esp(chacha20,poly1305)", 36, 96);
	refused_exact(&sa,
		      "rfc7539esp(chacha20,poly1305): the ICV must be 128 bits (RFC 7634), got 96");
	alg(&sa.aead, "rfc4543(gcm(aes))", 20, 0);
	refused_exact(&sa, "rfc4543(gcm(aes)): the ICV must be 128 bits (RFC 4543), got 0");
}

Test(sa_check, cbc_null_hmac_lengths)
{
	struct udpesp_ctl_sa sa;

	base_cbc(&sa);
	sa.enc.key_len = 20;
	refused_exact(&sa, "cbc(aes) needs a 16, 24 or 32-byte key (128/192/256 bits), got 20");
	sa.enc.key_len = 0;
	refused(&sa, "got 0");

	base_cbc(&sa);
	alg(&sa.enc, "ecb(cipher_null)", 16, 0);
	refused_exact(&sa, "ecb(cipher_null) takes an empty key (\"\"), got 16 bytes");

	base_cbc(&sa);
	sa.auth.key_len = 20;
	refused_exact(&sa, "hmac(sha256) needs a 32-byte (256-bit) key (RFC 4868), got 20");
	alg(&sa.auth, "hmac(sha384)", 32, 192);
	refused_exact(&sa, "hmac(sha384) needs a 48-byte (384-bit) key (RFC 4868), got 32");
	alg(&sa.auth, "hmac(sha512)", 32, 256);
	refused_exact(&sa, "hmac(sha512) needs a 64-byte (512-bit) key (RFC 4868), got 32");
}

Test(sa_check, hmac_truncation)
{
	struct udpesp_ctl_sa sa;

	base_cbc(&sa);
	sa.auth.bits = 96;
	refused_exact(
		&sa,
		"hmac(sha256): truncation must be 128 bits (HMAC-SHA-256-128, RFC 4868), got 96");
	sa.auth.bits = 256;
	refused(&sa, "got 256");
	alg(&sa.auth, "hmac(sha384)", 48, 128);
	refused_exact(
		&sa,
		"hmac(sha384): truncation must be 192 bits (HMAC-SHA-384-192, RFC 4868), got 128");
	alg(&sa.auth, "hmac(sha512)", 64, 128);
	refused_exact(
		&sa,
		"hmac(sha512): truncation must be 256 bits (HMAC-SHA-512-256, RFC 4868), got 128");
	/* `auth 'hmac(sha256)' KEY`: Linux would truncate to 96 bits. */
	alg(&sa.auth, "hmac(sha256)", 32, 0);
	refused_exact(
		&sa,
		"auth 'hmac(sha256)' means Linux's 96-bit truncation, not RFC 4868's 128: use auth-trunc 'hmac(sha256)' KEY 128");
}

Test(sa_check, unknown_algorithms_list_accepted_names)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	strcpy(sa.aead.name, "rfc4309(gcm(aes))");
	refused_exact(
		&sa,
		"unknown AEAD \"rfc4309(gcm(aes))\"; accepted: rfc4106(gcm(aes)), rfc4309(ccm(aes)), rfc7539esp(chacha20,poly1305), rfc4543(gcm(aes))");
	strcpy(sa.aead.name, "cbc(aes)");
	refused_exact(&sa,
		      "cbc(aes) is not an AEAD: use enc NAME KEY with auth-trunc NAME KEY BITS");

	base_cbc(&sa);
	strcpy(sa.enc.name, "cbc(twofish)");
	refused_exact(
		&sa,
		"unknown encryption algorithm \"cbc(twofish)\"; accepted: cbc(aes), rfc3686(ctr(aes)), ecb(cipher_null)");
	strcpy(sa.enc.name, "rfc4106(gcm(aes))");
	refused_exact(&sa, "rfc4106(gcm(aes)) is an AEAD: use aead NAME KEY ICV_BITS");

	base_cbc(&sa);
	strcpy(sa.auth.name, "cmac(aes)");
	refused_exact(
		&sa,
		"unknown integrity algorithm \"cmac(aes)\"; accepted: hmac(sha256), hmac(sha384), hmac(sha512), hmac(sha1), xcbc(aes)");
	strcpy(sa.auth.name, "rfc4543(gcm(aes))");
	refused_exact(&sa, "rfc4543(gcm(aes)) is an AEAD: use aead NAME KEY ICV_BITS");
	/* Names are matched exactly, as the kernel does. */
	strcpy(sa.auth.name, "HMAC(SHA256)");
	refused(&sa, "unknown integrity algorithm \"HMAC(SHA256)\"");
}

/* A key sent as a name is not echoed back. */
Test(sa_check, key_like_name_hidden)
{
	struct udpesp_ctl_sa sa;
	char err[UDPESP_CTL_ERRMSG_MAX];

	base(&sa);
	strcpy(sa.aead.name, "0x0123456789abcdef0123456789abcdef");
	cr_assert_eq(sa_check(&sa, NULL, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(
		err,
		"unknown AEAD (a name that looks like a key, not shown); accepted: rfc4106(gcm(aes)), rfc4309(ccm(aes)), rfc7539esp(chacha20,poly1305), rfc4543(gcm(aes))");
	cr_assert(!strstr(err, "0123456789abcdef"), "%s", err);
	strcpy(sa.aead.name, "0123456789abcdef0123456789abcdef");
	cr_assert_eq(sa_check(&sa, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(!strstr(err, "0123456789abcdef"), "%s", err);
}

Test(sa_check, rfc8221_refusals)
{
	static const struct {
		int slot; /* 0 aead, 1 enc, 2 auth */
		const char *name;
		const char *msg;
	} cases[] = {
		{ 1, "cbc(des)",
		  "cbc(des) is refused (DES: RFC 8221 says MUST NOT); use aead 'rfc4106(gcm(aes))' or enc 'cbc(aes)'" },
		{ 1, "des", "des is refused (DES: RFC 8221 says MUST NOT)" },
		{ 1, "cbc(des3_ede)",
		  "cbc(des3_ede) is refused (3DES: RFC 8221 says SHOULD NOT); use aead 'rfc4106(gcm(aes))' or enc 'cbc(aes)'" },
		{ 1, "des3_ede", "des3_ede is refused (3DES: RFC 8221 says SHOULD NOT)" },
		{ 2, "hmac(md5)",
		  "hmac(md5) is refused (HMAC-MD5-96: RFC 8221 says MUST NOT); use auth-trunc 'hmac(sha256)' KEY 128" },
		{ 2, "md5", "md5 is refused (HMAC-MD5-96: RFC 8221 says MUST NOT)" },
		/* In the wrong slot too. */
		{ 0, "cbc(des3_ede)", "cbc(des3_ede) is refused (3DES: RFC 8221" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct udpesp_ctl_sa sa;
		struct udpesp_ctl_alg *slot;

		base_cbc(&sa);
		slot = cases[i].slot == 0 ? &sa.aead : cases[i].slot == 1 ? &sa.enc : &sa.auth;
		if (cases[i].slot == 0) {
			memset(&sa.enc, 0, sizeof(sa.enc));
			memset(&sa.auth, 0, sizeof(sa.auth));
		}
		strcpy(slot->name, cases[i].name);
		refused(&sa, cases[i].msg);
	}
}

Test(sa_check, algorithm_combinations)
{
	struct udpesp_ctl_sa sa;

	/* Integrity alone is what AH does. */
	base_cbc(&sa);
	memset(&sa.enc, 0, sizeof(sa.enc));
	refused_exact(
		&sa,
		"integrity without encryption is AH, which is not offloaded: RFC 8221 prefers ESP with NULL encryption, enc 'ecb(cipher_null)' \"\"");

	base_cbc(&sa);
	memset(&sa.auth, 0, sizeof(sa.auth));
	refused_exact(
		&sa,
		"never offload unauthenticated ESP: enc \"cbc(aes)\" needs auth-trunc 'hmac(sha256)' KEY 128, or use an aead (RFC 8221 says MUST NOT)");
	alg(&sa.enc, "ecb(cipher_null)", 0, 0);
	refused(&sa, "never offload unauthenticated ESP: enc \"ecb(cipher_null)\"");

	base(&sa);
	memset(&sa.aead, 0, sizeof(sa.aead));
	refused_exact(
		&sa,
		"no algorithm: give aead NAME KEY ICV_BITS, or enc NAME KEY with auth-trunc NAME KEY BITS");

	base(&sa);
	alg(&sa.enc, "cbc(aes)", 16, 0);
	refused_exact(
		&sa, "aead cannot be combined with enc or auth: an AEAD carries its own integrity");
	base(&sa);
	alg(&sa.auth, "hmac(sha256)", 32, 128);
	refused(&sa, "aead cannot be combined with enc or auth");
}

Test(sa_check, malformed_algorithm_slots)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	memset(sa.aead.name, 'a', sizeof(sa.aead.name));
	refused_exact(&sa, "aead: algorithm name is not terminated");
	base(&sa);
	sa.aead.key_len = UDPESP_KEY_MAX + 1;
	refused_exact(&sa, "aead: key of 65 bytes exceeds 64");
	base(&sa);
	sa.enc.key_len = 16;
	refused_exact(&sa, "enc: key or length without an algorithm name");
	base(&sa);
	sa.auth.bits = 128;
	refused_exact(&sa, "auth: key or length without an algorithm name");
}

Test(sa_check, spi_reserved)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	sa.spi = 0;
	refused_exact(&sa, "SPI 0 is reserved (RFC 4303 2.1): use one above 255");
	sa.spi = htonl(1);
	refused_exact(&sa, "SPI 1 is in 1-255, reserved by IANA (RFC 4303 2.1): use one above 255");
	sa.spi = htonl(255);
	refused(&sa, "SPI 255 is in 1-255");
	sa.spi = htonl(256);
	accepted(&sa, NULL);
	sa.spi = htonl(0xffffffff);
	accepted(&sa, NULL);
}

Test(sa_check, dir_mode_offload)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	sa.dir = 0;
	refused_exact(&sa, "dir is required: in or out");
	sa.dir = 3;
	refused_exact(&sa, "dir 3 is not in or out");
	base(&sa);
	sa.mode = 0;
	refused_exact(&sa, "mode is required: tunnel or transport");
	sa.mode = 3;
	refused_exact(&sa, "mode 3 is not tunnel or transport");
	base(&sa);
	sa.offload = UDPESP_OFFLOAD_KFUNC + 1;
	refused_exact(&sa, "offload 3 is not auto, xsk or kfunc");
	sa.offload = UDPESP_OFFLOAD_XSK;
	accepted(&sa, NULL);
}

Test(sa_check, replay_window_and_esn)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	sa.replay_window = UDPESP_REPLAY_MAX;
	accepted(&sa, NULL);
	sa.replay_window = UDPESP_REPLAY_MAX + 1;
	refused_exact(&sa, "replay-window 4097 exceeds 4096, the largest window offloaded");

	base(&sa);
	sa.replay_window = 0;
	refused_exact(&sa, "flag esn needs a replay-window above 0 on an inbound SA (RFC 4304)");
	sa.flags = 0; /* no ESN, no anti-replay: allowed as in Linux */
	accepted(&sa, NULL);

	/* Outbound: ESN without a window is the normal case. */
	base(&sa);
	sa.dir = UDPESP_DIR_OUT;
	sa.replay_window = 0;
	accepted(&sa, NULL);
	sa.replay_window = 32;
	refused_exact(&sa,
		      "replay-window must be 0 on an outbound SA: only receivers check replay");

	base(&sa);
	sa.flags |= 1u << 7;
	refused_exact(&sa, "unknown flags 0x80");
}

Test(sa_check, sequence_numbers_by_direction)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	sa.flags |= UDPESP_CTL_SA_HAS_REPLAY_SEQ;
	sa.replay_seq = 100;
	sa.replay_seq_hi = 2;
	accepted(&sa, NULL);
	sa.replay_oseq = 1;
	refused_exact(
		&sa,
		"replay-oseq and replay-oseq-hi are for outbound SAs; an inbound SA takes replay-seq");

	base(&sa);
	sa.flags = UDPESP_CTL_SA_HAS_REPLAY_SEQ;
	sa.replay_seq_hi = 1;
	refused_exact(&sa, "replay-seq-hi needs flag esn: without ESN sequence numbers are 32-bit");

	base(&sa);
	sa.dir = UDPESP_DIR_OUT;
	sa.replay_window = 0;
	sa.flags = UDPESP_CTL_SA_HAS_REPLAY_OSEQ;
	sa.replay_oseq = 7;
	accepted(&sa, NULL);
	sa.replay_oseq_hi = 1;
	refused_exact(&sa,
		      "replay-oseq-hi needs flag esn: without ESN sequence numbers are 32-bit");
	sa.flags |= UDPESP_CTL_SA_ESN;
	accepted(&sa, NULL);
	sa.replay_seq = 1;
	refused_exact(
		&sa,
		"replay-seq and replay-seq-hi are for inbound SAs; an outbound SA takes replay-oseq");
}

Test(sa_check, encapsulation)
{
	struct udpesp_ctl_sa sa;

	base(&sa);
	sa.encap = UDPESP_ENCAP_NONE;
	refused_exact(&sa,
		      "UDP encapsulation is required: encap espinudp SPORT DPORT OADDR (RFC 3948)");
	sa.encap = UDPESP_ENCAP_MAX;
	refused_exact(&sa, "encapsulation type 2 is not offloaded: only espinudp (RFC 3948)");

	base(&sa);
	sa.encap_sport = 0;
	refused_exact(&sa, "encap: source port 0 is not a UDP port");
	base(&sa);
	sa.encap_dport = 0;
	refused_exact(&sa, "encap: destination port 0 is not a UDP port");

	base(&sa);
	addr(&sa.encap_oa, "::", 128);
	refused_exact(
		&sa,
		"encap: the original address must be IPv4 like src and dst (0.0.0.0 when unknown)");
	memset(&sa.encap_oa, 0, sizeof(sa.encap_oa)); /* none given */
	accepted(&sa, NULL);
}

Test(sa_check, address_families)
{
	struct udpesp_ctl_sa sa;
	struct esp_suite s;

	base(&sa);
	memset(&sa.src, 0, sizeof(sa.src));
	refused_exact(&sa, "src is required");
	base(&sa);
	memset(&sa.dst, 0, sizeof(sa.dst));
	refused_exact(&sa, "dst is required");
	base(&sa);
	sa.dst.family = 7;
	refused_exact(&sa, "dst: address family 7 is not IPv4 or IPv6");
	base(&sa);
	addr(&sa.dst, "2001:db8::1", 128);
	refused_exact(&sa,
		      "src is IPv4 and dst is IPv6: the outer addresses must be of one family");

	/* IPv6 outside, with its own original-address spelling. */
	base(&sa);
	addr(&sa.src, "2001:db8::7", 128);
	addr(&sa.dst, "2001:db8::1", 128);
	addr(&sa.encap_oa, "::", 128);
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, UDPESP_AF_INET, "IPv4 in IPv6 tunnel");
	addr(&sa.encap_oa, "0.0.0.0", 32);
	refused(&sa, "must be IPv6 like src and dst (:: when unknown)");
}

Test(sa_check, selectors)
{
	struct udpesp_ctl_sa sa;
	struct esp_suite s;

	base(&sa);
	addr(&sa.sel[0].dst, "2001:db8::", 64);
	refused_exact(&sa, "sel src is IPv4 and dst is IPv6: a selector has one family");

	base(&sa);
	sa.sel[0].src.prefixlen = 33;
	refused_exact(&sa, "sel src: prefix length 33 exceeds 32 for IPv4");
	base(&sa);
	addr(&sa.sel[0].src, "2001:db8::", 129);
	addr(&sa.sel[0].dst, "2001:db8:1::", 64);
	refused_exact(&sa, "sel src: prefix length 129 exceeds 128 for IPv6");
	base(&sa);
	sa.sel[0].dst.family = 3;
	refused_exact(&sa, "sel dst: address family 3 is not IPv4 or IPv6");

	/* Tunnel mode: the inner family is the selector's, any outer. */
	base(&sa);
	addr(&sa.sel[0].src, "2001:db8::", 64);
	addr(&sa.sel[0].dst, "2001:db8:1::", 64);
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, UDPESP_AF_INET6);
	/* Tunnel mode without selector: either family. */
	sa.nsel = 0;
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, 0);
	/* One side only. */
	sa.nsel = 1;
	memset(&sa.sel[0], 0, sizeof(sa.sel[0]));
	addr(&sa.sel[0].dst, "10.0.0.0", 8);
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, UDPESP_AF_INET);

	/* Transport mode: no inner header, so the outer family rules. */
	base(&sa);
	sa.mode = UDPESP_MODE_TRANSPORT;
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, UDPESP_AF_INET);
	addr(&sa.sel[0].src, "2001:db8::", 64);
	addr(&sa.sel[0].dst, "2001:db8:1::", 64);
	refused_exact(
		&sa, "transport mode keeps the outer family: sel is IPv6 but src and dst are IPv4");
	sa.nsel = 0;
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, UDPESP_AF_INET);
}

/* Several selectors, protocols and ports (RFC 4301 4.4.1). */
Test(sa_check, selector_lists_protocols_and_ports)
{
	struct udpesp_ctl_sa sa;
	struct esp_suite s;

	/* Two of one family: that family; of two families: either. */
	base(&sa);
	sa.nsel = 2;
	addr(&sa.sel[1].src, "198.51.100.0", 24);
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, UDPESP_AF_INET);
	addr(&sa.sel[1].dst, "2001:db8:5::", 48);
	refused_exact(&sa, "sel 2 src is IPv4 and dst is IPv6: a selector has one family");
	memset(&sa.sel[1], 0, sizeof(sa.sel[1]));
	addr(&sa.sel[1].dst, "2001:db8:5::", 48);
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, 0);
	/* A selector without addresses leaves the family open too. */
	memset(&sa.sel[1], 0, sizeof(sa.sel[1]));
	sa.sel[1].proto = 47;
	accepted(&sa, &s);
	cr_expect_eq(s.inner_family, 0);

	sa.nsel = UDPESP_SEL_MAX + 1;
	refused_exact(&sa, "9 selectors: an SA has at most 8");

	/* Ports: only with a protocol that has them, never an empty range. */
	base(&sa);
	sa.sel[0].proto = 6;
	sa.sel[0].dport_lo = sa.sel[0].dport_hi = 443;
	sa.sel[0].sport_lo = 1024;
	sa.sel[0].sport_hi = 65535;
	accepted(&sa, &s);
	sa.sel[0].proto = 132; /* SCTP */
	accepted(&sa, &s);
	sa.sel[0].proto = 1;
	refused_exact(&sa,
		      "sel sport: ports need proto tcp, udp, udplite, sctp or dccp (proto is 1)");
	sa.sel[0].proto = 0;
	refused_exact(&sa,
		      "sel sport: ports need proto tcp, udp, udplite, sctp or dccp (proto is 0)");
	sa.sel[0].proto = 17;
	sa.sel[0].sport_lo = 2000;
	sa.sel[0].sport_hi = 1000;
	refused_exact(&sa, "sel sport: range 2000-1000 is empty");
	sa.sel[0].sport_lo = sa.sel[0].sport_hi = 0;
	sa.sel[0].dport_hi = 0;
	refused_exact(&sa, "sel dport: range 443-0 is empty");
	/* A protocol alone is fine: ICMP, GRE, ... */
	sa.sel[0].dport_lo = 0;
	sa.sel[0].proto = 1;
	accepted(&sa, &s);
}

/* The parser handle belongs to inbound SAs; outbound ones ignore it. */
Test(sa_check, outbound_ignores_parser)
{
	struct udpesp_ctl_sa sa;
	struct esp_suite s;

	base(&sa);
	sa.dir = UDPESP_DIR_OUT;
	sa.replay_window = 0;
	sa.parser = 12345;
	accepted(&sa, &s);
	cr_expect_eq(s.min_len, 36);
}

/*
 * RFC 8221's MUST- (HMAC-SHA-1-96) and SHOULD NOT+ (AES-XCBC-MAC-96) are
 * accepted, with a note for the log quoting the level; AES-CTR (RFC
 * 3686) takes key + 4-byte nonce with any integrity.
 */
Test(sa_check, sha1_xcbc_ctr_accepted)
{
	static const struct {
		const char *enc;
		__u32 enc_key;
		const char *auth;
		__u32 auth_key, bits;
		enum udpesp_alg alg;
		enum esp_auth h;
		const char *note;
	} ok[] = {
		{ "cbc(aes)", 16, "hmac(sha1)", 20, 96, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA1,
		  "RFC 8221 says MUST-" },
		{ "aes", 32, "sha1", 20, 0, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_SHA1, "MUST-" },
		{ "cbc(aes)", 24, "xcbc(aes)", 16, 96, UDPESP_ALG_AES_CBC_HMAC, ESP_AUTH_XCBC,
		  "RFC 8221 says SHOULD NOT+" },
		{ "rfc3686(ctr(aes))", 20, "hmac(sha256)", 32, 128, UDPESP_ALG_AES_CTR_HMAC,
		  ESP_AUTH_SHA256, NULL },
		{ "rfc3686(ctr(aes))", 28, "hmac(sha1)", 20, 96, UDPESP_ALG_AES_CTR_HMAC,
		  ESP_AUTH_SHA1, "MUST-" },
		{ "rfc3686(ctr(aes))", 36, "xcbc(aes)", 16, 96, UDPESP_ALG_AES_CTR_HMAC,
		  ESP_AUTH_XCBC, "SHOULD NOT+" },
		{ "ecb(cipher_null)", 0, "hmac(sha1)", 20, 96, UDPESP_ALG_NULL_HMAC, ESP_AUTH_SHA1,
		  "MUST-" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct udpesp_ctl_sa sa;
		struct esp_suite s;
		const char *note;

		base_cbc(&sa);
		alg(&sa.enc, ok[i].enc, ok[i].enc_key, 0);
		alg(&sa.auth, ok[i].auth, ok[i].auth_key, ok[i].bits);
		accepted(&sa, &s);
		cr_assert_eq(s.alg, ok[i].alg, "%s", ok[i].enc);
		cr_assert_eq(s.hmac, ok[i].h, "%s", ok[i].auth);
		cr_assert_eq(s.icv_len, ok[i].h == ESP_AUTH_SHA256 ? 16 : 12);
		note = sa_check_note(&s);
		if (!ok[i].note) {
			cr_assert_null(note, "%s: note %s", ok[i].auth, note);
		} else {
			cr_assert_not_null(note, "%s: no note", ok[i].auth);
			cr_assert(strstr(note, ok[i].note), "%s: note \"%s\"", ok[i].auth, note);
		}
		if (ok[i].alg == UDPESP_ALG_AES_CTR_HMAC) {
			cr_assert_eq(s.key_len, ok[i].enc_key - 4);
			cr_assert_eq(s.salt_len, 4);
			cr_assert_eq(s.iv_len, 8);
			cr_assert_eq(s.block, 4);
			cr_assert_eq(s.min_len, 8 + 8 + 4 + s.icv_len);
		}
	}
}

/* Wrong key or truncation lengths name what is expected. */
Test(sa_check, sha1_xcbc_ctr_ccm_lengths)
{
	struct udpesp_ctl_sa sa;

	base_cbc(&sa);
	alg(&sa.auth, "hmac(sha1)", 32, 96);
	refused_exact(&sa, "hmac(sha1) needs a 20-byte (160-bit) key (RFC 2404), got 32");
	alg(&sa.auth, "hmac(sha1)", 20, 160);
	refused_exact(&sa,
		      "hmac(sha1): truncation must be 96 bits (HMAC-SHA-1-96, RFC 2404), got 160");
	alg(&sa.auth, "xcbc(aes)", 32, 96);
	refused_exact(&sa, "xcbc(aes) needs a 16-byte (128-bit) key (RFC 3566), got 32");
	alg(&sa.auth, "xcbc(aes)", 16, 128);
	refused_exact(&sa,
		      "xcbc(aes): truncation must be 96 bits (AES-XCBC-MAC-96, RFC 3566), got 128");

	base_cbc(&sa);
	alg(&sa.enc, "rfc3686(ctr(aes))", 16, 0);
	refused_exact(
		&sa,
		"rfc3686(ctr(aes)) needs a 20, 28 or 36-byte key (128/192/256-bit key + 4-byte nonce, RFC 3686), got 16");
	alg(&sa.enc, "rfc3686(ctr(aes))", 3, 0);
	refused(&sa, "got 3");

	base(&sa);
	alg(&sa.aead, "rfc4309(ccm(aes))", 20, 128);
	refused_exact(
		&sa,
		"rfc4309(ccm(aes)) needs a 19, 27 or 35-byte key (128/192/256-bit key + 3-byte salt), got 20");
	alg(&sa.aead, "rfc4309(ccm(aes))", 35, 128);
	accepted(&sa, NULL);
	alg(&sa.aead, "rfc4543(gcm(aes))", 36, 128);
	accepted(&sa, NULL);
}
