// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ESP crypto on intel-ipsec-mb (see esp_crypto.h). AES-GCM and AES-GMAC
 * use the library's direct GCM/GMAC calls, ChaCha20-Poly1305 its direct
 * init/update/finalize calls, AES-CBC, AES-CTR, AES-CCM, HMAC-SHA-1/2 and
 * AES-XCBC-MAC the job API with expanded AES keys and precomputed HMAC
 * inner/outer hash states. The library's CCM takes 128 and 256-bit keys
 * only: AES-CCM-192 is put together here from its CBC and CTR jobs
 * (RFC 3610 2). Each
 * worker thread has its own IMB_MGR (two on CPUs where jobs run faster
 * on another architecture's, see job_mgr_new()); the per-SA context is
 * read-only.
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
#include <intel-ipsec-mb.h>

#include "esp_crypto.h"
#include "esp_crypto_priv.h"

#define AES_ROUND_KEYS (16 * 15) /* AES-256: 15 round keys */
#define GMAC_ICV_LEN 16		 /* RFC 4543 3.4 */

struct esp_crypto {
	union {
		struct gcm_key_data gcm; /* AES-GCM, AES-GMAC */
		struct {
			DECLARE_ALIGNED(__u8 enc[AES_ROUND_KEYS], 16);
			DECLARE_ALIGNED(__u8 dec[AES_ROUND_KEYS], 16);
		} aes; /* AES-CBC, AES-CTR, AES-CCM */
		__u8 chacha[32];
	} k;
	/* HMAC: hash state after the key^ipad and key^opad blocks. */
	DECLARE_ALIGNED(__u8 ipad[64], 16);
	DECLARE_ALIGNED(__u8 opad[64], 16);
	/* AES-XCBC-MAC (RFC 3566 4): K1 expanded, K2, K3. */
	DECLARE_ALIGNED(__u32 xk1[AES_ROUND_KEYS / 4], 16);
	DECLARE_ALIGNED(__u8 xk2[16], 16);
	DECLARE_ALIGNED(__u8 xk3[16], 16);
	__u8 salt[4];
	IMB_HASH_ALG hash;
	struct esp_suite s;
};

struct esp_crypto_thread {
	IMB_MGR *mgr;	   /* direct GCM, GMAC and ChaCha20-Poly1305 calls */
	IMB_MGR *job_mgr;  /* AES-CBC and HMAC jobs: mgr or an AVX2 one */
	IMB_MGR *sha1_mgr; /* the same with HMAC-SHA-1: mgr or an SSE one */
	struct gcm_context_data gcm;
	struct chacha20_poly1305_context_data chacha;
	/* AES-CCM-192's CBC-MAC: CBC output nobody reads but its last block. */
	DECLARE_ALIGNED(__u8 mac_out[2048], 16);
};

/*
 * Key set-up (AES key expansion, GCM precomputation, SHA one-block)
 * goes through one shared manager: those calls keep no state in it, so
 * any thread may call them at once. It lives until the process exits.
 */
static IMB_MGR *setup_mgr;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static IMB_MGR *mgr_new(IMB_ARCH *arch)
{
	IMB_MGR *m = alloc_mb_mgr(0);

	if (!m)
		return NULL;
	init_mb_mgr_auto(m, arch);
	if (imb_get_errno(m)) {
		free_mb_mgr(m);
		return NULL;
	}
	return m;
}

/*
 * A multi-buffer manager finishes a lone job in the time of a full set
 * of lanes. The AVX-512 one hashes SHA-256 in 16 lanes without the SHA
 * extensions (about 7 us for a 1.4 KB packet here); the AVX2 one uses
 * the extensions (about 1 us). With both at hand, jobs go to an AVX2
 * manager of their own. (SHA-384/512 have no such shortcut.)
 */
static IMB_MGR *job_mgr_new(IMB_MGR *m, IMB_ARCH arch)
{
	IMB_MGR *j;

	if (arch != IMB_ARCH_AVX512 || !(m->features & IMB_FEATURE_SHANI))
		return m;
	j = alloc_mb_mgr(0);
	if (!j)
		return NULL;
	init_mb_mgr_avx2(j);
	if (imb_get_errno(j)) {
		free_mb_mgr(j);
		return m;
	}
	return j;
}

/*
 * The AVX2 and AVX-512 managers hash SHA-1 in 8 or 16 lanes without the
 * SHA extensions (about 11 and 5 us for a lone 1.4 KB packet here); the
 * SSE one uses them (about 1.5 us). HMAC-SHA-1 jobs go to an SSE
 * manager of their own where that is so.
 */
static IMB_MGR *sha1_mgr_new(IMB_MGR *m, IMB_ARCH arch)
{
	IMB_MGR *j;

	if ((arch != IMB_ARCH_AVX512 && arch != IMB_ARCH_AVX2) ||
	    !(m->features & IMB_FEATURE_SHANI))
		return m;
	j = alloc_mb_mgr(0);
	if (!j)
		return NULL;
	init_mb_mgr_sse(j);
	if (imb_get_errno(j)) {
		free_mb_mgr(j);
		return m;
	}
	return j;
}

static void setup_init(void)
{
	setup_mgr = mgr_new(NULL);
}

static char backend_name[48];
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

static void backend_init(void)
{
	snprintf(backend_name, sizeof(backend_name), "intel-ipsec-mb %s", imb_get_version_str());
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
	/* The GCM/ChaCha contexts hold keystream and hash state. */
	explicit_bzero(&t->gcm, sizeof(t->gcm));
	explicit_bzero(&t->chacha, sizeof(t->chacha));
	explicit_bzero(t->mac_out, sizeof(t->mac_out));
	if (t->job_mgr && t->job_mgr != t->mgr)
		free_mb_mgr(t->job_mgr);
	if (t->sha1_mgr && t->sha1_mgr != t->mgr)
		free_mb_mgr(t->sha1_mgr);
	if (t->mgr)
		free_mb_mgr(t->mgr);
	free(t);
}

struct esp_crypto_thread *esp_crypto_thread_new(void)
{
	struct esp_crypto_thread *t = calloc(1, sizeof(*t));
	IMB_ARCH arch;

	if (!t)
		return NULL;
	t->mgr = mgr_new(&arch);
	t->job_mgr = t->mgr ? job_mgr_new(t->mgr, arch) : NULL;
	t->sha1_mgr = t->mgr ? sha1_mgr_new(t->mgr, arch) : NULL;
	if (!t->job_mgr || !t->sha1_mgr) {
		esp_crypto_thread_free(t);
		errno = ENOTSUP;
		return NULL;
	}
	return t;
}

/* RFC 2104: H(K ^ ipad) and H(K ^ opad), one block each, kept mid-hash. */
static void hmac_precompute(IMB_MGR *m, struct esp_crypto *c, const __u8 *key, size_t key_len)
{
	__u8 block[128];
	size_t bs = esp_hmac_block(c->s.hmac);

	for (int pass = 0; pass < 2; pass++) {
		__u8 x = pass ? 0x5c : 0x36;
		__u8 *out = pass ? c->opad : c->ipad;

		memset(block, x, bs);
		for (size_t i = 0; i < key_len; i++)
			block[i] ^= key[i];
		switch (c->s.hmac) {
		case ESP_AUTH_SHA1:
			IMB_SHA1_ONE_BLOCK(m, block, out);
			break;
		case ESP_AUTH_SHA256:
			IMB_SHA256_ONE_BLOCK(m, block, out);
			break;
		case ESP_AUTH_SHA384:
			IMB_SHA384_ONE_BLOCK(m, block, out);
			break;
		default:
			IMB_SHA512_ONE_BLOCK(m, block, out);
			break;
		}
	}
	explicit_bzero(block, sizeof(block));
}

static void aes_keyexp(IMB_MGR *m, struct esp_crypto *c, const __u8 *key)
{
	switch (c->s.key_len) {
	case 16:
		IMB_AES_KEYEXP_128(m, key, c->k.aes.enc, c->k.aes.dec);
		break;
	case 24:
		IMB_AES_KEYEXP_192(m, key, c->k.aes.enc, c->k.aes.dec);
		break;
	default:
		IMB_AES_KEYEXP_256(m, key, c->k.aes.enc, c->k.aes.dec);
		break;
	}
}

static void gcm_pre(IMB_MGR *m, struct esp_crypto *c, const __u8 *key)
{
	switch (c->s.key_len) {
	case 16:
		IMB_AES128_GCM_PRE(m, key, &c->k.gcm);
		break;
	case 24:
		IMB_AES192_GCM_PRE(m, key, &c->k.gcm);
		break;
	default:
		IMB_AES256_GCM_PRE(m, key, &c->k.gcm);
		break;
	}
}

static IMB_HASH_ALG hash_alg(enum esp_auth h)
{
	switch (h) {
	case ESP_AUTH_SHA1:
		return IMB_AUTH_HMAC_SHA_1;
	case ESP_AUTH_SHA256:
		return IMB_AUTH_HMAC_SHA_256;
	case ESP_AUTH_SHA384:
		return IMB_AUTH_HMAC_SHA_384;
	case ESP_AUTH_XCBC:
		return IMB_AUTH_AES_XCBC;
	default:
		return IMB_AUTH_HMAC_SHA_512;
	}
}

/* A context for a suite whose lengths the caller checked. */
static struct esp_crypto *ctx_new(const struct esp_suite *suite, const __u8 *key,
				  const __u8 *auth_key)
{
	struct esp_crypto *c;

	pthread_once(&setup_once, setup_init);
	if (!setup_mgr) {
		errno = ENOTSUP;
		return NULL;
	}
	/* struct gcm_key_data wants 64-byte alignment. */
	c = aligned_alloc(64, (sizeof(*c) + 63) / 64 * 64);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->s = *suite;
	if (suite->salt_len)
		memcpy(c->salt, key + suite->key_len, suite->salt_len);

	switch (suite->alg) {
	case UDPESP_ALG_AES_GCM_16:
	case UDPESP_ALG_AES_GMAC:
		gcm_pre(setup_mgr, c, key);
		return c;
	case UDPESP_ALG_CHACHA20_POLY1305:
		memcpy(c->k.chacha, key, 32);
		return c;
	case UDPESP_ALG_AES_CCM:
		aes_keyexp(setup_mgr, c, key);
		return c;
	case UDPESP_ALG_AES_CBC_HMAC:
	case UDPESP_ALG_AES_CTR_HMAC:
		aes_keyexp(setup_mgr, c, key);
		break;
	default: /* NULL encryption */
		break;
	}
	c->hash = hash_alg(suite->hmac);
	if (suite->hmac == ESP_AUTH_XCBC)
		IMB_AES_XCBC_KEYEXP(setup_mgr, auth_key, c->xk1, c->xk2, c->xk3);
	else
		hmac_precompute(setup_mgr, c, auth_key, suite->hmac_key_len);
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
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* Constant time: how much of the ICV matched must not show in timing. */
static bool icv_equal(const __u8 *a, const __u8 *b, size_t n)
{
	__u8 diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	/* Keep the compiler from turning the loop into an early exit. */
	__asm__("" : "+r"(diff));
	return !diff;
}

/* One job at a time: what is submitted is what comes back. */
static int run_job(IMB_MGR *m)
{
	IMB_JOB *job = IMB_SUBMIT_JOB(m);

	if (!job)
		job = IMB_FLUSH_JOB(m);
	if (!job || job->status != IMB_STATUS_COMPLETED)
		return -EIO;
	return 0;
}

static IMB_JOB *job_init(IMB_MGR *m)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->key_len_in_bytes = 0;
	job->enc_keys = NULL;
	job->dec_keys = NULL;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = 0;
	job->auth_tag_output = NULL;
	job->auth_tag_output_len_in_bytes = 0;
	return job;
}

static void job_hmac(IMB_JOB *job, const struct esp_crypto *c, const __u8 *esp, size_t hash_len,
		     __u8 *tag)
{
	job->hash_alg = c->hash;
	job->src = esp;
	job->msg_len_to_hash_in_bytes = hash_len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = c->s.icv_len;
	if (c->s.hmac == ESP_AUTH_XCBC) {
		job->u.XCBC._k1_expanded = c->xk1;
		job->u.XCBC._k2 = c->xk2;
		job->u.XCBC._k3 = c->xk3;
		return;
	}
	job->u.HMAC._hashed_auth_key_xor_ipad = c->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = c->opad;
}

/* AES-CBC with the packet's IV, or AES-CTR from ctr (RFC 3686 4). */
static void job_cipher(IMB_JOB *job, const struct esp_crypto *c, __u8 *esp, size_t len,
		       IMB_CIPHER_DIRECTION dir, __u8 ctr[16])
{
	size_t off = ESP_HDR_LEN + c->s.iv_len;

	job->cipher_mode = IMB_CIPHER_CBC;
	job->iv = esp + ESP_HDR_LEN;
	if (c->s.alg == UDPESP_ALG_AES_CTR_HMAC) {
		esp_ctr_block(ctr, c->salt, esp);
		job->cipher_mode = IMB_CIPHER_CNTR;
		job->iv = ctr;
	}
	job->cipher_direction = dir;
	job->enc_keys = c->k.aes.enc;
	job->dec_keys = c->k.aes.dec;
	job->key_len_in_bytes = c->s.key_len;
	job->src = esp;
	job->dst = esp + off;
	job->iv_len_in_bytes = 16;
	job->cipher_start_src_offset_in_bytes = off;
	job->msg_len_to_cipher_in_bytes = len - off - c->s.icv_len;
}

/*
 * RFC 4303 2.2.1: with ESN the ICV covers seq hi after the payload. The
 * job API hashes one contiguous buffer, so seq hi goes where the ICV
 * starts (the ICV is at least 12 bytes) while the hash runs; the caller
 * puts the ICV back. Returns the number of bytes to hash.
 */
static size_t hmac_span(const struct esp_crypto *c, __u8 *esp, size_t len, bool esn, __u32 seq_hi)
{
	size_t n = len - c->s.icv_len;

	if (!esn)
		return n;
	esp_put_be32(esp + n, seq_hi);
	return n + 4;
}

/* The manager for a suite's cipher and MAC jobs. */
static IMB_MGR *jobs_for(const struct esp_crypto *c, struct esp_crypto_thread *t)
{
	return c->s.hmac == ESP_AUTH_SHA1 ? t->sha1_mgr : t->job_mgr;
}

static int hmac_decrypt(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp,
			size_t len, bool esn, __u32 seq_hi)
{
	size_t icv_off = len - c->s.icv_len;
	__u8 icv[ESP_ICV_MAX], tag[ESP_ICV_MAX], ctr[16];
	IMB_MGR *m = jobs_for(c, t);
	IMB_JOB *job;
	int ret;

	memcpy(icv, esp + icv_off, c->s.icv_len);
	job = job_init(m);
	job_hmac(job, c, esp, hmac_span(c, esp, len, esn, seq_hi), tag);
	ret = run_job(m);
	if (esn)
		memcpy(esp + icv_off, icv, 4);
	if (ret)
		return ret;
	if (!icv_equal(tag, icv, c->s.icv_len))
		return -EBADMSG;
	if (c->s.alg == UDPESP_ALG_NULL_HMAC)
		return 0;

	job = job_init(m);
	job_cipher(job, c, esp, len, IMB_DIR_DECRYPT, ctr);
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	return run_job(m);
}

static int hmac_encrypt(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp,
			size_t len, bool esn, __u32 seq_hi)
{
	__u8 tag[ESP_ICV_MAX], ctr[16];
	IMB_MGR *m = jobs_for(c, t);
	IMB_JOB *job = job_init(m);
	int ret;

	/* Encrypt, then hash the ciphertext, in one chained job. */
	if (c->s.alg != UDPESP_ALG_NULL_HMAC)
		job_cipher(job, c, esp, len, IMB_DIR_ENCRYPT, ctr);
	job_hmac(job, c, esp, hmac_span(c, esp, len, esn, seq_hi), tag);
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	ret = run_job(m);
	if (!ret)
		memcpy(esp + len - c->s.icv_len, tag, c->s.icv_len);
	explicit_bzero(tag, sizeof(tag));
	return ret;
}

static void gcm_crypt(IMB_MGR *m, const struct esp_crypto *c, struct gcm_context_data *ctx,
		      __u8 *buf, size_t n, const __u8 *nonce, const __u8 *aad, size_t aad_len,
		      __u8 *tag, size_t tag_len, bool enc)
{
	switch (c->s.key_len * 2 + enc) {
	case 32 + 1:
		IMB_AES128_GCM_ENC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad, aad_len, tag,
				   tag_len);
		break;
	case 32:
		IMB_AES128_GCM_DEC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad, aad_len, tag,
				   tag_len);
		break;
	case 48 + 1:
		IMB_AES192_GCM_ENC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad, aad_len, tag,
				   tag_len);
		break;
	case 48:
		IMB_AES192_GCM_DEC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad, aad_len, tag,
				   tag_len);
		break;
	case 64 + 1:
		IMB_AES256_GCM_ENC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad, aad_len, tag,
				   tag_len);
		break;
	default:
		IMB_AES256_GCM_DEC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad, aad_len, tag,
				   tag_len);
		break;
	}
}

