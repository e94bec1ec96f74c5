// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* udpespd's SA and parser-entry table (see sa_table.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_table.h"
#include "common/util.h"

/* sa_table.due of a free slot, or of an SA without limits. */
#define SA_DUE_NEVER ((__u64) - 1)

static __u32 hash32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

static __u32 key_hash(__u8 family, const __be32 dst[4], __be32 spi)
{
	__u32 h = hash32(spi ^ family);

	for (int i = 0; i < 4; i++)
		h = hash32(h ^ dst[i]);
	return h;
}

static __u32 entry_key_hash(const struct sa_entry *e)
{
	return key_hash(e->cfg.dst.family, e->cfg.dst.addr, e->cfg.spi);
}

static bool entry_has_key(const struct sa_entry *e, __u8 family, const __be32 dst[4], __be32 spi)
{
	return e->cfg.spi == spi && e->cfg.dst.family == family &&
	       !memcmp(e->cfg.dst.addr, dst, sizeof(e->cfg.dst.addr));
}

int sa_table_init(struct sa_table *t, __u32 max_sa, const struct sa_table_ops *ops, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->ctx = ctx;
	t->max_sa = max_sa;
	t->next_handle = 1;
	t->next_parser = 1;
	t->nbuckets = 1024;
	while (t->nbuckets < max_sa && t->nbuckets < (1u << 24))
		t->nbuckets <<= 1;
	t->by_handle = calloc(t->nbuckets, sizeof(*t->by_handle));
	t->by_key = calloc(t->nbuckets, sizeof(*t->by_key));
	t->free_slots = calloc(max_sa, sizeof(*t->free_slots));
	t->slot_gen = calloc(max_sa, sizeof(*t->slot_gen));
	t->by_slot = calloc(max_sa, sizeof(*t->by_slot));
	t->due = malloc(max_sa * sizeof(*t->due));
	if (!t->by_handle || !t->by_key || !t->free_slots || !t->slot_gen || !t->by_slot ||
	    !t->due) {
		sa_table_fini(t);
		return -ENOMEM;
	}
	/* Hand out low slots first: the stack pops from the end. */
	for (__u32 i = 0; i < max_sa; i++) {
		t->free_slots[i] = max_sa - 1 - i;
		t->due[i] = SA_DUE_NEVER;
	}
	t->nfree = max_sa;
	return 0;
}

static void entry_free(struct sa_entry *e)
{
	explicit_bzero(e, sizeof(*e)); /* keys */
	free(e);
}

void sa_table_fini(struct sa_table *t)
{
	struct parser_entry *p, *pn;

	for (__u32 b = 0; t->by_handle && b < t->nbuckets; b++) {
		struct sa_entry *e = t->by_handle[b], *n;

		for (; e; e = n) {
			n = e->next_by_handle;
			if (t->ops && t->ops->sa_detach)
				t->ops->sa_detach(t->ctx, e);
			entry_free(e);
		}
	}
	for (p = t->parsers; p; p = pn) {
		pn = p->next;
		free(p);
	}
	free(t->by_handle);
	free(t->by_key);
	free(t->free_slots);
	free(t->slot_gen);
	free(t->by_slot);
	free(t->due);
	memset(t, 0, sizeof(*t));
}

static void emit(struct sa_table *t, __u32 type, __u32 handle, __u32 ifindex,
		 const struct sa_entry *e)
{
	struct udpesp_ctl_event ev = { .type = type, .handle = handle, .ifindex = ifindex };

	if (!t->ops->event)
		return;
	ev.time = time(NULL);
	if (e) {
		ev.spi = e->cfg.spi;
		ev.addr = e->cfg.dst;
	}
	t->ops->event(t->ctx, &ev);
}

/* A parser entry's event carries its port, so a monitor can say which. */
static void emit_parser(struct sa_table *t, __u32 type, const struct parser_entry *p)
{
	struct udpesp_ctl_event ev = {
		.type = type,
		.handle = p->handle,
		.ifindex = p->key.ifindex,
		.port = p->key.port,
	};

	if (!t->ops->event)
		return;
	ev.time = time(NULL);
	t->ops->event(t->ctx, &ev);
}

struct parser_entry *sa_table_parser(const struct sa_table *t, __u32 handle)
{
	struct parser_entry *p;

