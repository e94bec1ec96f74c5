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
 * path of good packets; OpenSSL's CCM wipes what it decrypted instead,
 * so CCM packets are copied aside first. CBC and CTR packets are
 * verified before decryption. OpenSSL has no AES-XCBC-MAC: RFC 3566's
 * construction is built here on AES-128-CBC.
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

#define GMAC_ICV_LEN 16 /* RFC 4543 3.4 */

struct esp_crypto {
	__u64 id; /* never reused, unlike addresses: names the keys in caches */
	struct esp_suite s;
	__u8 key[32]; /* cipher key, salt excluded */
	__u8 salt[4];
	__u8 auth_key[128]; /* HMAC key, up to the hash's block size */
	__u8 xk[3][16];	    /* AES-XCBC-MAC's K1, K2, K3 (RFC 3566 4) */
};

enum { AES128, AES192, AES256, AES_SIZES };
enum { MAC1, MAC256, MAC384, MAC512, MAC_HASHES };

struct esp_crypto_thread {
	EVP_CIPHER_CTX *cctx;
	/* What cctx holds: cipher, whose key (esp_crypto.id), which direction. */
	const EVP_CIPHER *loaded;
	__u64 loaded_id;
	int loaded_enc;
	EVP_CIPHER *gcm[AES_SIZES], *cbc[AES_SIZES], *chacha;
	EVP_CIPHER *ctr[AES_SIZES], *ccm[AES_SIZES];
	EVP_MAC *hmac;
	EVP_MAC_CTX *mac[MAC_HASHES]; /* HMAC with SHA-1, -256, -384, -512 */
	__u64 mac_id[MAC_HASHES];     /* whose key each holds */
	EVP_CIPHER_CTX *xctx;	      /* AES-XCBC-MAC's CBC, keyed with K1 */
	__u64 xctx_id;
	__u8 xout[1024]; /* CBC output nobody reads but the end */
	__u8 *ccm_copy;	 /* a CCM ciphertext while it decrypts */
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
	EVP_CIPHER_CTX_free(t->xctx);
	OPENSSL_cleanse(t->xout, sizeof(t->xout));
	if (t->ccm_copy)
		OPENSSL_cleanse(t->ccm_copy, ESP_CRYPTO_MAX_LEN);
	free(t->ccm_copy);
	for (int i = 0; i < MAC_HASHES; i++)
		EVP_MAC_CTX_free(t->mac[i]);
	EVP_MAC_free(t->hmac);
	for (int i = 0; i < AES_SIZES; i++) {
		EVP_CIPHER_free(t->gcm[i]);
		EVP_CIPHER_free(t->cbc[i]);
		EVP_CIPHER_free(t->ctr[i]);
		EVP_CIPHER_free(t->ccm[i]);
	}
	EVP_CIPHER_free(t->chacha);
	free(t);
}

