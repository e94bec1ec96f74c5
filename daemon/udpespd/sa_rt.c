// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The packet workers' view of the SAs (see sa_rt.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sa_esp.h"
#include "sa_rt.h"
#include "sa_table.h"
#include "secrets.h"

struct sa_rt_retired {
	void *p;
	void (*free)(void *p);
	__u64 gp; /* free once every online reader has seen this */
	struct sa_rt_retired *next;
};

int sa_rt_table_init(struct sa_rt_table *t, __u32 max_sa, struct udpesp_replay *replay_mem)
{
	memset(t, 0, sizeof(*t));
	t->slots = calloc(max_sa, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->max_sa = max_sa;
	t->replay_mem = replay_mem;
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

static void rt_free(void *p)
{
	struct sa_rt *rt = p;

	esp_crypto_free(rt->crypto); /* wipes the expanded keys */
	pthread_mutex_destroy(&rt->mapping_lock);
	explicit_bzero(rt, sizeof(*rt));
	free(rt);
}

void sa_rt_table_fini(struct sa_rt_table *t)
{
	struct sa_rt_retired *r, *n;

	if (!t->slots)
		return;
	for (r = t->retired; r; r = n) {
		n = r->next;
		r->free(r->p);
		free(r);
	}
	for (__u32 i = 0; i < t->max_sa; i++)
		if (t->slots[i])
			rt_free(t->slots[i]);
	free(t->slots);
	pthread_mutex_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}

int sa_rt_attach(struct sa_rt_table *t, struct sa_entry *e)
{
	const struct udpesp_ctl_sa *cfg = &e->cfg;
	const __u8 *key, *auth_key = NULL;
	struct sa_rt *rt;

	if (e->slot >= t->max_sa)
		return -ERANGE;
	rt = calloc(1, sizeof(*rt) + sa_esp_nsel(cfg) * sizeof(rt->sel[0]));
	if (!rt)
		return -ENOMEM;
	rt->handle = e->handle;
	rt->slot = e->slot;
	rt->gen = e->gen;
	rt->dir = cfg->dir;
	rt->family = cfg->dst.family;
	rt->suite = e->suite;
	if (e->suite.aead) {
		key = cfg->aead.key;
	} else {
		key = e->suite.key_len ? cfg->enc.key : NULL;
		auth_key = cfg->auth.key;
	}
	rt->crypto = esp_crypto_new(&rt->suite, key, auth_key);
	secrets_clear_regs();
	if (!rt->crypto) {
		int err = -errno;

		free(rt);
		return err ? err : -ENOMEM;
	}
	pthread_mutex_init(&rt->mapping_lock, NULL);
	memcpy(rt->peer_addr, cfg->src.addr, sizeof(rt->peer_addr));
	rt->peer_port = cfg->encap_sport;

	rt->nsel = sa_esp_sels(rt->sel, cfg);
	sa_esp_decap_sa(&rt->decap, cfg, &rt->suite, rt->crypto,
			t->replay_mem ? &t->replay_mem[e->slot] : NULL, rt->sel, rt->nsel);

	if (cfg->dir == UDPESP_DIR_OUT) {
		struct esp_encap_params p;

		sa_esp_encap_params(&p, cfg);
		esp_encap_sa_init(&rt->encap, &p, &rt->suite, rt->crypto);
	}
	e->rt = rt;
	if (cfg->dir == UDPESP_DIR_IN)
		__atomic_store_n(&t->slots[e->slot], rt, __ATOMIC_RELEASE);
	return 0;
}

void sa_rt_detach(struct sa_rt_table *t, struct sa_entry *e)
{
	struct sa_rt *rt = e->rt;

	e->rt = NULL;
	sa_rt_release(t, rt);
}

void sa_rt_release(struct sa_rt_table *t, struct sa_rt *rt)
{
	if (!rt)
		return;
	if (rt->dir == UDPESP_DIR_IN && rt->slot < t->max_sa &&
	    __atomic_load_n(&t->slots[rt->slot], __ATOMIC_RELAXED) == rt)
		__atomic_store_n(&t->slots[rt->slot], NULL, __ATOMIC_RELEASE);
	sa_rt_retire(t, rt, rt_free);
}

void sa_rt_retire(struct sa_rt_table *t, void *p, void (*fn)(void *))
{
	struct sa_rt_retired *r = malloc(sizeof(*r));

	if (!r) {
		/* Cannot wait for the readers: leak rather than free under them. */
		return;
	}
	r->p = p;
	r->free = fn;
	/* Readers that come online from now on cannot find p any more. */
	r->gp = __atomic_add_fetch(&t->gp, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&t->lock);
	r->next = t->retired;
	t->retired = r;
	pthread_mutex_unlock(&t->lock);
}

/* True when no online reader can still hold a pointer retired at gp. */
static bool grace_period_over(const struct sa_rt_table *t, __u64 gp)
{
	for (const struct sa_rt_reader *rd = t->readers; rd; rd = rd->next) {
		__u64 seen = __atomic_load_n(&rd->seen, __ATOMIC_ACQUIRE);

		if (seen != ~0ull && seen < gp)
			return false;
	}
	return true;
}

void sa_rt_reclaim(struct sa_rt_table *t)
{
	struct sa_rt_retired **pp, *r, *done = NULL;

	pthread_mutex_lock(&t->lock);
	for (pp = &t->retired; (r = *pp);) {
		if (grace_period_over(t, r->gp)) {
			*pp = r->next;
			r->next = done;
			done = r;
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&t->lock);
	for (; done; done = r) {
		r = done->next;
		done->free(done->p);
		free(done);
	}
}

void sa_rt_reader_add(struct sa_rt_table *t, struct sa_rt_reader *r)
{
	r->seen = ~0ull;
	pthread_mutex_lock(&t->lock);
	r->next = t->readers;
	t->readers = r;
	pthread_mutex_unlock(&t->lock);
}

void sa_rt_reader_del(struct sa_rt_table *t, struct sa_rt_reader *r)
{
	pthread_mutex_lock(&t->lock);
	for (struct sa_rt_reader **pp = &t->readers; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
}
