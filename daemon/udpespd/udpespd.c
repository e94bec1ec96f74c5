// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespd: owns udpesp's maps, SA and parser-entry handles, the links it
 * attached, lifetimes and events, and answers udpespctl on a Unix socket.
 *
 * It loads build/udpesp.bpf.o (embedded as a skeleton) with its maps
 * pinned under --pin-dir, reusing maps that `ip link ... xdp obj` pinned
 * there, so a program attached either way shares one set of maps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <bpf/libbpf.h>

#include "common/ctl_proto.h"
#include "common/loader.h"
#include "restart.h"
#include "secrets.h"
#include "common/log.h"
#include "common/maps.h"
#include "common/util.h"
#include "ctl_swan.h"
#include "ctl_server.h"
#include "evloop.h"
#include "kfunc.h"
#include "lifetime.h"
#include "links.h"
#include "persist.h"
#include "pmtu.h"
#include "sa_rt.h"
#include "sa_table.h"
#include "tun.h"
#include "udpesp.skel.h"
#include "xsk_worker.h"

/*
 * The daemon's parts. Each reports through the callbacks and ops tables
 * registered here; none of them calls back into this file.
 */
struct udpespd {
	struct udpesp *skel;
	struct udpesp_maps maps;
	struct sa_table table;
	struct links links;
	struct sa_rt_table rt;	    /* the SAs as the packet workers see them */
	struct xsk_workers workers; /* AF_XDP sockets and their threads */
	struct outbound out;	    /* the send path and NAT-keepalives */
	struct lifetime life;	    /* soft and hard SA lifetimes */
	struct ctl_server ctl;	    /* udpespctl's socket and clients */
	struct evloop loop;
	bool loop_ready;		/* sources can be added */
	struct evloop_src *kf_peer_src; /* the kfunc backend's NAT mappings */
	struct persist persist;		/* SAs kept for the next udpespd */
	bool flush_on_exit;
	int spi_fd; /* SPI reservations kept beside the state file */
	char spi_path[PATH_MAX];
	const char *tun_name;
	const char *pin_dir;
	unsigned int outer_mtu; /* the inner interface's MTU follows it */
	bool outer_mtu_auto;	/* outer_mtu follows the udpesp interfaces */
	int pmtu_fd[2];		/* ICMP, ICMPv6: routers' too-big reports */
	__u64 pmtu_next_expiry; /* earliest path_mtu_until of any SA; 0: none */
	unsigned int tun_mtu;	/* what follow_mtu() last set */
	int tun_fd;		/* keeps the inner TUN device alive */
	int timer_fd;
	int sig_fd;
	bool ctl_open;
	__u32 sas_gone; /* SAs removed since memory was last trimmed */
	int trim_ticks; /* ticks left to trim in after a big drop */
};

/* ---- the data path as the SA table sees it ---- */

static int dp_parser_add(void *ctx, const struct udpesp_parser_key *key,
			 const struct udpesp_parser_val *val)
{
	return udpesp_maps_parser_add(&((struct udpespd *)ctx)->maps, key, val);
}

static int dp_parser_del(void *ctx, const struct udpesp_parser_key *key)
{
	return udpesp_maps_parser_del(&((struct udpespd *)ctx)->maps, key);
}

static int dp_sa_add(void *ctx, const struct udpesp_sa_key *key, const struct udpesp_sa *sa,
		     __u32 window, __u64 top)
{
	return udpesp_maps_sa_add(&((struct udpespd *)ctx)->maps, key, sa, window, top);
}

static int dp_sa_mark_dying(void *ctx, const struct udpesp_sa_key *key)
{
	return udpesp_maps_sa_mark_dying(&((struct udpespd *)ctx)->maps, key);
}

static int dp_sa_del(void *ctx, const struct udpesp_sa_key *key)
{
	return udpesp_maps_sa_del(&((struct udpespd *)ctx)->maps, key);
}

/* The in-kernel crypto backend (kfunc.c), loaded once at start. */
static struct kfunc_backend kf;

static int dp_kfunc_ok(void *ctx, const struct udpesp_ctl_sa *cfg, const struct esp_suite *suite,
		       char *err, size_t errlen)
{
	(void)ctx;
	return kfunc_supports(&kf, cfg, suite, err, errlen);
}

/*
 * The inner interface's MTU: what the most demanding outbound SA leaves
 * of the outer MTU, so the kernel fragments or sends "too big" itself.
 */
static void follow_mtu(struct udpespd *d)
{
	__u64 now = outbound_now();
	unsigned int mtu = 0;

	d->pmtu_next_expiry = 0;
	for (size_t i = 0; i < d->out.nsas; i++) {
		struct sa_rt *rt = d->out.sas[i];
		unsigned int outer = d->outer_mtu, m;

		/* A router's figure holds until it expires (pmtu.h). */
		if (rt->path_mtu && rt->path_mtu_until <= now)
			rt->path_mtu = 0;
		if (rt->path_mtu) {
			if (rt->path_mtu < outer)
				outer = rt->path_mtu;
			if (!d->pmtu_next_expiry || rt->path_mtu_until < d->pmtu_next_expiry)
				d->pmtu_next_expiry = rt->path_mtu_until;
		}
		m = esp_encap_inner_mtu(&rt->suite, rt->encap.mode, rt->encap.dst.family, outer);

		if (m && (!mtu || m < mtu))
			mtu = m;
	}
	if (mtu < 1280 || mtu == d->tun_mtu)
		return;
	if (tun_set_mtu(d->tun_name, mtu))
		pr_warn("%s: cannot set MTU %u", d->tun_name, mtu);
	else
		d->tun_mtu = mtu;
}

