// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Packet builder of the XDP benchmark (see bench_pkt.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <udpesp/csum.h>

#include "bench_pkt.h"

/* Locally administered MACs: nothing in the benchmark looks at them. */
static const __u8 mac_dst[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const __u8 mac_src[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

int bench_pkt_udp4(struct bench_pkt *p, const char *saddr, const char *daddr, __u16 sport,
		   __u16 dport, const void *payload, size_t plen)
{
	size_t len = sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr) + plen;
	struct ethhdr *eth = (void *)p->data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *udp = (void *)(iph + 1);

	if (len > sizeof(p->data))
		return -EMSGSIZE;
	memset(p, 0, sizeof(*p));
	memcpy(eth->h_dest, mac_dst, ETH_ALEN);
	memcpy(eth->h_source, mac_src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);

	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons(len - sizeof(*eth));
	iph->id = htons(1);
	iph->frag_off = htons(0x4000); /* DF, so never mistaken for a fragment */
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	if (inet_pton(AF_INET, saddr, &iph->saddr) != 1 ||
	    inet_pton(AF_INET, daddr, &iph->daddr) != 1)
		return -EINVAL;
	iph->check = udpesp_csum(iph, sizeof(*iph));

	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons(sizeof(*udp) + plen);
	udp->check = 0; /* allowed over IPv4, and RFC 3948 recommends it */
	memcpy(udp + 1, payload, plen);
	p->len = len;
	return 0;
}

int bench_esp_payload(__u8 *buf, size_t plen, __u32 spi, __u32 seq)
{
	__be32 be;

	/* SPI, sequence number, IV and ICV at the least. */
	if (plen < 8 + 8 + 16)
		return -EINVAL;
	be = htonl(spi);
	memcpy(buf, &be, 4);
	be = htonl(seq);
	memcpy(buf + 4, &be, 4);
	for (size_t i = 8; i < plen; i++)
		buf[i] = (__u8)(0xa5 ^ i);
	return 0;
}
