// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * charon's kernel_ipsec_t on udpespd (see the header). Every SA charon
 * adds is remembered here by (SPI, dst) with udpespd's handle, so that
 * deletes, queries and moves select it by handle (udpespd moves outbound
 * SAs itself when a NAT mapping changes) and events, which carry handles,
 * map back to what charon knows.
 */
#include <errno.h>
#include <netinet/in.h>
#include <daemon.h>
#include <collections/hashtable.h>
#include <threading/mutex.h>
#include <udpesp/abi.h>

#include "kernel_udpesp_events.h"
#include "kernel_udpesp_ipsec.h"
#include "kernel_udpesp_routes.h"
#include "swan_conn.h"
#include "xform.h"

/* xform.c spells charon's numbers without its headers: they must agree. */
_Static_assert((int)XFORM_ENCR_AES_GCM_ICV16 == (int)ENCR_AES_GCM_ICV16, "ENCR IDs");
_Static_assert((int)XFORM_ENCR_CHACHA20_POLY1305 == (int)ENCR_CHACHA20_POLY1305, "ENCR IDs");
_Static_assert((int)XFORM_ENCR_NULL_AUTH_AES_GMAC == (int)ENCR_NULL_AUTH_AES_GMAC, "ENCR IDs");
_Static_assert((int)XFORM_ENCR_AES_CBC == (int)ENCR_AES_CBC, "ENCR IDs");
_Static_assert((int)XFORM_ENCR_NULL == (int)ENCR_NULL, "ENCR IDs");
_Static_assert((int)XFORM_ENCR_AES_CCM_ICV16 == (int)ENCR_AES_CCM_ICV16, "ENCR IDs");
_Static_assert((int)XFORM_ENCR_AES_CTR == (int)ENCR_AES_CTR, "ENCR IDs");
_Static_assert((int)XFORM_ENCR_UNDEFINED == (int)ENCR_UNDEFINED, "ENCR IDs");
_Static_assert((int)XFORM_AUTH_HMAC_SHA2_256_128 == (int)AUTH_HMAC_SHA2_256_128, "AUTH IDs");
_Static_assert((int)XFORM_AUTH_HMAC_SHA2_384_192 == (int)AUTH_HMAC_SHA2_384_192, "AUTH IDs");
_Static_assert((int)XFORM_AUTH_HMAC_SHA2_512_256 == (int)AUTH_HMAC_SHA2_512_256, "AUTH IDs");
_Static_assert((int)XFORM_AUTH_HMAC_SHA1_96 == (int)AUTH_HMAC_SHA1_96, "AUTH IDs");
_Static_assert((int)XFORM_AUTH_AES_XCBC_96 == (int)AUTH_AES_XCBC_96, "AUTH IDs");
_Static_assert((int)XFORM_AUTH_HMAC_SHA2_256_96 == (int)AUTH_HMAC_SHA2_256_96, "AUTH IDs");
_Static_assert((int)XFORM_AUTH_UNDEFINED == (int)AUTH_UNDEFINED, "AUTH IDs");
_Static_assert((int)XFORM_MODE_TRANSPORT == (int)MODE_TRANSPORT, "ipsec_mode_t");
_Static_assert((int)XFORM_MODE_TUNNEL == (int)MODE_TUNNEL, "ipsec_mode_t");
_Static_assert((int)XFORM_MODE_BEET == (int)MODE_BEET, "ipsec_mode_t");
_Static_assert((int)XFORM_DSCP_OUT_ONLY == (int)DSCP_COPY_OUT_ONLY, "dscp_copy_t");
_Static_assert((int)XFORM_DSCP_IN_ONLY == (int)DSCP_COPY_IN_ONLY, "dscp_copy_t");
_Static_assert((int)XFORM_DSCP_YES == (int)DSCP_COPY_YES, "dscp_copy_t");
_Static_assert((int)XFORM_DSCP_NO == (int)DSCP_COPY_NO, "dscp_copy_t");
_Static_assert((int)XFORM_HW_OFFLOAD_NO == (int)HW_OFFLOAD_NO, "hw_offload_t");
_Static_assert((int)XFORM_HW_OFFLOAD_YES == (int)HW_OFFLOAD_YES, "hw_offload_t");
_Static_assert((int)XFORM_HW_OFFLOAD_AUTO == (int)HW_OFFLOAD_AUTO, "hw_offload_t");

#define KU "kernel-udpesp"
#define KERNEL_UDPESP_SPI_TIMEOUT 180 /* s a get_spi() reservation waits for its SA */

typedef struct private_kernel_udpesp_ipsec_t private_kernel_udpesp_ipsec_t;
typedef struct kernel_udpesp_sa_t kernel_udpesp_sa_t;

struct kernel_udpesp_sa_t {
	uint32_t spi; /* network order, as charon passes it */
	host_t *dst;  /* as charon knows it: the lookup key with spi */
	host_t *src;
	uint32_t handle;
	uint32_t reqid;
	bool inbound;
	bool gone;	  /* udpespd removed it (hard expiry, link gone) */
	uint64_t packets; /* at the last query */
	time_t last_use;  /* charon's monotonic clock, when packets last grew */
};

