// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The control messages an IKE daemon needs beyond udpespctl's (the charon
 * plugin, daemon/strongswan/): SPI reservations, a per-SA query and
 * moving an SA to new addresses. Each handler answers through ctl_server_queue() and returns
 * 0, or -errno when the reply could not be sent (the client is dropped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "common/ctl_proto.h"
#include "common/log.h"
#include "common/util.h"
#include "ctl_swan.h"
#include "ctl_server.h"
#include "sa_esp.h"
#include "sa_rt.h"
#include "sa_table.h"
#include "spi_resv.h"

#define CTL_SWAN_SPI_MIN 0xc0000000u /* charon's spi_min / spi_max defaults */
#define CTL_SWAN_SPI_MAX 0xcfffffffu
#define CTL_SWAN_SPI_TIMEOUT 180

/* One udpespd per process: the reservations are the daemon's, kept here. */
static struct spi_resv_table ctl_swan_resv;
/* Where they are kept for the next udpespd (ctl_swan_keep()); -1: nowhere. */
static int ctl_swan_store = -1;

static __u64 ctl_swan_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void ctl_swan_save(void)
{
	int err = ctl_swan_store >= 0 ? spi_resv_save(&ctl_swan_resv, ctl_swan_store) : 0;

	if (err)
		pr_warn("keeping the SPI reservations: %s", strerror(-err));
}

int ctl_swan_keep(int fd)
{
	int err = spi_resv_load(&ctl_swan_resv, fd, ctl_swan_now());

	if (err)
		return err;
	ctl_swan_store = fd;
	if (ctl_swan_resv.n)
		pr_info("%zu SPI reservations kept by an earlier udpespd", ctl_swan_resv.n);
	return 0;
}

void ctl_swan_sa_added(const struct udpesp_ctl_sa *sa, size_t n)
{
	size_t before = ctl_swan_resv.n;

	for (size_t k = 0; k < n; k++)
		spi_resv_release(&ctl_swan_resv, &sa[k].dst, sa[k].spi);
	if (ctl_swan_resv.n != before)
		ctl_swan_save();
}

void ctl_swan_fini(void)
{
	spi_resv_fini(&ctl_swan_resv);
	ctl_swan_store = -1;
}

static bool ctl_swan_in_use(void *ctx, const struct udpesp_ctl_addr *dst, __be32 spi)
{
	struct udpesp_ctl_sa_del sel = { .spi = spi, .dst = *dst };

	return sa_table_find(ctx, &sel) != NULL;
}

int ctl_swan_spi_alloc(struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct ctl_server *s = ctl_server_of(c);
	const struct udpesp_ctl_spi_req *req = m->payload;
	__u32 min = req->min, max = req->max;
	struct udpesp_ctl_spi out = { 0 };
	int ret;

	if (!min && !max) {
		min = CTL_SWAN_SPI_MIN;
		max = CTL_SWAN_SPI_MAX;
	}
	if (req->dst.family != UDPESP_AF_INET && req->dst.family != UDPESP_AF_INET6)
		return ctl_server_error(c, m->hdr.seq, EAFNOSUPPORT,
					"spi alloc: dst family %u is not IPv4 or IPv6",
					req->dst.family);
	out.timeout = req->timeout ? req->timeout : CTL_SWAN_SPI_TIMEOUT;
	ret = spi_resv_alloc(&ctl_swan_resv, &req->dst, min, max, ctl_swan_now(), out.timeout,
			     ctl_swan_in_use, s->table, &out.spi);
	switch (ret) {
	case 0:
		ctl_swan_save();
		return ctl_server_queue(c, UDPESP_MSG_SPI_ALLOC, m->hdr.seq, 0, &out, sizeof(out));
	case -EINVAL:
		/* SPIs 1-255 are reserved by IANA, 0 is never ESP (RFC 4303 2.1). */
		return ctl_server_error(c, m->hdr.seq, EINVAL,
					"spi alloc: range 0x%x-0x%x is empty or below 0x100", min,
					max);
	case -ENOSPC:
		return ctl_server_error(c, m->hdr.seq, ENOSPC,
					"spi alloc: %d SPIs reserved already", SPI_RESV_MAX);
	case -EADDRINUSE:
		return ctl_server_error(c, m->hdr.seq, EADDRINUSE,
					"spi alloc: no free SPI in 0x%x-0x%x", min, max);
	default:
		return ctl_server_error(c, m->hdr.seq, -ret, "spi alloc: %s", strerror(-ret));
	}
}

static int ctl_swan_no_sa(struct ctl_server_client *c, __u32 seq,
			  const struct udpesp_ctl_sa_del *sel)
{
	char abuf[INET6_ADDRSTRLEN] = "?";

	if (sel->handle)
		return ctl_server_error(c, seq, ENOENT, "no SA with handle %u", sel->handle);
	inet_ntop(sel->dst.family == UDPESP_AF_INET6 ? AF_INET6 : AF_INET, sel->dst.addr, abuf,
		  sizeof(abuf));
	return ctl_server_error(c, seq, ENOENT, "no SA with dst %s spi 0x%x", abuf,
				ntohl(sel->spi));
}

int ctl_swan_sa_query(struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct ctl_server *s = ctl_server_of(c);
	const struct udpesp_ctl_sa_del *sel = m->payload;
	struct sa_entry *e = sa_table_find(s->table, sel);
	struct udpesp_ctl_sa_query out = { 0 };
	struct udpesp_sa_stats st;
	struct udpesp_replay rp;

	if (!e)
		return ctl_swan_no_sa(c, m->hdr.seq, sel);
	out.handle = e->handle;
	out.dir = e->cfg.dir;
	out.state = e->soft_expired ? 1 : 0;
	out.add_time = e->add_time;
	/* One slot's counters: a lookup per CPU, not a walk of the table. */
	if (!udpesp_maps_sa_stats(s->maps, e->slot, &st)) {
		out.packets = st.packets;
		out.bytes = st.bytes;
	}
	if (e->cfg.dir == UDPESP_DIR_IN && !udpesp_maps_replay_get(s->maps, e->slot, &rp))
		out.seq = rp.top;
	else if (e->cfg.dir == UDPESP_DIR_OUT && e->rt)
		out.seq = __atomic_load_n(&((struct sa_rt *)e->rt)->encap.oseq, __ATOMIC_RELAXED);
	return ctl_server_queue(c, UDPESP_MSG_SA_QUERY, m->hdr.seq, 0, &out, sizeof(out));
}

int ctl_swan_sa_update(struct ctl_server_client *c, const struct ctl_msg *m)
{
	struct ctl_server *s = ctl_server_of(c);
	const struct udpesp_ctl_sa_update *up = m->payload;
	struct sa_entry *e = sa_table_find(s->table, &up->sel);
	char err[UDPESP_CTL_ERRMSG_MAX] = "";
	struct udpesp_ctl_handles out;
	struct sa_rt *rt;
	int ret;

	if (!e)
		return ctl_swan_no_sa(c, m->hdr.seq, &up->sel);
	ret = sa_table_move(s->table, e, &up->src, &up->dst, up->sport, up->dport, err,
			    sizeof(err));
	if (ret)
		return ctl_server_error(c, m->hdr.seq, -ret, "%s", err);
	/* The workers' view: where to send, or where the peer is now. */
	rt = e->rt;
	if (rt) {
		pthread_mutex_lock(&rt->mapping_lock);
		if (e->cfg.dir == UDPESP_DIR_OUT) {
			sa_esp_addr(&rt->encap.src, &e->cfg.src);
			sa_esp_addr(&rt->encap.dst, &e->cfg.dst);
			rt->encap.sport = e->cfg.encap_sport;
			rt->encap.dport = e->cfg.encap_dport;
		} else {
			memcpy(rt->peer_addr, e->cfg.src.addr, sizeof(rt->peer_addr));
			rt->peer_port = e->cfg.encap_sport;
		}
		pthread_mutex_unlock(&rt->mapping_lock);
	}
	pr_info("SA %u moved (spi 0x%x, %s)", e->handle, ntohl(e->cfg.spi),
		e->cfg.dir == UDPESP_DIR_IN ? "in" : "out");
	out.handle = e->handle;
	out.parser = e->parser;
	return ctl_server_queue(c, UDPESP_MSG_SA_UPDATE, m->hdr.seq, 0, &out, sizeof(out));
}
