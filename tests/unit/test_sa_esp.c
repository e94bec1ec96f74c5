// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespd's conversion of control-protocol SAs into the ESP engine's
 * types (udpespd/sa_esp.c): every field carried, and the rules both
 * decap backends take from it (a /0 selector and an original address
 * of 0.0.0.0 or :: mean none).
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "udpespd/sa_esp.h"

static void ctl(struct udpesp_ctl_addr *a, const char *s, __u8 plen)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = UDPESP_AF_INET;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, s, a->addr), 1, "%s", s);
		a->family = UDPESP_AF_INET6;
	}
	a->prefixlen = plen;
}

static void addr_is(const struct esp_addr *a, const struct udpesp_ctl_addr *c)
{
	cr_assert_eq(a->family, c->family);
	cr_assert_eq(a->prefixlen, c->prefixlen);
	cr_assert_eq(memcmp(a->addr, c->addr, 16), 0);
}

static bool is_none(const struct esp_addr *a)
{
	static const struct esp_addr zero;

	return !memcmp(a, &zero, sizeof(zero));
}

Test(sa_esp, outbound_params_carry_every_field)
{
	struct udpesp_ctl_sa cfg = {
		.dir = UDPESP_DIR_OUT,
		.mode = UDPESP_MODE_TRANSPORT,
		.spi = htonl(0xc0ffee),
		.flags = UDPESP_CTL_SA_ESN,
		.encap_sport = htons(4500),
		.encap_dport = htons(31000),
		.replay_oseq = 0x89abcdef,
		.replay_oseq_hi = 0x1234567,
		.tfcpad = 1200,
	};
	struct esp_encap_params p;

	ctl(&cfg.src, "2001:db8::1", 128);
	ctl(&cfg.dst, "2001:db8:1::2", 128);
	sa_esp_encap_params(&p, &cfg);
	cr_assert_eq(p.spi, htonl(0xc0ffee));
	cr_assert_eq(p.mode, UDPESP_MODE_TRANSPORT);
	cr_assert(p.esn);
	cr_assert_eq(p.tfcpad, 1200);
	addr_is(&p.src, &cfg.src);
	addr_is(&p.dst, &cfg.dst);
	cr_assert_eq(p.sport, htons(4500));
	cr_assert_eq(p.dport, htons(31000));
	cr_assert_eq(p.oseq, 0x0123456789abcdefULL);

	cfg.flags = 0;
	sa_esp_encap_params(&p, &cfg);
	cr_assert_not(p.esn);
}

Test(sa_esp, inbound_selectors_and_original_address)
{
	struct udpesp_ctl_sa cfg = { .dir = UDPESP_DIR_IN, .mode = UDPESP_MODE_TUNNEL };
	struct esp_sel sel[UDPESP_SEL_MAX];
	struct udpesp_replay replay;
	struct esp_suite suite;
	struct esp_decap_sa d;

	cfg.nsel = 2;
	ctl(&cfg.sel[0].src, "203.0.113.0", 24);
	ctl(&cfg.sel[0].dst, "192.0.2.0", 25);
	cfg.sel[1].proto = 6;
	cfg.sel[1].sport_lo = 1024;
	cfg.sel[1].sport_hi = 65535;
	cfg.sel[1].dport_lo = cfg.sel[1].dport_hi = 443;
	ctl(&cfg.encap_oa, "198.51.100.9", 32);
	cr_assert_eq(sa_esp_sels(sel, &cfg), 2);
	sa_esp_decap_sa(&d, &cfg, &suite, NULL, &replay, sel, 2);
	cr_assert_eq(d.suite, &suite);
	cr_assert_eq(d.replay, &replay);
	cr_assert_eq(d.mode, UDPESP_MODE_TUNNEL);
	cr_assert_not(d.esn);
	cr_assert_eq(d.sel, sel);
	cr_assert_eq(d.nsel, 2);
	addr_is(&sel[0].src, &cfg.sel[0].src);
	addr_is(&sel[0].dst, &cfg.sel[0].dst);
	cr_assert(is_none(&sel[1].src) && is_none(&sel[1].dst));
	cr_assert_eq(sel[1].proto, 6);
	cr_assert(sel[1].sport[0] == 1024 && sel[1].sport[1] == 65535);
	cr_assert(sel[1].dport[0] == 443 && sel[1].dport[1] == 443);
	addr_is(&d.orig_src, &cfg.encap_oa);

	/* A /0 prefix keeps its family: it takes any address of that family. */
	cfg.nsel = 1;
	ctl(&cfg.sel[0].src, "0.0.0.0", 0);
	/* 0.0.0.0 and :: are how ip xfrm says "original address unknown". */
	ctl(&cfg.encap_oa, "::", 128);
	cfg.flags = UDPESP_CTL_SA_ESN;
	cr_assert_eq(sa_esp_sels(sel, &cfg), 1);
	addr_is(&sel[0].src, &cfg.sel[0].src);
	sa_esp_decap_sa(&d, &cfg, &suite, NULL, &replay, sel, 1);
	cr_assert(is_none(&d.orig_src));
	cr_assert(d.esn);

	/*
	 * Inbound transport mode: protocol and ports only (the addresses
	 * would meet the outer ones, which a NAT rewrites); outbound keeps
	 * them, to choose among peers.
	 */
	cfg.mode = UDPESP_MODE_TRANSPORT;
	ctl(&cfg.sel[0].dst, "192.0.2.1", 32);
	cfg.sel[0].proto = 17;
	cfg.sel[0].dport_lo = cfg.sel[0].dport_hi = 1701;
	cr_assert_eq(sa_esp_sels(sel, &cfg), 1);
	cr_assert(is_none(&sel[0].src) && is_none(&sel[0].dst));
	cr_assert(sel[0].proto == 17 && sel[0].dport[0] == 1701 && sel[0].dport[1] == 1701);
	cfg.dir = UDPESP_DIR_OUT;
	cr_assert_eq(sa_esp_sels(sel, &cfg), 1);
	addr_is(&sel[0].dst, &cfg.sel[0].dst);
	cfg.dir = UDPESP_DIR_IN;
	cfg.mode = UDPESP_MODE_TUNNEL;

	/* No selector: every packet; more than UDPESP_SEL_MAX are never read. */
	cfg.nsel = 0;
	memset(&cfg.encap_oa, 0, sizeof(cfg.encap_oa));
	cr_assert_eq(sa_esp_sels(sel, &cfg), 0);
	sa_esp_decap_sa(&d, &cfg, &suite, NULL, &replay, sel, 0);
	cr_assert(is_none(&d.orig_src));
	cfg.nsel = 1000;
	cr_assert_eq(sa_esp_sels(sel, &cfg), UDPESP_SEL_MAX);
}
