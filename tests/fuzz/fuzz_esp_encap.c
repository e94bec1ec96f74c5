// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer: esp_encap() round trips. The input is an inner packet and
 * how to send it; what esp_encap() accepts is put in outer headers with
 * esp_encap_outer() and given to esp_decap() with the inbound SA of the
 * same keys, which must deliver it:
 *
 *   byte 0: suite (bits 0-2), transport mode (3), IPv6 outer (4), ESN (5)
 *   byte 1: TFC padding / 8;  bytes 2-3: max_esp (0 = none)
 *   bytes 4-7: the last sequence number sent;  then the inner packet
 *
 * Tunnel mode: the inner packet comes back byte for byte. Transport: the
 * segment comes back (but its checksum, fixed for the outer addresses,
 * which must then verify), or is refused as malformed inner data.
 */
#include "fuzz_esp.h"

static struct fz_sa in_sas[FZ_NSUITES][2][2][2];
static struct esp_encap_sa out_sas[FZ_NSUITES][2][2][2];
static struct fz_sa out_cfg[FZ_NSUITES][2][2][2];
static struct esp_encap_thread *et;
static __u8 buf[FZ_FRAME_MAX + 256];
static __u8 orig[FZ_FRAME_MAX];

#define FZ_OFF 128 /* headroom: ESP header, IV, outer IP, UDP, Ethernet */

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size);

static void fuzz_esp_encap_check(struct fz_sa *in, const struct esp_encap_out *o,
				 const struct udpesp_xdp_meta *m, size_t frame_len,
				 size_t inner_len)
{
	struct esp_decap_out d = { 0 };
	enum udpesp_decap_verdict v;
	__u8 *seg, *oseg;
	size_t seg_len, oseg_len;
	int coff;

	fz_replay_reset(in, o->seq - 1);
	v = esp_decap(&in->dsa, in->t, buf, frame_len, m, &d);
	if (in->dsa.mode == UDPESP_MODE_TUNNEL) {
		if (v != UDPESP_DECAP_OK || d.inner_len != inner_len ||
		    memcmp(buf + d.inner_off, orig, inner_len))
			abort();
		return;
	}
	if (v == UDPESP_DROP_INNER)
		return;
	if (v != UDPESP_DECAP_OK || d.next_header != o->next_header)
		abort();
	if (!fz_l4_csum_ok(buf + d.inner_off, d.inner_len, d.inner_family))
		abort();
	/* The segment, its checksum aside, is the one that went in. */
	seg = buf + d.inner_off + (m->l4_off - m->l3_off);
	seg_len = d.inner_len - (m->l4_off - m->l3_off);
	oseg = orig + o->hdr_len;
	oseg_len = inner_len - o->hdr_len;
	if (seg_len > oseg_len)
		abort();
	coff = fz_l4_csum_off(o->next_header, d.inner_family);
	if (coff >= 0 && seg_len >= (size_t)coff + 2) {
		seg[coff] = oseg[coff];
		seg[coff + 1] = oseg[coff + 1];
	}
	if (memcmp(seg, oseg, seg_len))
		abort();
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	unsigned int suite;
	int tr, v6, esn;
	struct esp_encap_out o = { 0 };
	struct udpesp_xdp_meta m;
	struct esp_encap_sa *sa;
	enum esp_encap_verdict v;
	size_t len, inner_len;
	__u8 family;
	long ip;

	if (size < 8 || size - 8 > FZ_FRAME_MAX - FZ_OFF - 64)
		return 0;
	if (!et) {
		et = esp_encap_thread_new(esp_crypto_thread_new());
		if (!et)
			fz_die("esp_encap_thread_new");
	}
	suite = (data[0] & 7) % FZ_NSUITES;
	tr = !!(data[0] & 8), v6 = !!(data[0] & 16), esn = !!(data[0] & 32);
	family = v6 ? UDPESP_AF_INET6 : UDPESP_AF_INET;
	sa = &out_sas[suite][tr][v6][esn];
	if (!in_sas[suite][tr][v6][esn].crypto) {
		__u8 mode = tr ? UDPESP_MODE_TRANSPORT : UDPESP_MODE_TUNNEL;
		struct fz_sa *oc = &out_cfg[suite][tr][v6][esn];

		fz_sa_init(&in_sas[suite][tr][v6][esn], suite, mode, family, esn, UDPESP_DIR_IN);
		fz_sa_init(oc, suite, mode, family, esn, UDPESP_DIR_OUT);
		struct esp_encap_params params;

		sa_esp_encap_params(&params, &oc->cfg);
		esp_encap_sa_init(sa, &params, &oc->suite, oc->crypto);
	}
	sa->tfcpad = data[1] * 8u;
	sa->oseq = (__u64)data[4] << 24 | data[5] << 16 | data[6] << 8 | data[7];
	sa->soft_done = 0;
	len = size - 8;
	memset(buf, 0, sizeof(buf));
	memcpy(buf + FZ_OFF, data + 8, len);
	v = esp_encap(sa, et, buf, sizeof(buf), FZ_OFF, len, (size_t)data[2] << 8 | data[3], &o);
	if (v >= ESP_ENCAP_VERDICT_MAX)
		abort();
	if (v != ESP_ENCAP_OK)
		return 0;
	if (o.esp_off + o.esp_len > sizeof(buf) || o.seq != sa->oseq ||
	    (o.inner_family != UDPESP_AF_INET && o.inner_family != UDPESP_AF_INET6))
		abort();
	/* The inner packet ends where its own length says. */
	inner_len = data[8] >> 4 == 4 ? (size_t)data[8 + 2] << 8 | data[8 + 3] :
					40 + ((size_t)data[8 + 4] << 8 | data[8 + 5]);
	if (inner_len > len)
		abort();
	memcpy(orig, data + 8, inner_len);

	ip = esp_encap_outer(sa, &o, buf, 64, 0);
	if (ip < FZ_ETH_HLEN)
		abort();
	memset(&m, 0, sizeof(m));
	m.magic = UDPESP_META_MAGIC;
	m.l3_off = (__u16)ip;
	m.l4_off = (__u16)(o.esp_off - 8);
	m.esp_off = (__u16)o.esp_off;
	m.family = family;
	fuzz_esp_encap_check(&in_sas[suite][tr][v6][esn], &o, &m, o.esp_off + o.esp_len, inner_len);
	return 0;
}
