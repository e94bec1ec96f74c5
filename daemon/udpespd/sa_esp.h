/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A control-protocol SA (struct udpesp_ctl_sa, as sa_check() accepted
 * it) in the ESP engine's terms: the engine knows nothing of the
 * protocol, so udpespd converts here, once for every backend (the AF_XDP
 * workers, the send path, the kfunc backend) and for the tests.
 */
#ifndef UDPESP_SA_ESP_H
#define UDPESP_SA_ESP_H

#include <udpesp/ctl.h>

#include "esp/esp_addr.h"
#include "esp/esp_decap.h"
#include "esp/esp_encap.h"

/* An address or prefix as it is; a zeroed one for family 0. */
void sa_esp_addr(struct esp_addr *a, const struct udpesp_ctl_addr *c);

/*
 * The SA's selectors (at most UDPESP_SEL_MAX) into sel; their number.
 * An address of family 0 takes any; one with a /0 prefix any of its
 * family. An inbound transport-mode SA's come without addresses: they
 * would be matched against the outer ones, which a NAT rewrites.
 */
unsigned int sa_esp_sels(struct esp_sel *sel, const struct udpesp_ctl_sa *cfg);
/* How many sa_esp_sels() writes. */
unsigned int sa_esp_nsel(const struct udpesp_ctl_sa *cfg);

/*
 * The original address: 0.0.0.0 or :: (ip xfrm's spelling) is unknown,
 * and comes out with family 0.
 */
void sa_esp_orig_src(struct esp_addr *a, const struct udpesp_ctl_sa *cfg);

/*
 * What esp_decap() needs of an inbound SA: mode, ESN and orig_src
 * from cfg, the rest as given (sel from sa_esp_sels()). The pointers
 * are kept.
 */
void sa_esp_decap_sa(struct esp_decap_sa *d, const struct udpesp_ctl_sa *cfg,
		     const struct esp_suite *suite, struct esp_crypto *crypto,
		     struct udpesp_replay *replay, const struct esp_sel *sel, unsigned int nsel);

/* What esp_encap_sa_init() takes of an outbound SA. */
void sa_esp_encap_params(struct esp_encap_params *p, const struct udpesp_ctl_sa *cfg);

#endif /* UDPESP_SA_ESP_H */
