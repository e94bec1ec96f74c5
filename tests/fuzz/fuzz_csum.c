// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer: the transport-mode checksum fix-ups of esp_decap() (RFC 3948
 * 3.1.2). A TCP, UDP or ICMPv6 segment from the input is sealed in a
 * transport-mode SA; after decapsulation its checksum must verify
 * against the outer addresses the packet arrived with:
 *
 *   byte 0: IPv6 (bit 0), protocol (bits 1-2: TCP, UDP, ICMPv6, UDP
 *           without checksum), NAT-OA known (bit 3), suite (bits 4-6)
 *   byte 1: last byte of the original (pre-NAT) source address
 *   then the segment (at least 20 bytes)
 *
 * With NAT-OA the segment's checksum is made valid for the original
 * source first, as the sender computed it, and esp_decap() swaps the
 * address incrementally; without it, the checksum is whatever the input
 * says and esp_decap() recomputes it.
 */
#include "fuzz_esp.h"

static struct fz_sa sas[FZ_NSUITES][2];
static __u8 frame[FZ_FRAME_MAX];
static __u8 pt[FZ_FRAME_MAX];

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size);

static const __u8 fuzz_csum_protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, IPPROTO_UDP };

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	int v6 = data && size ? data[0] & 1 : 0;
	__u8 family = v6 ? UDPESP_AF_INET6 : UDPESP_AF_INET;
	unsigned int suite, i, pad;
	struct esp_decap_out out = { 0 };
	struct udpesp_xdp_meta m;
	size_t seg_len, pt_len, esp_len, off, len;
	struct fz_sa *s;
	enum udpesp_decap_verdict v;
	int coff;
	__u8 nh;

	if (size < 2 + 20 || size > 2 + 1400)
		return 0;
	suite = (data[0] >> 4 & 7) % FZ_NSUITES;
	nh = fuzz_csum_protos[data[0] >> 1 & 3];
	if (nh == IPPROTO_ICMPV6 && !v6)
		nh = IPPROTO_TCP;
	s = &sas[suite][v6];
	if (!s->crypto)
		fz_sa_init(s, suite, UDPESP_MODE_TRANSPORT, family, false, UDPESP_DIR_IN);
	fz_replay_reset(s, 0);
	memset(&s->dsa.orig_src, 0, sizeof(s->dsa.orig_src));

	seg_len = size - 2;
	memcpy(pt, data + 2, seg_len);
	coff = fz_l4_csum_off(nh, family);
	if (nh == IPPROTO_UDP)
		fz_put16(pt + 4, (__u16)seg_len);
	if ((data[0] >> 1 & 3) == 3 && !v6) {
		pt[coff] = pt[coff + 1] = 0; /* IPv4 UDP: no checksum */
	} else if (data[0] & 8) {
		__u16 c;

		fz_esp_addr(&s->dsa.orig_src, family, data[1]);
		pt[coff] = pt[coff + 1] = 0;
		c = (__u16)~fz_csum_fold(fz_l4_sum(family, (const __u8 *)s->dsa.orig_src.addr,
						   (const __u8 *)s->cfg.dst.addr, nh, pt, seg_len));
		if (nh == IPPROTO_UDP && !c)
			c = 0xffff;
		fz_put16(pt + coff, c);
	}
	/* Self-describing padding 1, 2, 3 ..., pad length, next header. */
	pt_len = seg_len;
	pad = (unsigned int)((s->suite.block - (seg_len + 2) % s->suite.block) % s->suite.block);
	for (i = 0; i < pad; i++)
		pt[pt_len++] = (__u8)(i + 1);
	pt[pt_len++] = (__u8)pad;
	pt[pt_len++] = nh;

	off = fz_esp_off(family);
	esp_len = fz_seal(s, frame + off, sizeof(frame) - off, pt, pt_len, 1);
	if (!esp_len)
		abort();
	len = fz_outer(s, frame, esp_len, 0, &m);
	v = esp_decap(&s->dsa, s->t, frame, len, &m, &out);
	if (v != UDPESP_DECAP_OK || out.next_header != nh)
		abort();
	if (out.inner_len != (family == UDPESP_AF_INET ? 20 : 40) + seg_len)
		abort();
	if (!fz_l4_csum_ok(frame + out.inner_off, out.inner_len, family))
		abort();
	return 0;
}