static int dp_sa_attach(void *ctx, struct sa_entry *e)
{
	struct udpespd *d = ctx;
	int err = sa_rt_attach(&d->rt, e);

	if (!err && e->backend == UDPESP_BACKEND_KFUNC) {
		err = kfunc_sa_add(&kf, e->slot, e->gen, &e->cfg, &e->suite);
		if (err)
			sa_rt_detach(&d->rt, e);
	}
	if (err || e->cfg.dir != UDPESP_DIR_OUT)
		goto out;
	/*
	 * Inbound slots are zeroed by udpesp_maps_sa_add(); new outbound ones
	 * here. An adopted SA keeps what it counted before the restart.
	 */
	if (!e->adopted)
		err = udpesp_maps_sa_stats_zero(&d->maps, e->slot);
	if (!err)
		err = outbound_add(&d->out, e->rt);
	if (err)
		sa_rt_detach(&d->rt, e);
out:
	/*
	 * The contexts hold the keys now: no raw copy stays (secrets.h). A new
	 * SA's copy goes once dp_sa_persist() has put it in the keyring.
	 */
	if (!err && e->adopted)
		secrets_wipe_sa_keys(&e->cfg);
	return err;
}

static void dp_sa_detach(void *ctx, struct sa_entry *e)
{
	struct udpespd *d = ctx;

	d->sas_gone++; /* trim_memory() gives their memory back */
	/* An outbound SA is released by outbound_commit(), once unpublished. */
	if (e->rt && e->cfg.dir == UDPESP_DIR_OUT) {
		outbound_del(&d->out, e->rt);
		e->rt = NULL;
		return;
	}
	if (e->backend == UDPESP_BACKEND_KFUNC)
		kfunc_sa_del(&kf, e->slot);
	sa_rt_detach(&d->rt, e);
}

/* After each change of the SA set: the senders see it, the MTU follows. */
static void dp_commit(void *ctx)
{
	struct udpespd *d = ctx;

	if (outbound_commit(&d->out))
		follow_mtu(d);
}

/* Every SA and parser event goes to the monitors. */
static void dp_event(void *ctx, const struct udpesp_ctl_event *ev)
{
	struct udpespd *d = ctx;

	ctl_server_broadcast(&d->ctl, ev);
}

/* Called last in an add: the keys go to the keyring, then from the daemon. */
static int dp_sa_persist(void *ctx, struct sa_entry *e, char *err, size_t errlen)
{
	int ret = persist_sa_add(&((struct udpespd *)ctx)->persist, e, err, errlen);

	if (!ret)
		secrets_wipe_sa_keys(&e->cfg);
	return ret;
}

static void dp_sa_forget(void *ctx, struct sa_entry *e)
{
	persist_sa_del(&((struct udpespd *)ctx)->persist, e);
}

static void dp_sa_changed(void *ctx, const struct sa_entry *e)
{
	persist_sa_changed(&((struct udpespd *)ctx)->persist, e);
	/* Moved: XDP reports the peer's next NAT mapping from where it is now. */
	if (e->backend == UDPESP_BACKEND_KFUNC && e->cfg.dir == UDPESP_DIR_IN &&
	    kfunc_sa_peer(&kf, e->slot, &e->cfg))
		pr_warn("SA %u: the kfunc backend keeps its old peer: NAT mappings from there go unreported",
			e->handle);
}

static const struct sa_table_ops datapath_ops = {
	.parser_add = dp_parser_add,
	.parser_del = dp_parser_del,
	.sa_add = dp_sa_add,
	.sa_mark_dying = dp_sa_mark_dying,
	.sa_del = dp_sa_del,
	.kfunc_ok = dp_kfunc_ok,
	.sa_attach = dp_sa_attach,
	.sa_detach = dp_sa_detach,
	.commit = dp_commit,
	.event = dp_event,
	.sa_persist = dp_sa_persist,
	.sa_forget = dp_sa_forget,
	.sa_changed = dp_sa_changed,
};

/* ---- packet workers ---- */

struct ifindex_list {
	__u32 v[XSK_IF_SLOTS];
	size_t n;
	unsigned int min_mtu; /* of those interfaces; 0 when none is known */
};

static unsigned int link_mtu(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ret = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return ret || ifr.ifr_mtu <= 0 ? 0 : (unsigned int)ifr.ifr_mtu;
}

static int collect_link(const struct udpesp_ctl_link *link, void *arg)
{
	struct ifindex_list *l = arg;
	unsigned int mtu = link_mtu(link->name);

	if (l->n < XSK_IF_SLOTS)
		l->v[l->n++] = link->ifindex;
	if (mtu && (!l->min_mtu || mtu < l->min_mtu))
		l->min_mtu = mtu;
	return 0;
}

/*
 * Once a second and on attach: a worker per RX queue of every interface
 * running udpesp_xdp, and (--outer-mtu auto) udpesp0's MTU following the
 * smallest MTU among those interfaces, the ones ESP leaves by.
 */
static void sync_workers(struct udpespd *d)
{
	struct ifindex_list l = { .n = 0 };

	if (links_list(&d->links, collect_link, &l))
		return;
	xsk_workers_sync(&d->workers, l.v, l.n);
	if (d->outer_mtu_auto && l.min_mtu && l.min_mtu != d->outer_mtu) {
		pr_info("outer MTU %u (smallest of the udpesp interfaces)", l.min_mtu);
		d->outer_mtu = l.min_mtu;
		follow_mtu(d);
	}
}

static bool same_addr(const struct udpesp_ctl_addr *a, __u8 family, const __be32 addr[4])
{
	return a->family == family && !memcmp(a->addr, addr, family == UDPESP_AF_INET ? 4 : 16);
}

