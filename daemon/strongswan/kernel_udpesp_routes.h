/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * udpesp has no policy engine: an outbound policy becomes a route for its
 * destination traffic selector through the udpesp interface (udpesp0),
 * installed with charon->kernel->add_route() (kernel-netlink), and, when
 * that selector covers the IKE peer itself, a host route to the peer
 * outside the tunnel. Both are reference-counted: rekeyed CHILD_SAs and
 * several source selectors install the same route again.
 */
#ifndef KERNEL_UDPESP_ROUTES_H_
#define KERNEL_UDPESP_ROUTES_H_

#include <library.h>
#include <networking/host.h>
#include <selectors/traffic_selector.h>

typedef struct kernel_udpesp_routes_t kernel_udpesp_routes_t;

struct kernel_udpesp_routes_t {
	/* src: this host's IKE address, peer: the other end's. */
	bool (*add)(kernel_udpesp_routes_t *this, traffic_selector_t *src_ts,
		    traffic_selector_t *dst_ts, host_t *src, host_t *peer);
	void (*del)(kernel_udpesp_routes_t *this, traffic_selector_t *dst_ts);
	/* Every route this instance installed. */
	void (*flush)(kernel_udpesp_routes_t *this);
	void (*destroy)(kernel_udpesp_routes_t *this);
};

kernel_udpesp_routes_t *kernel_udpesp_routes_create(const char *ifname);

#endif /* KERNEL_UDPESP_ROUTES_H_ */
