// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ESP crypto on OpenSSL 3 libcrypto (see esp_crypto.h), for machines
 * without intel-ipsec-mb. EVP contexts cannot be shared between
 * threads, so the per-SA context keeps the key bytes and each worker
 * thread has its own EVP_CIPHER_CTX and one EVP_MAC_CTX per HMAC hash,
 * with the algorithms fetched once. A packet sets its SA's key into
 * them unless the thread's previous packet already did (same SA, same
 * direction): the key schedule is then reused and only the IV set.
 *
 * An AEAD packet whose ICV fails has been decrypted in place by then:
 * it is put back by encrypting it again with the same key and nonce
 * (a counter-mode keystream undoes itself), which costs nothing on the
 * path of good packets. CBC packets are verified before decryption.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "esp_crypto.h"
#include "esp_crypto_priv.h"

struct esp_crypto {
	__u64 id; /* never reused, unlike addresses: names the keys in caches */
	struct esp_suite s;
	__u8 key[32];       /* cipher key, salt excluded */
	__u8 salt[4];
	__u8 auth_key[128]; /* HMAC key, up to the hash's block size */
};

enum { AES128, AES192, AES256, AES_SIZES };
enum { MAC256, MAC384, MAC512, MAC_HASHES };

struct esp_crypto_thread {
	EVP_CIPHER_CTX *cctx;
	/* What cctx holds: cipher, whose key (esp_crypto.id), which direction. */
	const EVP_CIPHER *loaded;
	__u64 loaded_id;
	int loaded_enc;
	EVP_CIPHER *gcm[AES_SIZES], *cbc[AES_SIZES], *chacha;
	EVP_MAC *hmac;
	EVP_MAC_CTX *mac[MAC_HASHES]; /* HMAC with SHA-256, -384, -512 */
	__u64 mac_id[MAC_HASHES];     /* whose key each holds */
};

static __u64 next_id;

static char backend_name[48];
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

static void backend_init(void)
{
	snprintf(backend_name, sizeof(backend_name), "OpenSSL %s",
		 OpenSSL_version(OPENSSL_VERSION_STRING));
}

const char *esp_crypto_backend(void)
{
	pthread_once(&backend_once, backend_init);
	return backend_name;
}

void esp_crypto_thread_free(struct esp_crypto_thread *t)
{
	if (!t)
		return;
	/* Freeing the contexts clears the key schedules they hold. */
	EVP_CIPHER_CTX_free(t->cctx);
	for (int i = 0; i < MAC_HASHES; i++)
		EVP_MAC_CTX_free(t->mac[i]);
	EVP_MAC_free(t->hmac);
	for (int i = 0; i < AES_SIZES; i++) {
		EVP_CIPHER_free(t->gcm[i]);
		EVP_CIPHER_free(t->cbc[i]);
	}
	EVP_CIPHER_free(t->chacha);
	free(t);
}

struct esp_crypto_thread *esp_crypto_thread_new(void)
{
	static const char *const gcm[] = { "AES-128-GCM", "AES-192-GCM",
					   "AES-256-GCM" };
	static const char *const cbc[] = { "AES-128-CBC", "AES-192-CBC",
					   "AES-256-CBC" };
	static const char *const md[] = { "SHA256", "SHA384", "SHA512" };
	struct esp_crypto_thread *t = calloc(1, sizeof(*t));
	bool ok;

	if (!t)
		return NULL;
	t->cctx = EVP_CIPHER_CTX_new();
	t->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	t->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ok = t->cctx && t->chacha && t->hmac;
	for (int i = 0; ok && i < AES_SIZES; i++) {
		t->gcm[i] = EVP_CIPHER_fetch(NULL, gcm[i], NULL);
		t->cbc[i] = EVP_CIPHER_fetch(NULL, cbc[i], NULL);
		ok = t->gcm[i] && t->cbc[i];
	}
	for (int i = 0; ok && i < MAC_HASHES; i++) {
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							 (char *)md[i], 0),
			OSSL_PARAM_construct_end(),
		};

		t->mac[i] = EVP_MAC_CTX_new(t->hmac);
		ok = t->mac[i] && EVP_MAC_CTX_set_params(t->mac[i], p);
	}
	if (!ok) {
		esp_crypto_thread_free(t);
		errno = ENOTSUP;
		return NULL;
	}
	return t;
}

