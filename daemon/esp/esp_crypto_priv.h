/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What both ESP crypto backends (esp_crypto_ipsecmb.c and
 * esp_crypto_openssl.c) check and build the same way: which suites they
 * take, which packet lengths are valid, the AEAD nonce and AAD of
 * RFC 4106, 4309, 4543 and 7634, the AES-CTR counter block of RFC 3686.
 * Only those two files include it.
 */
#ifndef UDPESP_ESP_CRYPTO_PRIV_H
#define UDPESP_ESP_CRYPTO_PRIV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include <udpesp/hdr.h>

#include "esp_suite.h"

#define ESP_HDR_LEN UDPESP_ESP_HLEN /* SPI + sequence number (RFC 4303 2) */
#define ESP_AEAD_NONCE_MAX 12	    /* salt (4, CCM 3) || IV (8) */
#define ESP_AEAD_IV_LEN 8
#define ESP_ICV_MAX 32		 /* HMAC-SHA-512-256 */
#define ESP_CRYPTO_MAX_LEN 65535 /* one UDP datagram's payload at most */
#define ESP_XCBC_KEY_LEN 16	 /* RFC 3566 4: AES-128 only */

/* The HMAC's hash block: keys up to it are used as they are. */
static inline size_t esp_hmac_block(enum esp_auth h)
{
	return h == ESP_AUTH_SHA256 || h == ESP_AUTH_SHA1 ? 64 : 128;
}

static inline size_t esp_hmac_icv(enum esp_auth h)
{
	/* RFC 4868 2.3: half the hash output; RFC 2404 and 3566: 96 bits. */
	switch (h) {
	case ESP_AUTH_SHA1:
	case ESP_AUTH_XCBC:
		return 12;
	case ESP_AUTH_SHA256:
		return 16;
	case ESP_AUTH_SHA384:
		return 24;
	default:
		return 32;
	}
}

static inline bool esp_aes_key_ok(size_t n)
{
	return n == 16 || n == 24 || n == 32;
}

/* GCM and CCM ICVs ESP may carry (RFC 4106 3, RFC 4309 3.2). */
static inline bool esp_aead_icv_ok(size_t n)
{
	return n == 8 || n == 12 || n == 16;
}

static inline int esp_crypto_aead_ok(const struct esp_suite *s, const __u8 *key)
{
	if (!s->aead || s->hmac != ESP_AUTH_NONE || !key || s->iv_len != ESP_AEAD_IV_LEN ||
	    s->block != 4 || s->hmac_key_len ||
	    s->salt_len != (s->alg == UDPESP_ALG_AES_CCM ? 3 : 4) ||
	    s->encrypts != (s->alg != UDPESP_ALG_AES_GMAC))
		return -EINVAL;
	switch (s->alg) {
	case UDPESP_ALG_CHACHA20_POLY1305:
		return s->key_len == 32 && s->icv_len == 16 ? 0 : -EINVAL;
	case UDPESP_ALG_AES_GMAC:
		return esp_aes_key_ok(s->key_len) && s->icv_len == 16 ? 0 : -EINVAL;
	default: /* GCM, CCM */
		return esp_aes_key_ok(s->key_len) && esp_aead_icv_ok(s->icv_len) ? 0 : -EINVAL;
	}
}

/*
 * A suite both backends implement with every length they rely on, and
 * the keys it needs. sa_check() only produces such suites; the HMAC key
 * may be any length up to the hash's block size (RFC 2104), so that the
 * RFC 4231 vectors with short keys apply too.
 */
