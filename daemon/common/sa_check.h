/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's verdict on an SA: udpespd runs sa_check() on every
 * struct udpesp_ctl_sa it receives, whoever sent it, before anything is
 * allocated. udpespctl's parser (sa_parse.c) only checks the grammar, so
 * every rule about what may be offloaded lives here, once.
 *
 * The wire struct has no defaults: dir, mode and encap must be set (the
 * CLI fills mode in as `ip xfrm state` does, with transport). In the
 * algorithm slots a name of "" means "not given". auth.bits == 0 means
 * "the algorithm's default truncation", which is what `auth NAME KEY`
 * (as opposed to `auth-trunc NAME KEY BITS`) asks for in ip xfrm.
 */
#ifndef UDPESP_SA_CHECK_H
#define UDPESP_SA_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/abi.h>
#include <udpesp/ctl.h>

enum sa_hmac {
	SA_HMAC_NONE = 0, /* AEAD suites */
	SA_HMAC_SHA256,   /* HMAC-SHA-256-128 (RFC 4868) */
	SA_HMAC_SHA384,   /* HMAC-SHA-384-192 */
	SA_HMAC_SHA512,   /* HMAC-SHA-512-256 */
};

/*
 * The shape of an accepted SA's ESP packets. Where the key bytes are:
 * AEAD suites: sa->aead.key = cipher key (key_len bytes) then salt
 * (salt_len bytes), as Linux's rfc4106/rfc4543/rfc7539esp expect them.
 * Other suites: sa->enc.key = cipher key (key_len bytes, 0 for NULL),
 * sa->auth.key = HMAC key (hmac_key_len bytes).
 */
struct sa_suite {
	enum udpesp_alg alg;
	enum sa_hmac hmac;
	const char *enc_name;  /* canonical Linux name: aead or enc */
	const char *auth_name; /* canonical Linux name, NULL for AEAD */
	bool aead;             /* combined mode: one key in sa->aead */
	bool encrypts;         /* false for AES-GMAC and NULL encryption */
	__u8 key_len;          /* cipher key bytes, salt excluded */
	__u8 salt_len;         /* implicit nonce part (RFC 4106/4543/7634) */
	__u8 iv_len;           /* explicit IV carried in each packet */
	__u8 block;            /* payload + pad + 2 trailer bytes align to it */
	__u8 icv_len;          /* ICV bytes at the end of each packet */
	__u8 hmac_key_len;     /* 0 for AEAD suites */
	__u8 inner_family;     /* UDPESP_AF_*; 0 = either (tunnel, no sel) */
	__u16 min_len;         /* smallest valid ESP: hdr + IV + trailer + ICV */
};

/*
 * 0 when the SA may be offloaded, with *out describing its suite;
 * -EINVAL otherwise, with a message for the user in err naming what is
 * wrong and what is expected. Messages never contain key bytes.
 */
int sa_check(const struct udpesp_ctl_sa *sa, struct sa_suite *out, char *err,
	     size_t errlen);

/*
 * True when a word could be key material (16 or more characters after
 * 0x, or 16 or more hex digits with a letter among them), so that error
 * messages print a placeholder instead.
 */
bool sa_word_is_secret(const char *word);

#endif /* UDPESP_SA_CHECK_H */