struct esp_crypto_thread *esp_crypto_thread_new(void)
{
	static const char *const gcm[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" };
	static const char *const cbc[] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" };
	static const char *const ctr[] = { "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" };
	static const char *const ccm[] = { "AES-128-CCM", "AES-192-CCM", "AES-256-CCM" };
	static const char *const md[] = { "SHA1", "SHA256", "SHA384", "SHA512" };
	struct esp_crypto_thread *t = calloc(1, sizeof(*t));
	bool ok;

	if (!t)
		return NULL;
	t->cctx = EVP_CIPHER_CTX_new();
	t->xctx = EVP_CIPHER_CTX_new();
	t->ccm_copy = malloc(ESP_CRYPTO_MAX_LEN);
	t->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	t->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ok = t->cctx && t->xctx && t->ccm_copy && t->chacha && t->hmac;
	for (int i = 0; ok && i < AES_SIZES; i++) {
		t->gcm[i] = EVP_CIPHER_fetch(NULL, gcm[i], NULL);
		t->cbc[i] = EVP_CIPHER_fetch(NULL, cbc[i], NULL);
		t->ctr[i] = EVP_CIPHER_fetch(NULL, ctr[i], NULL);
		t->ccm[i] = EVP_CIPHER_fetch(NULL, ccm[i], NULL);
		ok = t->gcm[i] && t->cbc[i] && t->ctr[i] && t->ccm[i];
	}
	for (int i = 0; ok && i < MAC_HASHES; i++) {
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md[i], 0),
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

/* RFC 3566 4: K1, K2, K3 = AES-128 of 16 bytes 0x01, 0x02, 0x03 under K. */
static int xcbc_derive(struct esp_crypto *c, const __u8 *key)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	__u8 in[16];
	int outl, ok;

	ok = x && EVP_EncryptInit_ex2(x, EVP_aes_128_ecb(), key, NULL, NULL) &&
	     EVP_CIPHER_CTX_set_padding(x, 0);
	for (int i = 0; ok && i < 3; i++) {
		memset(in, i + 1, sizeof(in));
		ok = EVP_EncryptUpdate(x, c->xk[i], &outl, in, sizeof(in));
	}
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -EIO;
}

/* A context for a suite whose lengths the caller checked. */
static struct esp_crypto *ctx_new(const struct esp_suite *suite, const __u8 *key,
				  const __u8 *auth_key)
{
	struct esp_crypto *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	c->s = *suite;
	if (suite->key_len)
		memcpy(c->key, key, suite->key_len);
	if (suite->salt_len)
		memcpy(c->salt, key + suite->key_len, suite->salt_len);
	if (suite->hmac == ESP_AUTH_XCBC) {
		if (xcbc_derive(c, auth_key)) {
			esp_crypto_free(c);
			errno = ENOTSUP;
			return NULL;
		}
	} else if (suite->hmac_key_len) {
		memcpy(c->auth_key, auth_key, suite->hmac_key_len);
	}
	return c;
}

struct esp_crypto *esp_crypto_new(const struct esp_suite *suite, const __u8 *key,
				  const __u8 *auth_key)
{
	if (!suite || esp_crypto_suite_ok(suite, key, auth_key)) {
		errno = EINVAL;
		return NULL;
	}
	return ctx_new(suite, key, auth_key);
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
	return c->s.key_len == 16 ? AES128 : c->s.key_len == 24 ? AES192 : AES256;
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

	if (!EVP_CipherInit_ex2(t->cctx, same ? NULL : cipher, keyed ? NULL : c->key, iv, enc,
				NULL)) {
		t->loaded = NULL;
		return -EIO;
	}
	t->loaded = cipher;
	t->loaded_id = c->id;
	t->loaded_enc = enc;
	return 0;
}

/* In place; n is what the caller checked (under ESP_CRYPTO_MAX_LEN). */
static int cipher_update(struct esp_crypto_thread *t, __u8 *out, const __u8 *in, size_t n)
{
	int outl;

	return EVP_CipherUpdate(t->cctx, out, &outl, in, (int)n) ? 0 : -EIO;
}

/*
 * AES-XCBC-MAC (RFC 3566 4) over a then b: CBC under K1 from a zero IV,
 * holding back the last block, which is XORed with K2 when whole, or
 * padded with 0x80 0 ... and XORed with K3.
 */
static int xcbc_tag(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *a,
		    size_t na, const __u8 *b, size_t nb, __u8 *tag)
{
	static const __u8 zero[16];
	bool keyed = t->xctx_id == c->id;
	__u8 last[16];
	size_t have = 0;
	int outl;

	t->xctx_id = 0;
	if (!EVP_EncryptInit_ex2(t->xctx, keyed ? NULL : t->cbc[AES128], keyed ? NULL : c->xk[0],
				 zero, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(t->xctx, 0))
		return -EIO;
	t->xctx_id = c->id;
	for (int part = 0; part < 2; part++) {
		const __u8 *p = part ? b : a;
		size_t n = part ? nb : na;

		while (n) {
			size_t k;

			if (have == 16) {
				if (!EVP_EncryptUpdate(t->xctx, t->xout, &outl, last, 16))
					return -EIO;
				have = 0;
			}
			if (!have && n > 16) {
				/* Whole blocks straight through, one kept back. */
				k = (n - 1) / 16 * 16;
				if (k > sizeof(t->xout))
					k = sizeof(t->xout);
				if (!EVP_EncryptUpdate(t->xctx, t->xout, &outl, p, (int)k))
					return -EIO;
			} else {
				k = n < 16 - have ? n : 16 - have;
				memcpy(last + have, p, k);
				have += k;
			}
			p += k;
			n -= k;
		}
	}
	if (have < 16) {
		last[have] = 0x80;
		memset(last + have + 1, 0, 15 - have);
	}
	for (int i = 0; i < 16; i++)
		last[i] ^= c->xk[have == 16 ? 1 : 2][i];
	if (!EVP_EncryptUpdate(t->xctx, t->xout, &outl, last, 16))
		return -EIO;
	memcpy(tag, t->xout, 16);
	OPENSSL_cleanse(last, sizeof(last));
	return 0;
}

/* The MAC of n bytes at p, then seq hi with ESN (RFC 4303 2.2.1). */
static int mac_tag(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *p, size_t n,
		   bool esn, __u32 seq_hi, __u8 *tag)
{
	int h = c->s.hmac == ESP_AUTH_SHA1   ? MAC1 :
		c->s.hmac == ESP_AUTH_SHA256 ? MAC256 :
		c->s.hmac == ESP_AUTH_SHA384 ? MAC384 :
					       MAC512;
	EVP_MAC_CTX *m = t->mac[h];
	bool keyed = t->mac_id[h] == c->id;
	__u8 hi[4];
	size_t outl;

	esp_put_be32(hi, seq_hi);
	if (c->s.hmac == ESP_AUTH_XCBC)
		return xcbc_tag(c, t, p, n, hi, esn ? 4 : 0, tag);
	/* Without a key, HMAC starts over with the one it has. */
	t->mac_id[h] = 0;
	if (!EVP_MAC_init(m, keyed ? NULL : c->auth_key, keyed ? 0 : c->s.hmac_key_len, NULL))
		return -EIO;
	t->mac_id[h] = c->id;
	if (!EVP_MAC_update(m, p, n) || (esn && !EVP_MAC_update(m, hi, 4)) ||
	    !EVP_MAC_final(m, tag, &outl, 64))
		return -EIO;
	return 0;
}

static int hmac_tag(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *esp,
		    size_t len, bool esn, __u32 seq_hi, __u8 *tag)
{
	return mac_tag(c, t, esp, len - c->s.icv_len, esn, seq_hi, tag);
}

/* AES-CBC with the packet's IV, or AES-CTR (RFC 3686 4). */
static int cbc_run(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		   int enc)
{
	size_t off = ESP_HDR_LEN + c->s.iv_len;
	__u8 *p = esp + off, ctr[16];
	int ret;

	if (c->s.alg == UDPESP_ALG_AES_CTR_HMAC) {
		esp_ctr_block(ctr, c->salt, esp);
		/* A keystream: one key schedule serves both directions. */
		ret = cipher_init(c, t, t->ctr[aes_index(c)], ctr, 1);
	} else {
		ret = cipher_init(c, t, t->cbc[aes_index(c)], esp + ESP_HDR_LEN, enc);
	}
	if (ret)
		return ret;
	/* ESP pads itself (RFC 4303 2.4): no PKCS#7 padding. */
	EVP_CIPHER_CTX_set_padding(t->cctx, 0);
	return cipher_update(t, p, p, len - off - c->s.icv_len);
}

static int hmac_decrypt(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp,
			size_t len, bool esn, __u32 seq_hi)
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

static int hmac_encrypt(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp,
			size_t len, bool esn, __u32 seq_hi)
{
	__u8 tag[64];
	int ret = 0;

	if (c->s.alg != UDPESP_ALG_NULL_HMAC)
		ret = cbc_run(c, t, esp, len, 1);
	if (!ret)
		ret = hmac_tag(c, t, esp, len, esn, seq_hi, tag);
	if (!ret)
		memcpy(esp + len - c->s.icv_len, tag, c->s.icv_len);
	OPENSSL_cleanse(tag, sizeof(tag));
	return ret;
}

static const EVP_CIPHER *aead_cipher(const struct esp_crypto *c, const struct esp_crypto_thread *t)
{
	return c->s.alg == UDPESP_ALG_CHACHA20_POLY1305 ? t->chacha : t->gcm[aes_index(c)];
}

/*
 * RFC 4543 3.3: the whole packet up to the ICV is AAD, with seq hi
 * between SPI and seq lo under ESN; nothing is encrypted.
 */
static int gmac_tag(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *esp,
		    size_t len, bool esn, __u32 seq_hi, __u8 *tag)
{
	__u8 nonce[ESP_AEAD_NONCE_MAX], hi[4];
	size_t n = len - GMAC_ICV_LEN;
	int outl;

	esp_aead_nonce(nonce, c->salt, 4, esp);
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
	    !EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_GET_TAG, GMAC_ICV_LEN, tag))
		return -EIO;
	return 0;
}