/* One AES-CBC or AES-CTR job on n bytes from src to dst. */
static int aes_job(const struct esp_crypto *c, struct esp_crypto_thread *t, IMB_CIPHER_MODE mode,
		   const __u8 *iv, const __u8 *src, __u8 *dst, size_t n)
{
	IMB_JOB *job = job_init(t->mgr);

	job->cipher_mode = mode;
	job->enc_keys = c->k.aes.enc;
	job->dec_keys = c->k.aes.dec;
	job->key_len_in_bytes = c->s.key_len;
	job->src = src;
	job->dst = dst;
	job->iv = iv;
	job->iv_len_in_bytes = 16;
	job->msg_len_to_cipher_in_bytes = n;
	return run_job(t->mgr);
}

/* CBC-MAC (RFC 3610 2.2): y chained over n bytes, a multiple of 16. */
static int cbc_mac(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 y[16],
		   const __u8 *src, size_t n)
{
	while (n) {
		size_t k = n < sizeof(t->mac_out) ? n : sizeof(t->mac_out);

		if (aes_job(c, t, IMB_CIPHER_CBC, y, src, t->mac_out, k))
			return -EIO;
		memcpy(y, t->mac_out + k - 16, 16);
		src += k;
		n -= k;
	}
	return 0;
}

/*
 * CCM (RFC 3610 2) from the library's AES-CBC and AES-CTR, for the key
 * size its CCM lacks. The tag is the CBC-MAC of B0, the AAD with its
 * length and the plaintext, encrypted with counter block 0; the payload
 * is encrypted from counter block 1.
 */