struct mapping_scan {
	const struct xsk_mapping *m;
	const struct sa_entry *in;
	struct sa_entry *out[16];
	size_t n;
};

/* Outbound SAs towards the old peer address and port of the inbound SA. */
static int find_outbound(const struct sa_entry *e, void *arg)
{
	struct mapping_scan *s = arg;

	if (e->cfg.dir == UDPESP_DIR_OUT && s->n < 16 &&
	    same_addr(&e->cfg.dst, s->m->family, s->m->old_addr) &&
	    e->cfg.encap_dport == s->m->old_port &&
	    (!s->in->cfg.reqid || e->cfg.reqid == s->in->cfg.reqid))
		s->out[s->n++] = (struct sa_entry *)e;
	return 0;
}

/*
 * A peer's authenticated packets now come from another address or port
 * (its NAT mapping changed): follow it, as XFRM_MSG_MAPPING asks IKE to.
 */
static void handle_mappings(struct udpespd *d)
{
	struct xsk_mapping ms[32];
	size_t n;

	while ((n = notify_queue_pop(&d->workers.mappings, ms, 32))) {
		for (size_t i = 0; i < n; i++) {
			struct udpesp_ctl_sa_del sel = { .handle = ms[i].handle };
			struct sa_entry *in = sa_table_find(&d->table, &sel);
			struct mapping_scan s = { .m = &ms[i], .in = in };
			struct udpesp_ctl_event ev = {
				.type = UDPESP_EV_MAPPING,
				.handle = ms[i].handle,
				.time = time(NULL),
				.port = ms[i].port,
			};

			if (!in)
				continue; /* deleted meanwhile */
			/* Already there (an SA_UPDATE moved it meanwhile): nothing to follow. */
			if (same_addr(&in->cfg.src, ms[i].family, ms[i].addr) &&
			    in->cfg.encap_sport == ms[i].port)
				continue;
			sa_table_for_each(&d->table, find_outbound, &s);
			memcpy(in->cfg.src.addr, ms[i].addr, sizeof(in->cfg.src.addr));
			in->cfg.encap_sport = ms[i].port;
			for (size_t k = 0; k < s.n; k++) {
				struct sa_rt *rt = s.out[k]->rt;
				struct udpesp_ctl_addr to = s.out[k]->cfg.dst, none = { 0 };
				char err[UDPESP_CTL_ERRMSG_MAX];

				/* Re-indexed: cfg.dst is the table's hash key. */
				memcpy(to.addr, ms[i].addr, sizeof(to.addr));
				if (sa_table_move(&d->table, s.out[k], &none, &to, 0, ms[i].port,
						  err, sizeof(err))) {
					pr_warn("SA %u does not follow the mapping: %s",
						s.out[k]->handle, err);
					continue;
				}
				if (!rt)
					continue;
				pthread_mutex_lock(&rt->mapping_lock);
				memcpy(rt->encap.dst.addr, ms[i].addr, sizeof(rt->encap.dst.addr));
				rt->encap.dport = ms[i].port;
				pthread_mutex_unlock(&rt->mapping_lock);
			}
			persist_sa_changed(&d->persist, in);
			ev.spi = in->cfg.spi;
			ev.ifindex = in->cfg.ifindex;
			ev.addr = in->cfg.src;
			pr_info("SA %u: peer now at port %u (NAT mapping changed); %zu outbound SAs follow",
				in->handle, ntohs(ms[i].port), s.n);
			ctl_server_broadcast(&d->ctl, &ev);
		}
	}
}

/* ---- path MTU reported by routers (pmtu.h) ---- */

static bool same_peer(const struct esp_encap_sa *e, const struct pmtu_report *r)
{
	return e->dst.family == r->family && e->dport == r->port &&
	       !memcmp(e->dst.addr, r->addr, r->family == UDPESP_AF_INET ? 4 : 16);
}

/* A router says ESP to this peer must be at most r->mtu bytes. */
static void on_pmtu(void *arg, const struct pmtu_report *r)
{
	struct udpespd *d = arg;
	size_t n = 0;

	for (size_t i = 0; i < d->out.nsas; i++) {
		struct sa_rt *rt = d->out.sas[i];

		if (!same_peer(&rt->encap, r))
			continue;
		rt->path_mtu = r->mtu;
		rt->path_mtu_until = outbound_now() + PMTU_EXPIRE_S;
		n++;
	}
	if (!n)
		return;
	pr_info("path MTU %u towards a peer of %zu outbound SAs (ICMP from a router)", r->mtu, n);
	follow_mtu(d);
}

static void pmtu_expire(struct udpespd *d)
{
	if (d->pmtu_next_expiry && d->pmtu_next_expiry <= outbound_now())
		follow_mtu(d);
}

/*
 * Loading the kfunc backend takes a second or more (the verifier on the
 * GCM program): a restart does it after the AF_XDP path runs again,
 * unless kept SAs need it. Requests wait for it either way (the event
 * loop starts after).
 */
static bool kf_tried;

/*
 * A NAT mapping udpesp_kf_xdp saw in an authenticated packet: the same
 * path as the AF_XDP workers', so handle_mappings() follows it.
 */
static void kf_peer_seen(void *ctx, const struct udpesp_kf_peer_ev *ev)
{
	struct udpespd *d = ctx;
	struct sa_rt *rt = sa_rt_get(&d->rt, ev->slot);

	if (!rt || rt->gen != ev->gen || rt->dir != UDPESP_DIR_IN)
		return; /* the SA went, or its slot holds another one now */
	xsk_note_peer(&d->workers, rt, ev->family, ev->addr, ev->port);
}

