// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* charon's add_sa() parameters -> struct udpesp_ctl_sa (see xform.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <udpesp/abi.h>
#include <udpesp/hdr.h>

#include "xform.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every suite udpespd offloads (daemon/common/sa_check.c). For AEADs and
 * AES-CTR charon appends the salt or nonce to the key, which is how udpesp
 * takes it too (RFC 4106 / 4543 / 7634 / 3686: 4 bytes, RFC 4309: 3).
 * Adding a suite is one row here.
 */
const struct xform_alg xform_encs[] = {
	{ XFORM_ENCR_AES_GCM_ICV16, "rfc4106(gcm(aes))", true, 128, 4, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_AES_GCM_ICV12, "rfc4106(gcm(aes))", true, 96, 4, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_AES_GCM_ICV8, "rfc4106(gcm(aes))", true, 64, 4, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_AES_CCM_ICV16, "rfc4309(ccm(aes))", true, 128, 3, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_AES_CCM_ICV12, "rfc4309(ccm(aes))", true, 96, 3, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_AES_CCM_ICV8, "rfc4309(ccm(aes))", true, 64, 3, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_CHACHA20_POLY1305, "rfc7539esp(chacha20,poly1305)", true, 128, 4, 1, { 32 } },
	{ XFORM_ENCR_NULL_AUTH_AES_GMAC, "rfc4543(gcm(aes))", true, 128, 4, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_AES_CBC, "cbc(aes)", false, 0, 0, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_AES_CTR, "rfc3686(ctr(aes))", false, 0, 4, 3, { 16, 24, 32 } },
	{ XFORM_ENCR_NULL, "ecb(cipher_null)", false, 0, 0, 1, { 0 } },
};
const size_t xform_nencs = ARRAY_SIZE(xform_encs);

/*
 * RFC 4868: the key is the hash's output size, the ICV half of it; RFC
 * 2404 (HMAC-SHA-1-96, RFC 8221's MUST-) and RFC 3566 (AES-XCBC-MAC-96,
 * SHOULD NOT+) truncate to 96 bits. udpespd logs RFC 8221's word on those two.
 */
const struct xform_alg xform_integs[] = {
	{ XFORM_AUTH_HMAC_SHA2_256_128, "hmac(sha256)", false, 128, 0, 1, { 32 } },
	{ XFORM_AUTH_HMAC_SHA2_384_192, "hmac(sha384)", false, 192, 0, 1, { 48 } },
	{ XFORM_AUTH_HMAC_SHA2_512_256, "hmac(sha512)", false, 256, 0, 1, { 64 } },
	{ XFORM_AUTH_HMAC_SHA1_96, "hmac(sha1)", false, 96, 0, 1, { 20 } },
	{ XFORM_AUTH_AES_XCBC_96, "xcbc(aes)", false, 96, 0, 1, { 16 } },
};
const size_t xform_ninteg = ARRAY_SIZE(xform_integs);

struct xform_refusal {
	uint16_t id;
	const char *why;
};

static const struct xform_refusal xform_enc_refusals[] = {
	{ XFORM_ENCR_DES, "DES: RFC 8221 says MUST NOT" },
	{ XFORM_ENCR_3DES, "3DES: RFC 8221 says SHOULD NOT" },
	{ XFORM_ENCR_BLOWFISH, "Blowfish: RFC 8221 says MUST NOT" },
	{ XFORM_ENCR_CAMELLIA_CBC, "Camellia is not offloaded by udpesp" },
	{ XFORM_ENCR_UNDEFINED, "no encryption transform: AH is not offloaded by udpesp" },
};

static const struct xform_refusal xform_integ_refusals[] = {
	{ XFORM_AUTH_HMAC_MD5_96, "HMAC-MD5-96: RFC 8221 says MUST NOT" },
	{ XFORM_AUTH_AES_CMAC_96, "AES-CMAC-96 is not offloaded by udpesp" },
	{ XFORM_AUTH_HMAC_SHA2_256_96,
	  "HMAC-SHA-256-96 (Linux's draft truncation) is not RFC 4868: use HMAC-SHA-256-128" },
};