struct private_kernel_udpesp_ipsec_t {
	kernel_udpesp_ipsec_t public;
	struct swan_conn conn;
	mutex_t *mutex;		/* sas, by_handle */
	hashtable_t *sas;	/* kernel_udpesp_sa_t by (spi, dst) */
	hashtable_t *by_handle; /* the same, by udpespd's handle (not the gone ones) */
	kernel_udpesp_routes_t *routes;
	kernel_udpesp_events_t *events;
	uint32_t spi_min, spi_max;
};

static u_int kernel_udpesp_sa_hash(const kernel_udpesp_sa_t *sa)
{
	return chunk_hash_inc(sa->dst->get_address(sa->dst), chunk_hash(chunk_from_thing(sa->spi)));
}

static bool kernel_udpesp_sa_equals(const kernel_udpesp_sa_t *a, const kernel_udpesp_sa_t *b)
{
	return a->spi == b->spi && a->dst->ip_equals(a->dst, b->dst);
}

static u_int kernel_udpesp_handle_hash(const kernel_udpesp_sa_t *sa)
{
	return chunk_hash(chunk_from_thing(sa->handle));
}

static bool kernel_udpesp_handle_equals(const kernel_udpesp_sa_t *a, const kernel_udpesp_sa_t *b)
{
	return a->handle == b->handle;
}

static void kernel_udpesp_sa_destroy(kernel_udpesp_sa_t *sa)
{
	sa->dst->destroy(sa->dst);
	sa->src->destroy(sa->src);
	free(sa);
}

static void kernel_udpesp_log(void *ctx, int level, const char *msg)
{
	if (level == 0)
		DBG0(DBG_KNL, "%s: %s", KU, msg);
	else
		DBG1(DBG_KNL, "%s: %s", KU, msg);
}

static void kernel_udpesp_addr(host_t *host, struct udpesp_ctl_addr *a)
{
	chunk_t c = host->get_address(host);

	memset(a, 0, sizeof(*a));
	a->family = host->get_family(host) == AF_INET6 ? UDPESP_AF_INET6 : UDPESP_AF_INET;
	a->prefixlen = c.len * 8;
	memcpy(a->addr, c.ptr, min(c.len, sizeof(a->addr)));
}

static host_t *kernel_udpesp_host(const struct udpesp_ctl_addr *a, uint16_t port)
{
	int family = a->family == UDPESP_AF_INET6 ? AF_INET6 : AF_INET;

	return host_create_from_chunk(
		family, chunk_create((u_char *)a->addr, family == AF_INET ? 4 : 16), port);
}

static status_t kernel_udpesp_status(int ret)
{
	switch (ret) {
	case 0:
		return SUCCESS;
	case -ENOENT:
		return NOT_FOUND;
	case -EOPNOTSUPP:
		return NOT_SUPPORTED;
	case -EEXIST:
		return ALREADY_DONE;
	default:
		return FAILED;
	}
}

/* Find an SA by what charon passes; called with the mutex held. */
static kernel_udpesp_sa_t *kernel_udpesp_sa_find(private_kernel_udpesp_ipsec_t *this, uint32_t spi,
						 host_t *dst)
{
	kernel_udpesp_sa_t key = { .spi = spi, .dst = dst };

	return this->sas->get(this->sas, &key);
}

static kernel_udpesp_sa_t *kernel_udpesp_sa_by_handle(private_kernel_udpesp_ipsec_t *this,
						      uint32_t handle)
{
	kernel_udpesp_sa_t key = { .handle = handle };

	return this->by_handle->get(this->by_handle, &key);
}

/* udpespd no longer has it: its handle may name another SA from now on. */
static void kernel_udpesp_sa_gone(private_kernel_udpesp_ipsec_t *this, kernel_udpesp_sa_t *sa)
{
	if (!sa->gone && this->by_handle->get(this->by_handle, sa) == sa)
		this->by_handle->remove(this->by_handle, sa);
	sa->gone = TRUE;
}

/* Into both tables; an entry charon replaced (same SPI and dst) is freed. */
static void kernel_udpesp_sa_insert(private_kernel_udpesp_ipsec_t *this, kernel_udpesp_sa_t *sa)
{
	kernel_udpesp_sa_t *old = this->sas->put(this->sas, sa, sa);

	if (old) {
		kernel_udpesp_sa_gone(this, old);
		kernel_udpesp_sa_destroy(old);
	}
	old = this->by_handle->put(this->by_handle, sa, sa);
	if (old && old != sa)
		old->gone = TRUE; /* a stale entry for a handle udpespd reused */
}

static void kernel_udpesp_sa_unlink(private_kernel_udpesp_ipsec_t *this, kernel_udpesp_sa_t *sa)
{
	kernel_udpesp_sa_gone(this, sa);
	this->sas->remove(this->sas, sa);
}