static void on_kf_peer(void *ctx, __u32 events)
{
	(void)ctx;
	(void)events;
	kfunc_peer_consume(&kf);
}

/* Once both the backend and the loop are up, whichever comes first. */
static void watch_kf_peers(struct udpespd *d)
{
	int fd;

	if (!kf.ok || !d->loop_ready || d->kf_peer_src)
		return;
	fd = kfunc_peer_watch(&kf, kf_peer_seen, d);
	if (fd >= 0)
		d->kf_peer_src = evloop_add(&d->loop, fd, EPOLLIN, on_kf_peer, d);
	if (!d->kf_peer_src)
		pr_warn("kfunc backend: NAT mappings will go unnoticed: %s",
			strerror(fd < 0 ? -fd : errno));
}

static void kfunc_start(struct udpespd *d)
{
	kf_tried = true;
	kfunc_load(&kf, &d->maps);
	if (kf.ok)
		pr_info("kfunc backend ready: AES-GCM-16 SAs decapsulate inside XDP (bpf_crypto); kernel AES %s: offload auto %s",
			kf.aes_driver,
			kf.aes_fast ? "uses it" : "keeps AF_XDP, offload kfunc forces it");
	else
		pr_info("kfunc backend unavailable (%s): offload auto uses AF_XDP", kf.why);
	watch_kf_peers(d);
}

/* ---- leftovers of an earlier udpespd in pinned maps ---- */

static int adopt_parser(const struct udpesp_parser_key *k, const struct udpesp_parser_val *v,
			void *arg)
{
	struct udpespd *d = arg;

	if (sa_table_adopt_parser(&d->table, k, v))
		pr_warn("pinned parser entry %u conflicts with another: left alone", v->handle);
	return 0;
}

struct stale_sas {
	const struct sa_table *t;
	struct udpesp_sa_key *keys;
	size_t n, cap;
};

/* An SA in the maps that the table did not adopt. */
static int collect_sa(const struct udpesp_sa_key *k, const struct udpesp_sa *v, void *arg)
{
	struct stale_sas *s = arg;
	struct udpesp_ctl_sa_del sel = { .handle = v->handle };
	const struct sa_entry *e = sa_table_find(s->t, &sel);

	if (e && e->slot == v->slot && e->gen == v->gen && e->cfg.dir == UDPESP_DIR_IN)
		return 0;
	if (array_reserve((void **)&s->keys, s->n, &s->cap, sizeof(*s->keys)))
		return -ENOMEM;
	s->keys[s->n++] = *k;
	return 0;
}

/* An inbound SA must still be in the maps as it was kept: same handle, slot, generation. */
static bool adopt_in_maps(struct udpespd *d, const struct persist_sa *ps)
{
	struct udpesp_sa_key key = { .spi = ps->cfg.spi, .family = ps->cfg.dst.family };
	struct udpesp_sa sa;

	if (ps->cfg.dir != UDPESP_DIR_IN)
		return true;
	memcpy(key.daddr, ps->cfg.dst.addr, sizeof(key.daddr));
	return !udpesp_maps_sa_get(&d->maps, &key, &sa) && sa.handle == ps->a.handle &&
	       sa.slot == ps->a.slot && sa.gen == ps->a.gen && !(sa.flags & UDPESP_SA_F_DYING);
}

/* Take over one kept SA; outbound ones resume above their mark. */
static int adopt_sa(struct udpespd *d, struct persist_sa *ps)
{
	char err[UDPESP_CTL_ERRMSG_MAX];
	struct udpesp_ctl_sa_del sel = { .handle = ps->a.handle };
	struct sa_entry *e;
	int ret;

	if (!ps->has_keys) {
		pr_warn("kept SA %u: its keys are not in the keyring", ps->a.handle);
		return -ENOKEY;
	}
	if (!adopt_in_maps(d, ps)) {
		pr_warn("kept SA %u: not in the maps as it was kept", ps->a.handle);
		return -ESTALE;
	}
	ps->a.cfg = &ps->cfg;
	ret = sa_table_adopt_sa(&d->table, &ps->a, err, sizeof(err));
	if (ret) {
		pr_warn("kept SA %u: %s", ps->a.handle, err);
		return ret;
	}
	e = sa_table_find(&d->table, &sel);
	if (e && e->rt && e->cfg.dir == UDPESP_DIR_OUT) {
		struct sa_rt *rt = e->rt;

		/* The old senders may have used every number up to the mark. */
		if (rt->encap.oseq < ps->oseq_mark)
			rt->encap.oseq = ps->oseq_mark;
	}
	return 0;
}

/*
 * What an earlier udpespd left: its parser entries in the pinned maps are
 * kept under their handles. Its SAs are adopted when it kept them (state
 * file and keyring, persist.h); any other SA in the maps lost its keys
 * with the process that held them, so it is taken out of the data path
 * and the IKE daemon must install it again.
 */
