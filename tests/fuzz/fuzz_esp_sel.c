// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer: traffic selectors (esp/esp_sel.c) on arbitrary inner
 * packets. The input is a packet; its own fields make selectors whose
 * answer is known, which must hold whatever the bytes:
 *
 *  - parsing never reads past len (ASan) and only IPv4/IPv6 parse;
 *  - the empty selector, and a list of none, take every packet;
 *  - the selector made of the packet's own addresses (host prefixes),
 *    protocol and ports (when known) takes it; with any of them moved
 *    by one it does not; a port selector never takes a packet whose
 *    ports are unknown;
 *  - esp_sel_find() returns the first that matches;
 *  - the lookup order is antisymmetric.
 */
#include <stdlib.h>
#include <string.h>
#include <udpesp/abi.h>

#include "esp/esp_sel.h"

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size);

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static void host(struct esp_addr *a, __u8 family, const __be32 *addr)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->prefixlen = family == UDPESP_AF_INET ? 32 : 128;
	memcpy(a->addr, addr, sizeof(a->addr));
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	static const struct esp_sel any;
	struct esp_sel own, other[2];
	struct esp_sel_pkt k;
	__u8 *p;

	/* A copy of exactly size bytes: ASan sees any read past the end. */
	p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	if (!esp_sel_pkt_parse(p, size, &k)) {
		CHECK(size < 20 || (p[0] >> 4 != 4 && p[0] >> 4 != 6) ||
		      (p[0] >> 4 == 6 && size < 40));
		free(p);
		return 0;
	}
	CHECK(k.family == (p[0] >> 4 == 4 ? UDPESP_AF_INET : UDPESP_AF_INET6));
	CHECK(esp_sel_match(&any, &k));
	CHECK(esp_sel_find(NULL, 0, &k) == 0);

	memset(&own, 0, sizeof(own));
	host(&own.src, k.family, k.src);
	host(&own.dst, k.family, k.dst);
	own.proto = k.proto;
	if (k.ports) {
		own.sport[0] = own.sport[1] = k.sport;
		own.dport[0] = own.dport[1] = k.dport;
	}
	CHECK(esp_sel_match(&own, &k));

	/* The destination's last byte moved: not taken. */
	other[0] = own;
	((__u8 *)other[0].dst.addr)[k.family == UDPESP_AF_INET ? 3 : 15] ^= 1;
	CHECK(!esp_sel_match(&other[0], &k));
	/* Another family: not taken. */
	other[1] = own;
	other[1].src.family = k.family == UDPESP_AF_INET ? UDPESP_AF_INET6 : UDPESP_AF_INET;
	CHECK(!esp_sel_match(&other[1], &k));
	CHECK(esp_sel_find(other, 2, &k) == -1);
	other[1] = own;
	CHECK(esp_sel_find(other, 2, &k) == 1);
	if (k.proto) {
		other[0] = own;
		other[0].proto = k.proto % 255 + 1; /* another, never 0 (any) */
		CHECK(!esp_sel_match(&other[0], &k));
	}
	if (k.ports && k.dport != 0xffff) {
		other[0] = own;
		other[0].dport[0] = other[0].dport[1] = k.dport + 1;
		CHECK(!esp_sel_match(&other[0], &k));
	}
	if (!k.ports) {
		other[0] = own;
		other[0].dport[0] = 1;
		other[0].dport[1] = 0xffff;
		CHECK(!esp_sel_match(&other[0], &k));
	}
	CHECK(esp_sel_cmp_specific(&own, &own) == 0);
	CHECK((esp_sel_cmp_specific(&own, &any) < 0) == (esp_sel_cmp_specific(&any, &own) > 0));
	free(p);
	return 0;
}
