// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Routes for outbound policies through the udpesp interface (see the header). */
#include <daemon.h>
#include <collections/linked_list.h>
#include <threading/mutex.h>

#include "kernel_udpesp_routes.h"

typedef struct private_kernel_udpesp_routes_t private_kernel_udpesp_routes_t;
typedef struct kernel_udpesp_route_t kernel_udpesp_route_t;
typedef struct kernel_udpesp_exclude_t kernel_udpesp_exclude_t;

/* The host route that keeps ESP and IKE to the peer out of the tunnel. */
struct kernel_udpesp_exclude_t {
	host_t *dst, *src, *gtw;
	char *if_name;
	int refs;
};

struct kernel_udpesp_route_t {
	chunk_t dst_net;
	uint8_t prefixlen;
	host_t *src_ip; /* NULL: the kernel picks */
	kernel_udpesp_exclude_t *exclude;
	int refs;
};

struct private_kernel_udpesp_routes_t {
	kernel_udpesp_routes_t public;
	char *ifname;
	mutex_t *mutex;
	linked_list_t *routes;	 /* kernel_udpesp_route_t */
	linked_list_t *excludes; /* kernel_udpesp_exclude_t */
};

static void kernel_udpesp_exclude_release(private_kernel_udpesp_routes_t *this,
					  kernel_udpesp_exclude_t *ex)
{
	host_t *dst = ex->dst;

	if (--ex->refs > 0)
		return;
	this->excludes->remove(this->excludes, ex, NULL);
	if (charon->kernel->del_route(charon->kernel, dst->get_address(dst),
				      dst->get_family(dst) == AF_INET ? 32 : 128, ex->gtw, ex->src,
				      ex->if_name, TRUE) != SUCCESS)
		DBG1(DBG_KNL, "%s: removing the route to peer %H outside the tunnel failed",
		     "kernel-udpesp", dst);
	ex->dst->destroy(ex->dst);
	ex->src->destroy(ex->src);
	ex->gtw->destroy(ex->gtw);
	free(ex->if_name);
	free(ex);
}

/* The peer's own address must keep its route outside the tunnel. */
static kernel_udpesp_exclude_t *kernel_udpesp_exclude_get(private_kernel_udpesp_routes_t *this,
							  host_t *src, host_t *peer)
{
	kernel_udpesp_exclude_t *ex;
	enumerator_t *e;
	char *if_name = NULL;
	host_t *gtw;

	e = this->excludes->create_enumerator(this->excludes);
	while (e->enumerate(e, &ex)) {
		if (peer->ip_equals(peer, ex->dst)) {
			ex->refs++;
			e->destroy(e);
			return ex;
		}
	}
	e->destroy(e);

	gtw = charon->kernel->get_nexthop(charon->kernel, peer, -1, src, NULL);
	if (!gtw) {
		DBG1(DBG_KNL, "%s: no next hop to peer %H: cannot keep it outside the tunnel",
		     "kernel-udpesp", peer);
		return NULL;
	}
	if (!charon->kernel->get_interface(charon->kernel, src, &if_name) ||
	    charon->kernel->add_route(charon->kernel, peer->get_address(peer),
				      peer->get_family(peer) == AF_INET ? 32 : 128, gtw, src,
				      if_name, TRUE) != SUCCESS) {
		DBG1(DBG_KNL, "%s: installing the route to peer %H outside the tunnel failed",
		     "kernel-udpesp", peer);
		gtw->destroy(gtw);
		free(if_name);
		return NULL;
	}
	INIT(ex, .dst = peer->clone(peer), .src = src->clone(src), .gtw = gtw, .if_name = if_name,
	     .refs = 1);
	this->excludes->insert_last(this->excludes, ex);
	return ex;
}

static void kernel_udpesp_route_uninstall(private_kernel_udpesp_routes_t *this,
					  kernel_udpesp_route_t *r)
{
	if (charon->kernel->del_route(charon->kernel, r->dst_net, r->prefixlen, NULL, r->src_ip,
				      this->ifname, FALSE) != SUCCESS)
		DBG1(DBG_KNL, "%s: removing route %#B/%u dev %s failed", "kernel-udpesp",
		     &r->dst_net, r->prefixlen, this->ifname);
	if (r->exclude)
		kernel_udpesp_exclude_release(this, r->exclude);
	DESTROY_IF(r->src_ip);
	chunk_free(&r->dst_net);
	free(r);
}