static int xform_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int xform_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static const struct xform_alg *xform_find(const struct xform_alg *t, size_t n, uint16_t id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

static const char *xform_refusal(const struct xform_refusal *t, size_t n, uint16_t id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return t[i].why;
	return "not offloaded by udpesp";
}

const char *xform_enc_refusal(uint16_t enc_alg)
{
	if (xform_find(xform_encs, xform_nencs, enc_alg))
		return NULL;
	return xform_refusal(xform_enc_refusals, ARRAY_SIZE(xform_enc_refusals), enc_alg);
}

const char *xform_integ_refusal(uint16_t int_alg)
{
	if (xform_find(xform_integs, xform_ninteg, int_alg))
		return NULL;
	return xform_refusal(xform_integ_refusals, ARRAY_SIZE(xform_integ_refusals), int_alg);
}

static bool xform_key_ok(const struct xform_alg *a, size_t len)
{
	for (int i = 0; i < a->nkeys; i++)
		if (len == (size_t)a->keys[i] + a->salt)
			return true;
	return false;
}

/* "20, 28 or 36" */
static void xform_key_lens(const struct xform_alg *a, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < a->nkeys && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%d",
				!i		  ? "" :
				i == a->nkeys - 1 ? " or " :
						    ", ",
				a->keys[i] + a->salt);
}

static int xform_fill(const struct xform_alg *a, const uint8_t *key, size_t key_len,
		      struct udpesp_ctl_alg *out, char *err, size_t errlen)
{
	char lens[32];

	if (!xform_key_ok(a, key_len) || key_len > UDPESP_KEY_MAX) {
		xform_key_lens(a, lens, sizeof(lens));
		return xform_fail(err, errlen, -EINVAL, "%s needs a key of %s bytes%s, got %zu",
				  a->name, lens, a->salt ? " (key and salt)" : "", key_len);
	}
	snprintf(out->name, sizeof(out->name), "%s", a->name);
	if (key_len)
		memcpy(out->key, key, key_len);
	out->key_len = key_len;
	out->bits = a->bits;
	return 0;
}

int xform_algs(const struct xform_req *r, struct udpesp_ctl_sa *sa, char *err, size_t errlen)
{
	const struct xform_alg *enc = xform_find(xform_encs, xform_nencs, r->enc_alg);
	const struct xform_alg *integ;
	bool no_integ = r->int_alg == XFORM_AUTH_UNDEFINED || r->int_alg == 0;

	if (!enc)
		return xform_fail(err, errlen, -EOPNOTSUPP, "encryption transform %u refused: %s",
				  r->enc_alg, xform_enc_refusal(r->enc_alg));
	if (enc->aead) {
		if (!no_integ)
			return xform_fail(
				err, errlen, -EINVAL,
				"%s is an AEAD: integrity transform %u makes no sense with it",
				enc->name, r->int_alg);
		return xform_fill(enc, r->enc_key, r->enc_key_len, &sa->aead, err, errlen);
	}
	if (no_integ)
		return xform_fail(
			err, errlen, -EOPNOTSUPP,
			"%s without an integrity transform refused: udpesp never offloads unauthenticated ESP",
			enc->name);
	integ = xform_find(xform_integs, xform_ninteg, r->int_alg);
	if (!integ)
		return xform_fail(err, errlen, -EOPNOTSUPP, "integrity transform %u refused: %s",
				  r->int_alg, xform_integ_refusal(r->int_alg));
	return xform_fill(enc, r->enc_key, r->enc_key_len, &sa->enc, err, errlen) ?:
		       xform_fill(integ, r->int_key, r->int_key_len, &sa->auth, err, errlen);
}

void xform_lifetimes(const struct xform_req *r, struct udpesp_ctl_sa *sa)
{
	sa->limits[UDPESP_LIMIT_TIME_SOFT] = r->time.rekey;
	sa->limits[UDPESP_LIMIT_TIME_HARD] = r->time.life;
	sa->limits[UDPESP_LIMIT_BYTE_SOFT] = r->bytes.rekey;
	sa->limits[UDPESP_LIMIT_BYTE_HARD] = r->bytes.life;
	sa->limits[UDPESP_LIMIT_PACKET_SOFT] = r->packets.rekey;
	sa->limits[UDPESP_LIMIT_PACKET_HARD] = r->packets.life;
}