/*
 * AES-CCM (RFC 3610) on n bytes at p, in place, with OpenSSL's order:
 * nonce and tag lengths, key and nonce, the message length, the AAD,
 * the message. Encrypting writes the tag; decrypting checks it, and
 * OpenSSL wipes p when it fails. The context is set up from scratch
 * each time (CCM cannot keep a key without its nonce).
 */
static int ccm_run(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *nonce,
		   size_t nonce_len, const __u8 *aad, size_t aad_len, __u8 *p, size_t n, int enc,
		   __u8 *tag, size_t tag_len)
{
	EVP_CIPHER_CTX *x = t->cctx;
	int outl, ret = -EIO;

	t->loaded = NULL;
	if (!EVP_CipherInit_ex2(x, t->ccm[aes_index(c)], NULL, NULL, enc, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, enc ? NULL : tag) ||
	    !EVP_CipherInit_ex2(x, NULL, c->key, nonce, enc, NULL) ||
	    !EVP_CipherUpdate(x, NULL, &outl, NULL, (int)n) ||
	    (aad_len && !EVP_CipherUpdate(x, NULL, &outl, aad, (int)aad_len)))
		goto out;
	if (!enc) {
		/* The tag is checked here, in constant time. */
		ret = EVP_CipherUpdate(x, p, &outl, p, (int)n) > 0 ? 0 : -EBADMSG;
		goto out;
	}
	if (!EVP_CipherUpdate(x, p, &outl, p, (int)n) || !EVP_CipherFinal_ex(x, p + n, &outl) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag))
		goto out;
	ret = 0;
