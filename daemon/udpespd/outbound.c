// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The send path and NAT-keepalives (see outbound.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "esp/esp_encap.h"
#include "esp/esp_gso.h"
#include "common/log.h"
#include "outbound.h"
#include "persist.h"
#include "common/util.h"
#include "wk_count.h"

/* Room in front of the inner packet: outer IPv6 + UDP, then ESP's own. */
#define OUT_HEADROOM (64 + ESP_ENCAP_HEADROOM)
/* An inner packet of up to 64 KiB, plus trailer, TFC padding and ICV. */
#define OUT_BUF (OUT_HEADROOM + 65536 + 512)
#define OUT_TTL 64

/* One selector of an outbound SA; an SA without any has one of NULL. */
struct out_sel {
	const struct esp_sel *sel; /* in rt->sel; NULL = any packet */
	struct sa_rt *rt;
};

struct out_snapshot {
	size_t n;
	struct out_sel e[]; /* most specific selector first */
};

/* --gso on: outer packets for one socket, sent together. */
#define OUT_BATCH 64
/* Where segments are encapsulated: room for at least one whole 64 KiB packet. */
#define OUT_ARENA (512 * 1024)

struct out_batch {
	unsigned int n;
	struct mmsghdr msg[OUT_BATCH];
	struct iovec iov[OUT_BATCH];
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} addr[OUT_BATCH];
	struct sa_rt *rt[OUT_BATCH]; /* counted once sent */
	__u32 len[OUT_BATCH];	     /* inner bytes */
};

struct outbound_thread {
	struct esp_encap_thread *et;
	__u8 buf[OUT_BUF];
	struct out_batch batch[2]; /* IPv4, IPv6 peers */
	size_t used;		   /* of arena */
	__u8 arena[OUT_ARENA];
};

/* For last_tx: whole seconds would let a keepalive out up to 1 s early. */
static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__u64 outbound_now(void)
{
	return now_ms() / 1000;
}

/* ---- selectors ---- */

static bool sel_match(const struct out_sel *e, const struct esp_sel_pkt *k)
{
	if (e->rt->suite.inner_family && e->rt->suite.inner_family != k->family)
		return false;
	return !e->sel || esp_sel_match(e->sel, k);
}

/* More specific first (esp_sel_cmp_specific()), then by handle. */
static int more_specific_first(const void *a, const void *b)
{
	static const struct esp_sel any;
	const struct out_sel *x = a, *y = b;
	int c = esp_sel_cmp_specific(x->sel ? x->sel : &any, y->sel ? y->sel : &any);

	if (c)
		return c;
	return x->rt->handle < y->rt->handle ? -1 : x->rt->handle > y->rt->handle;
}

int outbound_add(struct outbound *o, struct sa_rt *rt)
{
	/*
	 * Room in gone for every SA now known (nsas + ngone only grows here,
	 * by one), so that outbound_del() never fails.
	 */
	if (array_reserve((void **)&o->sas, o->nsas, &o->cap_sas, sizeof(*o->sas)) ||
	    array_reserve((void **)&o->gone, o->nsas + o->ngone, &o->cap_gone, sizeof(*o->gone)))
		return -ENOMEM;
	rt->out_idx = o->nsas;
	o->sas[o->nsas++] = rt;
	__atomic_store_n(&rt->last_tx, now_ms(), __ATOMIC_RELAXED);
	o->dirty = true;
	return 0;
}

void outbound_del(struct outbound *o, struct sa_rt *rt)
{
	size_t i = rt->out_idx;

	if (i < o->nsas && o->sas[i] == rt) {
		o->sas[i] = o->sas[--o->nsas];
		o->sas[i]->out_idx = i;
	}
	o->gone[o->ngone++] = rt;
	o->dirty = true;
}