	for (p = t->parsers; p; p = p->next)
		if (p->handle == handle)
			return p;
	return NULL;
}

static struct parser_entry *parser_by_key(const struct sa_table *t,
					  const struct udpesp_parser_key *key)
{
	struct parser_entry *p;

	for (p = t->parsers; p; p = p->next)
		if (!memcmp(&p->key, key, sizeof(*key)))
			return p;
	return NULL;
}

/* The (interface, port, family) entry an inbound SA arrives through. */
static void parser_key_for(const struct udpesp_ctl_sa *sa, struct udpesp_parser_key *key)
{
	memset(key, 0, sizeof(*key));
	key->ifindex = sa->ifindex;
	key->port = sa->encap_dport;
	key->family = sa->dst.family;
}

/* Keep the list in handle order: `parser list` reads it front to back. */
static void parser_link(struct sa_table *t, struct parser_entry *p)
{
	struct parser_entry **pp = &t->parsers;

	while (*pp && (*pp)->handle < p->handle)
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
}

static int parser_create(struct sa_table *t, const struct udpesp_parser_key *key, __u8 encap,
			 struct parser_entry **out)
{
	struct udpesp_parser_val val = { .encap = encap };
	struct parser_entry *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->handle = t->next_parser;
	p->key = *key;
	p->encap = encap;
	val.handle = p->handle;
	err = t->ops->parser_add(t->ctx, key, &val);
	if (err) {
		free(p);
		return err;
	}
	t->next_parser++;
	parser_link(t, p);
	*out = p;
	emit_parser(t, UDPESP_EV_PARSER_ADDED, p);
	return 0;
}