static int ccm_parts(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *nonce,
		     size_t nonce_len, const __u8 *aad, size_t aad_len, __u8 *p, size_t n, bool enc,
		     __u8 *tag, size_t tag_len)
{
	size_t l = 15 - nonce_len, h = 16, full = n / 16 * 16;
	__u8 hdr[16 + 48] = { 0 }, y[16] = { 0 }, a[16] = { 0 }, last[16];
	int ret;

	hdr[0] = (aad_len ? 0x40 : 0) | (tag_len - 2) / 2 << 3 | (l - 1);
	memcpy(hdr + 1, nonce, nonce_len);
	for (size_t i = 0; i < l && i < sizeof(n); i++)
		hdr[15 - i] = (__u8)(n >> 8 * i);
	if (aad_len) {
		hdr[16] = (__u8)(aad_len >> 8);
		hdr[17] = (__u8)aad_len;
		memcpy(hdr + 18, aad, aad_len);
		h += (2 + aad_len + 15) / 16 * 16;
	}
	a[0] = (__u8)(l - 1);
	memcpy(a + 1, nonce, nonce_len);
	a[15] = 1;
	if (!enc && n && aes_job(c, t, IMB_CIPHER_CNTR, a, p, p, n))
		return -EIO;
	ret = cbc_mac(c, t, y, hdr, h);
	if (!ret)
		ret = cbc_mac(c, t, y, p, full);
	if (!ret && n > full) {
		memset(last, 0, sizeof(last));
		memcpy(last, p + full, n - full);
		ret = cbc_mac(c, t, y, last, 16);
	}
	if (!ret && enc && n)
		ret = aes_job(c, t, IMB_CIPHER_CNTR, a, p, p, n);
	a[15] = 0;
	if (!ret)
		ret = aes_job(c, t, IMB_CIPHER_CNTR, a, y, y, 16);
	if (!ret)
		memcpy(tag, y, tag_len);
	explicit_bzero(y, sizeof(y));
	explicit_bzero(last, sizeof(last));
	return ret;
}

