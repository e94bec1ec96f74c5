// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ESP crypto on intel-ipsec-mb (see esp_crypto.h). AES-GCM and AES-GMAC
 * use the library's direct GCM/GMAC calls, ChaCha20-Poly1305 its direct
 * init/update/finalize calls, AES-CBC and HMAC-SHA-2 the job API with
 * expanded AES keys and precomputed HMAC inner/outer hash states. Each
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

struct esp_crypto {
	union {
		struct gcm_key_data gcm; /* AES-GCM, AES-GMAC */
		struct {
			DECLARE_ALIGNED(__u8 enc[AES_ROUND_KEYS], 16);
			DECLARE_ALIGNED(__u8 dec[AES_ROUND_KEYS], 16);
		} cbc;
		__u8 chacha[32];
	} k;
	/* HMAC: hash state after the key^ipad and key^opad blocks. */
	DECLARE_ALIGNED(__u8 ipad[64], 16);
	DECLARE_ALIGNED(__u8 opad[64], 16);
	__u8 salt[4];
	IMB_HASH_ALG hash;
	struct esp_suite s;
};

struct esp_crypto_thread {
	IMB_MGR *mgr;     /* direct GCM, GMAC and ChaCha20-Poly1305 calls */
	IMB_MGR *job_mgr; /* AES-CBC and HMAC jobs: mgr or an AVX2 one */
	struct gcm_context_data gcm;
	struct chacha20_poly1305_context_data chacha;
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

static void setup_init(void)
{
	setup_mgr = mgr_new(NULL);
}

static char backend_name[48];
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

static void backend_init(void)
{
	snprintf(backend_name, sizeof(backend_name), "intel-ipsec-mb %s",
		 imb_get_version_str());
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
	if (t->job_mgr && t->job_mgr != t->mgr)
		free_mb_mgr(t->job_mgr);
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
	if (!t->job_mgr) {
		esp_crypto_thread_free(t);
		errno = ENOTSUP;
		return NULL;
	}
	return t;
}


/* RFC 2104: H(K ^ ipad) and H(K ^ opad), one block each, kept mid-hash. */
static void hmac_precompute(IMB_MGR *m, struct esp_crypto *c,
			    const __u8 *key, size_t key_len)
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
		IMB_AES_KEYEXP_128(m, key, c->k.cbc.enc, c->k.cbc.dec);
		break;
	case 24:
		IMB_AES_KEYEXP_192(m, key, c->k.cbc.enc, c->k.cbc.dec);
		break;
	default:
		IMB_AES_KEYEXP_256(m, key, c->k.cbc.enc, c->k.cbc.dec);
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

struct esp_crypto *esp_crypto_new(const struct esp_suite *suite,
				  const __u8 *key, const __u8 *auth_key)
{
	struct esp_crypto *c;

	if (!suite || esp_crypto_suite_ok(suite, key, auth_key)) {
		errno = EINVAL;
		return NULL;
	}
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

	switch (suite->alg) {
	case UDPESP_ALG_AES_GCM_16:
	case UDPESP_ALG_AES_GMAC:
		gcm_pre(setup_mgr, c, key);
		memcpy(c->salt, key + suite->key_len, 4);
		break;
	case UDPESP_ALG_CHACHA20_POLY1305:
		memcpy(c->k.chacha, key, 32);
		memcpy(c->salt, key + 32, 4);
		break;
	case UDPESP_ALG_AES_CBC_HMAC:
		aes_keyexp(setup_mgr, c, key);
		/* fall through */
	default: /* NULL encryption */
		c->hash = suite->hmac == ESP_AUTH_SHA256 ? IMB_AUTH_HMAC_SHA_256 :
			  suite->hmac == ESP_AUTH_SHA384 ? IMB_AUTH_HMAC_SHA_384 :
							  IMB_AUTH_HMAC_SHA_512;
		hmac_precompute(setup_mgr, c, auth_key, suite->hmac_key_len);
		break;
	}
	return c;
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

static void job_hmac(IMB_JOB *job, const struct esp_crypto *c, __u8 *esp,
		     size_t hash_len, __u8 *tag)
{
	job->hash_alg = c->hash;
	job->src = esp;
	job->msg_len_to_hash_in_bytes = hash_len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = c->s.icv_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = c->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = c->opad;
}

static void job_cbc(IMB_JOB *job, const struct esp_crypto *c, __u8 *esp,
		    size_t len, IMB_CIPHER_DIRECTION dir)
{
	size_t off = ESP_HDR_LEN + 16;

	job->cipher_mode = IMB_CIPHER_CBC;
	job->cipher_direction = dir;
	job->enc_keys = c->k.cbc.enc;
	job->dec_keys = c->k.cbc.dec;
	job->key_len_in_bytes = c->s.key_len;
	job->src = esp;
	job->dst = esp + off;
	job->iv = esp + ESP_HDR_LEN;
	job->iv_len_in_bytes = 16;
	job->cipher_start_src_offset_in_bytes = off;
	job->msg_len_to_cipher_in_bytes = len - off - c->s.icv_len;
}

/*
 * RFC 4303 2.2.1: with ESN the ICV covers seq hi after the payload. The
 * job API hashes one contiguous buffer, so seq hi goes where the ICV
 * starts (the ICV is at least 16 bytes) while the hash runs; the caller
 * puts the ICV back. Returns the number of bytes to hash.
 */
static size_t hmac_span(const struct esp_crypto *c, __u8 *esp, size_t len,
			bool esn, __u32 seq_hi)
{
	size_t n = len - c->s.icv_len;

	if (!esn)
		return n;
	esp_put_be32(esp + n, seq_hi);
	return n + 4;
}

static int hmac_decrypt(const struct esp_crypto *c,
			struct esp_crypto_thread *t, __u8 *esp, size_t len,
			bool esn, __u32 seq_hi)
{
	size_t icv_off = len - c->s.icv_len;
	__u8 icv[ESP_ICV_MAX], tag[ESP_ICV_MAX];
	IMB_JOB *job;
	int ret;

	memcpy(icv, esp + icv_off, c->s.icv_len);
	job = job_init(t->job_mgr);
	job_hmac(job, c, esp, hmac_span(c, esp, len, esn, seq_hi), tag);
	ret = run_job(t->job_mgr);
	if (esn)
		memcpy(esp + icv_off, icv, 4);
	if (ret)
		return ret;
	if (!icv_equal(tag, icv, c->s.icv_len))
		return -EBADMSG;
	if (c->s.alg == UDPESP_ALG_NULL_HMAC)
		return 0;

	job = job_init(t->job_mgr);
	job_cbc(job, c, esp, len, IMB_DIR_DECRYPT);
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	return run_job(t->job_mgr);
}

static int hmac_encrypt(const struct esp_crypto *c,
			struct esp_crypto_thread *t, __u8 *esp, size_t len,
			bool esn, __u32 seq_hi)
{
	__u8 tag[ESP_ICV_MAX];
	IMB_JOB *job = job_init(t->job_mgr);
	int ret;

	/* Encrypt, then hash the ciphertext, in one chained job. */
	if (c->s.alg == UDPESP_ALG_AES_CBC_HMAC)
		job_cbc(job, c, esp, len, IMB_DIR_ENCRYPT);
	job_hmac(job, c, esp, hmac_span(c, esp, len, esn, seq_hi), tag);
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	ret = run_job(t->job_mgr);
	if (!ret)
		memcpy(esp + len - c->s.icv_len, tag, c->s.icv_len);
	explicit_bzero(tag, sizeof(tag));
	return ret;
}

static void gcm_enc(IMB_MGR *m, const struct esp_crypto *c,
		    struct gcm_context_data *ctx, __u8 *buf, size_t n,
		    const __u8 *nonce, const __u8 *aad, size_t aad_len,
		    __u8 *tag)
{
	switch (c->s.key_len) {
	case 16:
		IMB_AES128_GCM_ENC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad,
				   aad_len, tag, ESP_AEAD_ICV_LEN);
		break;
	case 24:
		IMB_AES192_GCM_ENC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad,
				   aad_len, tag, ESP_AEAD_ICV_LEN);
		break;
	default:
		IMB_AES256_GCM_ENC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad,
				   aad_len, tag, ESP_AEAD_ICV_LEN);
		break;
	}
}