METHOD(kernel_ipsec_t, get_features, kernel_feature_t, private_kernel_udpesp_ipsec_t *this)
{
	/* ESP in UDP only, so NAT-T even without a NAT; TFC padding in tunnel mode. */
	return KERNEL_REQUIRE_UDP_ENCAPSULATION | KERNEL_ESP_V3_TFC;
}

METHOD(kernel_ipsec_t, get_spi, status_t, private_kernel_udpesp_ipsec_t *this, host_t *src,
       host_t *dst, uint8_t protocol, uint32_t *spi)
{
	struct udpesp_ctl_spi_req req = {
		.min = this->spi_min,
		.max = this->spi_max,
		.timeout = KERNEL_UDPESP_SPI_TIMEOUT,
	};
	struct udpesp_ctl_spi out;
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret;

	if (protocol != IPPROTO_ESP) {
		DBG1(DBG_KNL, "%s: SPI for protocol %u refused: udpesp carries ESP only", KU,
		     protocol);
		return NOT_SUPPORTED;
	}
	kernel_udpesp_addr(dst, &req.dst);
	ret = swan_conn_request(&this->conn, UDPESP_MSG_SPI_ALLOC, &req, sizeof(req), &out,
				sizeof(out), err, sizeof(err));
	if (ret) {
		DBG1(DBG_KNL, "%s: allocating an SPI for %H failed: %s", KU, dst, err);
		return FAILED;
	}
	*spi = out.spi;
	DBG2(DBG_KNL, "%s: SPI %.8x reserved for %H for %u s", KU, ntohl(out.spi), dst,
	     out.timeout);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, get_cpi, status_t, private_kernel_udpesp_ipsec_t *this, host_t *src,
       host_t *dst, uint16_t *cpi)
{
	DBG1(DBG_KNL, "%s: no CPI: udpesp does not do IPComp", KU);
	return NOT_SUPPORTED;
}

/*
 * A list of charon's traffic selectors in xform.c's terms: their number,
 * or -1 without memory (never "none", which would mean any packet).
 */
static ssize_t kernel_udpesp_ts(linked_list_t *list, struct xform_ts **out)
{
	traffic_selector_t *ts;
	enumerator_t *e;
	ssize_t n = 0;

	*out = NULL;
	if (!list || !list->get_count(list))
		return 0;
	*out = calloc(list->get_count(list), sizeof(**out));
	if (!*out)
		return -1;
	e = list->create_enumerator(list);
	while (e->enumerate(e, &ts)) {
		struct xform_ts *x = &(*out)[n++];
		host_t *net = NULL;
		chunk_t a;

		x->family = ts->get_type(ts) == TS_IPV6_ADDR_RANGE ? UDPESP_AF_INET6 :
								     UDPESP_AF_INET;
		x->exact = ts->to_subnet(ts, &net, &x->prefixlen);
		a = net->get_address(net);
		memcpy(x->addr, a.ptr, min(a.len, sizeof(x->addr)));
		net->destroy(net);
		x->proto = ts->get_protocol(ts);
		x->from_port = ts->get_from_port(ts);
		x->to_port = ts->get_to_port(ts);
	}
	e->destroy(e);
	return n;
}

/* One udpesp selector per pair of traffic selectors (xform_sels()). */
static bool kernel_udpesp_selectors(kernel_ipsec_add_sa_t *data, struct udpesp_ctl_sa *sa)
{
	struct xform_ts *src, *dst;
	ssize_t nsrc = kernel_udpesp_ts(data->src_ts, &src);
	ssize_t ndst = kernel_udpesp_ts(data->dst_ts, &dst);
	unsigned int notes;
	int ret = nsrc < 0 || ndst < 0 ? -ENOMEM : xform_sels(src, nsrc, dst, ndst, sa, &notes);

	free(src);
	free(dst);
	if (ret == -ENOMEM) {
		DBG1(DBG_KNL, "%s: no memory for the traffic selectors %#R === %#R", KU,
		     data->src_ts, data->dst_ts);
		return FALSE;
	}
	if (ret) {
		DBG1(DBG_KNL, "%s: no traffic selector pair of %#R === %#R can match a packet", KU,
		     data->src_ts, data->dst_ts);
		return FALSE;
	}
	if (notes & XFORM_SEL_MERGED)
		DBG1(DBG_KNL,
		     "%s: %#R === %#R: more than %d pairs of traffic selectors; udpesp "
		     "enforces the prefixes covering each side, no protocol or port",
		     KU, data->src_ts, data->dst_ts, UDPESP_SEL_MAX);
	if (notes & XFORM_SEL_RANGE)
		DBG1(DBG_KNL,
		     "%s: %#R === %#R: an address range that is not a subnet: the subnet "
		     "covering it is enforced",
		     KU, data->src_ts, data->dst_ts);
	if (notes & XFORM_SEL_ICMP)
		DBG1(DBG_KNL,
		     "%s: %#R === %#R: ICMP type and code are not enforced, only the protocol", KU,
		     data->src_ts, data->dst_ts);
	if (notes & XFORM_SEL_PORTS)
		DBG1(DBG_KNL,
		     "%s: %#R === %#R: ports without a protocol that has them are not "
		     "enforced",
		     KU, data->src_ts, data->dst_ts);
	return TRUE;
}