/*
 * AES-CCM on n bytes at p, in place: encrypt (tag over the plaintext)
 * or decrypt (tag over what comes out). The caller compares the tag.
 */
static int ccm_run(const struct esp_crypto *c, struct esp_crypto_thread *t, const __u8 *nonce,
		   size_t nonce_len, const __u8 *aad, size_t aad_len, __u8 *p, size_t n, bool enc,
		   __u8 *tag, size_t tag_len)
{
	IMB_JOB *job;

	if (c->s.key_len == 24)
		return ccm_parts(c, t, nonce, nonce_len, aad, aad_len, p, n, enc, tag, tag_len);
	job = job_init(t->mgr);
	job->cipher_mode = IMB_CIPHER_CCM;
	job->hash_alg = IMB_AUTH_AES_CCM;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	job->enc_keys = c->k.aes.enc;
	job->dec_keys = c->k.aes.enc;
	job->key_len_in_bytes = c->s.key_len;
	job->src = p;
	job->dst = p;
	job->iv = nonce;
	job->iv_len_in_bytes = nonce_len;
	job->msg_len_to_cipher_in_bytes = n;
	job->msg_len_to_hash_in_bytes = n;
	job->u.CCM.aad = aad;
	job->u.CCM.aad_len_in_bytes = aad_len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = tag_len;
	return run_job(t->mgr);
}

