/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * ESP payload crypto for one SA, behind one small interface with two
 * implementations chosen at build time: intel-ipsec-mb
 * (esp_crypto_ipsecmb.c, the default) and OpenSSL libcrypto
 * (esp_crypto_openssl.c, `make CRYPTO=openssl`). Both pass the same tests.
 *
 * The functions work on one ESP packet in a buffer, from the ESP header
 * (SPI) to the end of the ICV:
 *
 *   | SPI | seq lo | IV (suite.iv_len) | payload ... pad | padlen | nh | ICV |
 *   ^esp  ^+4      ^+8                  ^+8+iv_len                  ^len-icv_len
 *
 * What each suite authenticates, by RFC:
 * - AES-GCM (RFC 4106, ICV 8, 12 or 16), AES-CCM (RFC 4309, ICV 8, 12
 *   or 16) and ChaCha20-Poly1305 (RFC 7634): nonce = salt || IV (CCM's
 *   salt is 3 bytes, the others' 4); AAD = SPI || seq lo, or SPI || seq
 *   hi || seq lo with ESN; the payload is encrypted.
 * - AES-GMAC (RFC 4543): nonce = salt || IV; nothing is encrypted; the
 *   AAD is SPI || [seq hi ||] seq lo || IV || payload (the whole packet
 *   up to the ICV), the ESN high half inserted as in RFC 4543 3.3.
 * - AES-CBC, AES-CTR or NULL with HMAC-SHA-1-96, HMAC-SHA-2 or
 *   AES-XCBC-MAC-96 (RFC 3602, 3686, 2410, 2404, 4868, 3566): the ICV is
 *   the truncated MAC over SPI .. end of payload, followed by seq hi (4
 *   bytes, network order) when ESN is on (RFC 4303 2.2.1; not sent on
 *   the wire). AES-CTR's counter block is nonce || IV || 1 (RFC 3686 4).
 *
 * A context holds expanded keys only and is read-only after
 * esp_crypto_new(), so one SA's context may be used by several threads
 * at once, each with its own struct esp_crypto_thread.
 */
#ifndef UDPESP_ESP_CRYPTO_H
#define UDPESP_ESP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "esp_suite.h"

struct esp_crypto;	  /* per SA: expanded keys, wiped when freed */
struct esp_crypto_thread; /* per worker thread: library state, scratch */

/* "intel-ipsec-mb 1.3.0" or "OpenSSL 3.0.x": for logs and benchmarks. */
const char *esp_crypto_backend(void);

/*
 * A thread's state may hold key schedules of the last packet it
 * handled; esp_crypto_thread_free() clears them.
 */
struct esp_crypto_thread *esp_crypto_thread_new(void);
void esp_crypto_thread_free(struct esp_crypto_thread *t);

/*
 * Expand the keys of an SA that sa_check() accepted. key and auth_key
 * are laid out as struct esp_suite describes: AEAD suites take the
 * cipher key followed by the salt in key (auth_key NULL); the others
 * take the cipher key in key (NULL for NULL encryption) and the HMAC
 * key in auth_key (hmac_key_len bytes: RFC 4868 wants the hash's size,
 * anything up to the hash's block size works, as RFC 2104 allows). The
 * context keeps no pointer to either. NULL on failure (errno set:
 * EINVAL for a suite or key the backend does not take).
 */
struct esp_crypto *esp_crypto_new(const struct esp_suite *suite, const __u8 *key,
				  const __u8 *auth_key);
/* Wipes every byte of key material, then frees. NULL is a no-op. */
void esp_crypto_free(struct esp_crypto *c);

/*
 * Inbound: verify the ICV (compared in constant time), then decrypt the
 * payload in place. len counts from the SPI to the end of the ICV and
 * must be at least suite.min_len with the ciphertext a whole number of
 * blocks, and at most 65535 (-EINVAL otherwise, buffer untouched).
 * seq_hi is used only when esn is true.
 * 0 on success; -EBADMSG when the ICV does not verify, in which case the
 * buffer is unchanged.
 */
int esp_crypto_decrypt(struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		       bool esn, __u32 seq_hi);

/*
 * Outbound: the buffer holds SPI, seq lo, the IV to use (the caller
 * chooses it: IVs never repeat under one key), the plaintext payload
 * with its padding and trailer, and room for the ICV at the end. The
 * payload is encrypted in place and the ICV written. 0 or -errno.
 */
int esp_crypto_encrypt(struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		       bool esn, __u32 seq_hi);

/*
 * The primitives under the suites, on one message, for published test
 * vectors whose shapes ESP cannot carry (RFC 3610's 13-byte nonces, NIST
 * AAD lengths, RFC 2202's short messages). Each runs the code the ESP
 * path runs, with keys expanded for the call and wiped after it.
 *
 * AEAD: alg UDPESP_ALG_AES_GCM_16 (12-byte nonce) or UDPESP_ALG_AES_CCM
 * (7 to 13-byte nonce, AAD up to 46 bytes), AES key of 16, 24 or 32
 * bytes, tag of 4 to 16 bytes (CCM: even). buf (n bytes) is encrypted or
 * decrypted in place; encrypt writes tag, decrypt checks it: -EBADMSG,
 * buffer as it came, when it does not verify.
 */
int esp_crypto_aead_oneshot(struct esp_crypto_thread *t, enum udpesp_alg alg, const __u8 *key,
			    size_t key_len, const __u8 *nonce, size_t nonce_len, const __u8 *aad,
			    size_t aad_len, __u8 *buf, size_t n, __u8 *tag, size_t tag_len,
			    bool encrypt);

/*
 * MAC: HMAC (key up to the hash's block size) or AES-XCBC-MAC (16-byte
 * key) of msg, the first tag_len bytes (at most the suite's ICV) in tag.
 */
int esp_crypto_mac_oneshot(struct esp_crypto_thread *t, enum esp_auth h, const __u8 *key,
			   size_t key_len, const __u8 *msg, size_t n, __u8 *tag, size_t tag_len);

#endif /* UDPESP_ESP_CRYPTO_H */