static kernel_udpesp_route_t *kernel_udpesp_route_find(private_kernel_udpesp_routes_t *this,
						       chunk_t net, uint8_t prefixlen)
{
	kernel_udpesp_route_t *r, *found = NULL;
	enumerator_t *e = this->routes->create_enumerator(this->routes);

	while (e->enumerate(e, &r))
		if (r->prefixlen == prefixlen && chunk_equals(r->dst_net, net)) {
			found = r;
			break;
		}
	e->destroy(e);
	return found;
}

METHOD(kernel_udpesp_routes_t, add, bool, private_kernel_udpesp_routes_t *this,
       traffic_selector_t *src_ts, traffic_selector_t *dst_ts, host_t *src, host_t *peer)
{
	kernel_udpesp_route_t *r;
	host_t *net = NULL, *src_ip = NULL;
	uint8_t prefixlen;
	bool vip;
	status_t st;

	dst_ts->to_subnet(dst_ts, &net, &prefixlen);
	this->mutex->lock(this->mutex);
	r = kernel_udpesp_route_find(this, net->get_address(net), prefixlen);
	if (r) {
		r->refs++;
		this->mutex->unlock(this->mutex);
		net->destroy(net);
		return TRUE;
	}
	if (dst_ts->is_host(dst_ts, peer)) {
		this->mutex->unlock(this->mutex);
		DBG1(DBG_KNL,
		     "%s: traffic selector %R is the IKE peer itself: ESP-in-UDP to it "
		     "cannot go through the tunnel",
		     "kernel-udpesp", dst_ts);
		net->destroy(net);
		return FALSE;
	}
	/* The inner source: this host's address inside src_ts, if it has one. */
	if (charon->kernel->get_address_by_ts(charon->kernel, src_ts, &src_ip, &vip) != SUCCESS)
		src_ip = NULL;
	INIT(r, .dst_net = chunk_clone(net->get_address(net)), .prefixlen = prefixlen,
	     .src_ip = src_ip, .refs = 1);
	net->destroy(net);
	if (dst_ts->includes(dst_ts, peer))
		r->exclude = kernel_udpesp_exclude_get(this, src, peer);
	st = charon->kernel->add_route(charon->kernel, r->dst_net, r->prefixlen, NULL, r->src_ip,
				       this->ifname, FALSE);
	if (st != SUCCESS && st != ALREADY_DONE) {
		DBG1(DBG_KNL, "%s: installing route %R src %H dev %s failed", "kernel-udpesp",
		     dst_ts, r->src_ip, this->ifname);
		if (r->exclude)
			kernel_udpesp_exclude_release(this, r->exclude);
		DESTROY_IF(r->src_ip);
		chunk_free(&r->dst_net);
		free(r);
		this->mutex->unlock(this->mutex);
		return FALSE;
	}
	DBG2(DBG_KNL, "%s: route %R src %H dev %s", "kernel-udpesp", dst_ts, r->src_ip,
	     this->ifname);
	this->routes->insert_last(this->routes, r);
	this->mutex->unlock(this->mutex);
	return TRUE;
}

METHOD(kernel_udpesp_routes_t, del, void, private_kernel_udpesp_routes_t *this,
       traffic_selector_t *dst_ts)
{
	kernel_udpesp_route_t *r;
	host_t *net = NULL;
	uint8_t prefixlen;

	dst_ts->to_subnet(dst_ts, &net, &prefixlen);
	this->mutex->lock(this->mutex);
	r = kernel_udpesp_route_find(this, net->get_address(net), prefixlen);
	if (r && --r->refs == 0) {
		this->routes->remove(this->routes, r, NULL);
		kernel_udpesp_route_uninstall(this, r);
	}
	this->mutex->unlock(this->mutex);
	net->destroy(net);
}

METHOD(kernel_udpesp_routes_t, flush, void, private_kernel_udpesp_routes_t *this)
{
	kernel_udpesp_route_t *r;

	this->mutex->lock(this->mutex);
	while (this->routes->remove_first(this->routes, (void **)&r) == SUCCESS)
		kernel_udpesp_route_uninstall(this, r);
	this->mutex->unlock(this->mutex);
}

METHOD(kernel_udpesp_routes_t, destroy, void, private_kernel_udpesp_routes_t *this)
{
	flush(this);
	this->routes->destroy(this->routes);
	this->excludes->destroy(this->excludes);
	this->mutex->destroy(this->mutex);
	free(this->ifname);
	free(this);
}

kernel_udpesp_routes_t *kernel_udpesp_routes_create(const char *ifname)
{
	private_kernel_udpesp_routes_t *this;

	INIT(this,
		.public = {
			.add = _add,
			.del = _del,
			.flush = _flush,
			.destroy = _destroy,
		},
		.ifname = strdup(ifname),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.routes = linked_list_create(),
		.excludes = linked_list_create(),
	);
	return &this->public;
}
