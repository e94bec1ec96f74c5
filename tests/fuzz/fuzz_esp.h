/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the ESP harnesses share: an SA of each suite through sa_check(),
 * as udpespd gets it, with fixed keys (the fuzzer must be able to seal
 * frames), and frames around an ESP packet with the metadata udpesp_xdp
 * would give them. Header-only: each harness is one program.
 */
#ifndef UDPESP_FUZZ_ESP_H
#define UDPESP_FUZZ_ESP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <udpesp/replay.h>
#include "common/sa_check.h"
#include "esp/esp_decap.h"
#include "esp/esp_encap.h"
#include "udpespd/sa_esp.h"

#define FZ_FRAME_MAX 4096
#define FZ_ETH_HLEN 14

struct fz_suite_desc {
	const char *aead, *enc, *auth;
	__u32 key_len, auth_key_len, bits;
};

/* One of each construction; the key lengths cover both AES sizes. */
static const struct fz_suite_desc fz_suites[] = {
	{ "rfc4106(gcm(aes))", NULL, NULL, 20, 0, 128 },
	{ "rfc4106(gcm(aes))", NULL, NULL, 36, 0, 128 },
	{ "rfc7539esp(chacha20,poly1305)", NULL, NULL, 36, 0, 128 },
	{ "rfc4543(gcm(aes))", NULL, NULL, 20, 0, 128 },
	{ NULL, "cbc(aes)", "hmac(sha256)", 16, 32, 128 },
	{ NULL, "cbc(aes)", "hmac(sha512)", 32, 64, 256 },
	{ NULL, "ecb(cipher_null)", "hmac(sha384)", 0, 48, 192 },
};
#define FZ_NSUITES (sizeof(fz_suites) / sizeof(fz_suites[0]))

/* An SA of one suite, mode, outer family and ESN setting. */
struct fz_sa {
	struct udpesp_ctl_sa cfg;
	struct esp_suite suite;
	struct esp_crypto *crypto;
	struct esp_crypto_thread *t;
	struct udpesp_replay replay;
	struct esp_decap_sa dsa;
	struct esp_sel sel; /* dsa's selector, when it has one */
};

static inline void fz_die(const char *what)
{
	fprintf(stderr, "fuzz setup: %s\n", what);
	abort();
}

static inline void fz_addr(struct udpesp_ctl_addr *a, __u8 family, __u8 last)
{
	__u8 *b = (__u8 *)a->addr;

	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == UDPESP_AF_INET) {
		inet_pton(AF_INET, "198.51.100.0", b);
		b[3] = last;
		a->prefixlen = 32;
	} else {
		inet_pton(AF_INET6, "2001:db8::", b);
		b[15] = last;
		a->prefixlen = 128;
	}
}

/* The same address as the ESP engine's own type. */
static inline void fz_esp_addr(struct esp_addr *a, __u8 family, __u8 last)
{
	struct udpesp_ctl_addr c;

	fz_addr(&c, family, last);
	memset(a, 0, sizeof(*a));
	a->family = c.family;
	a->prefixlen = c.prefixlen;
	memcpy(a->addr, c.addr, sizeof(a->addr));
}

static inline void fz_alg(struct udpesp_ctl_alg *a, const char *name, __u32 key_len, __u32 bits,
			  __u8 seed)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->key_len = key_len;
	a->bits = bits;
	for (__u32 i = 0; i < key_len; i++)
		a->key[i] = (__u8)(seed + i * 7);
}

