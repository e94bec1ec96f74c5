/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The ESP engine's description of a suite: what an SA's packets look like
 * and which keys it needs. The daemon's validator (common/sa_check.c)
 * fills one in from a control-protocol SA; nothing here knows that
 * protocol.
 */
#ifndef UDPESP_ESP_SUITE_H
#define UDPESP_ESP_SUITE_H

#include <stdbool.h>
#include <linux/types.h>
#include <udpesp/abi.h>

enum esp_auth {
	ESP_AUTH_NONE = 0, /* AEAD suites */
	ESP_AUTH_SHA256,   /* HMAC-SHA-256-128 (RFC 4868) */
	ESP_AUTH_SHA384,   /* HMAC-SHA-384-192 */
	ESP_AUTH_SHA512,   /* HMAC-SHA-512-256 */
	ESP_AUTH_SHA1,	   /* HMAC-SHA-1-96 (RFC 2404) */
	ESP_AUTH_XCBC,	   /* AES-XCBC-MAC-96 (RFC 3566), 16-byte key */
};

/*
 * The shape of an accepted SA's ESP packets. Where the key bytes are:
 * AEAD suites: the AEAD key = cipher key (key_len bytes) then salt
 * (salt_len bytes), as Linux's rfc4106/rfc4309/rfc4543/rfc7539esp expect
 * them. Other suites: the encryption key = cipher key (key_len bytes, 0
 * for NULL) then salt_len bytes of nonce (RFC 3686's 4 for AES-CTR), the
 * integrity key = HMAC or XCBC key (hmac_key_len bytes).
 */
struct esp_suite {
	enum udpesp_alg alg;
	enum esp_auth hmac;
	const char *enc_name;  /* canonical Linux name: aead or enc */
	const char *auth_name; /* canonical Linux name, NULL for AEAD */
	bool aead;	       /* combined mode: one key: cipher key then salt */
	bool encrypts;	       /* false for AES-GMAC and NULL encryption */
	__u8 key_len;	       /* cipher key bytes, salt excluded */
	__u8 salt_len;	       /* implicit nonce part (RFC 3686/4106/4309/...) */
	__u8 iv_len;	       /* explicit IV carried in each packet */
	__u8 block;	       /* payload + pad + 2 trailer bytes align to it */
	__u8 icv_len;	       /* ICV bytes at the end of each packet */
	__u8 hmac_key_len;     /* 0 for AEAD suites */
	__u8 inner_family;     /* UDPESP_AF_*; 0 = either (tunnel, no sel) */
	__u16 min_len;	       /* smallest valid ESP: hdr + IV + trailer + ICV */
};

#endif /* UDPESP_ESP_SUITE_H */