static inline int esp_crypto_suite_ok(const struct esp_suite *s, const __u8 *key,
				      const __u8 *auth_key)
{
	switch (s->alg) {
	case UDPESP_ALG_AES_GCM_16:
	case UDPESP_ALG_AES_GMAC:
	case UDPESP_ALG_CHACHA20_POLY1305:
	case UDPESP_ALG_AES_CCM:
		return esp_crypto_aead_ok(s, key);
	case UDPESP_ALG_AES_CBC_HMAC:
		if (!key || s->iv_len != 16 || s->block != 16 || !s->encrypts || s->salt_len ||
		    !esp_aes_key_ok(s->key_len))
			return -EINVAL;
		break;
	case UDPESP_ALG_AES_CTR_HMAC:
		/* RFC 3686 4: a 4-byte nonce after the key, an 8-byte IV. */
		if (!key || s->iv_len != 8 || s->block != 4 || !s->encrypts || s->salt_len != 4 ||
		    !esp_aes_key_ok(s->key_len))
			return -EINVAL;
		break;
	case UDPESP_ALG_NULL_HMAC:
		if (s->key_len || s->iv_len || s->block != 4 || s->encrypts || s->salt_len)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (s->aead || !auth_key || !s->hmac_key_len ||
	    (s->hmac != ESP_AUTH_SHA256 && s->hmac != ESP_AUTH_SHA384 &&
	     s->hmac != ESP_AUTH_SHA512 && s->hmac != ESP_AUTH_SHA1 && s->hmac != ESP_AUTH_XCBC) ||
	    s->icv_len != esp_hmac_icv(s->hmac))
		return -EINVAL;
	if (s->hmac == ESP_AUTH_XCBC)
		return s->hmac_key_len == ESP_XCBC_KEY_LEN ? 0 : -EINVAL;
	return s->hmac_key_len <= esp_hmac_block(s->hmac) ? 0 : -EINVAL;
}

/*
 * At least header, IV, a trailer padded to the block and the ICV; the
 * encrypted (or, for GMAC and NULL, authenticated) payload a whole
 * number of blocks (RFC 4303 2.4).
 */
static inline bool esp_crypto_len_ok(const struct esp_suite *s, size_t len)
{
	size_t fixed = ESP_HDR_LEN + s->iv_len + s->icv_len;
	size_t trailer = (2 + s->block - 1) / s->block * s->block;

	if (len < fixed + trailer || len > ESP_CRYPTO_MAX_LEN)
		return false;
	return (len - fixed) % s->block == 0;
}

static inline void esp_put_be32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * RFC 4106 4, 4309 4, 7634 2: the nonce is salt || the packet's IV.
 * Returns its length (12, or 11 for CCM).
 */
static inline size_t esp_aead_nonce(__u8 nonce[ESP_AEAD_NONCE_MAX], const __u8 *salt,
				    size_t salt_len, const __u8 *esp)
{
	memcpy(nonce, salt, salt_len);
	memcpy(nonce + salt_len, esp + ESP_HDR_LEN, ESP_AEAD_IV_LEN);
	return salt_len + ESP_AEAD_IV_LEN;
}

/* RFC 3686 4: nonce || IV || block counter 1, big-endian. */
static inline void esp_ctr_block(__u8 ctr[16], const __u8 *nonce, const __u8 *esp)
{
	memcpy(ctr, nonce, 4);
	memcpy(ctr + 4, esp + ESP_HDR_LEN, 8);
	ctr[12] = 0;
	ctr[13] = 0;
	ctr[14] = 0;
	ctr[15] = 1;
}

/*
 * RFC 4106 5, RFC 4309 5, RFC 7634 2.1: AAD = SPI || seq lo, or SPI || seq hi ||
 * seq lo with ESN. Returns its length (8 or 12).
 */
static inline size_t esp_aead_aad(__u8 aad[12], const __u8 *esp, bool esn, __u32 seq_hi)
{
	memcpy(aad, esp, 4);
	if (!esn) {
		memcpy(aad + 4, esp + 4, 4);
		return 8;
	}
	esp_put_be32(aad + 4, seq_hi);
	memcpy(aad + 8, esp + 4, 4);
	return 12;
}

#endif /* UDPESP_ESP_CRYPTO_PRIV_H */
