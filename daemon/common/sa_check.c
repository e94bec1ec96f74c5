// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Whether an SA may be offloaded, and the shape of its ESP packets (see
 * sa_check.h). The daemon trusts no client: every field is checked here,
 * even those udpespctl's parser already checked.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <udpesp/hdr.h>

#include "sa_check.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every AEAD offloaded carries an 8-byte IV (RFC 4106/4309/4543/7634). */
#define AEAD_IV 8
#define ESP_TRAILER 2 /* pad length + next header */
#define ESP_ALIGN 4   /* RFC 4303 2.4: the trailer ends on a 4-byte boundary */

struct aead_desc {
	const char *name;
	enum udpesp_alg alg;
	bool encrypts;
	__u8 salt;
	const char *icvs;     /* the ICV sizes accepted, for messages */
	__u8 icv_mask;	      /* bit n: an ICV of 4 * n bytes */
	const char *icv_note; /* where the sizes come from */
	__u8 nkeys;
	__u8 keys[3]; /* accepted cipher key bytes, salt excluded */
};

#define ICV_8_12_16 (1 << 2 | 1 << 3 | 1 << 4)

/*
 * Salt, IV and padding per RFC 4106 3/8.1, RFC 4309 3/4, RFC 4543 3/3.2
 * and RFC 7634 2/4: the salt is the last key bytes (3 for CCM, else 4),
 * the IV 8 bytes, and with a counter mode the padding only aligns to 4
 * bytes.
 */
static const struct aead_desc aeads[] = {
	{ "rfc4106(gcm(aes))",
	  UDPESP_ALG_AES_GCM_16,
	  true,
	  4,
	  "64, 96 or 128",
	  ICV_8_12_16,
	  "ENCR_AES_GCM_8/12/16, RFC 4106",
	  3,
	  { 16, 24, 32 } },
	{ "rfc4309(ccm(aes))",
	  UDPESP_ALG_AES_CCM,
	  true,
	  3,
	  "64, 96 or 128",
	  ICV_8_12_16,
	  "ENCR_AES_CCM_8/12/16, RFC 4309",
	  3,
	  { 16, 24, 32 } },
	{ "rfc7539esp(chacha20,poly1305)",
	  UDPESP_ALG_CHACHA20_POLY1305,
	  true,
	  4,
	  "128",
	  1 << 4,
	  "RFC 7634",
	  1,
	  { 32 } },
	{ "rfc4543(gcm(aes))",
	  UDPESP_ALG_AES_GMAC,
	  false,
	  4,
	  "128",
	  1 << 4,
	  "RFC 4543",
	  3,
	  { 16, 24, 32 } },
};

struct enc_desc {
	const char *name;
	const char *alias; /* the compat name Linux's xfrm_algo.c accepts */
	enum udpesp_alg alg;
	__u8 iv_len;
	__u8 block;
	__u8 nonce; /* bytes after the cipher key (RFC 3686's nonce) */
	__u8 nkeys;
	__u8 keys[3];
};

static const struct enc_desc encs[] = {
	/* RFC 3602: a 16-byte IV, and the ciphertext is whole AES blocks. */
	{ "cbc(aes)", "aes", UDPESP_ALG_AES_CBC_HMAC, 16, 16, 0, 3, { 16, 24, 32 } },
	/* RFC 3686: key + 4-byte nonce, 8-byte IV, a stream: 4-byte padding. */
	{ "rfc3686(ctr(aes))",
	  "rfc3686(ctr(aes))",
	  UDPESP_ALG_AES_CTR_HMAC,
	  8,
	  ESP_ALIGN,
	  4,
	  3,
	  { 16, 24, 32 } },
	/* RFC 2410: block size 1, so only ESP's own 4-byte alignment. */
	{ "ecb(cipher_null)", "cipher_null", UDPESP_ALG_NULL_HMAC, 0, ESP_ALIGN, 0, 1, { 0 } },
};

struct hmac_desc {
	const char *name;
	const char *alias;
	enum esp_auth hmac;
	__u8 key_len;	  /* RFC 4868 2.1.1: the hash's output size */
	__u16 bits;	  /* RFC 4868 truncation */
	__u16 linux_bits; /* what ip xfrm's `auth NAME KEY` gives */
	const char *rfc_name;
	const char *rfc;   /* the RFC that fixes key and truncation */
	const char *level; /* RFC 8221's word when below SHOULD, for the log */
};

