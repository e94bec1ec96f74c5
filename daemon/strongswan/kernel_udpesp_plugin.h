/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * charon plugin kernel-udpesp: charon's IPsec backend (kernel_ipsec_t) on
 * udpespd's control socket. Load it before kernel-netlink, which keeps
 * providing addresses and routes (kernel_net_t).
 */
#ifndef KERNEL_UDPESP_PLUGIN_H_
#define KERNEL_UDPESP_PLUGIN_H_

#include <library.h>
#include <plugins/plugin.h>

typedef struct kernel_udpesp_plugin_t kernel_udpesp_plugin_t;

struct kernel_udpesp_plugin_t {
	plugin_t plugin;
};

/* The symbol charon's plugin loader looks for in libstrongswan-kernel-udpesp.so. */
__attribute__((visibility("default"))) plugin_t *kernel_udpesp_plugin_create(void);

#endif /* KERNEL_UDPESP_PLUGIN_H_ */