/* Both directions share the keys, so what esp_encap() seals decaps. */
static inline void fz_sa_init(struct fz_sa *s, unsigned int suite, __u8 mode, __u8 family, bool esn,
			      __u8 dir)
{
	const struct fz_suite_desc *d = &fz_suites[suite % FZ_NSUITES];
	char err[UDPESP_CTL_ERRMSG_MAX];
	struct udpesp_ctl_sa *c = &s->cfg;

	memset(s, 0, sizeof(*s));
	c->dir = dir;
	c->mode = mode;
	c->encap = UDPESP_ENCAP_ESPINUDP;
	c->spi = htonl(0x1001);
	fz_addr(&c->src, family, 7);
	fz_addr(&c->dst, family, 1);
	c->encap_sport = c->encap_dport = htons(4500);
	c->replay_window = dir == UDPESP_DIR_IN ? 64 : 0;
	c->flags = esn ? UDPESP_CTL_SA_ESN : 0;
	if (d->aead) {
		fz_alg(&c->aead, d->aead, d->key_len, d->bits, 0x11);
	} else {
		fz_alg(&c->enc, d->enc, d->key_len, 0, 0x11);
		fz_alg(&c->auth, d->auth, d->auth_key_len, d->bits, 0x55);
	}
	if (sa_check(c, &s->suite, err, sizeof(err)))
		fz_die(err);
	s->crypto = esp_crypto_new(&s->suite,
				   d->key_len ? c->aead.key_len ? c->aead.key : c->enc.key : NULL,
				   d->aead ? NULL : c->auth.key);
	s->t = esp_crypto_thread_new();
	if (!s->crypto || !s->t)
		fz_die("esp_crypto_new");
	s->dsa.suite = &s->suite;
	s->dsa.crypto = s->crypto;
	s->dsa.replay = &s->replay;
	s->dsa.mode = mode;
	s->dsa.esn = esn;
}

/* A fresh window that has seen nothing up to top. */
static inline void fz_replay_reset(struct fz_sa *s, __u64 top)
{
	memset(&s->replay, 0, sizeof(s->replay));
	s->replay.window = 64;
	s->replay.top = top;
}

static inline void fz_put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = (__u8)v;
}