METHOD(kernel_ipsec_t, add_sa, status_t, private_kernel_udpesp_ipsec_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_add_sa_t *data)
{
	struct xform_req r = {
		.enc_alg = data->enc_alg,
		.int_alg = data->int_alg,
		.enc_key = data->enc_key.ptr,
		.enc_key_len = data->enc_key.len,
		.int_key = data->int_key.ptr,
		.int_key_len = data->int_key.len,
		.mode = data->mode,
		.inbound = data->inbound,
		.esn = data->esn,
		.encap = data->encap,
		.copy_df = data->copy_df,
		.copy_ecn = data->copy_ecn,
		.copy_dscp = data->copy_dscp,
		.hw_offload = data->hw_offload,
		.replay_window = data->replay_window,
		.tfc = data->tfc,
		.ipcomp = data->ipcomp,
		.mark_value = data->mark.value,
		.mark_mask = data->mark.mask,
		.id_mark_value = id->mark.value,
		.id_mark_mask = id->mark.mask,
		.if_id = id->if_id,
		.label = data->label != NULL,
	};
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_handles h;
	struct udpesp_ctl_sa sa;
	kernel_udpesp_sa_t *entry;
	int ret;

	if (id->proto != IPPROTO_ESP) {
		DBG1(DBG_KNL, "%s: SA with SPI %.8x refused: protocol %u, udpesp carries ESP only",
		     KU, ntohl(id->spi), id->proto);
		return NOT_SUPPORTED;
	}
	if (data->lifetime) {
		r.time = (struct xform_limit){ data->lifetime->time.life,
					       data->lifetime->time.rekey };
		r.bytes = (struct xform_limit){ data->lifetime->bytes.life,
						data->lifetime->bytes.rekey };
		r.packets = (struct xform_limit){ data->lifetime->packets.life,
						  data->lifetime->packets.rekey };
	}
	memset(&sa, 0, sizeof(sa));
	ret = xform_sa(&r, &sa, err, sizeof(err));
	if (ret) {
		DBG1(DBG_KNL, "%s: SA with SPI %.8x refused: %s", KU, ntohl(id->spi), err);
		memwipe(&sa, sizeof(sa));
		return NOT_SUPPORTED;
	}
	if (data->interface)
		DBG1(DBG_KNL,
		     "%s: SA with SPI %.8x: interface %s not enforced, udpesp takes its "
		     "ESP on every attached link",
		     KU, ntohl(id->spi), data->interface);
	sa.spi = id->spi;
	sa.reqid = data->reqid;
	sa.owner = UDPESP_OWNER_CHARON;
	kernel_udpesp_addr(id->src, &sa.src);
	kernel_udpesp_addr(id->dst, &sa.dst);
	sa.encap_sport = htons(id->src->get_port(id->src));
	sa.encap_dport = htons(id->dst->get_port(id->dst));
	/* src_ts is the sender's side: the peer's for an inbound SA. */
	if (!kernel_udpesp_selectors(data, &sa)) {
		memwipe(&sa, sizeof(sa));
		return FAILED;
	}

	ret = swan_conn_request(&this->conn, UDPESP_MSG_SA_ADD, &sa, sizeof(sa), &h, sizeof(h), err,
				sizeof(err));
	memwipe(&sa, sizeof(sa));
	if (ret) {
		DBG1(DBG_KNL, "%s: adding SA %H..%H SPI %.8x failed: %s", KU, id->src, id->dst,
		     ntohl(id->spi), err);
		return kernel_udpesp_status(ret);
	}
	INIT(entry, .spi = id->spi, .dst = id->dst->clone(id->dst), .src = id->src->clone(id->src),
	     .handle = h.handle, .reqid = data->reqid, .inbound = data->inbound);
	this->mutex->lock(this->mutex);
	kernel_udpesp_sa_insert(this, entry);
	this->mutex->unlock(this->mutex);
	DBG2(DBG_KNL, "%s: SA %H..%H SPI %.8x is udpesp handle %u", KU, id->src, id->dst,
	     ntohl(id->spi), h.handle);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, update_sa, status_t, private_kernel_udpesp_ipsec_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_update_sa_t *data)
{
	struct udpesp_ctl_sa_update up = { 0 };
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_handles h;
	kernel_udpesp_sa_t *sa;
	int ret;

	if (!data->new_encap) {
		DBG1(DBG_KNL, "%s: SA SPI %.8x cannot drop UDP encapsulation", KU, ntohl(id->spi));
		return NOT_SUPPORTED;
	}
	this->mutex->lock(this->mutex);
	sa = kernel_udpesp_sa_find(this, id->spi, id->dst);
	if (sa)
		up.sel.handle = sa->handle;
	this->mutex->unlock(this->mutex);
	if (!up.sel.handle) {
		DBG1(DBG_KNL, "%s: no SA %H SPI %.8x to update", KU, id->dst, ntohl(id->spi));
		return NOT_FOUND;
	}
	kernel_udpesp_addr(data->new_src, &up.src);
	kernel_udpesp_addr(data->new_dst, &up.dst);
	up.sport = htons(data->new_src->get_port(data->new_src));
	up.dport = htons(data->new_dst->get_port(data->new_dst));
	ret = swan_conn_request(&this->conn, UDPESP_MSG_SA_UPDATE, &up, sizeof(up), &h, sizeof(h),
				err, sizeof(err));
	if (ret) {
		DBG1(DBG_KNL, "%s: moving SA SPI %.8x to %#H..%#H failed: %s", KU, ntohl(id->spi),
		     data->new_src, data->new_dst, err);
		return kernel_udpesp_status(ret);
	}
	/* Re-key our entry under the new dst. */
	this->mutex->lock(this->mutex);
	sa = kernel_udpesp_sa_find(this, id->spi, id->dst);
	if (sa) {
		this->sas->remove(this->sas, sa);
		sa->dst->destroy(sa->dst);
		sa->src->destroy(sa->src);
		sa->dst = data->new_dst->clone(data->new_dst);
		sa->src = data->new_src->clone(data->new_src);
		kernel_udpesp_sa_insert(this, sa);
	}
	this->mutex->unlock(this->mutex);
	DBG1(DBG_KNL, "%s: SA SPI %.8x (handle %u) now %#H..%#H", KU, ntohl(id->spi), h.handle,
	     data->new_src, data->new_dst);
	return SUCCESS;
}

