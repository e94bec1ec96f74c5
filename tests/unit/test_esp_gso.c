// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * esp_gso_*() and esp_gro_batch() against packets Scapy built
 * (build/gso_vectors.h from tests/unit/gen_gso_vectors.py): every
 * segment and every coalesced super-packet compared byte for byte, with
 * its virtio_net_hdr; then what must be refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <criterion/criterion.h>

#include "esp/esp_gro.h"
#include "esp/esp_gso.h"
#include "gso_vectors.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static void check_gso(const struct gso_vec *v)
{
	__u8 *in = malloc(v->in_len), seg[70000];
	struct virtio_net_hdr vh;
	const __u8 *want = v->out;
	struct esp_gso g;
	unsigned int i;
	long n;

	memcpy(in, v->in, v->in_len);
	memcpy(&vh, v->vh, sizeof(vh));
	cr_assert_eq(esp_gso_start(&g, &vh, in, v->in_len), 0, "%s: start", v->name);
	for (i = 0; (n = esp_gso_next(&g, seg, sizeof(seg))) > 0; i++) {
		cr_assert_lt(i, v->nsegs, "%s: more segments than %u", v->name, v->nsegs);
		cr_assert_eq(n, v->out_lens[i], "%s: segment %u is %ld bytes, not %u", v->name, i,
			     n, v->out_lens[i]);
		for (long b = 0; b < n; b++)
			cr_assert_eq(seg[b], want[b], "%s: segment %u byte %ld: %02x, not %02x",
				     v->name, i, b, seg[b], want[b]);
		want += n;
	}
	cr_assert_eq(n, 0, "%s: %ld", v->name, n);
	cr_assert_eq(i, v->nsegs, "%s: %u segments, not %u", v->name, i, v->nsegs);
	free(in);
}

Test(esp_gso, segments_as_the_kernel_cuts_them)
{
	cr_assert_geq(N_ELEM(gso_vecs), 13);
	for (size_t k = 0; k < N_ELEM(gso_vecs); k++)
		check_gso(&gso_vecs[k]);
}

static void check_gro(const struct gro_vec *v)
{
	struct esp_gro_item items[ESP_GRO_MAX];
	struct esp_gro_pkt pkts[ESP_GRO_MAX];
	__u16 next[ESP_GRO_MAX];
	const unsigned char *in = v->in, *want = v->out;
	unsigned int nitems, i;
	__u8 flat[70000];

	cr_assert_leq(v->npkts, ESP_GRO_MAX);
	for (i = 0; i < v->npkts; i++) {
		pkts[i].data = malloc(v->in_lens[i]);
		pkts[i].len = v->in_lens[i];
		memcpy(pkts[i].data, in, v->in_lens[i]);
		in += v->in_lens[i];
	}
	nitems = esp_gro_batch(pkts, v->npkts, items, next);
	cr_assert_eq(nitems, v->nitems, "%s: %u items, not %u", v->name, nitems, v->nitems);
	for (i = 0; i < nitems; i++) {
		const struct esp_gro_item *it = &items[i];
		size_t len = sizeof(it->vh);
		unsigned int count = 0;

		memcpy(flat, &it->vh, sizeof(it->vh));
		for (__u16 j = it->first; j != ESP_GRO_END; j = next[j], count++) {
			size_t skip = j == it->first ? 0 : it->skip;

			memcpy(flat + len, pkts[j].data + skip, pkts[j].len - skip);
			len += pkts[j].len - skip;
		}
		cr_assert_eq(count, it->count, "%s: item %u", v->name, i);
		cr_assert_eq(len, sizeof(it->vh) + it->len, "%s: item %u length", v->name, i);
		cr_assert_eq(len, v->out_lens[i], "%s: item %u is %zu bytes, not %u", v->name, i,
			     len, v->out_lens[i]);
		for (size_t b = 0; b < len; b++)
			cr_assert_eq(flat[b], want[b], "%s: item %u byte %zu: %02x, not %02x",
				     v->name, i, b, flat[b], want[b]);
		want += len;
	}
	for (i = 0; i < v->npkts; i++)
		free(pkts[i].data);
}

Test(esp_gro, merges_what_linux_gro_merges)
{
	cr_assert_geq(N_ELEM(gro_vecs), 30);
	for (size_t k = 0; k < N_ELEM(gro_vecs); k++)
		check_gro(&gro_vecs[k]);
}

/* A TCP/IPv4 packet with a payload of plen bytes, its lengths set. */
static size_t tcp4(__u8 *p, size_t plen)
{
	memset(p, 0, 40 + plen);
	p[0] = 0x45;
	p[2] = (40 + plen) >> 8;
	p[3] = (40 + plen) & 0xff;
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	p[12] = 192, p[13] = 0, p[14] = 2, p[15] = 1;
	p[16] = 192, p[17] = 0, p[18] = 2, p[19] = 2;
	p[32] = 5 << 4;
	p[33] = 0x10;
	return 40 + plen;
}