bool outbound_commit(struct outbound *o)
{
	struct out_snapshot *snap, *old;
	size_t n = 0;

	if (!o->dirty)
		return false;
	for (size_t i = 0; i < o->nsas; i++)
		n += o->sas[i]->nsel ? o->sas[i]->nsel : 1;
	snap = malloc(sizeof(*snap) + n * sizeof(snap->e[0]));
	if (!snap) {
		/* The old snapshot stays, and with it every SA it holds: retry later. */
		pr_err("outbound: no memory to publish %zu selectors", n);
		return false;
	}
	snap->n = 0;
	for (size_t i = 0; i < o->nsas; i++) {
		struct sa_rt *rt = o->sas[i];

		if (!rt->nsel)
			snap->e[snap->n++] = (struct out_sel){ .rt = rt };
		for (unsigned int k = 0; k < rt->nsel; k++)
			snap->e[snap->n++] = (struct out_sel){ .sel = &rt->sel[k], .rt = rt };
	}
	qsort(snap->e, snap->n, sizeof(snap->e[0]), more_specific_first);
	old = __atomic_exchange_n(&o->snap, snap, __ATOMIC_ACQ_REL);
	/* Senders that come online from now on find neither. */
	if (old)
		sa_rt_retire(o->rt, old, free);
	for (size_t i = 0; i < o->ngone; i++)
		sa_rt_release(o->rt, o->gone[i]);
	o->ngone = 0;
	o->dirty = false;
	return true;
}

static struct sa_rt *sa_lookup(struct outbound *o, const struct esp_sel_pkt *k)
{
	struct out_snapshot *snap = __atomic_load_n(&o->snap, __ATOMIC_ACQUIRE);

	for (size_t i = 0; snap && i < snap->n; i++)
		if (sel_match(&snap->e[i], k))
			return snap->e[i].rt;
	return NULL;
}

/* ---- sending ---- */

/* The peer as the SA has it now (NAT mappings move it). */
static void peer_of(struct sa_rt *rt, struct esp_encap_sa *hdr)
{
	pthread_mutex_lock(&rt->mapping_lock);
	hdr->src = rt->encap.src;
	hdr->dst = rt->encap.dst;
	hdr->sport = rt->encap.sport;
	hdr->dport = rt->encap.dport;
	pthread_mutex_unlock(&rt->mapping_lock);
}