/* udpespd's counters of one SA; last use when they last grew. */
static status_t kernel_udpesp_query(private_kernel_udpesp_ipsec_t *this, uint32_t handle,
				    uint64_t *bytes, uint64_t *packets, time_t *use)
{
	struct udpesp_ctl_sa_del sel = { .handle = handle };
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_sa_query q;
	kernel_udpesp_sa_t *sa;
	int ret;

	ret = swan_conn_request(&this->conn, UDPESP_MSG_SA_QUERY, &sel, sizeof(sel), &q, sizeof(q),
				err, sizeof(err));
	if (ret) {
		DBG2(DBG_KNL, "%s: querying SA handle %u failed: %s", KU, handle, err);
		return kernel_udpesp_status(ret);
	}
	this->mutex->lock(this->mutex);
	sa = kernel_udpesp_sa_by_handle(this, handle);
	if (sa && q.packets != sa->packets) {
		sa->packets = q.packets;
		sa->last_use = time_monotonic(NULL);
	}
	if (use)
		*use = sa ? sa->last_use : 0;
	this->mutex->unlock(this->mutex);
	if (bytes)
		*bytes = q.bytes;
	if (packets)
		*packets = q.packets;
	return SUCCESS;
}

METHOD(kernel_ipsec_t, query_sa, status_t, private_kernel_udpesp_ipsec_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_query_sa_t *data, uint64_t *bytes, uint64_t *packets,
       time_t *time)
{
	kernel_udpesp_sa_t *sa;
	uint32_t handle = 0;

	this->mutex->lock(this->mutex);
	sa = kernel_udpesp_sa_find(this, id->spi, id->dst);
	if (sa && !sa->gone)
		handle = sa->handle;
	this->mutex->unlock(this->mutex);
	if (!handle)
		return NOT_FOUND;
	return kernel_udpesp_query(this, handle, bytes, packets, time);
}

METHOD(kernel_ipsec_t, del_sa, status_t, private_kernel_udpesp_ipsec_t *this,
       kernel_ipsec_sa_id_t *id, kernel_ipsec_del_sa_t *data)
{
	struct udpesp_ctl_sa_del sel = { 0 };
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_del_result res;
	kernel_udpesp_sa_t *sa;
	bool gone = FALSE;
	int ret;

	this->mutex->lock(this->mutex);
	sa = kernel_udpesp_sa_find(this, id->spi, id->dst);
	if (sa) {
		sel.handle = sa->handle;
		gone = sa->gone;
		kernel_udpesp_sa_unlink(this, sa);
		kernel_udpesp_sa_destroy(sa);
	}
	this->mutex->unlock(this->mutex);
	if (gone)
		return SUCCESS; /* udpespd removed it already (hard expiry) */
	if (!sel.handle) {
		/* Not added by this charon: select it by (dst, spi). */
		sel.spi = id->spi;
		kernel_udpesp_addr(id->dst, &sel.dst);
	}
	ret = swan_conn_request(&this->conn, UDPESP_MSG_SA_DEL, &sel, sizeof(sel), &res,
				sizeof(res), err, sizeof(err));
	if (ret) {
		DBG1(DBG_KNL, "%s: deleting SA %H SPI %.8x failed: %s", KU, id->dst, ntohl(id->spi),
		     err);
		return kernel_udpesp_status(ret);
	}
	return SUCCESS;
}

