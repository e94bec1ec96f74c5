/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Outbound ESP of one inner IP packet (as read from the udpesp0 TUN
 * device) for an outbound SA: sequence number, IV, padding and trailer,
 * encryption and ICV, in place in the caller's buffer. The result is the
 * payload of a UDP datagram from port 4500 to the peer (RFC 3948); the
 * caller sends it through a UDP socket, or puts outer IP/UDP headers in
 * front with esp_encap_outer() for a sender that writes whole frames.
 * Plus the rules around it: sequence-number exhaustion and soft expiry,
 * ECN and DSCP for the outer header (the inbound side's RFC 6040 rule
 * is udpesp/ecn.h), and the MTU an inner interface can offer.
 * No I/O (but getrandom()) and no global state, so every rule is tested
 * on buffers.
 */
#ifndef UDPESP_ESP_ENCAP_H
#define UDPESP_ESP_ENCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/abi.h>
#include <udpesp/hdr.h>

#include "esp_addr.h"
#include "esp_crypto.h"

/* Bytes in front of the inner packet that esp_encap() may write over. */
#define ESP_ENCAP_HEADROOM (UDPESP_ESP_HLEN + 16) /* SPI, seq lo, the largest IV (CBC) */

/* Why a packet was not encapsulated; nothing is sent in each case. */
enum esp_encap_verdict {
	ESP_ENCAP_OK = 0,
	ESP_ENCAP_SEQ_EXHAUSTED,  /* the next number would pass 2^32 - 1 (2^64 - 1
				  * with ESN): hard-expire the SA (RFC 4303
				  * 3.3.3); the counter stays where it is */
	ESP_ENCAP_TOO_BIG,	  /* ESP would exceed max_esp: out->inner_mtu
				  * says what fits (ICMP "too big" to the
				  * inner source) */
	ESP_ENCAP_NO_ROOM,	  /* off below the headroom, or the buffer ends
				  * before ESP would (the caller's sizes) */
	ESP_ENCAP_INNER,	  /* not an IP packet this SA carries: version,
				  * lengths, family not the SA's; transport:
				  * an IPv4 fragment, or a next header that
				  * must precede ESP or belongs to tunnel mode
				  * (0, 4, 41, 43, 44, 59) */
	ESP_ENCAP_CRYPTO,	  /* no random IV (getrandom failed) or the
				  * backend refused: the number is used up */
	ESP_ENCAP_SEQ_UNRESERVED, /* the next number is above sa->oseq_limit: the
				   * caller has not yet kept a higher mark where
				   * a restarted sender resumes (nothing taken) */
	ESP_ENCAP_VERDICT_MAX,
};

const char *esp_encap_verdict_name(enum esp_encap_verdict v);

/*
 * An outbound SA as the senders share it. Everything but oseq and
 * soft_done is read-only while in use; those two are changed with
 * atomic operations, so any number of threads may send on one SA.
 */
struct esp_encap_sa {
	const struct esp_suite *suite;
	struct esp_crypto *crypto;
	__be32 spi;
	__u8 mode; /* enum udpesp_mode */
	bool esn;
	__u32 tfcpad; /* tunnel mode: pad inner packets to this length, 0 = off */
	/* Outer header and UDP ports, for the caller and esp_encap_outer(). */
	struct esp_addr src, dst;
	__be16 sport, dport;
	/* Every packet writes below: keep the fields above off that line. */
	__u8 ro_gap[64];
	/*
	 * The last sequence number used, 0 when none was: the next packet
	 * takes oseq + 1. This is what ip xfrm's replay-oseq(-hi) sets (and
	 * Linux's x->replay.oseq holds).
	 */
	__u64 oseq;
	__u32 soft_done; /* the soft-expiry packet was reported (0/1) */
	/*
	 * The highest number that may be taken (atomic): a caller that
	 * keeps a high-water mark across restarts raises it only once
	 * the mark is stored, so no number is sent twice. esp_encap_sa_init()
	 * sets the end of the space.
	 */
	__u64 oseq_limit;
};

/* What an outbound SA is made of, besides its suite and keys. */
struct esp_encap_params {
	__be32 spi;
	__u8 mode; /* enum udpesp_mode */
	bool esn;
	__u32 tfcpad;		  /* tunnel mode: TFC padding target, 0 = off */
	struct esp_addr src, dst; /* outer addresses */
	__be16 sport, dport;	  /* UDP ports */
	__u64 oseq;		  /* the last sequence number used, 0 = none */
};

/*
 * Fill sa from p, an accepted suite and the crypto context of its keys.
 * The pointers are kept.
 */
void esp_encap_sa_init(struct esp_encap_sa *sa, const struct esp_encap_params *p,
		       const struct esp_suite *suite, struct esp_crypto *crypto);

/*
 * A sending thread's state: its crypto state and a batch of random
 * bytes for CBC IVs. One per thread, never shared (nor kept across
 * fork(): the child would repeat the parent's IVs).
 */
struct esp_encap_thread;

/* crypto stays the caller's; NULL with errno set on failure. */
struct esp_encap_thread *esp_encap_thread_new(struct esp_crypto_thread *crypto);
/* Wipes the unused random bytes, then frees. NULL is a no-op. */
void esp_encap_thread_free(struct esp_encap_thread *t);