static void gcm_dec(IMB_MGR *m, const struct esp_crypto *c,
		    struct gcm_context_data *ctx, __u8 *buf, size_t n,
		    const __u8 *nonce, const __u8 *aad, size_t aad_len,
		    __u8 *tag)
{
	switch (c->s.key_len) {
	case 16:
		IMB_AES128_GCM_DEC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad,
				   aad_len, tag, ESP_AEAD_ICV_LEN);
		break;
	case 24:
		IMB_AES192_GCM_DEC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad,
				   aad_len, tag, ESP_AEAD_ICV_LEN);
		break;
	default:
		IMB_AES256_GCM_DEC(m, &c->k.gcm, ctx, buf, buf, n, nonce, aad,
				   aad_len, tag, ESP_AEAD_ICV_LEN);
		break;
	}
}

static void gmac_update(IMB_MGR *m, const struct esp_crypto *c,
			struct gcm_context_data *ctx, const __u8 *p, size_t n)
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
static void gmac_tag(IMB_MGR *m, const struct esp_crypto *c,
		     struct gcm_context_data *ctx, const __u8 *esp, size_t len,
		     bool esn, __u32 seq_hi, __u8 *tag)
{
	size_t n = len - ESP_AEAD_ICV_LEN;
	__u8 nonce[ESP_AEAD_NONCE_LEN], head[16];

	esp_aead_nonce(nonce, c->salt, esp);
	switch (c->s.key_len) {
	case 16:
		IMB_AES128_GMAC_INIT(m, &c->k.gcm, ctx, nonce, sizeof(nonce));
		break;
	case 24:
		IMB_AES192_GMAC_INIT(m, &c->k.gcm, ctx, nonce, sizeof(nonce));
		break;
	default:
		IMB_AES256_GMAC_INIT(m, &c->k.gcm, ctx, nonce, sizeof(nonce));
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
		IMB_AES128_GMAC_FINALIZE(m, &c->k.gcm, ctx, tag,
					 ESP_AEAD_ICV_LEN);
		break;
	case 24:
		IMB_AES192_GMAC_FINALIZE(m, &c->k.gcm, ctx, tag,
					 ESP_AEAD_ICV_LEN);
		break;
	default:
		IMB_AES256_GMAC_FINALIZE(m, &c->k.gcm, ctx, tag,
					 ESP_AEAD_ICV_LEN);
		break;
	}
}