static void adopt_leftovers(struct udpespd *d)
{
	struct stale_sas s = { .t = &d->table };
	struct persist_sa *kept = NULL;
	size_t nkept = 0;

	udpesp_maps_parser_for_each(&d->maps, adopt_parser, d);
	persist_load(&d->persist, &d->table, d->pin_dir, &kept, &nkept);
	/* Kept kfunc SAs need their contexts again; else it loads later. */
	for (size_t i = 0; i < nkept && !kf_tried; i++)
		if (kept[i].a.backend == UDPESP_BACKEND_KFUNC)
			kfunc_start(d);
	for (size_t i = 0; i < nkept; i++) {
		if (adopt_sa(d, &kept[i]))
			d->persist.dropped_sas++;
		else
			d->persist.adopted_sas++;
	}
	if (nkept) {
		sa_table_adopt_done(&d->table, 0, 0);
		d->persist.adopted = true;
		d->persist.adopted_at = time(NULL);
	}
	if (persist_sync(&d->persist, kept, nkept))
		pr_warn("%s: cannot rewrite the kept state: %s", d->persist.path, strerror(errno));
	persist_free_loaded(kept, nkept);
	if (nkept)
		pr_info("adopted %u SAs kept by an earlier udpespd (%u could not be)",
			d->persist.adopted_sas, d->persist.dropped_sas);
	udpesp_maps_sa_for_each(&d->maps, collect_sa, &s);
	for (size_t i = 0; i < s.n; i++) {
		udpesp_maps_sa_mark_dying(&d->maps, &s.keys[i]);
		udpesp_maps_sa_del(&d->maps, &s.keys[i]);
	}
	if (s.n)
		pr_warn("removed %zu SAs left by an earlier udpespd: their keys are gone, add them again",
			s.n);
	free(s.keys);
}

/* The links the earlier udpespd attached: this one's program takes them over. */
static void adopt_links(struct udpespd *d)
{
	__u32 ifindex[LINKS_MAX_OWNED];
	__u8 mode[LINKS_MAX_OWNED];
	int n;

	persist_links_get(&d->persist, ifindex, mode, &n);
	for (int i = 0; i < n; i++) {
		int err = links_adopt(&d->links, ifindex[i], mode[i]);

		if (err)
			pr_warn("kept link %u: not adopted: %s", ifindex[i], strerror(-err));
		else
			d->persist.adopted_links++;
	}
	persist_links_set(&d->persist, &d->links);
}

static void on_link_gone(void *arg, __u32 ifindex)
{
	struct udpespd *d = arg;

	pr_info("interface %u disappeared: removing its parser entries and SAs", ifindex);
	sa_table_link_gone(&d->table, ifindex);
}

/* udpespctl attached or detached udpesp_xdp: workers follow at once. */
static void on_links_changed(void *arg)
{
	struct udpespd *d = arg;

	persist_links_set(&d->persist, &d->links);
	sync_workers(d);
}

static const struct links_ops links_ops = {
	.gone = on_link_gone,
	.changed = on_links_changed,
};

/* A sender ran out of sequence numbers (hard) or passed the soft mark. */
static void handle_outbound_notes(struct udpespd *d)
{
	struct outbound_note notes[32];
	size_t n;

	while ((n = notify_queue_pop(&d->out.notes, notes, 32))) {
		for (size_t i = 0; i < n; i++) {
			if (notes[i].reserve) {
				struct udpesp_ctl_sa_del sel = { .handle = notes[i].handle };
				struct sa_entry *e = sa_table_find(&d->table, &sel);

				if (e && e->rt)
					persist_reserve(&d->persist, e->rt);
				continue;
			}
			lifetime_expire(&d->life, notes[i].handle, notes[i].hard,
					notes[i].hard ? UDPESP_LIMIT_PACKET_HARD :
							UDPESP_LIMIT_PACKET_SOFT,
					notes[i].hard ? "sequence numbers used up, RFC 4303 3.3.3" :
							"sequence numbers running out");
		}
	}
}

static void ctl_state(void *ctx, struct udpesp_ctl_state *out)
{
	persist_info(ctx, out);
}

/* ---- set-up and main loop ---- */