static int send_ip(struct outbound *o, const struct esp_encap_sa *hdr, const __u8 *pkt, size_t len)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (hdr->dst.family == UDPESP_AF_INET) {
		memcpy(&sin.sin_addr, hdr->dst.addr, 4);
		return sendto(o->raw4, pkt, len, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0 ?
			       -errno :
			       0;
	}
	memcpy(&sin6.sin6_addr, hdr->dst.addr, 16);
	return sendto(o->raw6, pkt, len, 0, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ? -errno :
											  0;
}

/* Ask the control thread, once until it answered, to reserve numbers. */
static void outbound_note_reserve(struct outbound *o, struct sa_rt *rt)
{
	if (!__atomic_exchange_n(&rt->reserve_noted, 1, __ATOMIC_RELAXED))
		notify_queue_push(&o->notes,
				  &(struct outbound_note){ .handle = rt->handle, .reserve = true });
}

/* The SA whose selectors take the inner packet at ip; NULL: counted, dropped. */
static struct sa_rt *lookup_packet(struct outbound *o, const __u8 *ip, size_t len)
{
	struct esp_sel_pkt k;
	struct sa_rt *rt;

	if (!esp_sel_pkt_parse(ip, len, &k)) {
		pr_debug("outbound: %zu bytes that are not IPv4 or IPv6, dropped", len);
		wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
		return NULL;
	}
	rt = sa_lookup(o, &k);
	if (!rt) {
		pr_debug("outbound: no SA for an IPv%d packet (protocol %u), dropped",
			 k.family == UDPESP_AF_INET ? 4 : 6, k.proto);
		wk_count(o->maps, UDPESP_CNT_OUT_NO_STATES);
	}
	return rt;
}

/*
 * ESP of the inner packet of len bytes at buf + OUT_HEADROOM (a buffer of
 * size bytes) and the outer headers in front: the packet to send is
 * buf + *hoff, *olen bytes, to hdr->dst. 0, or -1: dropped and counted.
 */
static int encap_packet(struct outbound *o, struct outbound_thread *ot, struct sa_rt *rt, __u8 *buf,
			size_t size, size_t len, struct esp_encap_sa *hdr, long *hoff, size_t *olen)
{
	struct esp_encap_out out;
	enum esp_encap_verdict v;

	v = esp_encap(&rt->encap, ot->et, buf, size, OUT_HEADROOM, len, 0, &out);
	if (v == ESP_ENCAP_SEQ_EXHAUSTED) {
		wk_count(o->maps, UDPESP_CNT_OUT_SEQ_ERROR);
		/* Tell the control thread once; it removes the SA. */
		if (!__atomic_exchange_n(&rt->hard_noted, 1, __ATOMIC_RELAXED))
			notify_queue_push(&o->notes, &(struct outbound_note){ .handle = rt->handle,
									      .hard = true });
		return -1;
	}
	if (v == ESP_ENCAP_SEQ_UNRESERVED)
		outbound_note_reserve(o, rt);
	if (v != ESP_ENCAP_OK) {
		pr_debug("outbound SA %u: %s, dropped", rt->handle, esp_encap_verdict_name(v));
		wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
		return -1;
	}
	if (o->df != OUTBOUND_DF_COPY)
		out.df = o->df == OUTBOUND_DF_SET;
	memset(hdr, 0, sizeof(*hdr));
	peer_of(rt, hdr);
	/* IPv4 ID 0: the raw socket picks one (raw_send_hdrinc()). */
	*hoff = esp_encap_outer(hdr, &out, buf, OUT_TTL, 0);
	if (*hoff < 0) {
		wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
		return -1;
	}
	*olen = out.esp_off + out.esp_len - *hoff;
	if (out.soft_expire)
		notify_queue_push(&o->notes, &(struct outbound_note){ .handle = rt->handle });
	/* Before the limit is reached, so that senders never wait for it. */
	if (__atomic_load_n(&rt->encap.oseq_limit, __ATOMIC_RELAXED) - out.seq <
	    PERSIST_SEQ_BLOCK / 2)
		outbound_note_reserve(o, rt);
	return 0;
}

/* One ESP packet of an inner packet of len bytes left. */
static void sent_packet(struct outbound *o, struct sa_rt *rt, size_t len)
{
	__atomic_store_n(&rt->last_tx, now_ms(), __ATOMIC_RELAXED);
	wk_count(o->maps, UDPESP_CNT_TX_ESP);
	WK_SA_COUNT(o->maps, rt->slot, packets, 1);
	WK_SA_COUNT(o->maps, rt->slot, bytes, len);
}

/* --gso off: one read, one packet, one sendto(). */
static void send_one(struct outbound *o, struct outbound_thread *ot, size_t len)
{
	const __u8 *ip = ot->buf + OUT_HEADROOM;
	struct esp_encap_sa hdr;
	struct sa_rt *rt;
	size_t olen;
	long hoff;

	rt = lookup_packet(o, ip, len);
	if (!rt || encap_packet(o, ot, rt, ot->buf, sizeof(ot->buf), len, &hdr, &hoff, &olen))
		return;
	if (send_ip(o, &hdr, ot->buf + hoff, olen)) {
		wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
		return;
	}
	sent_packet(o, rt, len);
}

/* --gso on: send what is queued, one sendmmsg() per family and batch. */
static void out_flush(struct outbound *o, struct outbound_thread *ot)
{
	for (int f = 0; f < 2; f++) {
		struct out_batch *b = &ot->batch[f];
		unsigned int i = 0;

		while (i < b->n) {
			int r = sendmmsg(f ? o->raw6 : o->raw4, b->msg + i, b->n - i, 0);

			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				/* The message at i failed: it alone is lost. */
				wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
				i++;
				continue;
			}
			for (int k = 0; k < r; k++)
				sent_packet(o, b->rt[i + k], b->len[i + k]);
			i += r;
		}
		b->n = 0;
	}
	ot->used = 0;
}

/* Queue the outer packet at pkt for hdr->dst; the batch leaves when full. */
static void out_queue(struct outbound *o, struct outbound_thread *ot,
		      const struct esp_encap_sa *hdr, __u8 *pkt, size_t olen, struct sa_rt *rt,
		      size_t len)
{
	int f = hdr->dst.family == UDPESP_AF_INET6;
	struct out_batch *b = &ot->batch[f];
	unsigned int k = b->n++;

	memset(&b->addr[k], 0, sizeof(b->addr[k]));
	if (f) {
		b->addr[k].v6.sin6_family = AF_INET6;
		memcpy(&b->addr[k].v6.sin6_addr, hdr->dst.addr, 16);
	} else {
		b->addr[k].v4.sin_family = AF_INET;
		memcpy(&b->addr[k].v4.sin_addr, hdr->dst.addr, 4);
	}
	b->iov[k] = (struct iovec){ pkt, olen };
	b->msg[k] = (struct mmsghdr){ .msg_hdr = {
					      .msg_name = &b->addr[k],
					      .msg_namelen = f ? sizeof(b->addr[k].v6) :
								 sizeof(b->addr[k].v4),
					      .msg_iov = &b->iov[k],
					      .msg_iovlen = 1,
				      } };
	b->rt[k] = rt;
	b->len[k] = len;
	if (b->n == OUT_BATCH)
		out_flush(o, ot);
}

