// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Control-protocol SAs in the ESP engine's terms (see sa_esp.h). */
#include <string.h>

#include "sa_esp.h"

void sa_esp_addr(struct esp_addr *a, const struct udpesp_ctl_addr *c)
{
	memset(a, 0, sizeof(*a));
	if (!c->family)
		return;
	a->family = c->family;
	a->prefixlen = c->prefixlen;
	memcpy(a->addr, c->addr, sizeof(a->addr));
}

unsigned int sa_esp_nsel(const struct udpesp_ctl_sa *cfg)
{
	return cfg->nsel < UDPESP_SEL_MAX ? cfg->nsel : UDPESP_SEL_MAX;
}

unsigned int sa_esp_sels(struct esp_sel *sel, const struct udpesp_ctl_sa *cfg)
{
	unsigned int n = sa_esp_nsel(cfg);

	for (unsigned int i = 0; i < n; i++) {
		const struct udpesp_ctl_sel *c = &cfg->sel[i];

		memset(&sel[i], 0, sizeof(sel[i]));
		/* Inbound transport mode: the outer addresses, a NAT's to change. */
		if (cfg->dir != UDPESP_DIR_IN || cfg->mode != UDPESP_MODE_TRANSPORT) {
			sa_esp_addr(&sel[i].src, &c->src);
			sa_esp_addr(&sel[i].dst, &c->dst);
		}
		sel[i].proto = c->proto;
		sel[i].sport[0] = c->sport_lo;
		sel[i].sport[1] = c->sport_hi;
		sel[i].dport[0] = c->dport_lo;
		sel[i].dport[1] = c->dport_hi;
	}
	return n;
}

void sa_esp_orig_src(struct esp_addr *a, const struct udpesp_ctl_sa *cfg)
{
	static const __be32 zero[4];

	memset(a, 0, sizeof(*a));
	if (cfg->encap_oa.family && memcmp(cfg->encap_oa.addr, zero, sizeof(zero)))
		sa_esp_addr(a, &cfg->encap_oa);
}

void sa_esp_decap_sa(struct esp_decap_sa *d, const struct udpesp_ctl_sa *cfg,
		     const struct esp_suite *suite, struct esp_crypto *crypto,
		     struct udpesp_replay *replay, const struct esp_sel *sel, unsigned int nsel)
{
	memset(d, 0, sizeof(*d));
	d->suite = suite;
	d->crypto = crypto;
	d->replay = replay;
	d->mode = cfg->mode;
	d->esn = cfg->flags & UDPESP_CTL_SA_ESN;
	d->sel = sel;
	d->nsel = nsel;
	sa_esp_orig_src(&d->orig_src, cfg);
}

void sa_esp_encap_params(struct esp_encap_params *p, const struct udpesp_ctl_sa *cfg)
{
	memset(p, 0, sizeof(*p));
	p->spi = cfg->spi;
	p->mode = cfg->mode;
	p->esn = cfg->flags & UDPESP_CTL_SA_ESN;
	p->tfcpad = cfg->tfcpad;
	sa_esp_addr(&p->src, &cfg->src);
	sa_esp_addr(&p->dst, &cfg->dst);
	p->sport = cfg->encap_sport;
	p->dport = cfg->encap_dport;
	p->oseq = (__u64)cfg->replay_oseq_hi << 32 | cfg->replay_oseq;
}