static const struct hmac_desc hmacs[] = {
	/*
	 * Linux still truncates hmac(sha256) to 96 bits by default (an
	 * early draft); RFC 4868 peers expect 128, so `auth` is refused.
	 */
	{ "hmac(sha256)", "sha256", ESP_AUTH_SHA256, 32, 128, 96, "HMAC-SHA-256-128", "RFC 4868",
	  NULL },
	{ "hmac(sha384)", "sha384", ESP_AUTH_SHA384, 48, 192, 192, "HMAC-SHA-384-192", "RFC 4868",
	  NULL },
	{ "hmac(sha512)", "sha512", ESP_AUTH_SHA512, 64, 256, 256, "HMAC-SHA-512-256", "RFC 4868",
	  NULL },
	/* RFC 2404: a 160-bit key, 96 bits of the HMAC. */
	{ "hmac(sha1)", "sha1", ESP_AUTH_SHA1, 20, 96, 96, "HMAC-SHA-1-96", "RFC 2404",
	  "RFC 8221 says MUST- (must be implemented; likely demoted later)" },
	/* RFC 3566: an AES-128 key, 96 bits of the MAC. */
	{ "xcbc(aes)", "aes_xcbc", ESP_AUTH_XCBC, 16, 96, 96, "AES-XCBC-MAC-96", "RFC 3566",
	  "RFC 8221 says SHOULD NOT+ (likely demoted later)" },
};

/* Refused whatever slot they appear in, with RFC 8221's verdict. */
static const struct {
	const char *name;
	const char *what;
	const char *instead;
} refused[] = {
	{ "cbc(des)", "DES: RFC 8221 says MUST NOT", "aead 'rfc4106(gcm(aes))' or enc 'cbc(aes)'" },
	{ "des", "DES: RFC 8221 says MUST NOT", "aead 'rfc4106(gcm(aes))' or enc 'cbc(aes)'" },
	{ "cbc(des3_ede)", "3DES: RFC 8221 says SHOULD NOT",
	  "aead 'rfc4106(gcm(aes))' or enc 'cbc(aes)'" },
	{ "des3_ede", "3DES: RFC 8221 says SHOULD NOT",
	  "aead 'rfc4106(gcm(aes))' or enc 'cbc(aes)'" },
	{ "hmac(md5)", "HMAC-MD5-96: RFC 8221 says MUST NOT", "auth-trunc 'hmac(sha256)' KEY 128" },
	{ "md5", "HMAC-MD5-96: RFC 8221 says MUST NOT", "auth-trunc 'hmac(sha256)' KEY 128" },
};

/* The message for the user, and the code every refusal returns. */
__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool sa_word_is_secret(const char *word)
{
	size_t n = strlen(word);
	bool letter = false;

	/* Anything long behind 0x is treated as a key, typos included. */
	if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X'))
		return n - 2 >= 16;
	/*
	 * A key pasted without 0x: long hex with a letter in it (so that
	 * long decimal numbers still show in messages).
	 */
	if (n < 16)
		return false;
	for (const char *p = word; *p; p++) {
		if (!isxdigit((unsigned char)*p))
			return false;
		letter |= !isdigit((unsigned char)*p);
	}
	return letter;
}

/* A client-supplied name as a message shows it: quoted, or withheld. */
static const char *shown(char *buf, size_t len, const char *name)
{
	if (sa_word_is_secret(name))
		snprintf(buf, len, "(a name that looks like a key, not shown)");
	else
		snprintf(buf, len, "\"%s\"", name);
	return buf;
}

/* "20, 28 or 36" from the cipher key sizes plus what rides along. */
static void fmt_lens(char *buf, size_t len, const __u8 *keys, int n, int add)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		const char *sep = !i ? "" : i == n - 1 ? " or " : ", ";

		off += snprintf(buf + off, len - off, "%s%d", sep, keys[i] + add);
	}
}

/* "128/192/256" */
static void fmt_bits(char *buf, size_t len, const __u8 *keys, int n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%d", i ? "/" : "", keys[i] * 8);
}

static bool key_ok(const __u8 *keys, int n, __u32 len)
{
	for (int i = 0; i < n; i++)
		if (keys[i] == len)
			return true;
	return false;
}

static const struct aead_desc *find_aead(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(aeads); i++)
		if (!strcmp(name, aeads[i].name))
			return &aeads[i];
	return NULL;
}