/*
 * --gso on: a packet read with its virtio_net_hdr (n bytes at ot->buf),
 * cut into the segments the kernel would have sent (esp_gso), each one
 * its own ESP packet, queued for out_flush().
 */
static void send_gso(struct outbound *o, struct outbound_thread *ot, size_t n)
{
	__u8 *pkt = ot->buf + ESP_GSO_VNET_LEN;
	size_t len = n - ESP_GSO_VNET_LEN, max, need;
	struct virtio_net_hdr vh;
	struct esp_gso g;
	struct sa_rt *rt;
	int err;

	if (n <= ESP_GSO_VNET_LEN) {
		wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
		return;
	}
	memcpy(&vh, ot->buf, sizeof(vh));
	err = esp_gso_start(&g, &vh, pkt, len);
	if (err) {
		pr_debug("outbound: a packet of %zu bytes with GSO type %u, size %u: %s, dropped",
			 len, vh.gso_type, vh.gso_size, strerror(-err));
		wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
		return;
	}
	rt = lookup_packet(o, pkt, len);
	if (!rt)
		return;
	max = g.gso_size ? g.l4.hdr_len + g.gso_size : len;
	/* Room for the segment, TFC padding, ESP's trailer and ICV. */
	need = OUT_HEADROOM + (max > rt->encap.tfcpad ? max : rt->encap.tfcpad) + 512;
	for (;;) {
		struct esp_encap_sa hdr;
		__u8 *slot;
		size_t olen;
		long seg, hoff;

		if (ot->used + need > OUT_ARENA)
			out_flush(o, ot);
		slot = ot->arena + ot->used;
		seg = esp_gso_next(&g, slot + OUT_HEADROOM, max);
		if (seg <= 0)
			break;
		if (encap_packet(o, ot, rt, slot, need, seg, &hdr, &hoff, &olen))
			continue;
		ot->used += need;
		out_queue(o, ot, &hdr, slot + hoff, olen, rt, seg);
	}
}

int outbound_drain(struct outbound *o, struct outbound_thread *ot, int tun_fd, int max)
{
	int n;

	if (!o->gso) {
		for (n = 0; n < max; n++) {
			ssize_t len = read(tun_fd, ot->buf + OUT_HEADROOM, 65536);

			if (len <= 0)
				break;
			send_one(o, ot, len);
		}
		return n;
	}
	for (n = 0; n < max; n++) {
		ssize_t len = read(tun_fd, ot->buf, ESP_GSO_VNET_LEN + 65536);

		if (len <= 0)
			break;
		send_gso(o, ot, len);
	}
	/* Before the caller goes offline: the batch holds SA pointers. */
	out_flush(o, ot);
	return n;
}

struct outbound_thread *outbound_thread_new(struct esp_crypto_thread *ct)
{
	struct outbound_thread *ot = calloc(1, sizeof(*ot));

	if (!ot)
		return NULL;
	ot->et = esp_encap_thread_new(ct);
	if (!ot->et) {
		free(ot);
		return NULL;
	}
	return ot;
}

void outbound_thread_free(struct outbound_thread *ot)
{
	if (!ot)
		return;
	esp_encap_thread_free(ot->et);
	explicit_bzero(ot->buf, sizeof(ot->buf)); /* the last plaintext */
	explicit_bzero(ot->arena, sizeof(ot->arena));
	free(ot);
}

/* ---- NAT-keepalives (RFC 3948 4) ---- */

static bool same_peer(const struct esp_encap_sa *a, const struct esp_encap_sa *b)
{
	return a->dst.family == b->dst.family && a->dport == b->dport &&
	       !memcmp(a->dst.addr, b->dst.addr, sizeof(a->dst.addr));
}