struct esp_crypto *esp_crypto_new(const struct esp_suite *suite,
				  const __u8 *key, const __u8 *auth_key)
{
	struct esp_crypto *c;

	if (!suite || esp_crypto_suite_ok(suite, key, auth_key)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	c->s = *suite;
	if (suite->key_len)
		memcpy(c->key, key, suite->key_len);
	if (suite->salt_len)
		memcpy(c->salt, key + suite->key_len, suite->salt_len);
	if (suite->hmac_key_len)
		memcpy(c->auth_key, auth_key, suite->hmac_key_len);
	return c;
}

void esp_crypto_free(struct esp_crypto *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static int aes_index(const struct esp_crypto *c)
{
	return c->s.key_len == 16 ? AES128 : c->s.key_len == 24 ? AES192 :
								   AES256;
}

/*
 * The IV into the thread's context; the key too unless it holds this
 * SA's already for this direction (CBC decrypts with another schedule);
 * the cipher only when it changes.
 */
static int cipher_init(const struct esp_crypto *c, struct esp_crypto_thread *t,
		       const EVP_CIPHER *cipher, const __u8 *iv, int enc)
{
	bool same = t->loaded == cipher;
	bool keyed = same && t->loaded_id == c->id && t->loaded_enc == enc;

	if (!EVP_CipherInit_ex2(t->cctx, same ? NULL : cipher,
				keyed ? NULL : c->key, iv, enc, NULL)) {
		t->loaded = NULL;
		return -EIO;
	}
	t->loaded = cipher;
	t->loaded_id = c->id;
	t->loaded_enc = enc;
	return 0;
}

/* In place; n is what the caller checked (under ESP_CRYPTO_MAX_LEN). */
static int cipher_update(struct esp_crypto_thread *t, __u8 *out,
			 const __u8 *in, size_t n)
{
	int outl;

	return EVP_CipherUpdate(t->cctx, out, &outl, in, (int)n) ? 0 : -EIO;
}

static int hmac_tag(const struct esp_crypto *c, struct esp_crypto_thread *t,
		    const __u8 *esp, size_t len, bool esn, __u32 seq_hi,
		    __u8 *tag)
{
	int h = c->s.hmac == ESP_AUTH_SHA256 ? MAC256 :
		c->s.hmac == ESP_AUTH_SHA384 ? MAC384 :
					      MAC512;
	EVP_MAC_CTX *m = t->mac[h];
	bool keyed = t->mac_id[h] == c->id;
	__u8 hi[4];
	size_t outl;

	esp_put_be32(hi, seq_hi);
	/*
	 * Without a key, HMAC starts over with the one it has. RFC 4303
	 * 2.2.1: with ESN, seq hi follows the payload.
	 */
	t->mac_id[h] = 0;
	if (!EVP_MAC_init(m, keyed ? NULL : c->auth_key,
			  keyed ? 0 : c->s.hmac_key_len, NULL))
		return -EIO;
	t->mac_id[h] = c->id;
	if (!EVP_MAC_update(m, esp, len - c->s.icv_len) ||
	    (esn && !EVP_MAC_update(m, hi, 4)) ||
	    !EVP_MAC_final(m, tag, &outl, 64))
		return -EIO;
	return 0;
}

static int cbc_run(const struct esp_crypto *c, struct esp_crypto_thread *t,
		   __u8 *esp, size_t len, int enc)
{
	size_t off = ESP_HDR_LEN + 16;
	__u8 *p = esp + off;
	int ret;

	ret = cipher_init(c, t, t->cbc[aes_index(c)], esp + ESP_HDR_LEN, enc);
	if (ret)
		return ret;
	/* ESP pads itself (RFC 4303 2.4): no PKCS#7 padding. */
	EVP_CIPHER_CTX_set_padding(t->cctx, 0);
	return cipher_update(t, p, p, len - off - c->s.icv_len);
}

static int hmac_decrypt(const struct esp_crypto *c,
			struct esp_crypto_thread *t, __u8 *esp, size_t len,
			bool esn, __u32 seq_hi)
{
	__u8 tag[64];
	int ret = hmac_tag(c, t, esp, len, esn, seq_hi, tag);

	if (ret)
		return ret;
	if (CRYPTO_memcmp(tag, esp + len - c->s.icv_len, c->s.icv_len))
		return -EBADMSG;
	if (c->s.alg == UDPESP_ALG_NULL_HMAC)
		return 0;
	return cbc_run(c, t, esp, len, 0);
}

static int hmac_encrypt(const struct esp_crypto *c,
			struct esp_crypto_thread *t, __u8 *esp, size_t len,
			bool esn, __u32 seq_hi)
{
	__u8 tag[64];
	int ret = 0;

	if (c->s.alg == UDPESP_ALG_AES_CBC_HMAC)
		ret = cbc_run(c, t, esp, len, 1);
	if (!ret)
		ret = hmac_tag(c, t, esp, len, esn, seq_hi, tag);
	if (!ret)
		memcpy(esp + len - c->s.icv_len, tag, c->s.icv_len);
	OPENSSL_cleanse(tag, sizeof(tag));
	return ret;
}

static const EVP_CIPHER *aead_cipher(const struct esp_crypto *c,
				     const struct esp_crypto_thread *t)
{
	return c->s.alg == UDPESP_ALG_CHACHA20_POLY1305 ? t->chacha :
							  t->gcm[aes_index(c)];
}

/*
 * RFC 4543 3.3: the whole packet up to the ICV is AAD, with seq hi
 * between SPI and seq lo under ESN; nothing is encrypted.
 */
static int gmac_tag(const struct esp_crypto *c, struct esp_crypto_thread *t,
		    const __u8 *esp, size_t len, bool esn, __u32 seq_hi,
		    __u8 *tag)
{
	__u8 nonce[ESP_AEAD_NONCE_LEN], hi[4];
	size_t n = len - ESP_AEAD_ICV_LEN;
	int outl;

	esp_aead_nonce(nonce, c->salt, esp);
	esp_put_be32(hi, seq_hi);
	if (cipher_init(c, t, aead_cipher(c, t), nonce, 1))
		return -EIO;
	if (esn) {
		if (!EVP_EncryptUpdate(t->cctx, NULL, &outl, esp, 4) ||
		    !EVP_EncryptUpdate(t->cctx, NULL, &outl, hi, 4) ||
		    !EVP_EncryptUpdate(t->cctx, NULL, &outl, esp + 4, n - 4))
			return -EIO;
	} else if (!EVP_EncryptUpdate(t->cctx, NULL, &outl, esp, n)) {
		return -EIO;
	}
	if (!EVP_EncryptFinal_ex(t->cctx, nonce, &outl) ||
	    !EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_GET_TAG,
				 ESP_AEAD_ICV_LEN, tag))
		return -EIO;
	return 0;
}

/* Key, nonce and AAD set up for the payload to go through cipher_update(). */
static int aead_init(const struct esp_crypto *c, struct esp_crypto_thread *t,
		     const __u8 *esp, bool esn, __u32 seq_hi, int enc)
{
	__u8 nonce[ESP_AEAD_NONCE_LEN], aad[12];
	size_t aad_len = esp_aead_aad(aad, esp, esn, seq_hi);
	int outl;

	esp_aead_nonce(nonce, c->salt, esp);
	if (cipher_init(c, t, aead_cipher(c, t), nonce, enc) ||
	    !EVP_CipherUpdate(t->cctx, NULL, &outl, aad, (int)aad_len))
		return -EIO;
	return 0;
}

static int aead_decrypt(const struct esp_crypto *c,
			struct esp_crypto_thread *t, __u8 *esp, size_t len,
			bool esn, __u32 seq_hi)
{
	size_t off = ESP_HDR_LEN + 8, n = len - off - ESP_AEAD_ICV_LEN;
	__u8 icv[ESP_AEAD_ICV_LEN], *p = esp + off;
	int outl, ret;

	memcpy(icv, esp + len - ESP_AEAD_ICV_LEN, sizeof(icv));
	ret = aead_init(c, t, esp, esn, seq_hi, 0);
	if (!ret)
		ret = cipher_update(t, p, p, n);
	if (ret)
		goto undo;
	if (!EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_SET_TAG, sizeof(icv),
				 icv)) {
		ret = -EIO;
		goto undo;
	}
	/* The tag is checked here, in constant time. */
	if (EVP_DecryptFinal_ex(t->cctx, icv, &outl) > 0)
		return 0;
	ret = -EBADMSG;
undo:
	/* Put the ciphertext back: the same keystream turns it back. */
	if (aead_init(c, t, esp, esn, seq_hi, 1) || cipher_update(t, p, p, n))
		return -EIO;
	return ret;
}