static int parser_remove(struct sa_table *t, struct parser_entry *p)
{
	struct parser_entry **pp;
	int err = t->ops->parser_del(t->ctx, &p->key);

	if (err && err != -ENOENT)
		return err;
	for (pp = &t->parsers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	emit_parser(t, UDPESP_EV_PARSER_REMOVED, p);
	free(p);
	return 0;
}

int sa_table_adopt_parser(struct sa_table *t, const struct udpesp_parser_key *key,
			  const struct udpesp_parser_val *val)
{
	struct parser_entry *p;

	if (sa_table_parser(t, val->handle) || parser_by_key(t, key))
		return -EEXIST;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->handle = val->handle;
	p->key = *key;
	p->encap = val->encap;
	parser_link(t, p);
	if (t->next_parser <= p->handle)
		t->next_parser = p->handle + 1;
	return 0;
}

void sa_table_entry_key(const struct sa_entry *e, struct udpesp_sa_key *key)
{
	memset(key, 0, sizeof(*key));
	key->spi = e->cfg.spi;
	key->family = e->cfg.dst.family;
	memcpy(key->daddr, e->cfg.dst.addr, sizeof(key->daddr));
}

/* add_time + limit, or SA_DUE_NEVER for no limit (or one beyond time). */
static __u64 time_limit_at(const struct sa_entry *e, int limit)
{
	__u64 v = e->cfg.limits[limit], at = (__u64)e->add_time + v;

	return v && at >= v ? at : SA_DUE_NEVER;
}

/* When the lifetime scan next needs to look at e (see sa_table_for_each_due). */
static __u64 entry_due(const struct sa_entry *e)
{
	const __u64 *lim = e->cfg.limits;
	__u64 due = time_limit_at(e, UDPESP_LIMIT_TIME_HARD), soft;

	if (lim[UDPESP_LIMIT_BYTE_SOFT] || lim[UDPESP_LIMIT_BYTE_HARD] ||
	    lim[UDPESP_LIMIT_PACKET_SOFT] || lim[UDPESP_LIMIT_PACKET_HARD])
		return 0;
	soft = e->soft_expired ? SA_DUE_NEVER : time_limit_at(e, UDPESP_LIMIT_TIME_SOFT);
	return soft < due ? soft : due;
}

static void index_insert(struct sa_table *t, struct sa_entry *e)
{
	__u32 hb = hash32(e->handle) & (t->nbuckets - 1);
	__u32 kb = entry_key_hash(e) & (t->nbuckets - 1);

	e->next_by_handle = t->by_handle[hb];
	t->by_handle[hb] = e;
	e->next_by_key = t->by_key[kb];
	t->by_key[kb] = e;
	t->by_slot[e->slot] = e;
	t->due[e->slot] = entry_due(e);
}

static void index_remove(struct sa_table *t, struct sa_entry *e)
{
	struct sa_entry **pp;

	pp = &t->by_handle[hash32(e->handle) & (t->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next_by_handle)
		if (*pp == e) {
			*pp = e->next_by_handle;
			break;
		}
	pp = &t->by_key[entry_key_hash(e) & (t->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next_by_key)
		if (*pp == e) {
			*pp = e->next_by_key;
			break;
		}
	t->by_slot[e->slot] = NULL;
	t->due[e->slot] = SA_DUE_NEVER;
}

static struct sa_entry *find_handle(const struct sa_table *t, __u32 handle)
{
	struct sa_entry *e = t->by_handle[hash32(handle) & (t->nbuckets - 1)];

	for (; e; e = e->next_by_handle)
		if (e->handle == handle)
			return e;
	return NULL;
}

static struct sa_entry *find_key(const struct sa_table *t, __u8 family, const __be32 dst[4],
				 __be32 spi)
{
	struct sa_entry *e = t->by_key[key_hash(family, dst, spi) & (t->nbuckets - 1)];

	for (; e; e = e->next_by_key)
		if (entry_has_key(e, family, dst, spi))
			return e;
	return NULL;
}

int sa_table_move(struct sa_table *t, struct sa_entry *e, const struct udpesp_ctl_addr *src,
		  const struct udpesp_ctl_addr *dst, __be16 sport, __be16 dport, char *err,
		  size_t errlen)
{
	__u8 family = e->cfg.dst.family;
	struct sa_entry *dup;

	if ((src->family && src->family != family) || (dst->family && dst->family != family)) {
		errf(err, errlen, "SA %u is %s: a move keeps the address family", e->handle,
		     family == UDPESP_AF_INET ? "IPv4" : "IPv6");
		return -EAFNOSUPPORT;
	}
	if (dst->family && memcmp(dst->addr, e->cfg.dst.addr, sizeof(dst->addr))) {
		if (e->cfg.dir == UDPESP_DIR_IN) {
			errf(err, errlen,
			     "SA %u is inbound: its dst is this host's address and its lookup key; add a new SA instead",
			     e->handle);
			return -EOPNOTSUPP;
		}
		dup = find_key(t, family, dst->addr, e->cfg.spi);
		if (dup && dup != e) {
			errf(err, errlen, "SA %u already has dst and spi 0x%x", dup->handle,
			     ntohl(e->cfg.spi));
			return -EEXIST;
		}
	}
	if (e->cfg.dir == UDPESP_DIR_IN && dport && dport != e->cfg.encap_dport) {
		errf(err, errlen, "SA %u is inbound: its local port is its parser entry's",
		     e->handle);
		return -EOPNOTSUPP;
	}
	index_remove(t, e);
	if (src->family)
		memcpy(e->cfg.src.addr, src->addr, sizeof(e->cfg.src.addr));
	if (dst->family)
		memcpy(e->cfg.dst.addr, dst->addr, sizeof(e->cfg.dst.addr));
	if (sport)
		e->cfg.encap_sport = sport;
	if (dport)
		e->cfg.encap_dport = dport;
	index_insert(t, e);
	/* Kept for the next udpespd; a kfunc SA's XDP learns its peer. */
	if (t->ops->sa_changed)
		t->ops->sa_changed(t->ctx, e);
	return 0;
}

struct sa_entry *sa_table_find(const struct sa_table *t, const struct udpesp_ctl_sa_del *sel)
{
	if (sel->handle)
		return find_handle(t, sel->handle);
	return find_key(t, sel->dst.family, sel->dst.addr, sel->spi);
}

static void addr_str(const struct udpesp_ctl_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == UDPESP_AF_INET6 ? AF_INET6 : AF_INET, a->addr, buf, len))
		snprintf(buf, len, "?");
}

/* The udpesp_sa that XDP sees for an inbound entry. */
static void datapath_sa(const struct sa_entry *e, struct udpesp_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->handle = e->handle;
	sa->slot = e->slot;
	sa->parser = e->parser;
	sa->gen = e->gen;
	sa->flags = (e->cfg.flags & UDPESP_CTL_SA_ESN) ? UDPESP_SA_F_ESN : 0;
	sa->backend = e->backend;
	sa->mode = e->cfg.mode;
	sa->alg = e->suite.alg;
	sa->encap = e->cfg.encap;
	sa->min_len = e->suite.min_len;
}

/*
 * The backend an SA gets: offload kfunc must have it (or the add fails
 * with the reason); auto takes it where the suite and kernel allow.
 */
static int choose_backend(const struct sa_table *t, const struct udpesp_ctl_sa *cfg,
			  const struct esp_suite *suite, char *err, size_t errlen)
{
	char why[UDPESP_CTL_ERRMSG_MAX];
	int ret;

	if (cfg->offload == UDPESP_OFFLOAD_XSK ||
	    (cfg->offload == UDPESP_OFFLOAD_AUTO && cfg->dir != UDPESP_DIR_IN))
		return UDPESP_BACKEND_XSK;
	if (!t->ops->kfunc_ok) {
		snprintf(
			why, sizeof(why),
			"offload kfunc: the in-kernel crypto backend is not in this build; use offload xsk or auto");
		ret = -EOPNOTSUPP;
	} else {
		ret = t->ops->kfunc_ok(t->ctx, cfg, suite, why, sizeof(why));
	}
	if (!ret)
		return UDPESP_BACKEND_KFUNC;
	if (cfg->offload == UDPESP_OFFLOAD_AUTO)
		return UDPESP_BACKEND_XSK;
	errf(err, errlen, "%s", why);
	return ret;
}

/*
 * Everything that can refuse one SA without touching the data path;
 * queued: SAs of the same batch to be installed before it.
 */
static int check_one(const struct sa_table *t, const struct udpesp_ctl_sa *cfg, size_t queued,
		     struct esp_suite *suite, char *err, size_t errlen)
{
	struct udpesp_parser_key pkey;
	struct parser_entry *p;
	struct sa_entry *dup;
	char abuf[INET6_ADDRSTRLEN];
	int ret;

	ret = sa_check(cfg, suite, err, errlen);
	if (ret)
		return ret;
	ret = choose_backend(t, cfg, suite, err, errlen);
	if (ret < 0)
		return ret;
	dup = find_key(t, cfg->dst.family, cfg->dst.addr, cfg->spi);
	if (dup) {
		addr_str(&cfg->dst, abuf, sizeof(abuf));
		errf(err, errlen, "an SA with dst %s spi 0x%x already exists (handle %u)", abuf,
		     ntohl(cfg->spi), dup->handle);
		return -EEXIST;
	}
	if (t->nfree <= queued) {
		errf(err, errlen, "SA table full (%u SAs); restart udpespd with a larger --max-sa",
		     t->max_sa);
		return -ENOSPC;
	}
	if (cfg->dir != UDPESP_DIR_IN || !cfg->parser)
		return 0;
	parser_key_for(cfg, &pkey);
	p = sa_table_parser(t, cfg->parser);
	if (!p) {
		errf(err, errlen, "parser entry %u does not exist", cfg->parser);
		return -ENOENT;
	}
	if (p->key.port != pkey.port || p->key.family != pkey.family || p->encap != cfg->encap) {
		errf(err, errlen, "parser entry %u is for port %u, not %u", p->handle,
		     ntohs(p->key.port), ntohs(pkey.port));
		return -EINVAL;
	}
	return 0;
}

struct batch_key {
	struct udpesp_sa_key key;
	size_t idx;
};

static int batch_key_cmp(const void *a, const void *b)
{
	const struct batch_key *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * The first SA of the batch (in batch order) whose (dst, SPI) an earlier
 * one already has: *later and *earlier, or n if none. Sorting keeps this
 * O(n log n) for batches of thousands.
 */
static int batch_dup(const struct udpesp_ctl_sa *sa, size_t n, size_t *later, size_t *earlier)
{
	struct batch_key *k;

	*later = *earlier = n;
	if (n < 2)
		return 0;
	k = calloc(n, sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		k[i].key.spi = sa[i].spi;
		k[i].key.family = sa[i].dst.family;
		memcpy(k[i].key.daddr, sa[i].dst.addr, sizeof(k[i].key.daddr));
		k[i].idx = i;
	}
	qsort(k, n, sizeof(*k), batch_key_cmp);
	/* In a run of equal keys the second index is the first repeat. */
	for (size_t i = 1; i < n; i++) {
		if (memcmp(&k[i].key, &k[i - 1].key, sizeof(k[i].key)) ||
		    (i >= 2 && !memcmp(&k[i - 1].key, &k[i - 2].key, sizeof(k[i].key))))
			continue;
		if (k[i].idx < *later) {
			*later = k[i].idx;
			*earlier = k[i - 1].idx;
		}
	}
	free(k);
	return 0;
}

/*
 * Check a whole batch before any of it is installed, so that a refused
 * batch leaves the data path as it was: no SA, parser entry, replay or
 * counter slot written and rolled back, and no event. *bad: the index of
 * the SA refused.
 */
static int check_batch(const struct sa_table *t, const struct udpesp_ctl_sa *sa, size_t n,
		       struct esp_suite *suites, size_t *bad, char *err, size_t errlen)
{
	size_t later, earlier;
	int ret = batch_dup(sa, n, &later, &earlier);

	if (ret) {
		errf(err, errlen, "out of memory");
		return ret;
	}
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (i == later) {
			char abuf[INET6_ADDRSTRLEN];

			addr_str(&sa[i].dst, abuf, sizeof(abuf));
			errf(err, errlen, "an SA with dst %s spi 0x%x is also SA %zu of this batch",
			     abuf, ntohl(sa[i].spi), earlier + 1);
			return -EEXIST;
		}
		ret = check_one(t, &sa[i], i, &suites[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* Install one SA that check_one() accepted, all or nothing. */
static int add_one(struct sa_table *t, const struct udpesp_ctl_sa *cfg,
		   const struct esp_suite *suite, struct udpesp_ctl_handles *out, char *err,
		   size_t errlen)
{
	struct parser_entry *p = NULL;
	bool parser_created = false;
	struct udpesp_parser_key pkey;
	struct sa_entry *e;
	int ret;

	if (cfg->dir == UDPESP_DIR_IN) {
		parser_key_for(cfg, &pkey);
		if (cfg->parser) {
			p = sa_table_parser(t, cfg->parser);
		} else {
			p = parser_by_key(t, &pkey);
			if (!p) {
				ret = parser_create(t, &pkey, cfg->encap, &p);
				if (ret) {
					errf(err, errlen, "adding the parser entry for port %u: %s",
					     ntohs(pkey.port), strerror(-ret));
					return ret;
				}
				parser_created = true;
			}
		}
	}

	e = calloc(1, sizeof(*e));
	if (!e) {
		ret = -ENOMEM;
		goto undo_parser;
	}
	e->handle = t->next_handle;
	e->slot = t->free_slots[t->nfree - 1];
	e->gen = ++t->slot_gen[e->slot];
	e->parser = p ? p->handle : 0;
	e->cfg = *cfg;
	e->cfg.parser = e->parser;
	e->suite = *suite;
	e->add_time = time(NULL);
	/* check_one() accepted it, so this is the backend it named. */
	ret = choose_backend(t, cfg, suite, err, errlen);
	e->backend = ret < 0 ? UDPESP_BACKEND_XSK : (__u8)ret;
	/* What `sa show` prints: the backend the SA got, not auto. */
	e->cfg.offload = e->backend == UDPESP_BACKEND_KFUNC ? UDPESP_OFFLOAD_KFUNC :
							      UDPESP_OFFLOAD_XSK;

	if (t->ops->sa_attach) {
		ret = t->ops->sa_attach(t->ctx, e);
		if (ret) {
			errf(err, errlen, "setting up the SA's crypto: %s", strerror(-ret));
			entry_free(e);
			goto undo_parser;
		}
	}
	if (cfg->dir == UDPESP_DIR_IN) {
		struct udpesp_sa_key key;
		struct udpesp_sa sa;
		__u64 top = ((__u64)cfg->replay_seq_hi << 32) | cfg->replay_seq;

		sa_table_entry_key(e, &key);
		datapath_sa(e, &sa);
		ret = t->ops->sa_add(t->ctx, &key, &sa, cfg->replay_window, top);
		if (ret) {
			errf(err, errlen, "installing the SA in the data path: %s", strerror(-ret));
			if (t->ops->sa_detach)
				t->ops->sa_detach(t->ctx, e);
			entry_free(e);
			goto undo_parser;
		}
		p->users++;
	}
	if (t->ops->sa_persist) {
		ret = t->ops->sa_persist(t->ctx, e, err, errlen);
		if (ret) {
			if (cfg->dir == UDPESP_DIR_IN) {
				struct udpesp_sa_key key;

				sa_table_entry_key(e, &key);
				t->ops->sa_mark_dying(t->ctx, &key);
				t->ops->sa_del(t->ctx, &key);
				p->users--;
			}
			if (t->ops->sa_detach)
				t->ops->sa_detach(t->ctx, e);
			entry_free(e);
			goto undo_parser;
		}
	}
	t->nfree--;
	t->next_handle++;
	t->count++;
	index_insert(t, e);
	out->handle = e->handle;
	out->parser = e->parser;
	emit(t, UDPESP_EV_SA_ADDED, e->handle, cfg->ifindex, e);
	return 0;

undo_parser:
	if (parser_created)
		parser_remove(t, p);
	return ret;
}

/* Takes the SA out of the data path (dying first) and the table. */
static int remove_entry(struct sa_table *t, struct sa_entry *e, __u32 ev_type)
{
	if (e->cfg.dir == UDPESP_DIR_IN) {
		struct udpesp_sa_key key;
		struct parser_entry *p;
		int err;

		sa_table_entry_key(e, &key);
		/* Dying first: XDP stops using it even before the delete lands. */
		err = t->ops->sa_mark_dying(t->ctx, &key);
		if (!err || err == -ENOENT)
			err = t->ops->sa_del(t->ctx, &key);
		if (err && err != -ENOENT)
			return err;
		p = sa_table_parser(t, e->parser);
		if (p && p->users)
			p->users--;
	}
	if (t->ops->sa_forget)
		t->ops->sa_forget(t->ctx, e);
	if (t->ops->sa_detach)
		t->ops->sa_detach(t->ctx, e);
	index_remove(t, e);
	t->free_slots[t->nfree++] = e->slot;
	t->count--;
	emit(t, ev_type, e->handle, e->cfg.ifindex, e);
	entry_free(e);
	return 0;
}

static int add_batch(struct sa_table *t, const struct udpesp_ctl_sa *sa, size_t n,
		     struct udpesp_ctl_handles *out, char *err, size_t errlen)
{
	__u32 first_new_parser = t->next_parser;
	char msg[UDPESP_CTL_ERRMSG_MAX];
	struct esp_suite *suites = calloc(n ? n : 1, sizeof(*suites));
	size_t i = 0, added = 0;
	int ret;

	if (!suites) {
		errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = check_batch(t, sa, n, suites, &i, msg, sizeof(msg));
	for (; !ret && added < n; added++) {
		i = added;
		ret = add_one(t, &sa[i], &suites[i], &out[i], msg, sizeof(msg));
		if (ret)
			break;
	}
	free(suites);
	if (!ret)
		return 0;
	if (n > 1)
		errf(err, errlen, "SA %zu: %s", i + 1, msg);
	else
		errf(err, errlen, "%s", msg);
	/*
	 * Only the data path failed (check_batch passed): roll back, newest
	 * first, parser entries included.
	 */
	i = added;
	while (i-- > 0) {
		struct sa_entry *e = find_handle(t, out[i].handle);
		struct parser_entry *p;

		if (!e)
			continue;
		p = sa_table_parser(t, e->parser);
		remove_entry(t, e, UDPESP_EV_SA_DELETED);
		if (p && !p->users && p->handle >= first_new_parser)
			parser_remove(t, p);
		memset(&out[i], 0, sizeof(out[i]));
	}
	return ret;
}

static int del_one(struct sa_table *t, const struct udpesp_ctl_sa_del *sel,
		   struct udpesp_ctl_del_result *res, char *err, size_t errlen)
{
	struct parser_entry *p = NULL;
	struct sa_entry *e;
	int ret;

	memset(res, 0, sizeof(*res));
	e = sa_table_find(t, sel);
	if (!e) {
		if (sel->handle) {
			errf(err, errlen, "no SA with handle %u", sel->handle);
		} else {
			char abuf[INET6_ADDRSTRLEN];

			addr_str(&sel->dst, abuf, sizeof(abuf));
			errf(err, errlen, "no SA with dst %s spi 0x%x", abuf, ntohl(sel->spi));
		}
		return -ENOENT;
	}
	if (sel->parser) {
		p = sa_table_parser(t, sel->parser);
		if (!p) {
			errf(err, errlen, "parser entry %u does not exist", sel->parser);
			return -ENOENT;
		}
	}
	ret = remove_entry(t, e, UDPESP_EV_SA_DELETED);
	if (ret) {
		errf(err, errlen, "removing the SA from the data path: %s", strerror(-ret));
		return ret;
	}
	res->deleted = 1;
	if (p) {
		if (p->users) {
			res->parser_users = p->users;
		} else {
			ret = parser_remove(t, p);
			if (ret) {
				errf(err, errlen,
				     "SA deleted, but removing parser entry %u failed: %s",
				     sel->parser, strerror(-ret));
				return ret;
			}
			res->parser_gone = 1;
		}
	}
	return 0;
}

/* Delete SAs matching pred; drop parser entries they leave unused. */
static int remove_where(struct sa_table *t, bool (*pred)(const struct sa_entry *e, __u32 arg),
			__u32 arg, __u32 ev_type, __u32 *deleted)
{
	int ret = 0;

	*deleted = 0;
	for (__u32 b = 0; b < t->nbuckets; b++) {
		struct sa_entry *e = t->by_handle[b], *n;

		for (; e; e = n) {
			n = e->next_by_handle;
			if (!pred(e, arg))
				continue;
			ret = remove_entry(t, e, ev_type);
			if (ret)
				return ret;
			(*deleted)++;
		}
	}
	return ret;
}

static bool match_all(const struct sa_entry *e, __u32 arg)
{
	(void)e;
	(void)arg;
	return true;
}

static int flush_all(struct sa_table *t, struct udpesp_ctl_del_result *res)
{
	struct parser_entry *p, *n;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = remove_where(t, match_all, 0, UDPESP_EV_SA_DELETED, &res->deleted);
	if (ret)
		return ret;
	for (p = t->parsers; p; p = n) {
		n = p->next;
		if (!p->users) {
			ret = parser_remove(t, p);
			if (ret)
				return ret;
			res->parser_gone++;
		}
	}
	return 0;
}

static bool on_ifindex(const struct sa_entry *e, __u32 ifindex)
{
	return e->cfg.ifindex == ifindex;
}

static int remove_link(struct sa_table *t, __u32 ifindex)
{
	struct parser_entry *p, *n;
	__u32 deleted;
	int ret;

	if (!ifindex)
		return 0;
	ret = remove_where(t, on_ifindex, ifindex, UDPESP_EV_SA_DELETED, &deleted);
	if (ret)
		return ret;
	for (p = t->parsers; p; p = n) {
		n = p->next;
		if (p->key.ifindex == ifindex) {
			ret = parser_remove(t, p);
			if (ret)
				return ret;
		}
	}
	emit(t, UDPESP_EV_LINK_GONE, 0, ifindex, NULL);
	return 0;
}

/*
 * The public changes end here: the data path learns once per request that
 * the set of SAs changed (a batch of 1,702 SAs is one change, not 1,702).
 */
static int changed(struct sa_table *t, int ret)
{
	if (t->ops->commit)
		t->ops->commit(t->ctx);
	return ret;
}

int sa_table_add(struct sa_table *t, const struct udpesp_ctl_sa *sa, size_t n,
		 struct udpesp_ctl_handles *out, char *err, size_t errlen)
{
	return changed(t, add_batch(t, sa, n, out, err, errlen));
}

int sa_table_del(struct sa_table *t, const struct udpesp_ctl_sa_del *sel,
		 struct udpesp_ctl_del_result *res, char *err, size_t errlen)
{
	return changed(t, del_one(t, sel, res, err, errlen));
}

int sa_table_flush(struct sa_table *t, struct udpesp_ctl_del_result *res)
{
	return changed(t, flush_all(t, res));
}

int sa_table_link_gone(struct sa_table *t, __u32 ifindex)
{
	return changed(t, remove_link(t, ifindex));
}

int sa_table_for_each(const struct sa_table *t, int (*fn)(const struct sa_entry *e, void *arg),
		      void *arg)
{
	for (__u32 b = 0; b < t->nbuckets; b++) {
		const struct sa_entry *e;

		for (e = t->by_handle[b]; e; e = e->next_by_handle) {
			int ret = fn(e, arg);

			if (ret)
				return ret;
		}
	}
	return 0;
}

int sa_table_walk(const struct sa_table *t, __u32 *pos,
		  int (*fn)(const struct sa_entry *e, void *arg), void *arg)
{
	for (__u32 b = *pos; b < t->nbuckets; b++) {
		const struct sa_entry *e;
		bool pause = false;

		for (e = t->by_handle[b]; e; e = e->next_by_handle) {
			int ret = fn(e, arg);

			if (ret < 0)
				return ret;
			pause |= ret > 0;
		}
		if (pause) {
			*pos = b + 1;
			return 1;
		}
	}
	*pos = t->nbuckets;
	return 0;
}

int sa_table_for_each_due(const struct sa_table *t, time_t now,
			  int (*fn)(const struct sa_entry *e, void *arg), void *arg)
{
	for (__u32 slot = 0; slot < t->max_sa; slot++) {
		int ret;

		if (t->due[slot] > (__u64)now || !t->by_slot[slot])
			continue;
		ret = fn(t->by_slot[slot], arg);
		if (ret)
			return ret;
	}
	return 0;
}

void sa_table_life_update(struct sa_table *t, const struct sa_entry *e)
{
	if (t->by_slot[e->slot] != e)
		return;
	t->due[e->slot] = entry_due(e);
	if (t->ops->sa_changed)
		t->ops->sa_changed(t->ctx, e);
}

int sa_table_adopt_sa(struct sa_table *t, const struct sa_table_adopt *a, char *err, size_t errlen)
{
	struct parser_entry *p = NULL;
	struct esp_suite suite;
	struct sa_entry *e;
	int ret;

	if (a->slot >= t->max_sa || t->by_slot[a->slot] || find_handle(t, a->handle) ||
	    !a->handle) {
		errf(err, errlen, "handle %u or slot %u taken twice", a->handle, a->slot);
		return -EEXIST;
	}
	ret = sa_check(a->cfg, &suite, err, errlen);
	if (ret)
		return ret;
	if (find_key(t, a->cfg->dst.family, a->cfg->dst.addr, a->cfg->spi)) {
		errf(err, errlen, "its dst and spi are another SA's");
		return -EEXIST;
	}
	if (a->cfg->dir == UDPESP_DIR_IN) {
		p = sa_table_parser(t, a->parser);
		if (!p) {
			errf(err, errlen, "its parser entry %u is gone", a->parser);
			return -ENOENT;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->handle = a->handle;
	e->slot = a->slot;
	e->gen = a->gen;
	e->parser = p ? p->handle : 0;
	e->cfg = *a->cfg;
	e->suite = suite;
	e->backend = a->backend;
	e->add_time = a->add_time;
	e->soft_expired = a->soft_expired;
	e->adopted = true;
	if (t->ops->sa_attach) {
		ret = t->ops->sa_attach(t->ctx, e);
		if (ret) {
			errf(err, errlen, "setting up the SA's crypto: %s", strerror(-ret));
			entry_free(e);
			return ret;
		}
	}
	if (p)
		p->users++;
	if (t->slot_gen[e->slot] < e->gen)
		t->slot_gen[e->slot] = e->gen;
	if (t->next_handle <= e->handle)
		t->next_handle = e->handle + 1;
	t->count++;
	index_insert(t, e);
	return 0;
}

void sa_table_adopt_done(struct sa_table *t, __u32 next_handle, __u32 next_parser)
{
	/* The free stack again, without the adopted slots, low ones first. */
	t->nfree = 0;
	for (__u32 i = t->max_sa; i-- > 0;)
		if (!t->by_slot[i])
			t->free_slots[t->nfree++] = i;
	if (t->next_handle < next_handle)
		t->next_handle = next_handle;
	if (t->next_parser < next_parser)
		t->next_parser = next_parser;
	changed(t, 0);
}
