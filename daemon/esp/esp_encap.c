// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Outbound ESP of one inner packet for the senders (see esp_encap.h):
 * RFC 4303 (ESP), RFC 4304 (ESN), RFC 3948 (UDP encapsulation), RFC 6040
 * (ECN), RFC 4106 / 4543 / 7634 / 3602 (IVs).
 *
 * Order of the steps, and why:
 *  1. inner packet and buffer sizes: every refusal comes before a
 *     sequence number is taken, so a refused packet leaves no gap and
 *     the buffer as it was;
 *  2. the sequence number, by compare-and-swap on the SA: unique per
 *     packet across threads, and never past the space (a fetch-and-add
 *     would wrap a 64-bit counter started near 2^64 - 1 back to 1, and
 *     with it the GCM IVs);
 *  3. layout, IV and trailer, then encryption and ICV in place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <udpesp/csum.h>
#include <udpesp/hdr.h>

#include "esp_encap.h"

/*
 * CBC IVs come from the kernel's CSPRNG (getrandom(), ChaCha20-based),
 * fetched a batch at a time so that a packet costs a 16-byte copy, not
 * a system call: 4 KiB is 256 IVs per call. Each byte is handed out
 * once. RFC 3602 asks for unpredictable IVs, which a CSPRNG's output is
 * whoever sees earlier IVs; uniqueness is not needed by CBC (and 128-bit
 * random values collide with negligible probability anyway).
 */
#define RND_BATCH 4096

struct esp_encap_thread {
	struct esp_crypto_thread *crypto;
	size_t rnd_off; /* bytes of rnd already used */
	__u8 rnd[RND_BATCH];
};

static const char *const verdict_names[ESP_ENCAP_VERDICT_MAX] = {
	[ESP_ENCAP_OK] = "ok",
	[ESP_ENCAP_SEQ_EXHAUSTED] = "seq-exhausted",
	[ESP_ENCAP_TOO_BIG] = "too-big",
	[ESP_ENCAP_NO_ROOM] = "no-room",
	[ESP_ENCAP_INNER] = "inner-malformed",
	[ESP_ENCAP_CRYPTO] = "crypto-error",
	[ESP_ENCAP_SEQ_UNRESERVED] = "seq-unreserved",
};

const char *esp_encap_verdict_name(enum esp_encap_verdict v)
{
	if ((unsigned int)v < ESP_ENCAP_VERDICT_MAX && verdict_names[v])
		return verdict_names[v];
	return "unknown";
}

static inline __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

void esp_encap_sa_init(struct esp_encap_sa *sa, const struct esp_encap_params *p,
		       const struct esp_suite *suite, struct esp_crypto *crypto)
{
	memset(sa, 0, sizeof(*sa));
	sa->suite = suite;
	sa->crypto = crypto;
	sa->spi = p->spi;
	sa->mode = p->mode;
	sa->esn = p->esn;
	sa->tfcpad = p->tfcpad;
	sa->src = p->src;
	sa->dst = p->dst;
	sa->sport = p->sport;
	sa->dport = p->dport;
	sa->oseq = p->oseq;
	sa->oseq_limit = esp_seq_max(p->esn);
}

struct esp_encap_thread *esp_encap_thread_new(struct esp_crypto_thread *crypto)
{
	struct esp_encap_thread *t;

	if (!crypto) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->crypto = crypto;
	t->rnd_off = RND_BATCH; /* empty: the first CBC packet fills it */
	return t;
}

void esp_encap_thread_free(struct esp_encap_thread *t)
{
	if (!t)
		return;
	explicit_bzero(t->rnd, sizeof(t->rnd));
	free(t);
}

/* n unused random bytes (n divides RND_BATCH), refilling when empty. */
static int random_bytes(struct esp_encap_thread *t, __u8 *out, size_t n)
{
	if (t->rnd_off + n > RND_BATCH) {
		size_t got = 0;

		/* Reads past 256 bytes may stop early on a signal: go on. */
		while (got < RND_BATCH) {
			ssize_t r = getrandom(t->rnd + got, RND_BATCH - got, 0);

			if (r < 0 && errno == EINTR)
				continue;
			/* Never fall back to something weaker. */
			if (r <= 0)
				return -1;
			got += (size_t)r;
		}
		t->rnd_off = 0;
	}
	memcpy(out, t->rnd + t->rnd_off, n);
	t->rnd_off += n;
	return 0;
}