static int aead_encrypt(const struct esp_crypto *c,
			struct esp_crypto_thread *t, __u8 *esp, size_t len,
			bool esn, __u32 seq_hi)
{
	size_t off = ESP_HDR_LEN + 8, n = len - off - ESP_AEAD_ICV_LEN;
	__u8 *p = esp + off, *icv = esp + len - ESP_AEAD_ICV_LEN;
	int outl, ret;

	ret = aead_init(c, t, esp, esn, seq_hi, 1);
	if (!ret)
		ret = cipher_update(t, p, p, n);
	if (ret)
		return ret;
	if (!EVP_EncryptFinal_ex(t->cctx, icv, &outl) ||
	    !EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_GET_TAG,
				 ESP_AEAD_ICV_LEN, icv))
		return -EIO;
	return 0;
}

int esp_crypto_decrypt(struct esp_crypto *c, struct esp_crypto_thread *t,
		       __u8 *esp, size_t len, bool esn, __u32 seq_hi)
{
	__u8 tag[ESP_AEAD_ICV_LEN];
	int ret;

	if (!c || !t || !esp || !esp_crypto_len_ok(&c->s, len))
		return -EINVAL;
	if (!c->s.aead)
		return hmac_decrypt(c, t, esp, len, esn, seq_hi);
	if (c->s.alg != UDPESP_ALG_AES_GMAC)
		return aead_decrypt(c, t, esp, len, esn, seq_hi);

	ret = gmac_tag(c, t, esp, len, esn, seq_hi, tag);
	if (ret)
		return ret;
	return CRYPTO_memcmp(tag, esp + len - ESP_AEAD_ICV_LEN,
			     ESP_AEAD_ICV_LEN) ?
		       -EBADMSG :
		       0;
}

int esp_crypto_encrypt(struct esp_crypto *c, struct esp_crypto_thread *t,
		       __u8 *esp, size_t len, bool esn, __u32 seq_hi)
{
	if (!c || !t || !esp || !esp_crypto_len_ok(&c->s, len))
		return -EINVAL;
	if (!c->s.aead)
		return hmac_encrypt(c, t, esp, len, esn, seq_hi);
	if (c->s.alg == UDPESP_ALG_AES_GMAC)
		return gmac_tag(c, t, esp, len, esn, seq_hi,
				esp + len - ESP_AEAD_ICV_LEN);
	return aead_encrypt(c, t, esp, len, esn, seq_hi);
}
