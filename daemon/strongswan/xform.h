/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What charon hands kernel_ipsec_t.add_sa(), turned into the SA udpespd
 * installs (struct udpesp_ctl_sa): IKEv2 transform IDs into udpesp's
 * algorithm names, keys and salts split as `ip xfrm state` expects them,
 * lifetimes, replay window and flags; everything udpesp cannot honour is
 * refused with the reason. No strongSwan header is needed here, so the
 * unit tests cover it on any machine; the plugin checks at compile time
 * that the numbers below are charon's.
 */
#ifndef UDPESP_SWAN_XFORM_H
#define UDPESP_SWAN_XFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <udpesp/ctl.h>

/* IKEv2 transform IDs (IANA; charon's encryption_algorithm_t / integrity_algorithm_t). */
enum xform_encr {
	XFORM_ENCR_DES = 2,
	XFORM_ENCR_3DES = 3,
	XFORM_ENCR_BLOWFISH = 7,
	XFORM_ENCR_NULL = 11,
	XFORM_ENCR_AES_CBC = 12,
	XFORM_ENCR_AES_CTR = 13,
	XFORM_ENCR_AES_CCM_ICV8 = 14,
	XFORM_ENCR_AES_CCM_ICV12 = 15,
	XFORM_ENCR_AES_CCM_ICV16 = 16,
	XFORM_ENCR_AES_GCM_ICV8 = 18,
	XFORM_ENCR_AES_GCM_ICV12 = 19,
	XFORM_ENCR_AES_GCM_ICV16 = 20,
	XFORM_ENCR_NULL_AUTH_AES_GMAC = 21,
	XFORM_ENCR_CAMELLIA_CBC = 23,
	XFORM_ENCR_CHACHA20_POLY1305 = 28,
	XFORM_ENCR_UNDEFINED = 1024,
};

enum xform_integ {
	XFORM_AUTH_HMAC_MD5_96 = 1,
	XFORM_AUTH_HMAC_SHA1_96 = 2,
	XFORM_AUTH_AES_XCBC_96 = 5,
	XFORM_AUTH_AES_CMAC_96 = 8,
	XFORM_AUTH_HMAC_SHA2_256_128 = 12,
	XFORM_AUTH_HMAC_SHA2_384_192 = 13,
	XFORM_AUTH_HMAC_SHA2_512_256 = 14,
	XFORM_AUTH_UNDEFINED = 1024,
	XFORM_AUTH_HMAC_SHA2_256_96 = 1026, /* charon's private ID: Linux's draft truncation */
};

/* charon's ipsec_mode_t, dscp_copy_t and hw_offload_t values. */
enum xform_mode { XFORM_MODE_TRANSPORT = 1, XFORM_MODE_TUNNEL = 2, XFORM_MODE_BEET = 3 };
enum xform_dscp { XFORM_DSCP_OUT_ONLY = 0, XFORM_DSCP_IN_ONLY, XFORM_DSCP_YES, XFORM_DSCP_NO };
enum xform_hw_offload { XFORM_HW_OFFLOAD_NO = 0, XFORM_HW_OFFLOAD_YES, XFORM_HW_OFFLOAD_AUTO };

/* One lifetime as charon's lifetime_cfg_t has it (jitter already applied). */
struct xform_limit {
	uint64_t life;	/* hard */
	uint64_t rekey; /* soft */
};

/* The part of kernel_ipsec_add_sa_t (and sa_id) that shapes the SA. */
struct xform_req {
	uint16_t enc_alg, int_alg;
	const uint8_t *enc_key, *int_key;
	size_t enc_key_len, int_key_len;
	int mode; /* enum xform_mode */
	bool inbound, esn, encap;
	bool copy_df, copy_ecn;
	int copy_dscp;	/* enum xform_dscp */
	int hw_offload; /* enum xform_hw_offload */
	uint32_t replay_window;
	uint32_t tfc;
	uint16_t ipcomp;		      /* 0 = none */
	uint32_t mark_value, mark_mask;	      /* SA mark (data->mark) */
	uint32_t id_mark_value, id_mark_mask; /* sa_id mark */
	uint32_t if_id;
	bool label; /* a security label was given */
	struct xform_limit time, bytes, packets;
};

