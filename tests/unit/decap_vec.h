/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The types of the frames gen_decap_frames.py writes to decap_frames.h
 * (Scapy-built ESP for every suite, mode and failure), for the tests that
 * run them: esp_decap() (tests/unit) and the kfunc backend (tests/bpf).
 * Include this, then "decap_frames.h".
 */
#ifndef UDPESP_TEST_DECAP_VEC_H
#define UDPESP_TEST_DECAP_VEC_H

#include <stdbool.h>
#include <linux/types.h>
#include <udpesp/ctl.h>

#include "esp/esp_decap.h"

struct decap_suite {
	const char *name, *aead, *enc, *auth;
	__u32 bits, key_len, auth_key_len;
	__u8 key[UDPESP_KEY_MAX];
	__u8 auth_key[UDPESP_KEY_MAX];
};

struct vec_addr {
	__u8 family, prefixlen;
	__u8 addr[16];
};

struct decap_vec {
	const char *name, *scenario;
	int suite;
	__u8 mode;
	bool esn;
	__u32 window;
	__u64 top;
	__u64 seen[4]; /* numbers already received */
	int nseen;
	struct vec_addr sel_src, orig_src;
	const __u8 *frame;
	__u32 frame_len;
	__u16 l3_off, l4_off, esp_off;
	__u8 family;
	enum udpesp_decap_verdict verdict;
	__u64 seq;
	__u32 esp_len;
	__u8 next_header, inner_family;
	const __u8 *inner; /* the packet the host stack must get */
	__u32 inner_len;
};

#endif /* UDPESP_TEST_DECAP_VEC_H */