struct kernel_udpesp_owned {
	uint32_t *handles;
	size_t n, cap;
};

static int kernel_udpesp_collect_owned(void *ctx, const struct ctl_msg *m)
{
	const struct udpesp_ctl_sa_info *info = m->payload;
	struct kernel_udpesp_owned *o = ctx;

	if (m->hdr.type != UDPESP_MSG_SA_INFO || info->sa.owner != UDPESP_OWNER_CHARON)
		return 0;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->handles = realloc(o->handles, o->cap * sizeof(*o->handles));
	}
	o->handles[o->n++] = info->handle;
	return 0;
}

/* Delete every SA charon owns in udpespd: ours, or a previous instance's. */
static int kernel_udpesp_flush_owned(private_kernel_udpesp_ipsec_t *this, size_t *deleted)
{
	struct kernel_udpesp_owned o = { 0 };
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	int ret;

	*deleted = 0;
	ret = swan_conn_dump(&this->conn, UDPESP_MSG_SA_LIST, kernel_udpesp_collect_owned, &o, err,
			     sizeof(err));
	if (ret) {
		DBG1(DBG_KNL, "%s: listing udpespd's SAs failed: %s", KU, err);
		free(o.handles);
		return ret;
	}
	for (size_t i = 0; i < o.n; i++) {
		struct udpesp_ctl_sa_del sel = { .handle = o.handles[i] };
		struct udpesp_ctl_del_result res;

		if (!swan_conn_request(&this->conn, UDPESP_MSG_SA_DEL, &sel, sizeof(sel), &res,
				       sizeof(res), err, sizeof(err)))
			(*deleted)++;
		else
			DBG1(DBG_KNL, "%s: deleting SA handle %u failed: %s", KU, o.handles[i],
			     err);
	}
	free(o.handles);
	return 0;
}

METHOD(kernel_ipsec_t, flush_sas, status_t, private_kernel_udpesp_ipsec_t *this)
{
	kernel_udpesp_sa_t *sa;
	enumerator_t *e;
	size_t n;

	this->mutex->lock(this->mutex);
	e = this->sas->create_enumerator(this->sas);
	while (e->enumerate(e, NULL, &sa)) {
		kernel_udpesp_sa_gone(this, sa);
		this->sas->remove_at(this->sas, e);
		kernel_udpesp_sa_destroy(sa);
	}
	e->destroy(e);
	this->mutex->unlock(this->mutex);
	/* charon's SAs only: manual ones (udpespctl sa add) are not charon's to flush. */
	return kernel_udpesp_flush_owned(this, &n) ? FAILED : SUCCESS;
}

METHOD(kernel_ipsec_t, add_policy, status_t, private_kernel_udpesp_ipsec_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
	if (id->if_id || id->mark.value || id->mark.mask || id->label) {
		DBG1(DBG_KNL, "%s: policy %R === %R refused: udpesp has no marks, if_ids or labels",
		     KU, id->src_ts, id->dst_ts);
		return NOT_SUPPORTED;
	}
	if (data->type != POLICY_IPSEC) {
		DBG1(DBG_KNL,
		     "%s: %s policy %R === %R refused: udpesp has no policy engine for "
		     "bypass or drop policies",
		     KU, data->type == POLICY_PASS ? "bypass" : "drop", id->src_ts, id->dst_ts);
		return NOT_SUPPORTED;
	}
	/* Inbound, the SA's selector does the check; outbound, the route steers. */
	if (id->dir != POLICY_OUT)
		return SUCCESS;
	return this->routes->add(this->routes, id->src_ts, id->dst_ts, data->src, data->dst) ?
		       SUCCESS :
		       FAILED;
}

METHOD(kernel_ipsec_t, query_policy, status_t, private_kernel_udpesp_ipsec_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_query_policy_t *data, time_t *use_time)
{
	/*
	 * No per-policy counter: the policy's last use is its SAs' in that
	 * direction. charon asks query_sa() first; this answers for the
	 * SAs whose selectors the policy's traffic selectors fall in.
	 */
	bool inbound = id->dir != POLICY_OUT;
	kernel_udpesp_sa_t *sa;
	uint32_t handles[64];
	size_t n = 0;
	enumerator_t *e;
	time_t newest = 0;

	this->mutex->lock(this->mutex);
	e = this->sas->create_enumerator(this->sas);
	while (e->enumerate(e, NULL, &sa))
		if (sa->inbound == inbound && !sa->gone && n < countof(handles))
			handles[n++] = sa->handle;
	e->destroy(e);
	this->mutex->unlock(this->mutex);
	for (size_t i = 0; i < n; i++) {
		time_t use = 0;

		if (kernel_udpesp_query(this, handles[i], NULL, NULL, &use) == SUCCESS &&
		    use > newest)
			newest = use;
	}
	if (!newest)
		return NOT_FOUND;
	*use_time = newest;
	return SUCCESS;
}