Test(esp_gso, refuses_what_does_not_describe_the_packet)
{
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				     .gso_size = 100,
				     .csum_start = 20,
				     .csum_offset = 16 };
	struct esp_gso g;
	__u8 p[400], seg[200];
	size_t len = tcp4(p, 300);

	cr_assert_eq(esp_gso_start(&g, &vh, p, len), 0);
	cr_expect_eq(esp_gso_next(&g, seg, 139), -ENOSPC, "a segment of 140 bytes in 139");
	cr_expect_eq(esp_gso_next(&g, seg, 140), 140, "the same segment again");
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EINVAL, "TCPV6 on IPv4");
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EINVAL, "UDP_L4 on TCP");
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EOPNOTSUPP, "UFO");
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.csum_start = 24;
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EINVAL, "csum_start not at TCP");
	vh.csum_start = 20;
	vh.gso_size = 0;
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EINVAL, "gso_size 0");
	vh.gso_size = 100;
	p[3]++;
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EINVAL, "IPv4 length not the packet's");
	p[3]--;
	p[32] = 4 << 4;
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EINVAL, "TCP header of 16 bytes");
	vh = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .csum_start = 20,
				      .csum_offset = len - 20 - 1 };
	cr_expect_eq(esp_gso_start(&g, &vh, p, len), -EINVAL, "checksum field past the end");
}

Test(esp_gro, not_ip_ends_every_open_item)
{
	__u8 a[1100], b[1100], c[8] = { 0 }, d[1100];
	struct esp_gro_pkt pkts[4] = {
		{ a, tcp4(a, 1000) },
		{ b, tcp4(b, 1000) },
		{ c, sizeof(c) },
		{ d, tcp4(d, 1000) },
	};
	struct esp_gro_item items[4];
	__u16 next[4];
	__u8 *all[3] = { a, b, d };

	/* b and d: the next segments (seq, IPv4 id); checksums valid. */
	for (int k = 0; k < 3; k++) {
		__u8 *p = all[k];
		__u32 seq = 1000u * k;
		__u16 csum;

		p[5] = k;
		p[24] = seq >> 24, p[25] = seq >> 16, p[26] = seq >> 8, p[27] = seq;
		csum = (__u16)~udpesp_csum_fold(udpesp_csum_add(0, p, 20));
		memcpy(p + 10, &csum, 2);
		csum = (__u16)~udpesp_csum_fold(esp_gso_pseudo(p, 4, IPPROTO_TCP, 1020) +
						udpesp_csum_add(0, p + 20, 1020));
		memcpy(p + 36, &csum, 2);
	}
	cr_assert_eq(esp_gro_batch(pkts, 4, items, next), 3);
	cr_expect_eq(items[0].count, 2);
	cr_expect_eq(items[1].first, 2);
	cr_expect_eq(items[2].first, 3);
	cr_expect_eq(items[2].count, 1, "d does not join the item before c");
}

/* ---- round trip: what esp_gro merges, esp_gso cuts back into the same packets ---- */

struct rt_flow {
	__u8 family, proto, tos;
	__u16 sport, id;
	__u32 seq;
};