/* Encrypt (or decrypt) the payload; the tag of the ciphertext in tag. */
static void aead_run(const struct esp_crypto *c, struct esp_crypto_thread *t,
		     __u8 *esp, size_t len, bool esn, __u32 seq_hi, bool enc,
		     __u8 *tag)
{
	size_t off = ESP_HDR_LEN + 8, n = len - off - ESP_AEAD_ICV_LEN;
	__u8 nonce[ESP_AEAD_NONCE_LEN], aad[12];
	size_t aad_len = esp_aead_aad(aad, esp, esn, seq_hi);
	__u8 *p = esp + off;

	esp_aead_nonce(nonce, c->salt, esp);
	if (c->s.alg == UDPESP_ALG_AES_GCM_16) {
		if (enc)
			gcm_enc(t->mgr, c, &t->gcm, p, n, nonce, aad, aad_len,
				tag);
		else
			gcm_dec(t->mgr, c, &t->gcm, p, n, nonce, aad, aad_len,
				tag);
		return;
	}
	IMB_CHACHA20_POLY1305_INIT(t->mgr, c->k.chacha, &t->chacha, nonce, aad,
				   aad_len);
	if (enc) {
		IMB_CHACHA20_POLY1305_ENC_UPDATE(t->mgr, c->k.chacha, &t->chacha,
						 p, p, n);
		IMB_CHACHA20_POLY1305_ENC_FINALIZE(t->mgr, &t->chacha, tag,
						   ESP_AEAD_ICV_LEN);
	} else {
		IMB_CHACHA20_POLY1305_DEC_UPDATE(t->mgr, c->k.chacha, &t->chacha,
						 p, p, n);
		IMB_CHACHA20_POLY1305_DEC_FINALIZE(t->mgr, &t->chacha, tag,
						   ESP_AEAD_ICV_LEN);
	}
}

int esp_crypto_decrypt(struct esp_crypto *c, struct esp_crypto_thread *t,
		       __u8 *esp, size_t len, bool esn, __u32 seq_hi)
{
	__u8 tag[ESP_AEAD_ICV_LEN];
	const __u8 *icv;

	if (!c || !t || !esp || !esp_crypto_len_ok(&c->s, len))
		return -EINVAL;
	if (!c->s.aead)
		return hmac_decrypt(c, t, esp, len, esn, seq_hi);

	icv = esp + len - ESP_AEAD_ICV_LEN;
	if (c->s.alg == UDPESP_ALG_AES_GMAC) {
		gmac_tag(t->mgr, c, &t->gcm, esp, len, esn, seq_hi, tag);
		return icv_equal(tag, icv, ESP_AEAD_ICV_LEN) ? 0 : -EBADMSG;
	}
	aead_run(c, t, esp, len, esn, seq_hi, false, tag);
	if (icv_equal(tag, icv, ESP_AEAD_ICV_LEN))
		return 0;
	/* Undo the decryption: the same keystream turns it back. */
	aead_run(c, t, esp, len, esn, seq_hi, true, tag);
	return -EBADMSG;
}

int esp_crypto_encrypt(struct esp_crypto *c, struct esp_crypto_thread *t,
		       __u8 *esp, size_t len, bool esn, __u32 seq_hi)
{
	__u8 *icv;

	if (!c || !t || !esp || !esp_crypto_len_ok(&c->s, len))
		return -EINVAL;
	if (!c->s.aead)
		return hmac_encrypt(c, t, esp, len, esn, seq_hi);

	icv = esp + len - ESP_AEAD_ICV_LEN;
	if (c->s.alg == UDPESP_ALG_AES_GMAC)
		gmac_tag(t->mgr, c, &t->gcm, esp, len, esn, seq_hi, icv);
	else
		aead_run(c, t, esp, len, esn, seq_hi, true, icv);
	return 0;
}