static const struct enc_desc *find_enc(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(encs); i++)
		if (!strcmp(name, encs[i].name) || !strcmp(name, encs[i].alias))
			return &encs[i];
	return NULL;
}

static const struct hmac_desc *find_hmac(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(hmacs); i++)
		if (!strcmp(name, hmacs[i].name) || !strcmp(name, hmacs[i].alias))
			return &hmacs[i];
	return NULL;
}

static const char *family_name(__u8 family)
{
	return family == UDPESP_AF_INET ? "IPv4" : "IPv6";
}

static bool family_ok(__u8 family)
{
	return family == UDPESP_AF_INET || family == UDPESP_AF_INET6;
}

/*
 * A name that is not NUL-terminated inside its field, or a key longer
 * than the field, is a broken client: refuse before reading either.
 */
static int check_slot(const struct udpesp_ctl_alg *a, const char *slot, char *err, size_t errlen)
{
	if (!memchr(a->name, '\0', sizeof(a->name)))
		return fail(err, errlen, "%s: algorithm name is not terminated", slot);
	if (a->key_len > UDPESP_KEY_MAX)
		return fail(err, errlen, "%s: key of %u bytes exceeds %d", slot, a->key_len,
			    UDPESP_KEY_MAX);
	if (!a->name[0] && (a->key_len || a->bits))
		return fail(err, errlen, "%s: key or length without an algorithm name", slot);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (!strcmp(a->name, refused[i].name))
			return fail(err, errlen, "%s is refused (%s); use %s", a->name,
				    refused[i].what, refused[i].instead);
	return 0;
}

static int check_aead(const struct udpesp_ctl_alg *a, struct esp_suite *s, char *err, size_t errlen)
{
	const struct aead_desc *d = find_aead(a->name);
	char lens[32], bits[32], name[UDPESP_ALG_NAME_MAX + 2];

	if (!d) {
		if (find_enc(a->name) || find_hmac(a->name))
			return fail(
				err, errlen,
				"%s is not an AEAD: use enc NAME KEY with auth-trunc NAME KEY BITS",
				a->name);
		return fail(
			err, errlen,
			"unknown AEAD %s; accepted: rfc4106(gcm(aes)), rfc4309(ccm(aes)), rfc7539esp(chacha20,poly1305), rfc4543(gcm(aes))",
			shown(name, sizeof(name), a->name));
	}
	if (a->key_len < d->salt || !key_ok(d->keys, d->nkeys, a->key_len - d->salt)) {
		fmt_lens(lens, sizeof(lens), d->keys, d->nkeys, d->salt);
		fmt_bits(bits, sizeof(bits), d->keys, d->nkeys);
		return fail(err, errlen,
			    "%s needs a %s-byte key (%s-bit key + %d-byte salt), got %u", d->name,
			    lens, bits, d->salt, a->key_len);
	}
	if (a->bits % 32 || a->bits > 128 || !(d->icv_mask >> (a->bits / 32) & 1))
		return fail(err, errlen, "%s: the ICV must be %s bits (%s), got %u", d->name,
			    d->icvs, d->icv_note, a->bits);
	s->alg = d->alg;
	s->enc_name = d->name;
	s->aead = true;
	s->encrypts = d->encrypts;
	s->key_len = a->key_len - d->salt;
	s->salt_len = d->salt;
	s->iv_len = AEAD_IV;
	s->block = ESP_ALIGN;
	s->icv_len = a->bits / 8;
	return 0;
}

static int check_enc_auth(const struct udpesp_ctl_alg *e, const struct udpesp_ctl_alg *a,
			  struct esp_suite *s, char *err, size_t errlen)
{
	const struct enc_desc *ed = find_enc(e->name);
	const struct hmac_desc *hd = find_hmac(a->name);
	char lens[32], bits[32], name[UDPESP_ALG_NAME_MAX + 2];
	__u32 trunc = a->bits;

