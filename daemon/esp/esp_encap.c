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

#include "esp_encap.h"

#define ESP_HDR_LEN 8 /* SPI + sequence number */
#define UDP_HLEN 8
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define IPV4_DF 0x4000
#define IPV4_FRAG_MASK 0x3fff /* MF and the fragment offset */
#define IP_MAX 65535

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

void esp_encap_sa_init(struct esp_encap_sa *sa, const struct udpesp_ctl_sa *cfg,
		       const struct esp_suite *suite, struct esp_crypto *crypto)
{
	memset(sa, 0, sizeof(*sa));
	sa->suite = suite;
	sa->crypto = crypto;
	sa->spi = cfg->spi;
	sa->mode = cfg->mode;
	sa->esn = cfg->flags & UDPESP_CTL_SA_ESN;
	sa->tfcpad = cfg->tfcpad;
	sa->src = cfg->src;
	sa->dst = cfg->dst;
	sa->sport = cfg->encap_sport;
	sa->dport = cfg->encap_dport;
	sa->oseq = (__u64)cfg->replay_oseq_hi << 32 | cfg->replay_oseq;
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

/* The next sequence number, or false when the space is used up. */
static bool seq_take(struct esp_encap_sa *sa, __u64 *seq)
{
	__u64 max = esp_seq_max(sa->esn);
	__u64 cur = __atomic_load_n(&sa->oseq, __ATOMIC_RELAXED);

	do {
		if (cur >= max)
			return false;
	} while (!__atomic_compare_exchange_n(&sa->oseq, &cur, cur + 1, true,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*seq = cur + 1;
	return true;
}

/* What esp_encap() needs of the inner packet. */
struct inner {
	size_t len;  /* the IP packet's own length */
	size_t hlen; /* its header, options included (IPv6: 40) */
	__u8 family;
	__u8 proto;  /* IPv4 protocol / IPv6 next header */
	__u8 tos;    /* TOS / traffic class */
	bool df;
	bool frag;   /* IPv4 fragment */
};

static bool parse_inner(const __u8 *p, size_t len, struct inner *in)
{
	if (len < 1)
		return false;
	if (p[0] >> 4 == 4) {
		if (len < IPV4_HLEN)
			return false;
		in->hlen = (p[0] & 0x0f) * 4u;
		in->len = get16(p + 2);
		if (in->hlen < IPV4_HLEN || in->len < in->hlen || in->len > len)
			return false;
		in->family = UDPESP_AF_INET;
		in->proto = p[9];
		in->tos = p[1];
		in->df = get16(p + 6) & IPV4_DF;
		in->frag = get16(p + 6) & IPV4_FRAG_MASK;
		return true;
	}
	if (p[0] >> 4 == 6) {
		if (len < IPV6_HLEN)
			return false;
		in->hlen = IPV6_HLEN;
		in->len = IPV6_HLEN + get16(p + 4);
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

	return ESP_HDR_LEN + s->iv_len + padded + s->icv_len;
}

/* The largest payload whose ESP fits in room bytes; -1 when none does. */
static long payload_max(const struct esp_suite *s, size_t room)
{
	size_t fixed = ESP_HDR_LEN + s->iv_len + s->icv_len, blocks;

	if (room < fixed)
		return -1;
	blocks = (room - fixed) / s->block * s->block;
	return blocks >= 2 ? (long)blocks - 2 : -1;
}

/* A UDP datagram's payload limit (IP length field) for the outer family. */
static size_t udp_payload_max(__u8 family)
{
	return family == UDPESP_AF_INET6 ? IP_MAX - UDP_HLEN :
					   IP_MAX - IPV4_HLEN - UDP_HLEN;
}

enum esp_encap_verdict esp_encap(struct esp_encap_sa *sa,
				 struct esp_encap_thread *t, __u8 *buf,
				 size_t size, size_t off, size_t len,
				 size_t max_esp, struct esp_encap_out *out)
{
	const struct esp_suite *s = sa->suite;
	size_t hdr = ESP_HDR_LEN + s->iv_len, esp_off, data_off, pl, tfc_pl;
	size_t limit = udp_payload_max(sa->dst.family), room, esp_len;
	struct inner in;
	__u8 *esp, *data, nh, padlen;
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

	if (!seq_take(sa, &seq))
		return ESP_ENCAP_SEQ_EXHAUSTED;

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
	if (s->aead && s->iv_len == 8) {
		/* RFC 4106 3.1 / 4543 3.1 / 7634 2: the 64-bit number. */
		put32(esp + 8, (__u32)(seq >> 32));
		put32(esp + 12, (__u32)seq);
	} else if (s->iv_len && random_bytes(t, esp + 8, s->iv_len)) {
		return ESP_ENCAP_CRYPTO;
	}
	if (esp_crypto_encrypt(sa->crypto, t->crypto, esp, esp_len, sa->esn,
			       (__u32)(seq >> 32)))
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
			   !__atomic_exchange_n(&sa->soft_done, 1,
						__ATOMIC_RELAXED);
	return ESP_ENCAP_OK;
}

/* ---- ECN on decapsulation (RFC 6040 4.2) ---- */

int esp_ecn_decap(__u8 outer_ecn, __u8 inner_ecn)
{
	outer_ecn &= 3;
	inner_ecn &= 3;
	if (inner_ecn == ESP_ECN_NOT_ECT)
		/* A CE mark cannot reach a transport that knows no ECN. */
		return outer_ecn == ESP_ECN_CE ? -1 : ESP_ECN_NOT_ECT;
	if (outer_ecn == ESP_ECN_CE)
		return ESP_ECN_CE;
	/* ECT(1) outranks ECT(0) (RFC 6040 Figure 4, for PCN). */
	if (outer_ecn == ESP_ECN_ECT1 && inner_ecn == ESP_ECN_ECT0)
		return ESP_ECN_ECT1;
	return inner_ecn;
}

int esp_ecn_decap_packet(__u8 outer_tos, __u8 *ip, size_t len)
{
	int ecn;

	if (len >= IPV4_HLEN && ip[0] >> 4 == 4) {
		__u16 old = get16(ip), csum = get16(ip + 10), new;
		__u32 sum;

		ecn = esp_ecn_decap(outer_tos, ip[1]);
		if (ecn < 0)
			return -1;
		ip[1] = (__u8)((ip[1] & ~3) | ecn);
		new = get16(ip);
		/* Unchanged: leave the checksum too (eqn. 3 turns 0xffff to 0). */
		if (new == old)
			return 0;
		/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
		sum = (__u16)~csum + (__u16)~old + new;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, (__u16)~sum);
		return 0;
	}
	if (len >= IPV6_HLEN && ip[0] >> 4 == 6) {
		ecn = esp_ecn_decap(outer_tos, ip[1] >> 4);
		if (ecn < 0)
			return -1;
		ip[1] = (__u8)((ip[1] & ~0x30) | ecn << 4);
		return 0;
	}
	return -1; /* not IP: nothing to deliver */
}

/* ---- MTU ---- */

static unsigned int ip_hlen(__u8 family)
{
	return family == UDPESP_AF_INET6 ? IPV6_HLEN : IPV4_HLEN;
}

unsigned int esp_encap_overhead(const struct esp_suite *s, __u8 mode,
				__u8 outer_family)
{
	unsigned int n = UDP_HLEN + ESP_HDR_LEN + s->iv_len + s->block - 1 +
			 2 + s->icv_len;

	return mode == UDPESP_MODE_TRANSPORT ? n : n + ip_hlen(outer_family);
}

unsigned int esp_encap_inner_mtu(const struct esp_suite *s, __u8 mode,
				 __u8 outer_family, unsigned int outer_mtu)
{
	unsigned int hl = ip_hlen(outer_family);
	long p;

	if (outer_mtu < hl + UDP_HLEN)
		return 0;
	p = payload_max(s, outer_mtu - hl - UDP_HLEN);
	if (p < 0)
		return 0;
	/* Transport: the inner header is the outer one, outside ESP. */
	return (unsigned int)p + (mode == UDPESP_MODE_TRANSPORT ? hl : 0);
}

/* ---- outer headers for whole-frame senders ---- */

/* One's complement sum of 16-bit big-endian words (RFC 1071). */
static __u32 csum_add(__u32 sum, const __u8 *p, size_t len)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (__u32)p[0] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

long esp_encap_outer(const struct esp_encap_sa *sa,
		     const struct esp_encap_out *out, __u8 *buf, __u8 ttl,
		     __u16 ip_id)
{
	__u8 family = sa->dst.family;
	size_t hl, udp_len = UDP_HLEN + out->esp_len, l3;
	__u8 *ip, *udp;

	if (family != UDPESP_AF_INET && family != UDPESP_AF_INET6)
		return -1;
	hl = ip_hlen(family);
	if (out->esp_off < hl + UDP_HLEN ||
	    udp_len > udp_payload_max(family) + UDP_HLEN)
		return -1;
	l3 = out->esp_off - hl - UDP_HLEN;
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
		put16(ip + 6, out->df ? IPV4_DF : 0);
		ip[8] = ttl;
		ip[9] = IPPROTO_UDP;
		put16(ip + 10, 0);
		memcpy(ip + 12, sa->src.addr, 4);
		memcpy(ip + 16, sa->dst.addr, 4);
		put16(ip + 10, (__u16)~csum_fold(csum_add(0, ip, hl)));
	} else {
		__u32 sum;
		__u16 csum;

		ip[0] = (__u8)(0x60 | out->tos >> 4);
		ip[1] = (__u8)(out->tos << 4);
		ip[2] = ip[3] = 0; /* flow label */
		put16(ip + 4, (__u16)udp_len);
		ip[6] = IPPROTO_UDP;
		ip[7] = ttl;
		memcpy(ip + 8, sa->src.addr, 16);
		memcpy(ip + 24, sa->dst.addr, 16);
		/* Pseudo-header: addresses, length, next header. */
		sum = csum_add(0, ip + 8, 32) + (__u32)udp_len + IPPROTO_UDP;
		sum = csum_add(sum, udp, udp_len);
		csum = (__u16)~csum_fold(sum);
		put16(udp + 6, csum ? csum : 0xffff);
	}
	return (long)l3;
}