out:
	/* Nothing of this key stays behind for the next packet to trust. */
	EVP_CIPHER_CTX_reset(x);
	return ret;
}

static int ccm_decrypt(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *nonce,
		       size_t nonce_len, const __u8 *aad, size_t aad_len, __u8 *p, size_t n,
		       __u8 *tag, size_t tag_len)
{
	int ret;

	memcpy(t->ccm_copy, p, n);
	ret = ccm_run(c, t, nonce, nonce_len, aad, aad_len, p, n, 0, tag, tag_len);
	if (ret)
		memcpy(p, t->ccm_copy, n);
	return ret;
}

/* Key, nonce and AAD set up for the payload to go through cipher_update(). */
static int aead_init(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *esp,
		     bool esn, __u32 seq_hi, int enc)
{
	__u8 nonce[ESP_AEAD_NONCE_MAX], aad[12];
	size_t aad_len = esp_aead_aad(aad, esp, esn, seq_hi);
	int outl;

	esp_aead_nonce(nonce, c->salt, c->s.salt_len, esp);
	if (cipher_init(c, t, aead_cipher(c, t), nonce, enc) ||
	    !EVP_CipherUpdate(t->cctx, NULL, &outl, aad, (int)aad_len))
		return -EIO;
	return 0;
}

static int aead_decrypt(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp,
			size_t len, bool esn, __u32 seq_hi)
{
	size_t icv_len = c->s.icv_len;
	size_t off = ESP_HDR_LEN + 8, n = len - off - icv_len;
	__u8 icv[16], *p = esp + off;
	int outl, ret;

	memcpy(icv, esp + len - icv_len, icv_len);
	if (c->s.alg == UDPESP_ALG_AES_CCM) {
		__u8 nonce[ESP_AEAD_NONCE_MAX], aad[12];
		size_t aad_len = esp_aead_aad(aad, esp, esn, seq_hi);
		size_t nl = esp_aead_nonce(nonce, c->salt, 3, esp);

		return ccm_decrypt(c, t, nonce, nl, aad, aad_len, p, n, icv, icv_len);
	}
	ret = aead_init(c, t, esp, esn, seq_hi, 0);
	if (!ret)
		ret = cipher_update(t, p, p, n);
	if (ret)
		goto undo;
	if (!EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_SET_TAG, (int)icv_len, icv)) {
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

static int aead_encrypt(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp,
			size_t len, bool esn, __u32 seq_hi)
{
	size_t icv_len = c->s.icv_len;
	size_t off = ESP_HDR_LEN + 8, n = len - off - icv_len;
	__u8 *p = esp + off, *icv = esp + len - icv_len;
	int outl, ret;

	if (c->s.alg == UDPESP_ALG_AES_CCM) {
		__u8 nonce[ESP_AEAD_NONCE_MAX], aad[12];
		size_t aad_len = esp_aead_aad(aad, esp, esn, seq_hi);
		size_t nl = esp_aead_nonce(nonce, c->salt, 3, esp);

		return ccm_run(c, t, nonce, nl, aad, aad_len, p, n, 1, icv, icv_len);
	}
	ret = aead_init(c, t, esp, esn, seq_hi, 1);
	if (!ret)
		ret = cipher_update(t, p, p, n);
	if (ret)
		return ret;
	if (!EVP_EncryptFinal_ex(t->cctx, icv, &outl) ||
	    !EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_GET_TAG, (int)icv_len, icv))
		return -EIO;
	return 0;
}