	if (!ed) {
		if (find_aead(e->name))
			return fail(err, errlen, "%s is an AEAD: use aead NAME KEY ICV_BITS",
				    e->name);
		return fail(
			err, errlen,
			"unknown encryption algorithm %s; accepted: cbc(aes), rfc3686(ctr(aes)), ecb(cipher_null)",
			shown(name, sizeof(name), e->name));
	}
	if (!hd) {
		if (find_aead(a->name))
			return fail(err, errlen, "%s is an AEAD: use aead NAME KEY ICV_BITS",
				    a->name);
		return fail(
			err, errlen,
			"unknown integrity algorithm %s; accepted: hmac(sha256), hmac(sha384), hmac(sha512), hmac(sha1), xcbc(aes)",
			shown(name, sizeof(name), a->name));
	}
	if (!ed->keys[0] && e->key_len)
		return fail(err, errlen, "%s takes an empty key (\"\"), got %u bytes", ed->name,
			    e->key_len);
	if (e->key_len < ed->nonce || !key_ok(ed->keys, ed->nkeys, e->key_len - ed->nonce)) {
		fmt_lens(lens, sizeof(lens), ed->keys, ed->nkeys, ed->nonce);
		fmt_bits(bits, sizeof(bits), ed->keys, ed->nkeys);
		if (ed->nonce)
			return fail(
				err, errlen,
				"%s needs a %s-byte key (%s-bit key + %u-byte nonce, RFC 3686), got %u",
				ed->name, lens, bits, ed->nonce, e->key_len);
		return fail(err, errlen, "%s needs a %s-byte key (%s bits), got %u", ed->name, lens,
			    bits, e->key_len);
	}
	if (a->key_len != hd->key_len)
		return fail(err, errlen, "%s needs a %u-byte (%u-bit) key (%s), got %u", hd->name,
			    hd->key_len, hd->key_len * 8, hd->rfc, a->key_len);
	if (!trunc) {
		/* `auth NAME KEY`: whatever Linux would have used. */
		if (hd->linux_bits != hd->bits)
			return fail(
				err, errlen,
				"auth '%s' means Linux's %u-bit truncation, not RFC 4868's %u: use auth-trunc '%s' KEY %u",
				hd->name, hd->linux_bits, hd->bits, hd->name, hd->bits);
		trunc = hd->bits;
	}
	if (trunc != hd->bits)
		return fail(err, errlen, "%s: truncation must be %u bits (%s, %s), got %u",
			    hd->name, hd->bits, hd->rfc_name, hd->rfc, trunc);
	s->alg = ed->alg;
	s->hmac = hd->hmac;
	s->enc_name = ed->name;
	s->auth_name = hd->name;
	s->encrypts = ed->iv_len != 0;
	s->key_len = e->key_len - ed->nonce;
	s->salt_len = ed->nonce;
	s->iv_len = ed->iv_len;
	s->block = ed->block;
	s->icv_len = hd->bits / 8;
	s->hmac_key_len = hd->key_len;
	return 0;
}

static int check_algs(const struct udpesp_ctl_sa *sa, struct esp_suite *s, char *err, size_t errlen)
{
	char name[UDPESP_ALG_NAME_MAX + 2];
	bool aead, enc, auth;
	int ret;

	if ((ret = check_slot(&sa->aead, "aead", err, errlen)) ||
	    (ret = check_slot(&sa->enc, "enc", err, errlen)) ||
	    (ret = check_slot(&sa->auth, "auth", err, errlen)))
		return ret;
	aead = sa->aead.name[0];
	enc = sa->enc.name[0];
	auth = sa->auth.name[0];
	if (aead && (enc || auth))
		return fail(
			err, errlen,
			"aead cannot be combined with enc or auth: an AEAD carries its own integrity");
	if (aead)
		return check_aead(&sa->aead, s, err, errlen);
	if (enc && !auth)
		return fail(
			err, errlen,
			"never offload unauthenticated ESP: enc %s needs auth-trunc 'hmac(sha256)' KEY 128, or use an aead (RFC 8221 says MUST NOT)",
			shown(name, sizeof(name), sa->enc.name));
	if (auth && !enc)
		return fail(
			err, errlen,
			"integrity without encryption is AH, which is not offloaded: RFC 8221 prefers ESP with NULL encryption, enc 'ecb(cipher_null)' \"\"");
	if (!enc)
		return fail(
			err, errlen,
			"no algorithm: give aead NAME KEY ICV_BITS, or enc NAME KEY with auth-trunc NAME KEY BITS");
	return check_enc_auth(&sa->enc, &sa->auth, s, err, errlen);
}

/* "sel" for an SA's only selector, "sel 2" for the second of several. */
static void sel_label(char *buf, size_t len, unsigned int i, unsigned int n)
{
	if (n == 1)
		snprintf(buf, len, "sel");
	else
		snprintf(buf, len, "sel %u", i + 1);
}

