// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* SAs and encrypted frames of the benchmarks (see bench_esp.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/if_ether.h>
#include <sys/random.h>
#include <udpesp/csum.h>

#include "bench_esp.h"
#include "bench_util.h"

/* RFC 8221's other suites (issue 14): "aead" or enc + auth-trunc. */
static const struct {
	const char *name, *alg;
	__u32 key_len, bits;
	const char *auth;
	__u32 auth_key_len, auth_bits;
} bench_more[BENCH_NSUITES_CRYPTO - BENCH_NSUITES] = {
	{ "aes-gcm-128-icv8", "rfc4106(gcm(aes))", 20, 64, NULL, 0, 0 },
	{ "aes-gcm-256-icv12", "rfc4106(gcm(aes))", 36, 96, NULL, 0, 0 },
	{ "aes-ccm-128", "rfc4309(ccm(aes))", 19, 128, NULL, 0, 0 },
	{ "aes-ccm-128-icv8", "rfc4309(ccm(aes))", 19, 64, NULL, 0, 0 },
	{ "aes-ccm-192", "rfc4309(ccm(aes))", 27, 128, NULL, 0, 0 },
	{ "aes-ccm-256-icv12", "rfc4309(ccm(aes))", 35, 96, NULL, 0, 0 },
	{ "aes-gmac-256", "rfc4543(gcm(aes))", 36, 128, NULL, 0, 0 },
	{ "aes-cbc-128/sha1", "cbc(aes)", 16, 0, "hmac(sha1)", 20, 96 },
	{ "aes-ctr-128/sha1", "rfc3686(ctr(aes))", 20, 0, "hmac(sha1)", 20, 96 },
	{ "aes-ctr-128/sha256", "rfc3686(ctr(aes))", 20, 0, "hmac(sha256)", 32, 128 },
	{ "aes-ctr-256/xcbc", "rfc3686(ctr(aes))", 36, 0, "xcbc(aes)", 16, 96 },
	{ "null/xcbc", "ecb(cipher_null)", 0, 0, "xcbc(aes)", 16, 96 },
};

/* Suite i (BENCH_NSUITES and up) into s->sa; returns the slot to key. */
static struct udpesp_ctl_alg *bench_suite_more(struct bench_suite *s, int i)
{
	struct udpesp_ctl_sa *sa = &s->sa;
	int k = i - BENCH_NSUITES;

	if (k < 0 || k >= (int)(sizeof(bench_more) / sizeof(bench_more[0])))
		die("no benchmark suite %d", i);
	s->name = bench_more[k].name;
	if (!bench_more[k].auth) {
		strcpy(sa->aead.name, bench_more[k].alg);
		sa->aead.key_len = bench_more[k].key_len;
		sa->aead.bits = bench_more[k].bits;
		return &sa->aead;
	}
	strcpy(sa->enc.name, bench_more[k].alg);
	sa->enc.key_len = bench_more[k].key_len;
	strcpy(sa->auth.name, bench_more[k].auth);
	sa->auth.key_len = bench_more[k].auth_key_len;
	sa->auth.bits = bench_more[k].auth_bits;
	if (getrandom(sa->auth.key, sa->auth.key_len, 0) != (ssize_t)sa->auth.key_len)
		die("getrandom: %s", strerror(errno));
	return &sa->enc;
}

void bench_suite_init(struct bench_suite *s, int i, __u32 spi, const char *src, const char *dst,
		      __u32 replay_window, __u8 offload)
{
	struct udpesp_ctl_sa *sa = &s->sa;
	struct udpesp_ctl_alg *key_alg;
	char err[UDPESP_CTL_ERRMSG_MAX];

	memset(s, 0, sizeof(*s));
	sa->dir = UDPESP_DIR_IN;
	sa->mode = UDPESP_MODE_TUNNEL;
	sa->encap = UDPESP_ENCAP_ESPINUDP;
	sa->offload = offload;
	sa->spi = htonl(spi);
	sa->src.family = sa->dst.family = UDPESP_AF_INET;
	sa->src.prefixlen = sa->dst.prefixlen = 32;
	if (inet_pton(AF_INET, src, sa->src.addr) != 1 ||
	    inet_pton(AF_INET, dst, sa->dst.addr) != 1)
		die("bad address %s or %s", src, dst);
	sa->encap_sport = sa->encap_dport = htons(BENCH_NATT_PORT);
	sa->replay_window = replay_window;
	switch (i) {
	case 0:
		s->name = "aes-gcm-128";
		strcpy(sa->aead.name, "rfc4106(gcm(aes))");
		sa->aead.key_len = 20;
		sa->aead.bits = 128;
		key_alg = &sa->aead;
		break;
	case 1:
		s->name = "chacha20-poly1305";
		strcpy(sa->aead.name, "rfc7539esp(chacha20,poly1305)");
		sa->aead.key_len = 36;
		sa->aead.bits = 128;
		key_alg = &sa->aead;
		break;
	case 2:
		s->name = "aes-cbc-128/sha256";
		strcpy(sa->enc.name, "cbc(aes)");
		sa->enc.key_len = 16;
		strcpy(sa->auth.name, "hmac(sha256)");
		sa->auth.key_len = 32;
		sa->auth.bits = 128;
		if (getrandom(sa->auth.key, sa->auth.key_len, 0) != (ssize_t)sa->auth.key_len)
			die("getrandom: %s", strerror(errno));
		key_alg = &sa->enc;
		break;
	default:
		key_alg = bench_suite_more(s, i);
		break;
	}
	if (getrandom(key_alg->key, key_alg->key_len, 0) != (ssize_t)key_alg->key_len)
		die("getrandom: %s", strerror(errno));
	/* The daemon's own verdict gives the suite this side encrypts with. */
	if (sa_check(sa, &s->s, err, sizeof(err)))
		die("%s: %s", s->name, err);
	s->c = esp_crypto_new(
		&s->s,
		s->s.aead || sa->enc.key_len ? (s->s.aead ? sa->aead.key : sa->enc.key) : NULL,
		s->s.aead ? NULL : sa->auth.key);
	if (!s->c)
		die("%s: esp_crypto_new: %s", s->name, strerror(errno));
	s->next_seq = 1;
}

