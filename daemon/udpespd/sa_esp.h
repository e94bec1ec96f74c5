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
 * The inbound rules on the selector and the original address: a sel
 * without family or with a /0 prefix takes any inner source, an
 * original address of 0.0.0.0 or :: (ip xfrm's spelling) is unknown;
 * both then come out with family 0.
 */
void sa_esp_sel_src(struct esp_addr *a, const struct udpesp_ctl_sa *cfg);
void sa_esp_orig_src(struct esp_addr *a, const struct udpesp_ctl_sa *cfg);

/*
 * What esp_decap() needs of an inbound SA: mode, ESN, sel_src and
 * orig_src from cfg, the rest as given. The pointers are kept.
 */
void sa_esp_decap_sa(struct esp_decap_sa *d, const struct udpesp_ctl_sa *cfg,
		     const struct esp_suite *suite, struct esp_crypto *crypto,
		     struct udpesp_replay *replay);

/* What esp_encap_sa_init() takes of an outbound SA. */
void sa_esp_encap_params(struct esp_encap_params *p, const struct udpesp_ctl_sa *cfg);

#endif /* UDPESP_SA_ESP_H */
