/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Inbound ESP processing of one frame that udpesp_xdp redirected to an
 * AF_XDP worker: replay check, ICV and decryption, replay advance,
 * trailer, and the inner packet rebuilt for the host stack (tunnel mode:
 * the inner IP packet; transport mode: the outer IP header put back in
 * front of the payload with the inner protocol and a fixed checksum).
 * No I/O and no global state, so every rule is tested on buffers.
 */
#ifndef UDPESP_ESP_DECAP_H
#define UDPESP_ESP_DECAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/abi.h>
#include <udpesp/ctl.h>

#include "esp_crypto.h"
#include "sa_check.h"

/* Why a frame was not delivered; each has its own counter. */
enum esp_verdict {
	ESP_OK = 0,
	ESP_DROP_HDR,       /* shorter than the suite allows, or misaligned */
	ESP_DROP_REPLAY,    /* replayed or below the window (before or after ICV) */
	ESP_DROP_ICV,       /* integrity check failed */
	ESP_DROP_PADDING,   /* pad length too long, or pad bytes not 1, 2, 3 ... */
	ESP_DROP_NEXT_HDR,  /* next header not allowed in the SA's mode */
	ESP_DROP_DUMMY,     /* next header 59: a dummy packet (RFC 4303 2.6) */
	ESP_DROP_SELECTOR,  /* tunnel: inner source outside sel (RFC 3948 3.1.1) */
	ESP_DROP_INNER,     /* inner packet malformed (length, version) */
	ESP_VERDICT_MAX,
};

const char *esp_verdict_name(enum esp_verdict v);

/* What decapsulation needs of an inbound SA; read-only while in use. */
struct esp_decap_sa {
	const struct sa_suite *suite;
	struct esp_crypto *crypto;
	struct udpesp_replay *replay; /* the SA's slot in udpesp_replay (mmap) */
	__u8 mode;                    /* enum udpesp_mode */
	bool esn;
	/* Tunnel mode: inner source must lie in it; family 0 = any. */
	struct udpesp_ctl_addr sel_src;
	/*
	 * Transport mode: the peer's original (pre-NAT) source address as
	 * the SA records it (NAT-OA, RFC 3948 3.1.2); family 0 = unknown,
	 * then the inner TCP/UDP checksum is recomputed in full.
	 */
	struct udpesp_ctl_addr orig_src;
};

struct esp_decap_out {
	__u32 inner_off;   /* inner IP packet: frame + inner_off */
	__u32 inner_len;
	__u8 inner_family; /* UDPESP_AF_INET or UDPESP_AF_INET6 */
	__u8 next_header;  /* inner protocol (tunnel: 4 or 41) */
	__u64 seq;         /* full sequence number of the packet */
	__u32 esp_len;     /* ESP bytes, SPI to ICV: the SA's byte count */
};

/*
 * Process one frame (Ethernet header at frame[0]) in place. meta is
 * the udpesp_xdp metadata that came with it (offsets, family). On
 * ESP_OK, out describes the inner packet inside frame; on a drop the
 * replay state is unchanged (and unauthenticated input changes nothing).
 * The replay window is advanced under replay->lock, so several workers
 * may process one SA's packets at once.
 */
enum esp_verdict esp_decap(const struct esp_decap_sa *sa,
			   struct esp_crypto_thread *t, __u8 *frame,
			   size_t len, const struct udpesp_xdp_meta *meta,
			   struct esp_decap_out *out);

#endif /* UDPESP_ESP_DECAP_H */