static int check_ports(const char *sel, const char *which, __u16 lo, __u16 hi, __u8 proto,
		       char *err, size_t errlen)
{
	if (!lo && !hi)
		return 0;
	if (!UDPESP_PROTO_HAS_PORTS(proto))
		return fail(err, errlen,
			    "%s %s: ports need proto tcp, udp, udplite, sctp or dccp (proto is %u)",
			    sel, which, proto);
	if (!hi || lo > hi)
		return fail(err, errlen, "%s %s: range %u-%u is empty", sel, which, lo, hi);
	return 0;
}

/* One selector; its family (0: either) in *family. */
static int check_sel(const struct udpesp_ctl_sel *c, const char *sel, __u8 *family, char *err,
		     size_t errlen)
{
	const struct udpesp_ctl_addr *a[2] = { &c->src, &c->dst };
	static const char *const side[2] = { "src", "dst" };
	__u8 f = 0;
	int ret;

	for (int i = 0; i < 2; i++) {
		int max = a[i]->family == UDPESP_AF_INET ? 32 : 128;

		if (!a[i]->family)
			continue; /* any address, as without `sel` */
		if (!family_ok(a[i]->family))
			return fail(err, errlen, "%s %s: address family %u is not IPv4 or IPv6",
				    sel, side[i], a[i]->family);
		if (a[i]->prefixlen > max)
			return fail(err, errlen, "%s %s: prefix length %u exceeds %d for %s", sel,
				    side[i], a[i]->prefixlen, max, family_name(a[i]->family));
		if (f && a[i]->family != f)
			return fail(err, errlen,
				    "%s src is %s and dst is %s: a selector has one family", sel,
				    family_name(f), family_name(a[i]->family));
		f = a[i]->family;
	}
	ret = check_ports(sel, "sport", c->sport_lo, c->sport_hi, c->proto, err, errlen);
	if (!ret)
		ret = check_ports(sel, "dport", c->dport_lo, c->dport_hi, c->proto, err, errlen);
	*family = f;
	return ret;
}

static int check_addrs(const struct udpesp_ctl_sa *sa, struct esp_suite *s, char *err,
		       size_t errlen)
{
	__u8 outer = sa->src.family, inner = 0;
	char sel[16];

	if (!sa->src.family)
		return fail(err, errlen, "src is required");
	if (!sa->dst.family)
		return fail(err, errlen, "dst is required");
	if (!family_ok(sa->src.family) || !family_ok(sa->dst.family))
		return fail(err, errlen, "%s: address family %u is not IPv4 or IPv6",
			    family_ok(sa->src.family) ? "dst" : "src",
			    family_ok(sa->src.family) ? sa->dst.family : sa->src.family);
	if (sa->src.family != sa->dst.family)
		return fail(err, errlen,
			    "src is %s and dst is %s: the outer addresses must be of one family",
			    family_name(sa->src.family), family_name(sa->dst.family));
	if (sa->nsel > UDPESP_SEL_MAX)
		return fail(err, errlen, "%u selectors: an SA has at most %d", sa->nsel,
			    UDPESP_SEL_MAX);

	/* The SA's inner family: the one every selector pins, if they agree. */
	for (unsigned int i = 0; i < sa->nsel; i++) {
		__u8 f = 0;
		int ret;

		sel_label(sel, sizeof(sel), i, sa->nsel);
		ret = check_sel(&sa->sel[i], sel, &f, err, errlen);
		if (ret)
			return ret;
		/* Transport mode has no inner header: the selector is the outer family. */
		if (sa->mode == UDPESP_MODE_TRANSPORT && f && f != outer)
			return fail(
				err, errlen,
				"transport mode keeps the outer family: %s is %s but src and dst are %s",
				sel, family_name(f), family_name(outer));
		if (!i)
			inner = f;
		else if (f != inner)
			inner = 0;
	}
	if (sa->mode == UDPESP_MODE_TRANSPORT)
		inner = outer;
	s->inner_family = inner;
	return 0;
}

static int check_encap(const struct udpesp_ctl_sa *sa, char *err, size_t errlen)
{
	if (sa->encap == UDPESP_ENCAP_NONE)
		return fail(
			err, errlen,
			"UDP encapsulation is required: encap espinudp SPORT DPORT OADDR (RFC 3948)");
	if (sa->encap != UDPESP_ENCAP_ESPINUDP)
		return fail(err, errlen,
			    "encapsulation type %u is not offloaded: only espinudp (RFC 3948)",
			    sa->encap);
	if (!sa->encap_sport || !sa->encap_dport)
		return fail(err, errlen, "encap: %s port 0 is not a UDP port",
			    !sa->encap_sport ? "source" : "destination");
	if (sa->encap_oa.family && sa->encap_oa.family != sa->src.family)
		return fail(
			err, errlen,
			"encap: the original address must be %s like src and dst (%s when unknown)",
			family_name(sa->src.family),
			sa->src.family == UDPESP_AF_INET ? "0.0.0.0" : "::");
	return 0;
}