/* The next sequence number; else the space is used up, or not yet reserved. */
static enum esp_encap_verdict seq_take(struct esp_encap_sa *sa, __u64 *seq)
{
	__u64 max = esp_seq_max(sa->esn);
	__u64 limit = __atomic_load_n(&sa->oseq_limit, __ATOMIC_ACQUIRE);
	__u64 cur = __atomic_load_n(&sa->oseq, __ATOMIC_RELAXED);

	do {
		if (cur >= max)
			return ESP_ENCAP_SEQ_EXHAUSTED;
		if (cur >= limit)
			return ESP_ENCAP_SEQ_UNRESERVED;
	} while (!__atomic_compare_exchange_n(&sa->oseq, &cur, cur + 1, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*seq = cur + 1;
	return ESP_ENCAP_OK;
}

/* What esp_encap() needs of the inner packet. */
struct inner {
	size_t len;  /* the IP packet's own length */
	size_t hlen; /* its header, options included (IPv6: 40) */
	__u8 family;
	__u8 proto; /* IPv4 protocol / IPv6 next header */
	__u8 tos;   /* TOS / traffic class */
	bool df;
	bool frag; /* IPv4 fragment */
};

static bool parse_inner(const __u8 *p, size_t len, struct inner *in)
{
	if (len < 1)
		return false;
	if (p[0] >> 4 == 4) {
		if (len < UDPESP_IPV4_HLEN)
			return false;
		in->hlen = (p[0] & 0x0f) * 4u;
		in->len = get16(p + 2);
		if (in->hlen < UDPESP_IPV4_HLEN || in->len < in->hlen || in->len > len)
			return false;
		in->family = UDPESP_AF_INET;
		in->proto = p[9];
		in->tos = p[1];
		in->df = get16(p + 6) & UDPESP_IPV4_DF;
		in->frag = get16(p + 6) & UDPESP_IPV4_FRAG_MASK;
		return true;
	}
	if (p[0] >> 4 == 6) {
		if (len < UDPESP_IPV6_HLEN)
			return false;
		in->hlen = UDPESP_IPV6_HLEN;
		in->len = UDPESP_IPV6_HLEN + get16(p + 4);
		if (in->len > len)
			return false;
		in->family = UDPESP_AF_INET6;
		in->proto = p[6];
		in->tos = (__u8)((p[0] & 0x0f) << 4 | p[1] >> 4);
		/* Routers never fragment IPv6: neither may they the outer. */
		in->df = true;
		in->frag = false;
		return true;
	}
	return false;
}

/*
 * Transport mode protects what follows the IP header, so headers that
 * must stay in front of ESP (hop-by-hop, routing, fragment: RFC 4303
 * 3.1.1), IP in IP (tunnel mode's) and "no next header" (what a dummy
 * packet carries, RFC 4303 2.6) are refused, as esp_decap() refuses
 * them on the other side; so are IPv4 fragments (ESP comes before
 * fragmentation, RFC 4303 3.3.4).
 */
static bool transport_ok(const struct inner *in)
{
	switch (in->proto) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_NONE:
		return false;
	default:
		return !in->frag;
	}
}

/* ESP bytes for a payload of p bytes: header, IV, padded trailer, ICV. */
static size_t esp_size(const struct esp_suite *s, size_t p)
{
	size_t padded = (p + 2 + s->block - 1) / s->block * s->block;

	return UDPESP_ESP_HLEN + s->iv_len + padded + s->icv_len;
}

/* The largest payload whose ESP fits in room bytes; -1 when none does. */
static long payload_max(const struct esp_suite *s, size_t room)
{
	size_t fixed = UDPESP_ESP_HLEN + s->iv_len + s->icv_len, blocks;

	if (room < fixed)
		return -1;
	blocks = (room - fixed) / s->block * s->block;
	return blocks >= 2 ? (long)blocks - 2 : -1;
}

/* A UDP datagram's payload limit (IP length field) for the outer family. */
static size_t udp_payload_max(__u8 family)
{
	return family == UDPESP_AF_INET6 ? UDPESP_IP_MAX - UDPESP_UDP_HLEN :
					   UDPESP_IP_MAX - UDPESP_IPV4_HLEN - UDPESP_UDP_HLEN;
}

enum esp_encap_verdict esp_encap(struct esp_encap_sa *sa, struct esp_encap_thread *t, __u8 *buf,
				 size_t size, size_t off, size_t len, size_t max_esp,
				 struct esp_encap_out *out)
{
	const struct esp_suite *s = sa->suite;
	size_t hdr = UDPESP_ESP_HLEN + s->iv_len, esp_off, data_off, pl, tfc_pl;
	size_t limit = udp_payload_max(sa->dst.family), room, esp_len;
	struct inner in;
	__u8 *esp, *data, nh, padlen;
	enum esp_encap_verdict v;
	__u64 seq;
	long pmax;

