/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packets for the XDP benchmark, built field by field in C. Kept local to
 * tests/bench so the benchmark does not move when the BPF tests' builder
 * changes. Addresses come from the documentation ranges only.
 */
#ifndef UDPESP_BENCH_PKT_H
#define UDPESP_BENCH_PKT_H

#include <stddef.h>
#include <linux/types.h>

/* Large enough for Ethernet + IPv4 + UDP + a small ESP packet. */
#define BENCH_PKT_MAX 256

struct bench_pkt {
	__u8 data[BENCH_PKT_MAX];
	__u32 len;
};

/* Ethernet + IPv4 (no options, DF) + UDP around payload; addresses in text. */
int bench_pkt_udp4(struct bench_pkt *p, const char *saddr, const char *daddr, __u16 sport,
		   __u16 dport, const void *payload, size_t plen);

/*
 * ESP payload (RFC 4303) of plen bytes: SPI, sequence number, then an
 * 8-byte IV, "ciphertext" and a 16-byte ICV as filler. XDP never decrypts,
 * so only the header and the length matter.
 */
int bench_esp_payload(__u8 *buf, size_t plen, __u32 spi, __u32 seq);

#endif /* UDPESP_BENCH_PKT_H */
