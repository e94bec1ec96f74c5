/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Why an ESP packet was not delivered, one table for both decap backends:
 * the AF_XDP workers (daemon/esp/esp_decap.c, counted in
 * udpespd/xsk_worker.c) and the kfunc backend (bpf/lib/kfunc_decap.h,
 * counted in bpf/udpesp_kf.bpf.c). Each drop moves one global counter
 * (enum udpesp_counter) and one field of the SA's struct
 * udpesp_sa_stats; both counting sites are generated from this table.
 * Pure C with no libc, so it compiles for BPF and for userspace alike.
 */
#ifndef UDPESP_VERDICT_H
#define UDPESP_VERDICT_H

#include "abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * X(verdict, name, global counter, per-SA field). HDR, REPLAY and ICV
 * may count forged packets; the others concern authentic ones.
 *  HDR:      outer headers, metadata or lengths disagree; ESP shorter
 *            than the suite allows, or misaligned
 *  REPLAY:   replayed or below the window (before or after the ICV)
 *  ICV:      integrity check failed
 *  PADDING:  pad length too long, or pad bytes not 1, 2, 3 ...
 *  NEXT_HDR: next header not allowed in the SA's mode: tunnel takes 4
 *            and 41 only; transport anything but 0 (hop-by-hop), 4, 41
 *  DUMMY:    next header 59: a dummy packet (RFC 4303 2.6)
 *  SELECTOR: tunnel: inner source outside sel, or inner family not the
 *            selector's (RFC 3948 3.1.1)
 *  INNER:    inner packet malformed: tunnel IP version or length;
 *            transport UDP length, TCP under 20 bytes
 *  ECN:      tunnel: outer CE over a Not-ECT inner packet (RFC 6040
 *            4.2); authentic, its number taken
 */
#define UDPESP_DECAP_DROPS(X)                                               \
	X(HDR, "hdr-error", IN_HDR_ERROR, hdr_error)                        \
	X(REPLAY, "replay", IN_STATE_SEQ_ERROR, replay)                     \
	X(ICV, "icv-failed", IN_STATE_PROTO_ERROR, integrity_failed)        \
	X(PADDING, "bad-padding", DECAP_BAD_PADDING, bad_padding)           \
	X(NEXT_HDR, "bad-next-header", DECAP_BAD_NEXT_HDR, bad_next_header) \
	X(DUMMY, "dummy", DECAP_DUMMY, dummy)                               \
	X(SELECTOR, "selector-mismatch", IN_TMPL_MISMATCH, tmpl_mismatch)   \
	X(INNER, "inner-malformed", IN_STATE_MODE_ERROR, inner_error)       \
	X(ECN, "ecn-ce-not-ect", DECAP_ECN_DROP, ecn_dropped)

#define UDPESP_DECAP_ENUM(id, name, cnt, field) UDPESP_DROP_##id,
enum udpesp_decap_verdict {
	UDPESP_DECAP_OK = 0, /* delivered: DecapOk, the SA's packets and bytes */
	UDPESP_DECAP_DROPS(UDPESP_DECAP_ENUM) UDPESP_DECAP_VERDICT_MAX,
};
#undef UDPESP_DECAP_ENUM

static __always_inline const char *udpesp_decap_verdict_name(int v)
{
	switch (v) {
	case UDPESP_DECAP_OK:
		return "ok";
#define UDPESP_DECAP_NAME(id, name, cnt, field) \
	case UDPESP_DROP_##id:                  \
		return name;
		UDPESP_DECAP_DROPS(UDPESP_DECAP_NAME)
#undef UDPESP_DECAP_NAME
	default:
		return "unknown";
	}
}

/* The global counter a verdict moves; other values count as IN_ERROR. */
static __always_inline enum udpesp_counter udpesp_decap_counter(int v)
{
	switch (v) {
	case UDPESP_DECAP_OK:
		return UDPESP_CNT_DECAP_OK;
#define UDPESP_DECAP_CNT(id, name, cnt, field) \
	case UDPESP_DROP_##id:                 \
		return UDPESP_CNT_##cnt;
		UDPESP_DECAP_DROPS(UDPESP_DECAP_CNT)
#undef UDPESP_DECAP_CNT
	default:
		return UDPESP_CNT_IN_ERROR;
	}
}

#endif /* UDPESP_VERDICT_H */