struct options {
	const char *socket;
	const char *pin_dir;
	const char *tun;
	const char *log;
	const char *group;
	const char *state; /* NULL: next to the socket (persist_default_path()) */
	int xsk_cpu;
	unsigned int keepalive;
	unsigned int outer_mtu; /* 0: follow the interfaces udpesp runs on */
	enum outbound_df df;
	__u32 max_sa;
	bool foreground;
	bool flush_on_exit;
	bool debug;
	bool gso; /* --gso on (default): TUN offloads, GRO, batched sends */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: udpespd [--socket PATH] [--pin-dir DIR] [--tun NAME] [--foreground]\n"
		"               [--group GROUP] [--max-sa N] [--xsk-cpu FIRST]\n"
		"               [--keepalive SECONDS] [--outer-mtu auto|N] [--df copy|set|clear]\n"
		"               [--gso on|off] [--state FILE] [--flush-on-exit]\n"
		"               [--log FILE|syslog] [--debug]\n"
		"  --socket PATH   control socket (default %s)\n"
		"  --pin-dir DIR   where the maps are pinned (default %s)\n"
		"  --tun NAME      inner interface (default udpesp0)\n"
		"  --foreground    do not detach (for a supervisor such as systemd)\n"
		"  --group GROUP   members of GROUP may use the socket too (default: root only)\n"
		"  --max-sa N      SA table size when no maps are pinned yet (default %u)\n"
		"  --xsk-cpu FIRST pin AF_XDP worker i to CPU FIRST + i (default: unpinned)\n"
		"  --keepalive S   NAT-keepalive to a peer sent nothing for S seconds\n"
		"                  (default 20, 0 = off; RFC 3948 4)\n"
		"  --outer-mtu N   MTU towards the peers; udpesp0's MTU is N minus the\n"
		"                  largest ESP overhead of the outbound SAs (default auto:\n"
		"                  the smallest MTU of the interfaces udpesp_xdp runs on)\n"
		"  --df MODE       outer IPv4 DF bit: copy (from the inner packet, the\n"
		"                  default), set, or clear\n"
		"  --gso MODE      on (default): udpesp0 takes TSO/USO super-packets and is\n"
		"                  given GRO super-packets, outer packets leave in batches;\n"
		"                  off: one packet per read, write and send\n"
		"  --state FILE    where SAs are kept for the next udpespd, keys apart (default:\n"
		"                  the socket's name with .state for .sock)\n"
		"  --flush-on-exit delete every SA and wipe its keys on exit (default: keep\n"
		"                  them for the next udpespd)\n"
		"  --log FILE      log to FILE (reopened on SIGHUP) or to syslog;\n"
		"                  default stderr in the foreground, syslog detached\n",
		UDPESP_SOCKET_DEFAULT, UDPESP_PIN_DIR_DEFAULT, UDPESP_MAX_SA_DEFAULT);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "tun", required_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "group", required_argument, NULL, 'g' },
		{ "max-sa", required_argument, NULL, 'm' },
		{ "xsk-cpu", required_argument, NULL, 'c' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "outer-mtu", required_argument, NULL, 'M' },
		{ "df", required_argument, NULL, 'D' },
		{ "log", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 'S' },
		{ "flush-on-exit", no_argument, NULL, 'F' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "gso", required_argument, NULL, 'G' },
		{ 0 },
	};
	char *end;
	int c;

	*o = (struct options){ .socket = UDPESP_SOCKET_DEFAULT,
			       .pin_dir = UDPESP_PIN_DIR_DEFAULT,
			       .tun = "udpesp0",
			       .xsk_cpu = -1,
			       .keepalive = 20,
			       .gso = true,
			       .max_sa = UDPESP_MAX_SA_DEFAULT };
	while ((c = getopt_long(argc, argv, "s:p:t:fg:m:c:k:M:D:l:S:FdVh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'p':
			o->pin_dir = optarg;
			break;
		case 't':
			o->tun = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'S':
			o->state = optarg;
			break;
		case 'F':
			o->flush_on_exit = true;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'm': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || v == 0 || v > (1ul << 24)) {
				fprintf(stderr, "Error: --max-sa \"%s\": expected 1 to %lu\n",
					optarg, 1ul << 24);
				return 2;
			}
			o->max_sa = v;
			break;
		}
		case 'c': {
			long v;

			errno = 0;
			v = strtol(optarg, &end, 0);
			if (errno || *end || v < 0 || v > 4095) {
				fprintf(stderr,
					"Error: --xsk-cpu \"%s\": expected a CPU number 0 to 4095\n",
					optarg);
				return 2;
			}
			o->xsk_cpu = v;
			break;
		}
		case 'G':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "Error: --gso \"%s\": expected on or off\n",
					optarg);
				return 2;
			}
			o->gso = !strcmp(optarg, "on");
			break;
		case 'D':
			if (!strcmp(optarg, "copy")) {
				o->df = OUTBOUND_DF_COPY;
			} else if (!strcmp(optarg, "set")) {
				o->df = OUTBOUND_DF_SET;
			} else if (!strcmp(optarg, "clear")) {
				o->df = OUTBOUND_DF_CLEAR;
			} else {
				fprintf(stderr, "Error: --df \"%s\": expected copy, set or clear\n",
					optarg);
				return 2;
			}
			break;
		case 'M':
			if (!strcmp(optarg, "auto")) {
				o->outer_mtu = 0;
				break;
			}
			/* fall through */
		case 'k': {
			const char *name = c == 'k' ? "--keepalive" : "--outer-mtu";
			unsigned long lo = c == 'k' ? 0 : 1280, hi = c == 'k' ? 86400 : 65535;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || !*optarg || v < lo || v > hi) {
				fprintf(stderr, "Error: %s \"%s\": expected %lu to %lu\n", name,
					optarg, lo, hi);
				return 2;
			}
			if (c == 'k')
				o->keepalive = v;
			else
				o->outer_mtu = v;
			break;
		}
		case 'V':
			printf("udpespd %s\n", UDPESP_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "Error: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	return 0;
}

/*
 * Whether a udpespd answers on the control socket: one that predates the
 * state lock, or runs on another state file, must not see a second data
 * path start next to it.
 */
static bool socket_alive(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return !ret;
}

/* mkdir -p for the socket's directory, root only. */
static int make_socket_dir(const char *sock)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", sock) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- event sources ---- */

#define TRIM_AFTER_SAS 1024U

/*
 * After thousands of SAs went (a flush, a batch expiring), give the memory
 * back: glibc keeps freed chunks in its arenas, and 10,000-SA add and
 * flush cycles grew udpespd from 45 to 225 MB with 1.7 MB in use. Trim on
 * two ticks: the send path frees its SAs a grace period later.
 */
static void trim_memory(struct udpespd *d)
{
	if (d->sas_gone >= TRIM_AFTER_SAS) {
		d->sas_gone = 0;
		d->trim_ticks = 2;
	}
	if (d->trim_ticks > 0) {
		d->trim_ticks--;
		secrets_trim(); /* malloc_trim(), past the memory lock */
	}
}

