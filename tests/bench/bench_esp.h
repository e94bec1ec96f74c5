/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Real ESP-in-UDP traffic for the benchmarks: one inbound SA per suite
 * with random keys (which stay in memory), and frames encrypted under it
 * with esp_crypto, so every frame carries a valid ICV and its own
 * sequence number. Addresses are given as text (documentation ranges).
 */
#ifndef UDPESP_BENCH_ESP_H
#define UDPESP_BENCH_ESP_H

#include <linux/types.h>
#include <udpesp/ctl.h>

#include "esp/esp_crypto.h"
#include "common/sa_check.h"

#define BENCH_NSUITES 3
/* Those and RFC 8221's other suites, for the crypto ceiling alone. */
#define BENCH_NSUITES_CRYPTO 15
#define BENCH_NATT_PORT 4500

/* Frame layout: Ethernet, IPv4 (no options), UDP, ESP. */
#define BENCH_IP_OFF 14u
#define BENCH_UDP_OFF 34u
#define BENCH_ESP_OFF 42u

struct bench_suite {
	const char *name;	 /* "aes-gcm-128", ... */
	struct udpesp_ctl_sa sa; /* as sent to udpespd; holds the keys */
	struct esp_suite s;
	struct esp_crypto *c;
	__u32 next_seq;
};

/* Where frames go: outer addresses and MACs, inner addresses and ports. */
struct bench_flow {
	const char *src, *dst; /* outer IPv4 */
	const __u8 *src_mac, *dst_mac;
	const char *inner_src, *inner_dst; /* inner IPv4 */
	__u16 inner_sport, inner_dport;
};

/*
 * Suite i (0 AES-GCM-128, 1 ChaCha20-Poly1305, 2 AES-CBC-128 +
 * HMAC-SHA-256) as an inbound tunnel-mode ESP-in-UDP 4500 SA from src to
 * dst with fresh random keys, checked by sa_check() and with its crypto
 * context ready. offload: enum udpesp_offload. Dies on failure.
 */
void bench_suite_init(struct bench_suite *s, int i, __u32 spi, const char *src, const char *dst,
		      __u32 replay_window, __u8 offload);
/* Wipe the keys and free the context. */
void bench_suite_free(struct bench_suite *s);

void bench_eth_hdr(__u8 *p, const __u8 *dst, const __u8 *src);
/* IPv4 header without options, DF, TTL 64; checksum filled in. */
void bench_ip4_hdr(__u8 *p, __u16 tot_len, __u8 proto, const char *src, const char *dst, __u16 id);
/* The inner packet: IPv4/UDP of size bytes in all, payload from seq. */
void bench_inner_packet(__u8 *p, const struct bench_flow *fl, __u32 size, __u32 seq);

/*
 * One ESP-in-UDP frame (Ethernet first) of an inner packet of size bytes,
 * encrypted under s with sequence number seq (the IV derives from seq:
 * never repeated). Returns the frame's length; f needs room for
 * BENCH_ESP_OFF + 8 + IV + size + padding + 2 + ICV bytes (size + 100).
 */
__u32 bench_esp_frame(struct bench_suite *s, struct esp_crypto_thread *t,
		      const struct bench_flow *fl, __u32 size, __u32 seq, __u8 *f);

#endif /* UDPESP_BENCH_ESP_H */