static void gmac_update(IMB_MGR *m, const struct esp_crypto *c, struct gcm_context_data *ctx,
			const __u8 *p, size_t n)
{
	switch (c->s.key_len) {
	case 16:
		IMB_AES128_GMAC_UPDATE(m, &c->k.gcm, ctx, p, n);
		break;
	case 24:
		IMB_AES192_GMAC_UPDATE(m, &c->k.gcm, ctx, p, n);
		break;
	default:
		IMB_AES256_GMAC_UPDATE(m, &c->k.gcm, ctx, p, n);
		break;
	}
}

/*
 * RFC 4543 3.3: the whole packet up to the ICV is AAD, with seq hi
 * between SPI and seq lo under ESN. The first 16 AAD bytes are built
 * apart (one whole GHASH block), the rest is read in place.
 */
static void gmac_tag(IMB_MGR *m, const struct esp_crypto *c, struct gcm_context_data *ctx,
		     const __u8 *esp, size_t len, bool esn, __u32 seq_hi, __u8 *tag)
{
	size_t n = len - GMAC_ICV_LEN;
	__u8 nonce[ESP_AEAD_NONCE_MAX], head[16];

	esp_aead_nonce(nonce, c->salt, 4, esp);
	switch (c->s.key_len) {
	case 16:
		IMB_AES128_GMAC_INIT(m, &c->k.gcm, ctx, nonce, 12);
		break;
	case 24:
		IMB_AES192_GMAC_INIT(m, &c->k.gcm, ctx, nonce, 12);
		break;
	default:
		IMB_AES256_GMAC_INIT(m, &c->k.gcm, ctx, nonce, 12);
		break;
	}
	if (esn) {
		memcpy(head, esp, 4);
		esp_put_be32(head + 4, seq_hi);
		memcpy(head + 8, esp + 4, 8);
		gmac_update(m, c, ctx, head, sizeof(head));
		gmac_update(m, c, ctx, esp + 12, n - 12);
	} else {
		gmac_update(m, c, ctx, esp, n);
	}
	switch (c->s.key_len) {
	case 16:
		IMB_AES128_GMAC_FINALIZE(m, &c->k.gcm, ctx, tag, GMAC_ICV_LEN);
		break;
	case 24:
		IMB_AES192_GMAC_FINALIZE(m, &c->k.gcm, ctx, tag, GMAC_ICV_LEN);
		break;
	default:
		IMB_AES256_GMAC_FINALIZE(m, &c->k.gcm, ctx, tag, GMAC_ICV_LEN);
		break;
	}
}

