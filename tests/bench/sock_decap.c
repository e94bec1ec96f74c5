// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The socket baseline (see sock_decap.h). esp_decap() wants the frame
 * as udpesp_xdp hands it (Ethernet, IPv4, UDP, ESP, with metadata), so
 * each datagram is read into a slot behind a 42-byte outer header
 * written for it from a template (length and IPv4 checksum): a few ns
 * per packet that a userspace VPN with its own parser would not spend,
 * against the microseconds the socket and TUN take.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <udpesp/csum.h>

#include "esp/esp_decap.h"
#include "udpespd/tun.h"
#include "bench_net.h"
#include "bench_util.h"
#include "sock_decap.h"

#define BATCH 64u
#define SLOT 2048u
#define RCVBUF (4 << 20)

/* The outer header esp_decap() checks, as udpesp_xdp would hand it over. */
static void outer_hdr(__u8 *f, const __u8 *tmpl, __u32 len)
{
	__u8 *ip = f + BENCH_IP_OFF;
	__u16 csum;

	memcpy(f, tmpl, BENCH_ESP_OFF);
	ip[2] = (28 + len) >> 8;
	ip[3] = (28 + len) & 0xff;
	ip[10] = ip[11] = 0;
	csum = udpesp_csum(ip, 20);
	memcpy(ip + 10, &csum, 2);
	f[BENCH_UDP_OFF + 4] = (8 + len) >> 8;
	f[BENCH_UDP_OFF + 5] = (8 + len) & 0xff;
}

void sock_decap_run(const struct bench_suite *s, const char *addr, const char *tun, int cpu,
		    struct sock_decap_stats *st)
{
	const struct udpesp_xdp_meta meta = {
		.magic = UDPESP_META_MAGIC,
		.l3_off = BENCH_IP_OFF,
		.l4_off = BENCH_UDP_OFF,
		.esp_off = BENCH_ESP_OFF,
		.family = UDPESP_AF_INET,
	};
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(BENCH_NATT_PORT) };
	static struct udpesp_replay replay;
	struct esp_decap_sa sa = {
		.suite = &s->s, .crypto = s->c, .replay = &replay, .mode = UDPESP_MODE_TUNNEL
	};
	struct esp_crypto_thread *ct = esp_crypto_thread_new();
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	__u8 tmpl[BENCH_ESP_OFF] = { 0 };
	int rcvbuf = RCVBUF, fd, tun_fd;
	__u8 *buf = aligned_alloc(64, (size_t)BATCH * SLOT);

	if (!ct || !buf)
		die("sock_decap: out of memory");
	pin_to(cpu);
	replay.window = s->sa.replay_window;
	tun_fd = tun_open_queue(tun);
	if (tun_fd < 0 || tun_set_up(tun))
		die("sock_decap: TUN %s: %s", tun, strerror(tun_fd < 0 ? -tun_fd : errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("sock_decap: UDP socket on %s:%d: %s", addr, BENCH_NATT_PORT, strerror(errno));
	bench_ip4_hdr(tmpl + BENCH_IP_OFF, 0, IPPROTO_UDP, "192.0.2.2", addr, 0);
	memset(msg, 0, sizeof(msg));
	for (__u32 i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf + (size_t)i * SLOT + BENCH_ESP_OFF;
		iov[i].iov_len = SLOT - BENCH_ESP_OFF;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	__atomic_store_n(&st->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		int n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("sock_decap: recvmmsg: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			__u8 *f = buf + (size_t)i * SLOT;
			__u32 len = msg[i].msg_len;
			struct esp_decap_out out;
			__u8 *esp = f + BENCH_ESP_OFF;

			outer_hdr(f, tmpl, len);
			if (len < 8 || memcmp(esp, &s->sa.spi, 4) ||
			    esp_decap(&sa, ct, f, BENCH_ESP_OFF + len, &meta, &out) !=
				    UDPESP_DECAP_OK) {
				st->refused++;
				continue;
			}
			if (write(tun_fd, f + out.inner_off, out.inner_len) !=
			    (ssize_t)out.inner_len)
				die("sock_decap: write to %s: %s", tun, strerror(errno));
			st->ok++;
		}
		st->received += n;
	}
}