int xform_flags(const struct xform_req *r, struct udpesp_ctl_sa *sa, char *err, size_t errlen)
{
	if (r->mode != XFORM_MODE_TUNNEL && r->mode != XFORM_MODE_TRANSPORT)
		return xform_fail(err, errlen, -EOPNOTSUPP,
				  "mode %d refused: udpesp offloads tunnel and transport mode only",
				  r->mode);
	if (!r->encap)
		return xform_fail(
			err, errlen, -EOPNOTSUPP,
			"an SA without UDP encapsulation refused: udpesp carries ESP in UDP only (NAT-T must be forced)");
	if (r->ipcomp)
		return xform_fail(err, errlen, -EOPNOTSUPP,
				  "IPComp transform %u refused: udpesp does not compress",
				  r->ipcomp);
	if (r->mark_value || r->mark_mask || r->id_mark_value || r->id_mark_mask)
		return xform_fail(err, errlen, -EOPNOTSUPP,
				  "mark %#x/%#x refused: udpesp has no packet marks",
				  r->mark_value | r->id_mark_value, r->mark_mask | r->id_mark_mask);
	if (r->if_id)
		return xform_fail(err, errlen, -EOPNOTSUPP,
				  "if_id %u refused: udpesp has one interface, no XFRM interfaces",
				  r->if_id);
	if (r->label)
		return xform_fail(err, errlen, -EOPNOTSUPP,
				  "security label refused: udpesp has no labeled IPsec");
	if (r->hw_offload == XFORM_HW_OFFLOAD_YES)
		return xform_fail(
			err, errlen, -EOPNOTSUPP,
			"hw_offload=yes refused: udpesp is the offload, NIC crypto offload is not used (use auto or no)");
	if (!r->copy_df)
		return xform_fail(
			err, errlen, -EOPNOTSUPP,
			"copy_df=no refused: udpesp always copies DF from the inner header");
	if (!r->copy_ecn)
		return xform_fail(err, errlen, -EOPNOTSUPP,
				  "copy_ecn=no refused: udpesp always propagates ECN (RFC 6040)");
	if (r->copy_dscp != XFORM_DSCP_OUT_ONLY)
		return xform_fail(
			err, errlen, -EOPNOTSUPP,
			"copy_dscp other than out refused: udpesp copies DSCP to the outer header only");
	if (r->inbound && r->esn && !r->replay_window)
		return xform_fail(
			err, errlen, -EOPNOTSUPP,
			"ESN with replay_window 0 refused: an inbound ESN SA needs a window (RFC 4304)");
	if (r->replay_window > UDPESP_REPLAY_MAX)
		return xform_fail(err, errlen, -EOPNOTSUPP,
				  "replay_window %u refused: udpesp offloads windows up to %d",
				  r->replay_window, UDPESP_REPLAY_MAX);

	sa->dir = r->inbound ? UDPESP_DIR_IN : UDPESP_DIR_OUT;
	sa->mode = r->mode == XFORM_MODE_TUNNEL ? UDPESP_MODE_TUNNEL : UDPESP_MODE_TRANSPORT;
	sa->encap = UDPESP_ENCAP_ESPINUDP;
	sa->offload = UDPESP_OFFLOAD_AUTO;
	/* Only receivers check replay; charon proposes a window for both. */
	sa->replay_window = r->inbound ? r->replay_window : 0;
	if (r->esn)
		sa->flags |= UDPESP_CTL_SA_ESN;
	sa->tfcpad = r->inbound ? 0 : r->tfc;
	return 0;
}

int xform_sel_merge(struct udpesp_ctl_addr *sel, uint8_t family, const void *addr,
		    uint8_t prefixlen)
{
	int bytes = family == UDPESP_AF_INET ? 4 : 16;
	const uint8_t *a = addr;
	uint8_t *s = (uint8_t *)sel->addr;
	int common = 0;

	if (family != UDPESP_AF_INET && family != UDPESP_AF_INET6)
		return -EAFNOSUPPORT;
	if (prefixlen > bytes * 8)
		prefixlen = bytes * 8;
	if (!sel->family) {
		memset(sel, 0, sizeof(*sel));
		sel->family = family;
		memcpy(sel->addr, addr, bytes);
		sel->prefixlen = prefixlen;
	} else if (sel->family != family) {
		return -EAFNOSUPPORT;
	} else {
		/* Leading bits both addresses share, within both prefixes. */
		while (common < sel->prefixlen && common < prefixlen &&
		       !((s[common / 8] ^ a[common / 8]) & (0x80 >> (common % 8))))
			common++;
		sel->prefixlen = common;
	}
	/* Host bits beyond the prefix cleared, as ip xfrm prints them. */
	for (int bit = sel->prefixlen; bit < bytes * 8; bit++)
		s[bit / 8] &= ~(0x80 >> (bit % 8));
	return 0;
}