static unsigned int rt_rand(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void rt_put16(__u8 *p, unsigned int v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* A packet of flow f with plen payload bytes and TCP flags fl; its length. */
static size_t rt_packet(__u8 *p, struct rt_flow *f, size_t plen, __u8 fl, unsigned int *s)
{
	size_t ip = f->family == 4 ? 20 : 40, l4 = f->proto == IPPROTO_TCP ? 32 : 8;
	size_t len = ip + l4 + plen;
	__u8 *th = p + ip;
	__u16 c;

	memset(p, 0, ip + l4);
	if (f->family == 4) {
		p[0] = 0x45, p[1] = f->tos, p[6] = 0x40, p[8] = 64, p[9] = f->proto;
		rt_put16(p + 2, len);
		rt_put16(p + 4, f->id++);
		p[12] = 192, p[13] = 0, p[14] = 2, p[15] = 1;
		p[16] = 198, p[17] = 51, p[18] = 100, p[19] = 2;
		c = (__u16)~udpesp_csum_fold(udpesp_csum_add(0, p, 20));
		memcpy(p + 10, &c, 2);
	} else {
		p[0] = 0x60 | f->tos >> 4, p[1] = (__u8)(f->tos << 4), p[6] = f->proto, p[7] = 64;
		rt_put16(p + 4, len - 40);
		p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
		p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
	}
	rt_put16(th, f->sport);
	rt_put16(th + 2, 443);
	for (size_t i = 0; i < plen; i++)
		p[ip + l4 + i] = (__u8)rt_rand(s);
	if (f->proto == IPPROTO_TCP) {
		th[4] = f->seq >> 24, th[5] = f->seq >> 16, th[6] = f->seq >> 8, th[7] = f->seq;
		f->seq += plen;
		th[11] = 9;
		th[12] = 8 << 4;
		th[13] = fl;
		th[14] = 1;
		th[20] = 1, th[21] = 1, th[22] = 8, th[23] = 10, th[27] = 7; /* NOP NOP TS */
	} else {
		rt_put16(th + 4, l4 + plen);
	}
	c = (__u16)~udpesp_csum_fold(esp_gso_pseudo(p, f->family, f->proto, len - ip) +
				     udpesp_csum_add(0, th, len - ip));
	if (f->proto == IPPROTO_UDP && !c)
		c = 0xffff;
	memcpy(th + (f->proto == IPPROTO_TCP ? 16 : 6), &c, 2);
	return len;
}

/*
 * One item: its packets in order, its length as said; cut by esp_gso
 * with its virtio_net_hdr, exactly the packets it was made of (orig).
 * Returns the number of packets in it.
 */
static unsigned int rt_check_item(const struct esp_gro_item *it, const struct esp_gro_pkt *pkts,
				  const __u16 *next, __u8 (*orig)[1600], int round)
{
	static __u8 flat[70000], seg[70000];
	unsigned int prev = it->first, count = 0;
	struct esp_gso g;
	size_t len = 0;
	long m;

	cr_assert_leq(it->len, 0xffff);
	for (__u16 j = it->first; j != ESP_GRO_END; j = next[j], count++) {
		size_t skip = j == it->first ? 0 : it->skip;

		cr_assert(j == it->first || j > prev, "round %d: packets in order", round);
		prev = j;
		memcpy(flat + len, pkts[j].data + skip, pkts[j].len - skip);
		len += pkts[j].len - skip;
	}
	cr_assert_eq(count, it->count);
	cr_assert_eq(len, it->len);
	cr_assert_eq(esp_gso_start(&g, &it->vh, flat, len), 0, "round %d", round);
	for (__u16 j = it->first; j != ESP_GRO_END; j = next[j]) {
		m = esp_gso_next(&g, seg, sizeof(seg));
		cr_assert_eq(m, pkts[j].len, "round %d packet %u: %ld bytes, not %u", round, j, m,
			     pkts[j].len);
		cr_assert(!memcmp(seg, orig[j], m), "round %d packet %u differs", round, j);
	}
	cr_assert_eq(esp_gso_next(&g, seg, sizeof(seg)), 0);
	return count;
}

/* A random batch of up to ESP_GRO_MAX packets of four flows; how many. */
static unsigned int rt_batch(struct esp_gro_pkt *pkts, __u8 (*buf)[1600], unsigned int *s)
{
	static const __u8 flags[] = { 0x10, 0x10, 0x10, 0x10, 0x18, 0x11, 0x90, 0x50, 0x12, 0x14 };
	struct rt_flow fl[4] = {
		{ 4, IPPROTO_TCP, 0, 1000, 1, 7 },
		{ 6, IPPROTO_TCP, 0, 1001, 0, 0xfffff000 },
		{ 4, IPPROTO_UDP, 0, 1002, 0xfff0, 0 },
		{ 6, IPPROTO_UDP, 0x20, 1003, 0, 0 },
	};
	unsigned int n = 1 + rt_rand(s) % ESP_GRO_MAX;

	for (unsigned int i = 0; i < n; i++) {
		struct rt_flow *f = &fl[rt_rand(s) % (1 + rt_rand(s) % 4)];
		unsigned int r = rt_rand(s) % 16;
		size_t plen = r < 12 ? 1000 : r < 15 ? rt_rand(s) % 1001 : 0;
		__u8 tcp_flags = flags[rt_rand(s) % sizeof(flags)];

		if (r == 15 && f->proto == IPPROTO_TCP)
			f->seq += 1000; /* a hole */
		if (rt_rand(s) % 20 == 0)
			f->tos ^= 4;
		pkts[i].len = rt_packet(buf[i], f, plen, tcp_flags, s);
		pkts[i].data = buf[i];
		/* Now and then a bad checksum (TCP/UDP, or the IPv4 header's). */
		if (rt_rand(s) % 40 == 0)
			buf[i][pkts[i].len - 1] ^= 1;
	}
	return n;
}

Test(esp_gro, items_cut_by_esp_gso_give_back_the_packets)
{
	static __u8 buf[ESP_GRO_MAX][1600], orig[ESP_GRO_MAX][1600];
	struct esp_gro_item items[ESP_GRO_MAX];
	struct esp_gro_pkt pkts[ESP_GRO_MAX];
	__u16 next[ESP_GRO_MAX];
	unsigned int s = 4303, merged = 0;

	for (int round = 0; round < 400; round++) {
		unsigned int n = rt_batch(pkts, buf, &s), nitems, seen = 0;

		for (unsigned int i = 0; i < n; i++)
			memcpy(orig[i], buf[i], pkts[i].len);
		nitems = esp_gro_batch(pkts, n, items, next);
		for (unsigned int k = 0; k < nitems; k++) {
			unsigned int count = rt_check_item(&items[k], pkts, next, orig, round);

			cr_assert(k == 0 || items[k].first > items[k - 1].first, "items in order");
			seen += count;
			merged += count > 1;
		}
		cr_assert_eq(seen, n, "round %d: every packet in one item", round);
	}
	cr_assert_gt(merged, 100, "only %u items of several packets", merged);
}