/* Encrypt (or decrypt) the payload; the tag of the ciphertext in tag. */
static int aead_run(const struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		    bool esn, __u32 seq_hi, bool enc, __u8 *tag)
{
	size_t off = ESP_HDR_LEN + 8, n = len - off - c->s.icv_len;
	__u8 nonce[ESP_AEAD_NONCE_MAX], aad[12];
	size_t aad_len = esp_aead_aad(aad, esp, esn, seq_hi);
	size_t nonce_len = esp_aead_nonce(nonce, c->salt, c->s.salt_len, esp);
	__u8 *p = esp + off;

	if (c->s.alg == UDPESP_ALG_AES_GCM_16) {
		gcm_crypt(t->mgr, c, &t->gcm, p, n, nonce, aad, aad_len, tag, c->s.icv_len, enc);
		return 0;
	}
	if (c->s.alg == UDPESP_ALG_AES_CCM)
		return ccm_run(c, t, nonce, nonce_len, aad, aad_len, p, n, enc, tag, c->s.icv_len);
	IMB_CHACHA20_POLY1305_INIT(t->mgr, c->k.chacha, &t->chacha, nonce, aad, aad_len);
	if (enc) {
		IMB_CHACHA20_POLY1305_ENC_UPDATE(t->mgr, c->k.chacha, &t->chacha, p, p, n);
		IMB_CHACHA20_POLY1305_ENC_FINALIZE(t->mgr, &t->chacha, tag, 16);
	} else {
		IMB_CHACHA20_POLY1305_DEC_UPDATE(t->mgr, c->k.chacha, &t->chacha, p, p, n);
		IMB_CHACHA20_POLY1305_DEC_FINALIZE(t->mgr, &t->chacha, tag, 16);
	}
	return 0;
}