struct esp_encap_out {
	__u32 esp_off;	   /* ESP packet (SPI): buf + esp_off; the UDP payload */
	__u32 esp_len;	   /* SPI to ICV: the SA's byte count */
	__u64 seq;	   /* full sequence number the packet took */
	__u32 hdr_off;	   /* transport: the inner IP header, moved to just
			    * before ESP, unchanged (hdr_off + hdr_len ==
			    * esp_off); tunnel: 0 */
	__u16 hdr_len;	   /* transport: its length, options included */
	__u16 inner_mtu;   /* ESP_ENCAP_TOO_BIG: the largest inner IP packet
			    * whose ESP fits max_esp */
	__u8 inner_family; /* UDPESP_AF_INET or UDPESP_AF_INET6 */
	__u8 next_header;  /* in the trailer: 4 or 41 (tunnel), the inner
			    * protocol (transport) */
	__u8 tos;	   /* outer DSCP + ECN: esp_outer_tos() of the inner */
	bool df;	   /* outer IPv4 DF: the inner's DF; IPv6 inner: set */
	bool soft_expire;  /* the first packet at or past esp_seq_soft():
			    * true for exactly one packet of the SA */
};

/*
 * Encapsulate the inner IP packet of len bytes at buf + off, in a buffer
 * of size bytes, in place:
 *
 *   tunnel:    | SPI seq IV | inner IP packet [TFC 0s] pad padlen nh | ICV |
 *   transport: | inner IP hdr | SPI seq IV | inner payload pad padlen nh | ICV |
 *              ^buf + off - 8 - iv_len
 *
 * off must be at least 8 + iv_len (ESP_ENCAP_HEADROOM covers every
 * suite); the trailer and ICV go after the packet, up to buf + size.
 * The inner packet's own length (IPv4 total length, IPv6 payload length)
 * ends it; bytes after it up to len are dropped. In transport mode the
 * inner header moves in front of ESP and the payload after it is
 * protected; the caller sends ESP from the same addresses.
 *
 * Sequence numbers: the packet takes sa->oseq + 1, atomically, so each
 * number goes to exactly one packet; never past the space (no wrap).
 * IVs: AES-GCM, AES-GMAC and ChaCha20-Poly1305 use the 64-bit sequence
 * number (RFC 4106 3.1, RFC 4543 3.1, RFC 7634 2), unique per key; AES-CBC
 * random bytes from getrandom() (RFC 3602 2.1: unpredictable).
 * TFC padding (RFC 4303 2.7, tunnel mode): zeros after the inner packet
 * up to sa->tfcpad bytes, as far as max_esp and the buffer allow.
 * max_esp: the largest ESP packet the path takes (outer MTU minus outer
 * IP and UDP headers); 0 = no limit but the UDP datagram's.
 *
 * Every check is made before a number is taken: on any verdict but
 * ESP_ENCAP_OK and ESP_ENCAP_CRYPTO the buffer and the SA are as they
 * were. out is filled on ESP_ENCAP_OK; inner_mtu also on ESP_ENCAP_TOO_BIG.
 */
enum esp_encap_verdict esp_encap(struct esp_encap_sa *sa, struct esp_encap_thread *t, __u8 *buf,
				 size_t size, size_t off, size_t len, size_t max_esp,
				 struct esp_encap_out *out);

/* ---- sequence numbers (RFC 4303 3.3.3, RFC 4304) ---- */

/* The last number an SA may send. */
static inline __u64 esp_seq_max(bool esn)
{
	return esn ? ~0ULL : 0xffffffffULL;
}

/*
 * From this number on the SA should be replaced: 7/8 of the space, so
 * 2^29 packets (53 s at 10 Mpps) remain for IKE to rekey without ESN.
 * esp_encap() reports the first packet at or past it once per SA
 * (out->soft_expire), whatever number the SA started from.
 */
static inline __u64 esp_seq_soft(bool esn)
{
	return esp_seq_max(esn) - (esp_seq_max(esn) >> 3);
}

/* ---- outer header: DSCP, ECN, MTU ---- */

/*
 * The outer TOS / traffic class for an inner one: DSCP copied (RFC 4301
 * 5.1.2.1), ECN copied as it is, CE included (RFC 6040 4.1 "normal
 * mode"; the RFC 3168 reset of CE to ECT(0) is what RFC 6040 replaced,
 * and RFC 4301 decapsulators already propagate CE).
 */
static inline __u8 esp_outer_tos(__u8 inner_tos)
{
	return inner_tos;
}

/*
 * The most bytes ESP in UDP adds to an inner packet of any length:
 * SPI, seq, IV, at most block - 1 pad bytes, pad length, next header,
 * ICV, UDP header; in tunnel mode also the outer IP header (20 or 40
 * bytes, no options; transport mode reuses the inner one).
 */
unsigned int esp_encap_overhead(const struct esp_suite *s, __u8 mode, __u8 outer_family);

/*
 * The largest inner IP packet whose ESP fits an outer MTU, padding
 * counted exactly (so it can exceed outer_mtu - esp_encap_overhead());
 * the MTU to give the inner interface. Transport mode: for inner
 * headers without IPv4 options. 0 when nothing fits.
 */
unsigned int esp_encap_inner_mtu(const struct esp_suite *s, __u8 mode, __u8 outer_family,
				 unsigned int outer_mtu);

/*
 * For a sender that writes whole frames (AF_XDP TX): the outer IPv4 or
 * IPv6 header (of sa->src/dst family, no options) and the UDP header
 * (sa->sport -> sa->dport) written right before the ESP packet that
 * esp_encap() described in out, with out->tos, DF from out->df (IPv4),
 * the given TTL / hop limit and IPv4 identification. The IPv4 UDP
 * checksum is 0 (RFC 3948 2.1); the IPv6 one is computed (RFC 8200 8.1).
 * Returns the offset of the outer IP header in buf, or -1 when
 * out->esp_off leaves no room for it (or the family is unknown).
 */
long esp_encap_outer(const struct esp_encap_sa *sa, const struct esp_encap_out *out, __u8 *buf,
		     __u8 ttl, __u16 ip_id);

#endif /* UDPESP_ESP_ENCAP_H */
