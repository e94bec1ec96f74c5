// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The plugin: registers kernel_udpesp_ipsec as charon's kernel_ipsec_t.
 * It must load before kernel-netlink (charon takes the first IPsec
 * backend registered; kernel-netlink stays for kernel_net_t).
 *
 * Built against a strongSwan source tree with swan_config.h instead of
 * configure's config.h: before anything else it checks that the daemon_t
 * it was compiled for is the one charon has (ME changes its layout), and
 * refuses to load otherwise.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <daemon.h>

#include "kernel_udpesp_ipsec.h"
#include "kernel_udpesp_plugin.h"

typedef struct private_kernel_udpesp_plugin_t private_kernel_udpesp_plugin_t;

struct private_kernel_udpesp_plugin_t {
	kernel_udpesp_plugin_t public;
};

METHOD(plugin_t, get_name, char *, private_kernel_udpesp_plugin_t *this)
{
	return KERNEL_UDPESP_NAME;
}

METHOD(plugin_t, get_features, int, private_kernel_udpesp_plugin_t *this,
       plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK(kernel_ipsec_register, kernel_udpesp_ipsec_create),
		PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec"),
	};

	*features = f;
	return countof(f);
}

METHOD(plugin_t, destroy, void, private_kernel_udpesp_plugin_t *this)
{
	free(this);
}

/* Does fn point into charon's libcharon? */
static bool kernel_udpesp_in_libcharon(void *fn)
{
	Dl_info info;

	return fn && dladdr(fn, &info) && info.dli_fname && strstr(info.dli_fname, "libcharon");
}

/*
 * The methods after daemon_t's ME members must be libcharon's functions.
 * Built without ME, initialize and start would be read from where charon
 * keeps its connect and mediation managers: data, not code.
 */
static bool kernel_udpesp_layout_ok(void)
{
	return charon && kernel_udpesp_in_libcharon((void *)charon->initialize) &&
	       kernel_udpesp_in_libcharon((void *)charon->start) &&
	       kernel_udpesp_in_libcharon((void *)charon->set_level);
}

plugin_t *kernel_udpesp_plugin_create(void)
{
	private_kernel_udpesp_plugin_t *this;

	if (!kernel_udpesp_layout_ok()) {
		DBG0(DBG_KNL,
		     "%s: built for another charon (daemon_t layout differs: was ME "
		     "defined as this charon's build defines it?); not loaded",
		     KERNEL_UDPESP_NAME);
		return NULL;
	}
	DBG2(DBG_KNL, "%s: daemon_t layout matches this charon", KERNEL_UDPESP_NAME);
	INIT(this,
		.public = {
			.plugin = {
				.get_name = _get_name,
				.get_features = _get_features,
				.destroy = _destroy,
			},
		},
	);
	return &this->public.plugin;
}
