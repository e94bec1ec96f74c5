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
#include <udpesp/verdict.h>

#include "esp_addr.h"
#include "esp_crypto.h"
#include "esp_sel.h"
#include "esp_suite.h"

/*
 * Why a frame was not delivered: enum udpesp_decap_verdict, the table in
 * udpesp/verdict.h that the kfunc backend shares (with each drop's
 * counter and name).
 */

/* What decapsulation needs of an inbound SA; read-only while in use. */
struct esp_decap_sa {
	const struct esp_suite *suite;
	struct esp_crypto *crypto;
	struct udpesp_replay *replay; /* the SA's slot in udpesp_replay (mmap) */
	__u8 mode;		      /* enum udpesp_mode */
	bool esn;
	/*
	 * Tunnel mode: the inner packet must match one of these (nsel 0:
	 * any). The caller owns them.
	 */
	const struct esp_sel *sel;
	unsigned int nsel;
	/*
	 * Transport mode: the peer's original (pre-NAT) source address as
	 * the SA records it (NAT-OA, RFC 3948 3.1.2); family 0 = unknown,
	 * then the inner TCP/UDP checksum is recomputed in full.
	 */
	struct esp_addr orig_src;
};

/*
 * seq, esp_len and next_header are set once the ICV verified (so also
 * for UDPESP_DROP_DUMMY and the later drops); the rest on UDPESP_DECAP_OK only.
 */
struct esp_decap_out {
	__u32 inner_off;   /* inner IP packet: frame + inner_off */
	__u32 inner_len;   /* TFC padding excluded */
	__u8 inner_family; /* UDPESP_AF_INET or UDPESP_AF_INET6 */
	__u8 next_header;  /* inner protocol (tunnel: 4 or 41) */
	__u64 seq;	   /* full sequence number of the packet */
	__u32 esp_len;	   /* ESP bytes, SPI to ICV: the SA's byte count */
};

/*
 * Process one frame (Ethernet header at frame[0]) of len bytes in place;
 * bytes after the outer IP packet (Ethernet padding) are ignored. meta
 * is the udpesp_xdp metadata that came with it: magic, offsets and
 * family are checked against the frame; slot and gen are the caller's
 * (it chose sa by them); seq_hi is not used, the high half is inferred
 * again from the window as it is now.
 *
 * On UDPESP_DECAP_OK, out describes the inner packet inside frame. Tunnel mode:
 * the inner IP packet where the decrypted payload starts. Transport
 * mode: the outer IP header (options included) moved to just before the
 * payload, with protocol/next header, lengths and the IPv4 header
 * checksum rewritten, and the TCP/UDP/ICMPv6 checksum fixed for NAT
 * (RFC 3948 3.1.2). Bytes of frame before inner_off are left undefined
 * (the Ethernet header is not moved).
 *
 * The replay window moves only on UDPESP_DECAP_OK and UDPESP_DROP_DUMMY (authentic
 * and well formed, just not for delivery); every other drop leaves it
 * as it was. Unauthenticated input changes nothing: on UDPESP_DROP_HDR and
 * UDPESP_DROP_ICV frame is as it came; drops after the ICV (a replay found
 * by the second check included) leave the payload decrypted.
 * The window is advanced under replay->lock after a second check, so
 * several workers may process one SA's packets at once.
 */
enum udpesp_decap_verdict esp_decap(const struct esp_decap_sa *sa, struct esp_crypto_thread *t,
				    __u8 *frame, size_t len, const struct udpesp_xdp_meta *meta,
				    struct esp_decap_out *out);

#endif /* UDPESP_ESP_DECAP_H */