	if (off > size || len > size - off || off < hdr)
		return ESP_ENCAP_NO_ROOM;
	if (!parse_inner(buf + off, len, &in))
		return ESP_ENCAP_INNER;
	if (s->inner_family && s->inner_family != in.family)
		return ESP_ENCAP_INNER;
	if (sa->mode == UDPESP_MODE_TUNNEL) {
		nh = in.family == UDPESP_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
		esp_off = off - hdr;
		data_off = off;
		pl = in.len;
	} else if (sa->mode == UDPESP_MODE_TRANSPORT) {
		if (!transport_ok(&in))
			return ESP_ENCAP_INNER;
		nh = in.proto;
		esp_off = off + in.hlen - hdr;
		data_off = off + in.hlen;
		pl = in.len - in.hlen;
	} else {
		return ESP_ENCAP_INNER; /* no mode: nothing may be sent */
	}

	if (max_esp && max_esp < limit)
		limit = max_esp;
	if (esp_size(s, pl) > limit) {
		pmax = payload_max(s, limit);
		if (pmax < 0)
			pmax = 0;
		else if (sa->mode == UDPESP_MODE_TRANSPORT)
			pmax += in.hlen;
		out->inner_mtu = pmax > 0xffff ? 0xffff : (__u16)pmax;
		return ESP_ENCAP_TOO_BIG;
	}
	room = size - esp_off;
	if (esp_size(s, pl) > room)
		return ESP_ENCAP_NO_ROOM;

	/* TFC padding, as far as the path and the buffer take it. */
	tfc_pl = pl;
	if (sa->mode == UDPESP_MODE_TUNNEL && sa->tfcpad > pl) {
		pmax = payload_max(s, room < limit ? room : limit);
		tfc_pl = sa->tfcpad;
		if ((long)tfc_pl > pmax)
			tfc_pl = pmax; /* >= pl: pl itself fits */
	}

	v = seq_take(sa, &seq);
	if (v != ESP_ENCAP_OK)
		return v;

	/* Transport: the IP header goes in front of ESP, as it was. */
	if (sa->mode == UDPESP_MODE_TRANSPORT)
		memmove(buf + off - hdr, buf + off, in.hlen);

	esp = buf + esp_off;
	data = buf + data_off;
	memset(data + pl, 0, tfc_pl - pl);
	/* RFC 4303 2.4: the fewest pad bytes, 1, 2, 3 ... */
	padlen = (__u8)((s->block - (tfc_pl + 2) % s->block) % s->block);
	for (unsigned int i = 0; i < padlen; i++)
		data[tfc_pl + i] = (__u8)(i + 1);
	data[tfc_pl + padlen] = padlen;
	data[tfc_pl + padlen + 1] = nh;
	esp_len = esp_size(s, tfc_pl);

	memcpy(esp, &sa->spi, 4);
	put32(esp + 4, (__u32)seq);
	if (s->iv_len == 8) {
		/*
		 * RFC 4106 3.1 / 4309 3.1 / 4543 3.1 / 7634 2 / 3686 3.1:
		 * counter modes need an IV that never repeats under the key:
		 * the 64-bit sequence number.
		 */
		put32(esp + 8, (__u32)(seq >> 32));
		put32(esp + 12, (__u32)seq);
	} else if (s->iv_len && random_bytes(t, esp + 8, s->iv_len)) {
		return ESP_ENCAP_CRYPTO;
	}
	if (esp_crypto_encrypt(sa->crypto, t->crypto, esp, esp_len, sa->esn, (__u32)(seq >> 32)))
		return ESP_ENCAP_CRYPTO;