static void on_timer(void *ctx, __u32 events)
{
	struct udpespd *d = ctx;
	__u64 ticks;

	(void)events;
	if (read(d->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	lifetime_check(&d->life);
	/* Catch `ip link` attaches and detaches too. */
	sync_workers(d);
	dp_commit(d); /* retry a publish that found no memory */
	outbound_keepalives(&d->out);
	/* Senders ask when they need more numbers; this catches a lost note. */
	for (size_t i = 0; i < d->out.nsas; i++)
		persist_reserve(&d->persist, d->out.sas[i]);
	pmtu_expire(d);
	sa_rt_reclaim(&d->rt);
	trim_memory(d);
	log_tick(); /* "N messages suppressed" once a flood is over */
	ctl_server_tick(&d->ctl);
}

static void on_signal(void *ctx, __u32 events)
{
	struct udpespd *d = ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(d->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		pr_info("SIGHUP: reopening the log");
		log_reopen();
		return;
	}
	pr_info("signal %u: exiting", si.ssi_signo);
	evloop_stop(&d->loop);
}

static void on_netlink(void *ctx, __u32 events)
{
	struct udpespd *d = ctx;

	(void)events;
	links_handle(&d->links);
}

static void on_mapping(void *ctx, __u32 events)
{
	(void)events;
	handle_mappings(ctx);
}

static void on_outbound(void *ctx, __u32 events)
{
	(void)events;
	handle_outbound_notes(ctx);
}

static void on_pmtu4(void *ctx, __u32 events)
{
	struct udpespd *d = ctx;

	(void)events;
	pmtu_drain(d->pmtu_fd[0], UDPESP_AF_INET, on_pmtu, d);
}

static void on_pmtu6(void *ctx, __u32 events)
{
	struct udpespd *d = ctx;

	(void)events;
	pmtu_drain(d->pmtu_fd[1], UDPESP_AF_INET6, on_pmtu, d);
}

/* Sources live as long as the loop: evloop_fini() is all they need. */
static int watch(struct udpespd *d, int fd, evloop_fn fn)
{
	return evloop_add(&d->loop, fd, EPOLLIN, fn, d) ? 0 : -errno;
}

/*
 * SPIs reserved for an IKE daemon outlive us too (ctl_swan.c): IKE sent
 * them to the peer before adding the SA. Kept beside the state file.
 */
static void keep_spi_reservations(struct udpespd *d)
{
	int err;

	if (snprintf(d->spi_path, sizeof(d->spi_path), "%.*s.spi", PATH_MAX - 5, d->persist.path) >=
	    (int)sizeof(d->spi_path))
		return;
	d->spi_fd = open(d->spi_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	err = d->spi_fd < 0 ? -errno : ctl_swan_keep(d->spi_fd);
	if (err)
		pr_warn("%s: SPI reservations not kept: %s", d->spi_path, strerror(-err));
}

int main(int argc, char **argv)
{
	struct itimerspec tick = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct udpespd d = { .timer_fd = -1,
			     .sig_fd = -1,
			     .pmtu_fd = { -1, -1 },
			     .tun_fd = -1,
			     .loop = { .epfd = -1 } };
	struct ctl_server_cfg ctl = { 0 };
	char state[PATH_MAX];
	struct loader_opts lo;
	struct options o;
	sigset_t sigs;
	__u32 holder;
	int err, ret = 1;

	err = parse_options(argc, argv, &o);
	if (err)
		return err;
	if (o.group) {
		struct group *g = getgrnam(o.group);

		if (!g) {
			fprintf(stderr, "Error: --group \"%s\": no such group\n", o.group);
			return 2;
		}
		ctl.group = g->gr_gid;
		ctl.has_group = true;
	}
	if (log_open(o.log ? o.log : (o.foreground ? NULL : "syslog"),
		     o.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO)) {
		fprintf(stderr, "Error: cannot open log \"%s\": %s\n", o.log, strerror(errno));
		return 1;
	}

	/*
	 * Before anything else: one udpespd per state, so that two never
	 * run data paths on the same SAs. A new one waits for the old one's exit.
	 */
	d.persist.fd = -1;
	d.spi_fd = -1;
	if (o.state)
		snprintf(state, sizeof(state), "%s", o.state);
	else
		persist_default_path(o.socket, state, sizeof(state));
	err = make_socket_dir(state);
	if (!err)
		err = persist_lock(&d.persist, state, 10, &holder);
	for (int i = 0; !err && socket_alive(o.socket); i++) {
		if (i == 100) {
			pr_err("another udpespd answers on %s after 10 s: stop it first", o.socket);
			persist_close(&d.persist);
			return 1;
		}
		if (!i)
			pr_info("another udpespd answers on %s; waiting up to 10 s for it to exit",
				o.socket);
		usleep(100 * 1000);
	}
	if (err == -EBUSY) {
		pr_err("another udpespd (pid %u) still runs on %s after 10 s: stop it first",
		       holder, state);
		return 1;
	}
	if (err) {
		pr_err("state file %s: %s", state, strerror(-err));
		return 1;
	}
	d.flush_on_exit = o.flush_on_exit;
	d.pin_dir = o.pin_dir;
	/* A socket file a killed udpespd left is replaced; a live one refuses. */
	err = restart_socket_claim(o.socket);
	if (err) {
		pr_err("control socket %s: %s", o.socket,
		       err == -EADDRINUSE ? "another udpespd is running there" : strerror(-err));
		return 1;
	}
	/* Before any key arrives: no cores, no swap (secrets.h). */
	err = secrets_protect();
	if (err)
		pr_warn("cannot fully protect keys in memory: %s", strerror(-err));

	lo = (struct loader_opts){ .max_sa = o.max_sa, .pin_dir = o.pin_dir };
	d.skel = loader_load(&lo);
	if (!d.skel) {
		pr_err("loading the XDP object with maps under %s: %s", o.pin_dir, strerror(errno));
		persist_close(&d.persist);
		return 1;
	}
	err = udpesp_maps_from_obj(&d.maps, d.skel->obj);
	if (!err)
		err = udpesp_maps_mmap(&d.maps);
	if (!err)
		err = sa_rt_table_init(&d.rt, d.maps.max_sa, d.maps.replay_mem);
	if (!err)
		err = sa_table_init(&d.table, d.maps.max_sa, &datapath_ops, &d);
	if (!err)
		err = outbound_init(&d.out, &d.rt, &d.maps, o.keepalive);
	if (!err)
		err = xsk_workers_init(&d.workers, &d.maps, &d.rt, &d.out, o.tun, o.xsk_cpu);
	if (err) {
		pr_err("setting up the SA table: %s", strerror(-err));
		goto out;
	}
	lifetime_init(&d.life, &d.table, &d.maps, dp_event, &d);
	/* The inner interface; workers add their own queues to it. */
	d.tun_name = o.tun;
	d.outer_mtu_auto = !o.outer_mtu;
	d.outer_mtu = o.outer_mtu ? o.outer_mtu : 1500; /* until interfaces are seen */
	d.out.df = o.df;
	d.out.gso = d.workers.gso = o.gso;
	d.tun_fd = o.gso ? tun_open_queue_gso(o.tun) : tun_open_queue(o.tun);
	if (d.tun_fd < 0 || tun_set_up(o.tun)) {
		pr_err("inner interface %s (TUN): %s", o.tun,
		       strerror(d.tun_fd < 0 ? -d.tun_fd : errno));
		goto out;
	}
	adopt_leftovers(&d);
	if (d.persist.enabled)
		keep_spi_reservations(&d);
	/* Kept, udpesp0 outlives us with its addresses and routes. */
	if (d.persist.enabled && tun_set_persist(d.tun_fd, true))
		pr_warn("%s: cannot keep it across restarts: %s", o.tun, strerror(errno));
	err = links_init(&d.links, bpf_program__fd(d.skel->progs.udpesp_xdp), &links_ops, &d);
	if (err)
		pr_warn("no link events (libnl): SAs will not follow vanished interfaces");
	adopt_links(&d);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	err = evloop_init(&d.loop);
	d.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d.sig_fd < 0 || err || d.timer_fd < 0 || timerfd_settime(d.timer_fd, 0, &tick, NULL)) {
		pr_err("event loop set-up: %s", strerror(errno));
		goto out;
	}
	err = make_socket_dir(o.socket);
	ctl.path = o.socket;
	ctl.table = &d.table;
	ctl.maps = &d.maps;
	ctl.links = &d.links;
	ctl.state = ctl_state;
	ctl.state_ctx = &d.persist;
	if (!err)
		err = ctl_server_open(&d.ctl, &d.loop, &ctl);
	d.ctl_open = !err;
	if (!err)
		err = watch(&d, d.timer_fd, on_timer);
	if (!err)
		err = watch(&d, d.sig_fd, on_signal);
	if (!err && links_fd(&d.links) >= 0)
		err = watch(&d, links_fd(&d.links), on_netlink);
	if (!err)
		err = watch(&d, d.workers.mappings.event_fd, on_mapping);
	d.loop_ready = !err;
	watch_kf_peers(&d); /* if adopt_leftovers() loaded the backend */
	if (!err)
		err = watch(&d, d.out.notes.event_fd, on_outbound);
	/* Without them (no IPv6, say) only routers' reports go unheard. */
	d.pmtu_fd[0] = pmtu_open4();
	d.pmtu_fd[1] = pmtu_open6();
	for (int i = 0; i < 2 && !err; i++)
		if (d.pmtu_fd[i] < 0)
			pr_warn("ICMP%s socket: %s; path MTU reports will be missed", i ? "v6" : "",
				strerror(-d.pmtu_fd[i]));
		else
			err = watch(&d, d.pmtu_fd[i], i ? on_pmtu6 : on_pmtu4);
	if (!err)
		err = outbound_start(&d.out, d.tun_fd);
	if (err) {
		pr_err("control socket %s: %s", o.socket, strerror(-err));
		goto out;
	}
	if (!o.foreground && daemon(0, 0)) {
		pr_err("detaching: %s", strerror(errno));
		goto out;
	}
	sync_workers(&d);
	if (!kf_tried)
		kfunc_start(&d);
	pr_info("udpespd %s: socket %s, maps under %s, %u SA slots, crypto %s, inner interface %s",
		UDPESP_VERSION, o.socket, o.pin_dir, d.maps.max_sa, esp_crypto_backend(), o.tun);
	ret = evloop_run(&d.loop) ? 1 : 0;
	unlink(o.socket);
	if (d.flush_on_exit) {
		struct udpesp_ctl_del_result res;

		/* Every SA out of the data path and its keys wiped, then the rest. */
		sa_table_flush(&d.table, &res);
		persist_wipe(&d.persist);
		if (d.spi_fd >= 0)
			unlink(d.spi_path);
		tun_set_persist(d.tun_fd, false);
		pr_info("--flush-on-exit: %u SAs deleted, their keys wiped", res.deleted);
	} else if (d.persist.enabled) {
		/* The next udpespd adopts them: the program stays attached. */
		links_release(&d.links);
		pr_info("SAs kept in %s and the kernel keyring for the next udpespd",
			d.persist.path);
	}
out:
	if (d.ctl_open)
		ctl_server_close(&d.ctl);
	xsk_workers_fini(&d.workers); /* no packet in flight from here on */
	links_fini(&d.links);
	sa_table_fini(&d.table); /* wipes every key */
	evloop_del(&d.loop, d.kf_peer_src);
	kfunc_unload(&kf, &d.maps); /* and the kernel's copies with it */
	outbound_fini(&d.out);	    /* after the table: it releases the last SAs */
	sa_rt_table_fini(&d.rt);    /* and every expanded key */
	evloop_fini(&d.loop);
	if (d.tun_fd >= 0)
		close(d.tun_fd);
	if (d.timer_fd >= 0)
		close(d.timer_fd);
	for (int i = 0; i < 2; i++)
		if (d.pmtu_fd[i] >= 0)
			close(d.pmtu_fd[i]);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	loader_unload(d.skel);
	if (d.spi_fd >= 0)
		close(d.spi_fd);
	persist_close(&d.persist); /* the next udpespd may start from here */
	log_close();
	return ret;
}
