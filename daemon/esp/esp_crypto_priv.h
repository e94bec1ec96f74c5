/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What both ESP crypto backends (esp_crypto_ipsecmb.c and
 * esp_crypto_openssl.c) check and build the same way: which suites they
 * take, which packet lengths are valid, and the AEAD nonce and AAD of
 * RFC 4106, 4543 and 7634. Only those two files include it.
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
#define ESP_AEAD_NONCE_LEN 12  /* salt (4) || IV (8) */
#define ESP_AEAD_ICV_LEN 16
#define ESP_ICV_MAX 32         /* HMAC-SHA-512-256 */
#define ESP_CRYPTO_MAX_LEN 65535 /* one UDP datagram's payload at most */

/* The HMAC's hash block: keys up to it are used as they are. */
static inline size_t esp_hmac_block(enum esp_auth h)
{
	return h == ESP_AUTH_SHA256 ? 64 : 128;
}

static inline size_t esp_hmac_icv(enum esp_auth h)
{
	/* RFC 4868 2.3: half the hash output. */
	return h == ESP_AUTH_SHA256 ? 16 : h == ESP_AUTH_SHA384 ? 24 : 32;
}

/*
 * A suite both backends implement with every length they rely on, and
 * the keys it needs. sa_check() only produces such suites; the HMAC key
 * may be any length up to the hash's block size (RFC 2104), so that the
 * RFC 4231 vectors with short keys apply too.
 */
static inline int esp_crypto_suite_ok(const struct esp_suite *s,
				      const __u8 *key, const __u8 *auth_key)
{
	switch (s->alg) {
	case UDPESP_ALG_AES_GCM_16:
	case UDPESP_ALG_AES_GMAC:
	case UDPESP_ALG_CHACHA20_POLY1305:
		if (!s->aead || s->hmac != ESP_AUTH_NONE || !key ||
		    s->salt_len != 4 || s->iv_len != 8 ||
		    s->icv_len != ESP_AEAD_ICV_LEN || s->block != 4 ||
		    s->encrypts != (s->alg != UDPESP_ALG_AES_GMAC))
			return -EINVAL;
		if (s->alg == UDPESP_ALG_CHACHA20_POLY1305)
			return s->key_len == 32 ? 0 : -EINVAL;
		return s->key_len == 16 || s->key_len == 24 ||
			       s->key_len == 32 ?
		       0 :
		       -EINVAL;
	case UDPESP_ALG_AES_CBC_HMAC:
		if (!key || s->iv_len != 16 || s->block != 16 || !s->encrypts ||
		    (s->key_len != 16 && s->key_len != 24 && s->key_len != 32))
			return -EINVAL;
		break;
	case UDPESP_ALG_NULL_HMAC:
		if (s->key_len || s->iv_len || s->block != 4 || s->encrypts)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (s->aead || s->salt_len || !auth_key ||
	    (s->hmac != ESP_AUTH_SHA256 && s->hmac != ESP_AUTH_SHA384 &&
	     s->hmac != ESP_AUTH_SHA512) ||
	    s->icv_len != esp_hmac_icv(s->hmac) || !s->hmac_key_len ||
	    s->hmac_key_len > esp_hmac_block(s->hmac))
		return -EINVAL;
	return 0;
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

/* RFC 4106 4, RFC 7634 2: the nonce is salt || the packet's IV. */
static inline void esp_aead_nonce(__u8 nonce[ESP_AEAD_NONCE_LEN],
				  const __u8 *salt, const __u8 *esp)
{
	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, esp + ESP_HDR_LEN, 8);
}

/*
 * RFC 4106 5, RFC 7634 2.1: AAD = SPI || seq lo, or SPI || seq hi ||
 * seq lo with ESN. Returns its length (8 or 12).
 */
static inline size_t esp_aead_aad(__u8 aad[12], const __u8 *esp, bool esn,
				  __u32 seq_hi)
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