void outbound_keepalives(struct outbound *o)
{
	struct esp_encap_sa *sent = NULL;
	size_t nsent = 0, cap = 0;
	__u64 now = now_ms();
	__u8 buf[128];

	if (!o->keepalive_s)
		return;
	for (size_t i = 0; i < o->nsas; i++) {
		struct sa_rt *rt = o->sas[i];
		struct esp_encap_out out = { .esp_off = 64, .esp_len = 1 };
		struct esp_encap_sa hdr = { 0 };
		bool dup = false;
		long hoff;

		if (now - __atomic_load_n(&rt->last_tx, __ATOMIC_RELAXED) <
		    o->keepalive_s * 1000ULL)
			continue;
		peer_of(rt, &hdr);
		for (size_t k = 0; k < nsent && !dup; k++)
			dup = same_peer(&sent[k], &hdr);
		__atomic_store_n(&rt->last_tx, now, __ATOMIC_RELAXED);
		if (dup)
			continue;
		buf[64] = 0xff; /* the whole keepalive: one byte */
		hoff = esp_encap_outer(&hdr, &out, buf, OUT_TTL, 0);
		if (hoff < 0 || send_ip(o, &hdr, buf + hoff, 65 - hoff)) {
			wk_count(o->maps, UDPESP_CNT_OUT_ERROR);
			continue;
		}
		wk_count(o->maps, UDPESP_CNT_TX_KEEPALIVE);
		if (!array_reserve((void **)&sent, nsent, &cap, sizeof(*sent)))
			sent[nsent++] = hdr;
	}
	free(sent);
}

/* ---- the sender thread of the daemon's own TUN queue ---- */

static void *sender_main(void *arg)
{
	struct outbound *o = arg;
	struct esp_crypto_thread *ct = esp_crypto_thread_new();
	struct outbound_thread *ot = ct ? outbound_thread_new(ct) : NULL;
	struct pollfd pfd = { .fd = o->tun_fd, .events = POLLIN };
	struct sa_rt_reader reader;

	if (!ot) {
		pr_err("sender thread: %s", strerror(errno));
		esp_crypto_thread_free(ct);
		return NULL;
	}
	sa_rt_reader_add(o->rt, &reader);
	while (!__atomic_load_n(&o->stop, __ATOMIC_RELAXED)) {
		sa_rt_online(o->rt, &reader);
		if (outbound_drain(o, ot, o->tun_fd, 64))
			continue;
		sa_rt_offline(&reader);
		poll(&pfd, 1, 100);
	}
	sa_rt_offline(&reader);
	sa_rt_reader_del(o->rt, &reader);
	outbound_thread_free(ot);
	esp_crypto_thread_free(ct);
	return NULL;
}

int outbound_init(struct outbound *o, struct sa_rt_table *rt, struct udpesp_maps *maps,
		  unsigned int keepalive_s)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->raw4 = o->raw6 = -1;
	o->rt = rt;
	o->maps = maps;
	o->keepalive_s = keepalive_s;
	o->tun_fd = -1;
	err = notify_queue_init(&o->notes, sizeof(struct outbound_note));
	if (err)
		return err;
	/* IPPROTO_RAW: send-only, we write the IP header (IP_HDRINCL implied). */
	o->raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	o->raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (o->raw4 < 0 || o->raw6 < 0)
		return -errno;
	return 0;
}

int outbound_start(struct outbound *o, int tun_fd)
{
	int err;

	o->tun_fd = tun_fd;
	err = pthread_create(&o->thread, NULL, sender_main, o);
	if (err)
		return -err;
	o->started = true;
	return 0;
}

void outbound_fini(struct outbound *o)
{
	if (!o->rt)
		return;
	if (o->started) {
		__atomic_store_n(&o->stop, true, __ATOMIC_RELAXED);
		pthread_join(o->thread, NULL);
	}
	free(__atomic_exchange_n(&o->snap, NULL, __ATOMIC_ACQ_REL));
	/* No sender runs any more: what was withdrawn can go now. */
	for (size_t i = 0; i < o->ngone; i++)
		sa_rt_release(o->rt, o->gone[i]);
	free(o->gone);
	free(o->sas);

	if (o->raw4 >= 0)
		close(o->raw4);
	if (o->raw6 >= 0)
		close(o->raw6);
	notify_queue_fini(&o->notes);
	memset(o, 0, sizeof(*o));
}