	out->esp_off = (__u32)esp_off;
	out->esp_len = (__u32)esp_len;
	out->seq = seq;
	if (sa->mode == UDPESP_MODE_TRANSPORT) {
		out->hdr_off = (__u32)(off - hdr);
		out->hdr_len = (__u16)in.hlen;
	} else {
		out->hdr_off = 0;
		out->hdr_len = 0;
	}
	out->inner_mtu = 0;
	out->inner_family = in.family;
	out->next_header = nh;
	out->tos = esp_outer_tos(in.tos);
	out->df = in.df;
	out->soft_expire = seq >= esp_seq_soft(sa->esn) &&
			   !__atomic_load_n(&sa->soft_done, __ATOMIC_RELAXED) &&
			   !__atomic_exchange_n(&sa->soft_done, 1, __ATOMIC_RELAXED);
	return ESP_ENCAP_OK;
}

/* ---- MTU ---- */

static unsigned int ip_hlen(__u8 family)
{
	return family == UDPESP_AF_INET6 ? UDPESP_IPV6_HLEN : UDPESP_IPV4_HLEN;
}

unsigned int esp_encap_overhead(const struct esp_suite *s, __u8 mode, __u8 outer_family)
{
	unsigned int n =
		UDPESP_UDP_HLEN + UDPESP_ESP_HLEN + s->iv_len + s->block - 1 + 2 + s->icv_len;

	return mode == UDPESP_MODE_TRANSPORT ? n : n + ip_hlen(outer_family);
}

unsigned int esp_encap_inner_mtu(const struct esp_suite *s, __u8 mode, __u8 outer_family,
				 unsigned int outer_mtu)
{
	unsigned int hl = ip_hlen(outer_family);
	long p;

	if (outer_mtu < hl + UDPESP_UDP_HLEN)
		return 0;
	p = payload_max(s, outer_mtu - hl - UDPESP_UDP_HLEN);
	if (p < 0)
		return 0;
	/* Transport: the inner header is the outer one, outside ESP. */
	return (unsigned int)p + (mode == UDPESP_MODE_TRANSPORT ? hl : 0);
}

/* ---- outer headers for whole-frame senders ---- */

long esp_encap_outer(const struct esp_encap_sa *sa, const struct esp_encap_out *out, __u8 *buf,
		     __u8 ttl, __u16 ip_id)
{
	__u8 family = sa->dst.family;
	size_t hl, udp_len = UDPESP_UDP_HLEN + out->esp_len, l3;
	__u8 *ip, *udp;
	__u16 csum;

	if (family != UDPESP_AF_INET && family != UDPESP_AF_INET6)
		return -1;
	hl = ip_hlen(family);
	if (out->esp_off < hl + UDPESP_UDP_HLEN ||
	    udp_len > udp_payload_max(family) + UDPESP_UDP_HLEN)
		return -1;
	l3 = out->esp_off - hl - UDPESP_UDP_HLEN;
	ip = buf + l3;
	udp = ip + hl;

	memcpy(udp, &sa->sport, 2);
	memcpy(udp + 2, &sa->dport, 2);
	put16(udp + 4, (__u16)udp_len);
	put16(udp + 6, 0);

	if (family == UDPESP_AF_INET) {
		ip[0] = 0x45;
		ip[1] = out->tos;
		put16(ip + 2, (__u16)(hl + udp_len));
		put16(ip + 4, ip_id);
		put16(ip + 6, out->df ? UDPESP_IPV4_DF : 0);
		ip[8] = ttl;
		ip[9] = IPPROTO_UDP;
		put16(ip + 10, 0);
		memcpy(ip + 12, sa->src.addr, 4);
		memcpy(ip + 16, sa->dst.addr, 4);
		csum = udpesp_csum(ip, (__u32)hl);
		memcpy(ip + 10, &csum, 2);
	} else {
		__u64 sum;

		ip[0] = (__u8)(0x60 | out->tos >> 4);
		ip[1] = (__u8)(out->tos << 4);
		ip[2] = ip[3] = 0; /* flow label */
		put16(ip + 4, (__u16)udp_len);
		ip[6] = IPPROTO_UDP;
		ip[7] = ttl;
		memcpy(ip + 8, sa->src.addr, 16);
		memcpy(ip + 24, sa->dst.addr, 16);
		sum = udpesp_csum_pseudo(ip + 8, 16, IPPROTO_UDP, (__u16)udp_len);
		csum = (__u16)~udpesp_csum_fold(udpesp_csum_add(sum, udp, (__u32)udp_len));
		if (!csum)
			csum = 0xffff; /* 0 means "none", not allowed over IPv6 */
		memcpy(udp + 6, &csum, 2);
	}
	return (long)l3;
}