int esp_crypto_decrypt(struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		       bool esn, __u32 seq_hi)
{
	__u8 tag[16];
	const __u8 *icv;
	int ret;

	if (!c || !t || !esp || !esp_crypto_len_ok(&c->s, len))
		return -EINVAL;
	if (!c->s.aead)
		return hmac_decrypt(c, t, esp, len, esn, seq_hi);

	icv = esp + len - c->s.icv_len;
	if (c->s.alg == UDPESP_ALG_AES_GMAC) {
		gmac_tag(t->mgr, c, &t->gcm, esp, len, esn, seq_hi, tag);
		return icv_equal(tag, icv, GMAC_ICV_LEN) ? 0 : -EBADMSG;
	}
	ret = aead_run(c, t, esp, len, esn, seq_hi, false, tag);
	if (!ret && icv_equal(tag, icv, c->s.icv_len))
		return 0;
	/* Undo the decryption: the same keystream turns it back. */
	aead_run(c, t, esp, len, esn, seq_hi, true, tag);
	explicit_bzero(tag, sizeof(tag));
	return ret ? ret : -EBADMSG;
}

int esp_crypto_encrypt(struct esp_crypto *c, struct esp_crypto_thread *t, __u8 *esp, size_t len,
		       bool esn, __u32 seq_hi)
{
	__u8 *icv;

	if (!c || !t || !esp || !esp_crypto_len_ok(&c->s, len))
		return -EINVAL;
	if (!c->s.aead)
		return hmac_encrypt(c, t, esp, len, esn, seq_hi);

	icv = esp + len - c->s.icv_len;
	if (c->s.alg == UDPESP_ALG_AES_GMAC) {
		gmac_tag(t->mgr, c, &t->gcm, esp, len, esn, seq_hi, icv);
		return 0;
	}
	return aead_run(c, t, esp, len, esn, seq_hi, true, icv);
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
	struct esp_crypto *c;
	__u8 mine[16];
	int ret = 0;

	if (!t || !key || !nonce || (aad_len && !aad) || (n && !buf) || !tag ||
	    !esp_aes_key_ok(key_len) || tag_len < 4 || tag_len > 16 || n > ESP_CRYPTO_MAX_LEN ||
	    (gcm ? nonce_len != 12 :
		   alg != UDPESP_ALG_AES_CCM || nonce_len < 7 || nonce_len > 13 || aad_len > 46 ||
			     tag_len % 2))
		return -EINVAL;
	c = ctx_new(&s, key, NULL);
	if (!c)
		return -errno;
	for (int pass = 0; pass < 2; pass++) {
		/* Decrypting: put the buffer back with a second pass. */
		bool enc = encrypt || pass;
		int r = 0;

		if (gcm)
			gcm_crypt(t->mgr, c, &t->gcm, buf, n, nonce, aad, aad_len, mine, tag_len,
				  enc);
		else
			r = ccm_run(c, t, nonce, nonce_len, aad, aad_len, buf, n, enc, mine,
				    tag_len);
		if (pass)
			break;
		ret = r;
		if (encrypt) {
			memcpy(tag, mine, tag_len);
			break;
		}
		if (!ret && icv_equal(mine, tag, tag_len))
			break;
		if (!ret)
			ret = -EBADMSG;
	}
	explicit_bzero(mine, sizeof(mine));
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
	__u8 full[ESP_ICV_MAX];
	struct esp_crypto *c;
	IMB_JOB *job;
	int ret;

	if (!t || !key || (n && !msg) || !tag || key_len > 128 ||
	    esp_crypto_suite_ok(&s, NULL, key) || tag_len > s.icv_len || n > ESP_CRYPTO_MAX_LEN)
		return -EINVAL;
	c = ctx_new(&s, NULL, key);
	if (!c)
		return -errno;
	job = job_init(jobs_for(c, t));
	job_hmac(job, c, msg, n, full);
	ret = run_job(jobs_for(c, t));
	if (!ret)
		memcpy(tag, full, tag_len);
	explicit_bzero(full, sizeof(full));
	esp_crypto_free(c);
	return ret;
}