/* Anti-replay and sequence numbers, with Linux's rules for `dir`. */
static int check_replay(const struct udpesp_ctl_sa *sa, char *err, size_t errlen)
{
	bool esn = sa->flags & UDPESP_CTL_SA_ESN;
	bool in = sa->dir == UDPESP_DIR_IN;
	__u32 known = UDPESP_CTL_SA_ESN | UDPESP_CTL_SA_HAS_REPLAY_SEQ |
		      UDPESP_CTL_SA_HAS_REPLAY_OSEQ;

	if (sa->flags & ~known)
		return fail(err, errlen, "unknown flags 0x%x", sa->flags & ~known);
	if (sa->replay_window > UDPESP_REPLAY_MAX)
		return fail(err, errlen,
			    "replay-window %u exceeds %d, the largest window offloaded",
			    sa->replay_window, UDPESP_REPLAY_MAX);
	if (in && esn && !sa->replay_window)
		return fail(err, errlen,
			    "flag esn needs a replay-window above 0 on an inbound SA (RFC 4304)");
	if (!in && sa->replay_window)
		return fail(
			err, errlen,
			"replay-window must be 0 on an outbound SA: only receivers check replay");
	if (!in && (sa->replay_seq || sa->replay_seq_hi))
		return fail(
			err, errlen,
			"replay-seq and replay-seq-hi are for inbound SAs; an outbound SA takes replay-oseq");
	if (in && (sa->replay_oseq || sa->replay_oseq_hi))
		return fail(
			err, errlen,
			"replay-oseq and replay-oseq-hi are for outbound SAs; an inbound SA takes replay-seq");
	if (!esn && (sa->replay_seq_hi || sa->replay_oseq_hi))
		return fail(err, errlen,
			    "%s needs flag esn: without ESN sequence numbers are 32-bit",
			    sa->replay_seq_hi ? "replay-seq-hi" : "replay-oseq-hi");
	return 0;
}

int sa_check(const struct udpesp_ctl_sa *sa, struct esp_suite *out, char *err, size_t errlen)
{
	struct esp_suite s = {};
	__u32 spi = ntohl(sa->spi);
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (sa->dir != UDPESP_DIR_IN && sa->dir != UDPESP_DIR_OUT)
		return sa->dir ? fail(err, errlen, "dir %u is not in or out", sa->dir) :
				 fail(err, errlen, "dir is required: in or out");
	if (sa->mode != UDPESP_MODE_TUNNEL && sa->mode != UDPESP_MODE_TRANSPORT)
		return sa->mode ?
			       fail(err, errlen, "mode %u is not tunnel or transport", sa->mode) :
			       fail(err, errlen, "mode is required: tunnel or transport");
	if (!spi)
		return fail(err, errlen, "SPI 0 is reserved (RFC 4303 2.1): use one above 255");
	if (spi < 256)
		return fail(
			err, errlen,
			"SPI %u is in 1-255, reserved by IANA (RFC 4303 2.1): use one above 255",
			spi);
	if (sa->offload > UDPESP_OFFLOAD_KFUNC)
		return fail(err, errlen, "offload %u is not auto, xsk or kfunc", sa->offload);
	/* sa->parser is the inbound parser entry; outbound SAs ignore it. */
	if ((ret = check_addrs(sa, &s, err, errlen)) || (ret = check_encap(sa, err, errlen)) ||
	    (ret = check_replay(sa, err, errlen)) || (ret = check_algs(sa, &s, err, errlen)))
		return ret;

	/* Header, IV, the 2 trailer bytes padded to the block, ICV. */
	s.min_len = UDPESP_ESP_HLEN + s.iv_len + (ESP_TRAILER + s.block - 1) / s.block * s.block +
		    s.icv_len;
	if (out)
		*out = s;
	return 0;
}

const char *sa_check_note(const struct esp_suite *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(hmacs); i++)
		if (s->auth_name && hmacs[i].hmac == s->hmac && hmacs[i].level)
			return hmacs[i].level;
	return NULL;
}