/*
 * One supported algorithm: the IKEv2 ID, the name udpesp knows it by, the
 * ICV or truncation in bits, the salt charon appends to the key (bytes),
 * and the accepted key lengths without the salt.
 */
struct xform_alg {
	uint16_t id;
	const char *name;
	bool aead;
	uint16_t bits;
	uint8_t salt;
	uint8_t nkeys;
	uint8_t keys[3];
};

/* The tables, for the tests: supported encryption/AEAD and integrity transforms. */
extern const struct xform_alg xform_encs[];
extern const size_t xform_nencs;
extern const struct xform_alg xform_integs[];
extern const size_t xform_ninteg;

/* An encryption transform udpesp refuses and why; NULL if it is supported. */
const char *xform_enc_refusal(uint16_t enc_alg);
const char *xform_integ_refusal(uint16_t int_alg);

/*
 * Fill sa->aead or sa->enc + sa->auth from the transforms and keys: 0, or
 * -EOPNOTSUPP (an algorithm udpesp does not offload) / -EINVAL (a key of
 * the wrong length, or a combination that makes no sense) with the
 * reason in err. Keys are copied into sa; the caller wipes it.
 */
int xform_algs(const struct xform_req *r, struct udpesp_ctl_sa *sa, char *err, size_t errlen);

/* Soft and hard limits: time (seconds), bytes, packets; 0 = none. */
void xform_lifetimes(const struct xform_req *r, struct udpesp_ctl_sa *sa);

/*
 * Mode, direction, replay window (0 outbound: charon proposes one for
 * both), ESN, TFC, and the refusals: mark, if_id, label, IPComp, hardware
 * offload, BEET, DF/ECN/DSCP behaviour udpesp does not have, no UDP
 * encapsulation. 0 or -EOPNOTSUPP with the reason.
 */
int xform_flags(const struct xform_req *r, struct udpesp_ctl_sa *sa, char *err, size_t errlen);

/*
 * Narrow sel to the smallest prefix that covers both it and addr/prefixlen
 * (family 0 in sel: take addr as it is). A CHILD_SA may carry several
 * traffic selectors per side; udpesp's SA selector is one prefix, so it
 * gets the prefix covering them all. -EAFNOSUPPORT when the families
 * differ (the caller leaves the selector empty: any address).
 */
int xform_sel_merge(struct udpesp_ctl_addr *sel, uint8_t family, const void *addr,
		    uint8_t prefixlen);

/* A traffic selector as charon has it, without strongSwan's types. */
struct xform_ts {
	uint8_t family;	   /* UDPESP_AF_INET or UDPESP_AF_INET6 */
	uint8_t prefixlen; /* of the subnet covering the address range */
	bool exact;	   /* the range is exactly that subnet */
	uint8_t proto;	   /* 0 = any */
	uint8_t addr[16];
	uint16_t from_port, to_port; /* ICMP: type << 8 | code */
};

/* What xform_sels() had to widen, for the plugin's log. */
enum xform_sel_notes {
	XFORM_SEL_RANGE = 1 << 0,  /* an address range: the covering subnet taken */
	XFORM_SEL_ICMP = 1 << 1,   /* ICMP type/code: the protocol alone taken */
	XFORM_SEL_PORTS = 1 << 2,  /* ports without a protocol that has them */
	XFORM_SEL_MERGED = 1 << 3, /* over UDPESP_SEL_MAX pairs: one per family */
};

/*
 * The SA's selectors from its traffic selectors (src: the sender's side):
 * one per (src, dst) pair of one family whose protocols agree, as charon
 * installs one policy per pair, with the protocol and the ports each
 * side names (source ports from src, destination ports from dst). More
 * than UDPESP_SEL_MAX pairs: one selector per family with the prefixes
 * covering each side (xform_sel_merge()). No traffic selectors: nsel 0,
 * any packet. -EINVAL when there are some but no pair can match.
 * *notes says what was widened.
 */
int xform_sels(const struct xform_ts *src, size_t nsrc, const struct xform_ts *dst, size_t ndst,
	       struct udpesp_ctl_sa *sa, unsigned int *notes);

/* All of the above into a zeroed sa (addresses and SPI are the caller's). */
int xform_sa(const struct xform_req *r, struct udpesp_ctl_sa *sa, char *err, size_t errlen);

#endif /* UDPESP_SWAN_XFORM_H */
