/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * kernel_ipsec_t on udpespd: SAs through the control socket, policies as
 * routes into udpesp0 (kernel_udpesp_routes.h), udpespd's events back to
 * charon (kernel_udpesp_events.h).
 */
#ifndef KERNEL_UDPESP_IPSEC_H_
#define KERNEL_UDPESP_IPSEC_H_

#include <library.h>
#include <kernel/kernel_ipsec.h>

#define KERNEL_UDPESP_NAME "kernel-udpesp"

typedef struct kernel_udpesp_ipsec_t kernel_udpesp_ipsec_t;

struct kernel_udpesp_ipsec_t {
	kernel_ipsec_t interface;
};

/*
 * Never NULL: when udpespd cannot be reached the backend still takes
 * charon's IPsec role (no silent fall-back to XFRM), says why at level 0
 * and fails every SA until udpespd answers (reconnecting with backoff).
 */
kernel_udpesp_ipsec_t *kernel_udpesp_ipsec_create(void);

#endif /* KERNEL_UDPESP_IPSEC_H_ */