void bench_suite_free(struct bench_suite *s)
{
	esp_crypto_free(s->c);
	s->c = NULL;
	explicit_bzero(&s->sa, sizeof(s->sa));
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

void bench_ip4_hdr(__u8 *p, __u16 tot_len, __u8 proto, const char *src, const char *dst, __u16 id)
{
	__u16 csum;

	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, tot_len);
	put16(p + 4, id);
	p[6] = 0x40;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	csum = udpesp_csum(p, 20);
	memcpy(p + 10, &csum, 2);
}

void bench_inner_packet(__u8 *p, const struct bench_flow *fl, __u32 size, __u32 seq)
{
	__u32 ulen = size - 20;
	__u16 csum;

	bench_ip4_hdr(p, size, IPPROTO_UDP, fl->inner_src, fl->inner_dst, seq & 0xffff);
	put16(p + 20, fl->inner_sport);
	put16(p + 22, fl->inner_dport);
	put16(p + 24, ulen);
	put16(p + 26, 0);
	for (__u32 i = 8; i < ulen; i++)
		p[20 + i] = (__u8)(seq + i * 7);
	csum = (__u16)~udpesp_csum_fold(udpesp_csum_add(
		udpesp_csum_pseudo(p + 12, 4, IPPROTO_UDP, (__u16)ulen), p + 20, ulen));
	if (!csum)
		csum = 0xffff;
	memcpy(p + 26, &csum, 2);
}

void bench_eth_hdr(__u8 *p, const __u8 *dst, const __u8 *src)
{
	memcpy(p, dst, ETH_ALEN);
	memcpy(p + ETH_ALEN, src, ETH_ALEN);
	put16(p + 12, ETH_P_IP);
}

__u32 bench_esp_frame(struct bench_suite *s, struct esp_crypto_thread *t,
		      const struct bench_flow *fl, __u32 size, __u32 seq, __u8 *f)
{
	const struct esp_suite *su = &s->s;
	__u32 pt_off = BENCH_ESP_OFF + 8 + su->iv_len;
	__u32 pad = (su->block - (size + 2) % su->block) % su->block;
	__u32 esp_len = 8 + su->iv_len + size + pad + 2 + su->icv_len;

	bench_eth_hdr(f, fl->dst_mac, fl->src_mac);
	bench_ip4_hdr(f + BENCH_IP_OFF, 20 + 8 + esp_len, IPPROTO_UDP, fl->src, fl->dst,
		      seq & 0xffff);
	put16(f + BENCH_UDP_OFF, BENCH_NATT_PORT);
	put16(f + BENCH_UDP_OFF + 2, BENCH_NATT_PORT);
	put16(f + BENCH_UDP_OFF + 4, 8 + esp_len);
	put16(f + BENCH_UDP_OFF + 6, 0); /* RFC 3948: IPv4 UDP checksum may be 0 */
	put32(f + BENCH_ESP_OFF, ntohl(s->sa.spi));
	put32(f + BENCH_ESP_OFF + 4, seq);
	memset(f + BENCH_ESP_OFF + 8, 0, su->iv_len);
	if (su->iv_len >= 4)
		put32(f + BENCH_ESP_OFF + 8 + su->iv_len - 4, seq);
	bench_inner_packet(f + pt_off, fl, size, seq);
	for (__u32 i = 0; i < pad; i++)
		f[pt_off + size + i] = i + 1;
	f[pt_off + size + pad] = pad;
	f[pt_off + size + pad + 1] = IPPROTO_IPIP;
	if (esp_crypto_encrypt(s->c, t, f + BENCH_ESP_OFF, esp_len, false, 0))
		die("%s: encrypt failed", s->name);
	return BENCH_ESP_OFF + esp_len;
}