static void xform_sel_addr(struct udpesp_ctl_addr *a, const struct xform_ts *ts)
{
	memset(a, 0, sizeof(*a));
	a->family = ts->family;
	a->prefixlen = ts->prefixlen;
	memcpy(a->addr, ts->addr, ts->family == UDPESP_AF_INET ? 4 : 16);
}

/* A side's ports onto a selector's range, or left any (noted). */
static void xform_sel_ports(const struct xform_ts *ts, uint8_t proto, __u16 *lo, __u16 *hi,
			    unsigned int *notes)
{
	if (ts->from_port == 0 && ts->to_port == 0xffff)
		return;
	if (proto == 1 || proto == 58) {
		*notes |= XFORM_SEL_ICMP;
		return;
	}
	if (!UDPESP_PROTO_HAS_PORTS(proto) || ts->from_port > ts->to_port) {
		*notes |= XFORM_SEL_PORTS;
		return;
	}
	/* Port 0 alone is "any" (OPAQUE) in RFC 7296's encoding as well. */
	if (ts->to_port == 0)
		return;
	*lo = ts->from_port;
	*hi = ts->to_port;
}

/* Too many pairs: for each family on both sides, the covering prefixes. */
static void xform_sels_merged(const struct xform_ts *src, size_t nsrc, const struct xform_ts *dst,
			      size_t ndst, struct udpesp_ctl_sa *sa)
{
	static const uint8_t families[2] = { UDPESP_AF_INET, UDPESP_AF_INET6 };

	sa->nsel = 0;
	for (int f = 0; f < 2; f++) {
		struct udpesp_ctl_sel sel = { 0 };

		for (size_t i = 0; i < nsrc; i++)
			if (src[i].family == families[f])
				xform_sel_merge(&sel.src, families[f], src[i].addr,
						src[i].prefixlen);
		for (size_t i = 0; i < ndst; i++)
			if (dst[i].family == families[f])
				xform_sel_merge(&sel.dst, families[f], dst[i].addr,
						dst[i].prefixlen);
		if (sel.src.family && sel.dst.family)
			sa->sel[sa->nsel++] = sel;
	}
}

int xform_sels(const struct xform_ts *src, size_t nsrc, const struct xform_ts *dst, size_t ndst,
	       struct udpesp_ctl_sa *sa, unsigned int *notes)
{
	memset(sa->sel, 0, sizeof(sa->sel));
	sa->nsel = 0;
	*notes = 0;
	if (!nsrc && !ndst)
		return 0;
	for (size_t i = 0; i < nsrc; i++)
		for (size_t k = 0; k < ndst; k++) {
			const struct xform_ts *s = &src[i], *d = &dst[k];
			struct udpesp_ctl_sel sel = { 0 };

			if (s->family != d->family ||
			    (s->proto && d->proto && s->proto != d->proto))
				continue; /* no packet matches both */
			if (sa->nsel == UDPESP_SEL_MAX) {
				*notes |= XFORM_SEL_MERGED;
				xform_sels_merged(src, nsrc, dst, ndst, sa);
				goto out;
			}
			if (!s->exact || !d->exact)
				*notes |= XFORM_SEL_RANGE;
			xform_sel_addr(&sel.src, s);
			xform_sel_addr(&sel.dst, d);
			sel.proto = s->proto ? s->proto : d->proto;
			xform_sel_ports(s, sel.proto, &sel.sport_lo, &sel.sport_hi, notes);
			xform_sel_ports(d, sel.proto, &sel.dport_lo, &sel.dport_hi, notes);
			sa->sel[sa->nsel++] = sel;
		}
out:
	return sa->nsel ? 0 : -EINVAL;
}

int xform_sa(const struct xform_req *r, struct udpesp_ctl_sa *sa, char *err, size_t errlen)
{
	int ret = xform_flags(r, sa, err, errlen);

	if (!ret)
		ret = xform_algs(r, sa, err, errlen);
	if (ret)
		return ret;
	xform_lifetimes(r, sa);
	return 0;
}