/* Internet checksum of len bytes, added to sum (not folded). */
static inline __u32 fz_csum_add(__u32 sum, const __u8 *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static inline __u16 fz_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Offset of the TCP/UDP/ICMPv6 checksum in its header, -1 for none. */
static inline int fz_l4_csum_off(__u8 nh, __u8 family)
{
	if (nh == IPPROTO_TCP)
		return 16;
	if (nh == IPPROTO_UDP)
		return 6;
	if (nh == IPPROTO_ICMPV6 && family == UDPESP_AF_INET6)
		return 2;
	return -1;
}

/*
 * The pseudo-header sum of a segment of len bytes between saddr and
 * daddr, plus the segment itself (its checksum field as it is).
 */
static inline __u32 fz_l4_sum(__u8 family, const __u8 *saddr, const __u8 *daddr, __u8 nh,
			      const __u8 *l4, size_t len)
{
	size_t alen = family == UDPESP_AF_INET ? 4 : 16;
	__u32 sum = fz_csum_add(0, saddr, alen);

	sum = fz_csum_add(sum, daddr, alen);
	sum += nh + (__u32)len;
	return fz_csum_add(sum, l4, len);
}

/*
 * Does the transport segment of an inner IP packet carry a valid
 * checksum for that packet's addresses? True where there is none to
 * check (other protocols, IPv4 UDP without a checksum).
 */
static inline bool fz_l4_csum_ok(const __u8 *ip, size_t len, __u8 family)
{
	size_t hlen = family == UDPESP_AF_INET ? (ip[0] & 15) * 4u : 40;
	__u8 nh = family == UDPESP_AF_INET ? ip[9] : ip[6];
	const __u8 *sa = ip + (family == UDPESP_AF_INET ? 12 : 8);
	const __u8 *da = sa + (family == UDPESP_AF_INET ? 4 : 16);
	int off = fz_l4_csum_off(nh, family);

	if (off < 0 || len < hlen + off + 2)
		return true;
	if (nh == IPPROTO_UDP && family == UDPESP_AF_INET && !ip[hlen + 6] && !ip[hlen + 7])
		return true;
	/* A computed UDP checksum of 0 goes out as 0xffff (RFC 768). */
	if (nh == IPPROTO_UDP && !ip[hlen + 6] && !ip[hlen + 7])
		return false;
	return fz_csum_fold(fz_l4_sum(family, sa, da, nh, ip + hlen, len - hlen)) == 0xffff;
}

/*
 * Ethernet, outer IP (no options) and UDP in front of an ESP packet of
 * esp_len bytes at frame + fz_esp_off(family); meta as udpesp_xdp fills it.
 */
static inline size_t fz_esp_off(__u8 family)
{
	return FZ_ETH_HLEN + (family == UDPESP_AF_INET ? 20 : 40) + 8;
}

static inline size_t fz_outer(const struct fz_sa *s, __u8 *f, size_t esp_len, __u8 tos,
			      struct udpesp_xdp_meta *m)
{
	const struct udpesp_ctl_sa *c = &s->cfg;
	__u8 family = c->src.family;
	size_t l3 = FZ_ETH_HLEN, hlen = family == UDPESP_AF_INET ? 20 : 40;
	__u8 *ip = f + l3, *udp = ip + hlen;

	memset(f, 0, FZ_ETH_HLEN + hlen + 8);
	f[12] = family == UDPESP_AF_INET ? 0x08 : 0x86;
	f[13] = family == UDPESP_AF_INET ? 0x00 : 0xdd;
	if (family == UDPESP_AF_INET) {
		ip[0] = 0x45;
		ip[1] = tos;
		fz_put16(ip + 2, (__u16)(hlen + 8 + esp_len));
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, c->src.addr, 4);
		memcpy(ip + 16, c->dst.addr, 4);
		fz_put16(ip + 10, (__u16)~fz_csum_fold(fz_csum_add(0, ip, 20)));
	} else {
		ip[0] = 0x60 | tos >> 4;
		ip[1] = (__u8)(tos << 4);
		fz_put16(ip + 4, (__u16)(8 + esp_len));
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, c->src.addr, 16);
		memcpy(ip + 24, c->dst.addr, 16);
	}
	fz_put16(udp, 4500);
	fz_put16(udp + 2, 4500);
	fz_put16(udp + 4, (__u16)(8 + esp_len));
	memset(m, 0, sizeof(*m));
	m->magic = UDPESP_META_MAGIC;
	m->l3_off = (__u16)l3;
	m->l4_off = (__u16)(l3 + hlen);
	m->esp_off = (__u16)(l3 + hlen + 8);
	m->family = family;
	return l3 + hlen + 8 + esp_len;
}

/*
 * Seal pt (payload, padding and the two trailer bytes, as the caller
 * wants them, possibly wrong) into ESP at esp with sequence number seq:
 * the result authenticates, whatever pt says. pt_len is rounded up to
 * the block with zero bytes. Returns the ESP length, 0 if it does not fit.
 */
static inline size_t fz_seal(struct fz_sa *s, __u8 *esp, size_t room, const __u8 *pt, size_t pt_len,
			     __u64 seq)
{
	const struct esp_suite *su = &s->suite;
	size_t body = pt_len, len;

	if (body % su->block)
		body += su->block - body % su->block;
	len = 8 + su->iv_len + body + su->icv_len;
	if (len > room || len > 65535 - 48)
		return 0;
	memcpy(esp, &s->cfg.spi, 4);
	esp[4] = (__u8)(seq >> 24);
	esp[5] = (__u8)(seq >> 16);
	esp[6] = (__u8)(seq >> 8);
	esp[7] = (__u8)seq;
	for (unsigned int i = 0; i < su->iv_len; i++)
		esp[8 + i] = (__u8)(seq >> (8 * (i % 8)));
	memcpy(esp + 8 + su->iv_len, pt, pt_len);
	memset(esp + 8 + su->iv_len + pt_len, 0, body - pt_len);
	if (esp_crypto_encrypt(s->crypto, s->t, esp, len, s->dsa.esn, (__u32)(seq >> 32)))
		return 0;
	return len;
}

#endif /* UDPESP_FUZZ_ESP_H */