int esp_crypto_decrypt(struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		       bool esn, __u32 seq_hi)
{
	__u8 tag[GMAC_ICV_LEN];
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
	return CRYPTO_memcmp(tag, esp + len - GMAC_ICV_LEN, GMAC_ICV_LEN) ? -EBADMSG : 0;
}

int esp_crypto_encrypt(struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		       bool esn, __u32 seq_hi)
{
	if (!c || !t || !esp || !esp_crypto_len_ok(&c->s, len))
		return -EINVAL;
	if (!c->s.aead)
		return hmac_encrypt(c, t, esp, len, esn, seq_hi);
	if (c->s.alg == UDPESP_ALG_AES_GMAC)
		return gmac_tag(c, t, esp, len, esn, seq_hi, esp + len - GMAC_ICV_LEN);
	return aead_encrypt(c, t, esp, len, esn, seq_hi);
}

/* GCM on one message with a 12-byte nonce and any AAD (esp_crypto.h). */
static int gcm_oneshot(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *nonce,
		       const __u8 *aad, size_t aad_len, __u8 *buf, size_t n, __u8 *tag,
		       size_t tag_len, int enc)
{
	int outl;
	__u8 end[16];

	if (cipher_init(c, t, t->gcm[aes_index(c)], nonce, enc) ||
	    (aad_len && !EVP_CipherUpdate(t->cctx, NULL, &outl, aad, (int)aad_len)) ||
	    (n && cipher_update(t, buf, buf, n)))
		return -EIO;
	if (!enc) {
		if (!EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, tag))
			return -EIO;
		return EVP_DecryptFinal_ex(t->cctx, end, &outl) > 0 ? 0 : -EBADMSG;
	}
	if (!EVP_EncryptFinal_ex(t->cctx, end, &outl) ||
	    !EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag))
		return -EIO;
	return 0;
}