METHOD(kernel_ipsec_t, del_policy, status_t, private_kernel_udpesp_ipsec_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
	if (data->type == POLICY_IPSEC && id->dir == POLICY_OUT)
		this->routes->del(this->routes, id->dst_ts);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, flush_policies, status_t, private_kernel_udpesp_ipsec_t *this)
{
	this->routes->flush(this->routes);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, bypass_socket, bool, private_kernel_udpesp_ipsec_t *this, int fd, int family)
{
	/* XDP passes IKE (non-ESP marker) up untouched: the socket needs nothing. */
	return TRUE;
}

METHOD(kernel_ipsec_t, enable_udp_decap, bool, private_kernel_udpesp_ipsec_t *this, int fd,
       int family, uint16_t port)
{
	/* udpesp takes ESP on port 4500 before the socket sees it. */
	return TRUE;
}

/* Events from udpespd's monitor stream, on the events thread. */
static void kernel_udpesp_event(void *ctx, const struct udpesp_ctl_event *ev)
{
	private_kernel_udpesp_ipsec_t *this = ctx;
	host_t *dst = NULL, *remote = NULL;
	kernel_udpesp_sa_t *sa;
	uint32_t spi = 0;
	bool hard = ev->type == UDPESP_EV_SA_HARD_EXPIRED;

	if (ev->type != UDPESP_EV_SA_SOFT_EXPIRED && !hard && ev->type != UDPESP_EV_MAPPING &&
	    ev->type != UDPESP_EV_SA_DELETED)
		return;
	this->mutex->lock(this->mutex);
	sa = kernel_udpesp_sa_by_handle(this, ev->handle);
	if (sa) {
		spi = sa->spi;
		dst = sa->dst->clone(sa->dst);
		if (hard || ev->type == UDPESP_EV_SA_DELETED)
			kernel_udpesp_sa_gone(this, sa);
	}
	this->mutex->unlock(this->mutex);
	if (!sa)
		return; /* not charon's, or deleted by charon meanwhile */

	switch (ev->type) {
	case UDPESP_EV_SA_SOFT_EXPIRED:
	case UDPESP_EV_SA_HARD_EXPIRED:
		DBG1(DBG_KNL, "%s: SA %H SPI %.8x %s-expired in udpesp (limit %u)", KU, dst,
		     ntohl(spi), hard ? "hard" : "soft", ev->limit);
		charon->kernel->expire(charon->kernel, IPPROTO_ESP, spi, dst, hard);
		break;
	case UDPESP_EV_MAPPING:
		remote = kernel_udpesp_host(&ev->addr, ntohs(ev->port));
		DBG1(DBG_KNL, "%s: NAT mapping of SA %H SPI %.8x changed: peer now at %#H", KU, dst,
		     ntohl(spi), remote);
		charon->kernel->mapping(charon->kernel, IPPROTO_ESP, spi, dst, remote);
		remote->destroy(remote);
		break;
	default:
		DBG1(DBG_KNL, "%s: SA %H SPI %.8x removed by udpespd", KU, dst, ntohl(spi));
		break;
	}
	dst->destroy(dst);
}

struct kernel_udpesp_listed {
	struct udpesp_ctl_sa_info *sas;
	size_t n, cap;
};

static int kernel_udpesp_collect(void *ctx, const struct ctl_msg *m)
{
	struct kernel_udpesp_listed *l = ctx;

	if (m->hdr.type != UDPESP_MSG_SA_INFO)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->sas = realloc(l->sas, l->cap * sizeof(*l->sas));
	}
	l->sas[l->n++] = *(const struct udpesp_ctl_sa_info *)m->payload;
	return 0;
}

/*
 * udpespd came back: find charon's SAs in it again (their handles may have
 * changed). Those it lost are gone for good (charon keeps no keys): their
 * CHILD_SAs are rekeyed, which installs new SAs through IKE.
 */
