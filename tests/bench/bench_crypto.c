// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bench_crypto: nanoseconds per ESP packet with a 1400-byte payload
 * through esp_crypto_decrypt() and esp_crypto_encrypt(), every suite,
 * on the backend this binary was linked with (bench_crypto: the one
 * CRYPTO= chose; bench_crypto_openssl: OpenSSL). One thread, one SA.
 *
 * Decryption works in place, so each decrypt starts from a copy of the
 * packet; the time of that copy alone is measured in the same round and
 * taken off. Encryption runs in place on its own output. Each round
 * measures every suite; the table shows the median over the rounds.
 * Time is the thread's CPU time, so that other processes on a shared
 * machine do not count (their effect on caches and clocks still does).
 *
 * Environment: BENCH_REPEAT (packets per measurement, default 100,000),
 * BENCH_ROUNDS (default 5), BENCH_QUICK=1 (3 rounds of 20,000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esp/esp_crypto.h"
#include "common/sa_check.h"

#define PAYLOAD 1400
#define PKT_MAX 2048
#define ROUNDS_MAX 101

struct bench_suite {
	const char *name;
	struct esp_suite s;
	struct esp_crypto *c;
	size_t len;
	__u8 pkt[PKT_MAX]; /* a valid encrypted packet */
	double dec[ROUNDS_MAX], enc[ROUNDS_MAX];
};

/* Suites as sa_check() describes them (the lengths esp_crypto relies on). */
static struct esp_suite aead_icv(enum udpesp_alg alg, __u8 key_len, __u8 icv)
{
	return (struct esp_suite){
		.alg = alg,
		.aead = true,
		.encrypts = alg != UDPESP_ALG_AES_GMAC,
		.key_len = key_len,
		.salt_len = alg == UDPESP_ALG_AES_CCM ? 3 : 4,
		.iv_len = 8,
		.block = 4,
		.icv_len = icv,
	};
}

static struct esp_suite aead(enum udpesp_alg alg, __u8 key_len)
{
	return aead_icv(alg, key_len, 16);
}

static struct esp_suite hmac(enum udpesp_alg alg, __u8 key_len, enum esp_auth h)
{
	bool cbc = alg == UDPESP_ALG_AES_CBC_HMAC;
	bool ctr = alg == UDPESP_ALG_AES_CTR_HMAC;
	__u8 icv = h == ESP_AUTH_SHA256 ? 16 :
		   h == ESP_AUTH_SHA384 ? 24 :
		   h == ESP_AUTH_SHA512 ? 32 :
					  12;

	return (struct esp_suite){
		.alg = alg,
		.hmac = h,
		.encrypts = cbc || ctr,
		.key_len = key_len,
		.salt_len = ctr ? 4 : 0,
		.iv_len = cbc ? 16 :
			  ctr ? 8 :
				0,
		.block = cbc ? 16 : 4,
		.icv_len = icv,
		/* RFC 4868: the hash's size; RFC 2404: 20; RFC 3566: 16. */
		.hmac_key_len = h == ESP_AUTH_SHA1 ? 20 :
				h == ESP_AUTH_XCBC ? 16 :
						     icv * 2,
	};
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, &end, 10);
	return *end || !v ? def : v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* SPI, seq, IV, 1400 bytes, RFC 4303 padding, trailer, room for the ICV. */
static size_t build(const struct esp_suite *s, __u8 *pkt)
{
	size_t off = 8 + s->iv_len;
	size_t pad = (s->block - (PAYLOAD + 2) % s->block) % s->block;

	memset(pkt, 0, PKT_MAX);
	pkt[3] = 0x10; /* SPI 0x1000 */
	pkt[7] = 1;    /* seq 1 */
	for (size_t i = 8; i < off + PAYLOAD; i++)
		pkt[i] = i * 131 + 7;
	for (size_t i = 0; i < pad; i++)
		pkt[off + PAYLOAD + i] = i + 1;
	pkt[off + PAYLOAD + pad] = pad;
	pkt[off + PAYLOAD + pad + 1] = 4;
	return off + PAYLOAD + pad + 2 + s->icv_len;
}

int main(void)
{
	struct bench_suite b[] = {
		{ .name = "aes-gcm-128", .s = aead(UDPESP_ALG_AES_GCM_16, 16) },
		{ .name = "aes-gcm-256", .s = aead(UDPESP_ALG_AES_GCM_16, 32) },
		{ .name = "chacha20-poly1305", .s = aead(UDPESP_ALG_CHACHA20_POLY1305, 32) },
		{ .name = "aes-gmac-128", .s = aead(UDPESP_ALG_AES_GMAC, 16) },
		{ .name = "aes-cbc-128/sha256",
		  .s = hmac(UDPESP_ALG_AES_CBC_HMAC, 16, ESP_AUTH_SHA256) },
		{ .name = "aes-cbc-256/sha512",
		  .s = hmac(UDPESP_ALG_AES_CBC_HMAC, 32, ESP_AUTH_SHA512) },
		{ .name = "null/sha256", .s = hmac(UDPESP_ALG_NULL_HMAC, 0, ESP_AUTH_SHA256) },
		/* RFC 8221's other suites (issue 14). */
		{ .name = "aes-gcm-128-icv8", .s = aead_icv(UDPESP_ALG_AES_GCM_16, 16, 8) },
		{ .name = "aes-gcm-256-icv12", .s = aead_icv(UDPESP_ALG_AES_GCM_16, 32, 12) },
		{ .name = "aes-ccm-128", .s = aead(UDPESP_ALG_AES_CCM, 16) },
		{ .name = "aes-ccm-128-icv8", .s = aead_icv(UDPESP_ALG_AES_CCM, 16, 8) },
		{ .name = "aes-ccm-192", .s = aead(UDPESP_ALG_AES_CCM, 24) },
		{ .name = "aes-ccm-256-icv12", .s = aead_icv(UDPESP_ALG_AES_CCM, 32, 12) },
		{ .name = "aes-gmac-256", .s = aead(UDPESP_ALG_AES_GMAC, 32) },
		{ .name = "aes-cbc-128/sha1",
		  .s = hmac(UDPESP_ALG_AES_CBC_HMAC, 16, ESP_AUTH_SHA1) },
		{ .name = "aes-cbc-128/xcbc",
		  .s = hmac(UDPESP_ALG_AES_CBC_HMAC, 16, ESP_AUTH_XCBC) },
		{ .name = "aes-ctr-128/sha1",
		  .s = hmac(UDPESP_ALG_AES_CTR_HMAC, 16, ESP_AUTH_SHA1) },
		{ .name = "aes-ctr-128/sha256",
		  .s = hmac(UDPESP_ALG_AES_CTR_HMAC, 16, ESP_AUTH_SHA256) },
		{ .name = "aes-ctr-256/xcbc",
		  .s = hmac(UDPESP_ALG_AES_CTR_HMAC, 32, ESP_AUTH_XCBC) },
		{ .name = "null/sha1", .s = hmac(UDPESP_ALG_NULL_HMAC, 0, ESP_AUTH_SHA1) },
		{ .name = "null/xcbc", .s = hmac(UDPESP_ALG_NULL_HMAC, 0, ESP_AUTH_XCBC) },
	};
	size_t nb = sizeof(b) / sizeof(b[0]);
	bool quick = getenv("BENCH_QUICK") && *getenv("BENCH_QUICK") == '1';
	unsigned long repeat = env_ulong("BENCH_REPEAT", quick ? 20000 : 100000);
	unsigned long rounds = env_ulong("BENCH_ROUNDS", quick ? 3 : 5);
	struct esp_crypto_thread *t = esp_crypto_thread_new();
	static __u8 work[PKT_MAX];
	double copy[ROUNDS_MAX];
	__u8 key[64] = { 0 };

	if (rounds > ROUNDS_MAX)
		rounds = ROUNDS_MAX;
	if (!t) {
		fprintf(stderr, "esp_crypto_thread_new: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = i * 7 + 1;
	for (size_t i = 0; i < nb; i++) {
		b[i].c = esp_crypto_new(&b[i].s, key, key);
		if (!b[i].c) {
			fprintf(stderr, "%s: esp_crypto_new: %s\n", b[i].name, strerror(errno));
			return 1;
		}
		b[i].len = build(&b[i].s, b[i].pkt);
		if (esp_crypto_encrypt(b[i].c, t, b[i].pkt, b[i].len, false, 0)) {
			fprintf(stderr, "%s: encrypt failed\n", b[i].name);
			return 1;
		}
	}

	for (unsigned long r = 0; r < rounds; r++) {
		double t0 = now_ns();

		for (unsigned long k = 0; k < repeat; k++) {
			memcpy(work, b[0].pkt, b[0].len);
			__asm__ volatile("" : : "r"(work) : "memory");
		}
		copy[r] = (now_ns() - t0) / repeat;
		for (size_t i = 0; i < nb; i++) {
			int bad = 0;

			t0 = now_ns();
			for (unsigned long k = 0; k < repeat; k++) {
				memcpy(work, b[i].pkt, b[i].len);
				bad |= esp_crypto_decrypt(b[i].c, t, work, b[i].len, false, 0);
			}
			b[i].dec[r] = (now_ns() - t0) / repeat - copy[r];
			t0 = now_ns();
			for (unsigned long k = 0; k < repeat; k++)
				bad |= esp_crypto_encrypt(b[i].c, t, work, b[i].len, false, 0);
			b[i].enc[r] = (now_ns() - t0) / repeat;
			if (bad) {
				fprintf(stderr, "%s: a packet failed\n", b[i].name);
				return 1;
			}
		}
	}

	printf("bench_crypto: %s, %zu-byte payload, median of %lu rounds of %lu packets%s\n",
	       esp_crypto_backend(), (size_t)PAYLOAD, rounds, repeat,
	       quick ? " (BENCH_QUICK)" : "");
	printf("%-20s %8s %14s %14s\n", "suite", "ESP len", "decrypt ns/pkt", "encrypt ns/pkt");
	for (size_t i = 0; i < nb; i++) {
		printf("%-20s %8zu %14.0f %14.0f\n", b[i].name, b[i].len, median(b[i].dec, rounds),
		       median(b[i].enc, rounds));
		esp_crypto_free(b[i].c);
	}
	printf("(decrypt excludes the %.0f ns copy of the packet each decrypt starts from)\n",
	       median(copy, rounds));
	esp_crypto_thread_free(t);
	return 0;
}