int esp_crypto_aead_oneshot(struct esp_crypto_thread *t, enum udpesp_alg alg, const __u8 *key,
			    size_t key_len, const __u8 *nonce, size_t nonce_len, const __u8 *aad,
			    size_t aad_len, __u8 *buf, size_t n, __u8 *tag, size_t tag_len,
			    bool encrypt)
{
	struct esp_suite s = { .alg = alg,
			       .aead = true,
			       .encrypts = true,
			       .key_len = (__u8)key_len,
			       .icv_len = (__u8)tag_len };
	bool gcm = alg == UDPESP_ALG_AES_GCM_16;
	__u8 mine[16], *p = n ? buf : mine;
	struct esp_crypto *c;
	int ret;

	if (!t || !key || !nonce || (aad_len && !aad) || (n && !buf) || !tag ||
	    !esp_aes_key_ok(key_len) || tag_len < 4 || tag_len > 16 || n > ESP_CRYPTO_MAX_LEN ||
	    (gcm ? nonce_len != 12 :
		   alg != UDPESP_ALG_AES_CCM || nonce_len < 7 || nonce_len > 13 || aad_len > 46 ||
			     tag_len % 2))
		return -EINVAL;
	c = ctx_new(&s, key, NULL);
	if (!c)
		return -errno;
	if (gcm) {
		memcpy(mine, tag, tag_len);
		ret = gcm_oneshot(c, t, nonce, aad, aad_len, p, n, mine, tag_len, encrypt);
		if (ret == -EBADMSG)
			ret = gcm_oneshot(c, t, nonce, aad, aad_len, p, n, mine, tag_len, 1) ?:
				      -EBADMSG;
		else if (!ret && encrypt)
			memcpy(tag, mine, tag_len);
	} else if (encrypt) {
		ret = ccm_run(c, t, nonce, nonce_len, aad, aad_len, p, n, 1, tag, tag_len);
	} else {
		ret = ccm_decrypt(c, t, nonce, nonce_len, aad, aad_len, p, n, tag, tag_len);
	}
	t->loaded = NULL;
	OPENSSL_cleanse(mine, sizeof(mine));
	esp_crypto_free(c);
	return ret;
}

int esp_crypto_mac_oneshot(struct esp_crypto_thread *t, enum esp_auth h, const __u8 *key,
			   size_t key_len, const __u8 *msg, size_t n, __u8 *tag, size_t tag_len)
{
	struct esp_suite s = { .alg = UDPESP_ALG_NULL_HMAC,
			       .hmac = h,
			       .block = 4,
			       .icv_len = (__u8)esp_hmac_icv(h),
			       .hmac_key_len = (__u8)key_len };
	__u8 full[64];
	struct esp_crypto *c;
	int ret;

	if (!t || !key || (n && !msg) || !tag || key_len > 128 ||
	    esp_crypto_suite_ok(&s, NULL, key) || tag_len > s.icv_len || n > ESP_CRYPTO_MAX_LEN)
		return -EINVAL;
	c = ctx_new(&s, NULL, key);
	if (!c)
		return -errno;
	ret = mac_tag(c, t, msg, n, false, 0, full);
	if (!ret)
		memcpy(tag, full, tag_len);
	OPENSSL_cleanse(full, sizeof(full));
	/* The MAC contexts hold this key's schedule under an id now gone. */
	esp_crypto_free(c);
	return ret;
}
