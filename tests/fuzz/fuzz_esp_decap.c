// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer: esp_decap() on two kinds of frames.
 *
 *   byte 0: suite (bits 0-2), transport mode (3), IPv6 outer (4), ESN (5),
 *           sealed (6), metadata from the input (7)
 *   raw:    [24 bytes metadata if bit 7] frame bytes, as they come
 *   sealed: byte 1 outer TOS, byte 2 flags (bit 0 selector, bit 1 NAT-OA,
 *           bit 2 flip one byte after sealing), bytes 3-6 sequence number,
 *           byte 7 flip position, then the plaintext (payload, padding,
 *           pad length, next header), sealed with the SA's key so that the
 *           fuzzer reaches everything after the ICV.
 *
 * Whatever the verdict, the inner packet esp_decap() reports must lie in
 * the frame, and an unauthenticated frame must come back unchanged.
 */
#include "fuzz_esp.h"

static struct fz_sa sas[FZ_NSUITES][2][2][2];
static __u8 frame[FZ_FRAME_MAX];
static __u8 before[FZ_FRAME_MAX];

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size);

static struct fz_sa *fuzz_esp_decap_sa(__u8 cfg)
{
	unsigned int suite = (cfg & 7) % FZ_NSUITES;
	int tr = !!(cfg & 8), v6 = !!(cfg & 16), esn = !!(cfg & 32);
	struct fz_sa *s = &sas[suite][tr][v6][esn];

	if (!s->crypto)
		fz_sa_init(s, suite, tr ? UDPESP_MODE_TRANSPORT : UDPESP_MODE_TUNNEL,
			   v6 ? UDPESP_AF_INET6 : UDPESP_AF_INET, esn, UDPESP_DIR_IN);
	return s;
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct esp_decap_out out = { 0 };
	struct udpesp_xdp_meta m;
	enum udpesp_decap_verdict v;
	struct fz_sa *s;
	size_t len;

	if (size < 1)
		return 0;
	s = fuzz_esp_decap_sa(data[0]);
	fz_replay_reset(s, 1000);
	memset(&s->sel, 0, sizeof(s->sel));
	s->dsa.sel = &s->sel;
	s->dsa.nsel = 0;
	memset(&s->dsa.orig_src, 0, sizeof(s->dsa.orig_src));

	if (!(data[0] & 64)) {
		/* Raw: metadata as udpesp_xdp would give, or the input's. */
		data++, size--;
		fz_outer(s, frame, 0, 0, &m);
		if (data[-1] & 128) {
			if (size < sizeof(m))
				return 0;
			memcpy(&m, data, sizeof(m));
			data += sizeof(m), size -= sizeof(m);
		}
		if (size > sizeof(frame))
			return 0;
		memcpy(frame, data, size);
		len = size;
	} else {
		__u8 tos, flags, flip;
		__u64 seq;
		size_t esp_len, off = fz_esp_off(s->cfg.src.family);

		if (size < 8)
			return 0;
		tos = data[1];
		flags = data[2];
		seq = (__u64)data[3] << 24 | data[4] << 16 | data[5] << 8 | data[6];
		flip = data[7];
		if (flags & 1) {
			/* Selector: the SA's peer, another host, or a prefix. */
			fz_esp_addr(&s->sel.src, s->cfg.src.family, flags & 8 ? 9 : 7);
			if (flags & 16)
				s->sel.src.prefixlen -= 8;
			s->dsa.nsel = 1;
		}
		if (flags & 2)
			fz_esp_addr(&s->dsa.orig_src, s->cfg.src.family, 42);
		esp_len = fz_seal(s, frame + off, sizeof(frame) - off, data + 8, size - 8, seq);
		if (!esp_len)
			return 0;
		len = fz_outer(s, frame, esp_len, tos, &m);
		if (flags & 4)
			frame[off + flip % esp_len] ^= (__u8)(1 + (flags >> 5));
	}

	memcpy(before, frame, len);
	v = esp_decap(&s->dsa, s->t, frame, len, &m, &out);
	if (v >= UDPESP_DECAP_VERDICT_MAX)
		abort();
	if (v == UDPESP_DECAP_OK &&
	    ((size_t)out.inner_off + out.inner_len > len || out.inner_len == 0))
		abort();
	if ((v == UDPESP_DROP_HDR || v == UDPESP_DROP_ICV) && memcmp(before, frame, len))
		abort();
	return 0;
}