static void kernel_udpesp_resync(private_kernel_udpesp_ipsec_t *this)
{
	struct kernel_udpesp_listed l = { 0 };
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct {
		uint32_t spi;
		host_t *dst;
	} *lost = NULL;
	size_t nlost = 0;
	kernel_udpesp_sa_t *sa;
	enumerator_t *e;

	if (swan_conn_dump(&this->conn, UDPESP_MSG_SA_LIST, kernel_udpesp_collect, &l, err,
			   sizeof(err))) {
		DBG1(DBG_KNL, "%s: listing udpespd's SAs failed: %s", KU, err);
		free(l.sas);
		return;
	}
	this->mutex->lock(this->mutex);
	lost = calloc(this->sas->get_count(this->sas) + 1, sizeof(*lost));
	e = this->sas->create_enumerator(this->sas);
	while (e->enumerate(e, NULL, &sa)) {
		struct udpesp_ctl_addr a;
		size_t i;

		kernel_udpesp_addr(sa->dst, &a);
		for (i = 0; i < l.n; i++)
			if (l.sas[i].sa.spi == sa->spi && l.sas[i].sa.dst.family == a.family &&
			    !memcmp(l.sas[i].sa.dst.addr, a.addr, sizeof(a.addr)))
				break;
		if (i < l.n) {
			if (sa->handle != l.sas[i].handle) {
				kernel_udpesp_sa_gone(this, sa);
				sa->gone = FALSE;
				sa->handle = l.sas[i].handle;
				this->by_handle->put(this->by_handle, sa, sa);
			}
			continue;
		}
		kernel_udpesp_sa_gone(this, sa);
		/* One expire per CHILD_SA: charon knows it by its inbound SPI. */
		if (sa->inbound) {
			lost[nlost].spi = sa->spi;
			lost[nlost++].dst = sa->dst->clone(sa->dst);
		}
	}
	e->destroy(e);
	this->mutex->unlock(this->mutex);
	free(l.sas);
	if (nlost)
		DBG0(DBG_KNL,
		     "%s: udpespd lost %zu of charon's inbound SAs: rekeying their "
		     "CHILD_SAs",
		     KU, nlost);
	for (size_t i = 0; i < nlost; i++) {
		charon->kernel->expire(charon->kernel, IPPROTO_ESP, lost[i].spi, lost[i].dst,
				       FALSE);
		lost[i].dst->destroy(lost[i].dst);
	}
	free(lost);
}

static void kernel_udpesp_connected(void *ctx, bool reconnect)
{
	private_kernel_udpesp_ipsec_t *this = ctx;
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	bool first = !this->conn.ever_up;
	size_t stale;

	/* Requests would reconnect on their own; do it now, and say so. */
	if (swan_conn_connect(&this->conn, err, sizeof(err))) {
		DBG1(DBG_KNL, "%s: %s", KU, err);
		return;
	}
	/* udpespd only now reachable: a previous charon's SAs may be there. */
	if (first && !kernel_udpesp_flush_owned(this, &stale) && stale)
		DBG1(DBG_KNL, "%s: removed %zu SAs a previous charon left in udpespd", KU, stale);
	if (reconnect)
		kernel_udpesp_resync(this);
}

METHOD(kernel_ipsec_t, destroy, void, private_kernel_udpesp_ipsec_t *this)
{
	DESTROY_IF(this->events);
	this->routes->destroy(this->routes);
	this->by_handle->destroy(this->by_handle);
	this->sas->destroy_function(this->sas, (void *)kernel_udpesp_sa_destroy);
	this->mutex->destroy(this->mutex);
	swan_conn_fini(&this->conn);
	free(this);
}

kernel_udpesp_ipsec_t *kernel_udpesp_ipsec_create(void)
{
	private_kernel_udpesp_ipsec_t *this;
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	char *path, *ifname;
	size_t stale;

	INIT(this,
		.public = {
			.interface = {
				.get_features = _get_features,
				.get_spi = _get_spi,
				.get_cpi = _get_cpi,
				.add_sa = _add_sa,
				.update_sa = _update_sa,
				.query_sa = _query_sa,
				.del_sa = _del_sa,
				.flush_sas = _flush_sas,
				.add_policy = _add_policy,
				.query_policy = _query_policy,
				.del_policy = _del_policy,
				.flush_policies = _flush_policies,
				.bypass_socket = _bypass_socket,
				.enable_udp_decap = _enable_udp_decap,
				.destroy = _destroy,
			},
		},
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.sas = hashtable_create((hashtable_hash_t)kernel_udpesp_sa_hash,
					(hashtable_equals_t)kernel_udpesp_sa_equals, 128),
		.by_handle = hashtable_create((hashtable_hash_t)kernel_udpesp_handle_hash,
					      (hashtable_equals_t)kernel_udpesp_handle_equals, 128),
		.spi_min = lib->settings->get_int(lib->settings, "%s.spi_min", KERNEL_SPI_MIN,
						  lib->ns),
		.spi_max = lib->settings->get_int(lib->settings, "%s.spi_max", KERNEL_SPI_MAX,
						  lib->ns),
	);
	path = lib->settings->get_str(lib->settings, "%s.plugins.%s.socket", UDPESP_SOCKET_DEFAULT,
				      lib->ns, KU);
	ifname = lib->settings->get_str(lib->settings, "%s.plugins.%s.interface", "udpesp0",
					lib->ns, KU);
	swan_conn_init(&this->conn, path, kernel_udpesp_log, this);
	this->routes = kernel_udpesp_routes_create(ifname);

	if (swan_conn_connect(&this->conn, err, sizeof(err))) {
		DBG0(DBG_KNL,
		     "%s: %s. charon keeps udpesp as its IPsec backend (no fall-back to "
		     "kernel XFRM): every CHILD_SA fails until udpespd answers at %s",
		     KU, err, path);
	} else if (!kernel_udpesp_flush_owned(this, &stale) && stale) {
		DBG1(DBG_KNL, "%s: removed %zu SAs a previous charon left in udpespd", KU, stale);
	}
	this->events = kernel_udpesp_events_create(path, kernel_udpesp_event,
						   kernel_udpesp_connected, this);
	return &this->public;
}
