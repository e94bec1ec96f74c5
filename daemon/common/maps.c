// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Typed wrappers over udpesp's BPF maps (see maps.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"

static void maps_reset(struct udpesp_maps *m)
{
	m->ports = m->parser = m->sa = m->replay = -1;
	m->sa_stats = m->stats = m->xsks = -1;
	m->xsk_base = m->xsk_cnt = m->xsk_sa = -1;
	m->kf_prog = -1;
	m->max_sa = 0;
	m->replay_mem = NULL;
	m->xsk_cnt_mem = NULL;
	m->xsk_sa_mem = NULL;
	m->owned = false;
}

/* The fd slots of struct udpesp_maps, in one table for open and close. */
static int *map_fd_slot(struct udpesp_maps *m, size_t i, const char **name)
{
	static const char *const names[] = {
		UDPESP_MAP_PORTS,    UDPESP_MAP_PARSER, UDPESP_MAP_SA,	    UDPESP_MAP_REPLAY,
		UDPESP_MAP_SA_STATS, UDPESP_MAP_STATS,	UDPESP_MAP_XSKS,    UDPESP_MAP_XSK_BASE,
		UDPESP_MAP_XSK_CNT,  UDPESP_MAP_XSK_SA, UDPESP_MAP_KF_PROG,
	};
	int *fds[] = { &m->ports, &m->parser,	&m->sa,	     &m->replay, &m->sa_stats, &m->stats,
		       &m->xsks,  &m->xsk_base, &m->xsk_cnt, &m->xsk_sa, &m->kf_prog };

	if (i >= sizeof(names) / sizeof(names[0]))
		return NULL;
	*name = names[i];
	return fds[i];
}

static int read_max_sa(struct udpesp_maps *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(m->sa, &info, &len);

	if (err)
		return -errno;
	m->max_sa = info.max_entries;
	return 0;
}

int udpesp_maps_from_obj(struct udpesp_maps *m, struct bpf_object *obj)
{
	const char *name;
	int *fd;

	maps_reset(m);
	for (size_t i = 0; (fd = map_fd_slot(m, i, &name)); i++) {
		*fd = bpf_object__find_map_fd_by_name(obj, name);
		if (*fd < 0)
			return -ENOENT;
	}
	return read_max_sa(m);
}

int udpesp_maps_open_pinned(struct udpesp_maps *m, const char *dir)
{
	char path[4096];
	const char *name;
	int *fd, err;

	maps_reset(m);
	m->owned = true;
	for (size_t i = 0; (fd = map_fd_slot(m, i, &name)); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		*fd = bpf_obj_get(path);
		if (*fd < 0) {
			err = -errno;
			goto fail;
		}
	}
	err = read_max_sa(m);
	if (!err)
		return 0;
fail:
	udpesp_maps_close(m);
	return err;
}

static void *map_mmap(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int udpesp_maps_mmap(struct udpesp_maps *m)
{
	m->replay_mem = map_mmap(m->replay, (size_t)m->max_sa * sizeof(*m->replay_mem));
	m->xsk_cnt_mem = map_mmap(m->xsk_cnt, sizeof(*m->xsk_cnt_mem));
	m->xsk_sa_mem = map_mmap(m->xsk_sa, (size_t)m->max_sa * sizeof(*m->xsk_sa_mem));
	if (m->replay_mem && m->xsk_cnt_mem && m->xsk_sa_mem)
		return 0;
	return -errno;
}

static void maps_munmap(struct udpesp_maps *m)
{
	if (m->replay_mem)
		munmap(m->replay_mem, (size_t)m->max_sa * sizeof(*m->replay_mem));
	if (m->xsk_cnt_mem)
		munmap(m->xsk_cnt_mem, sizeof(*m->xsk_cnt_mem));
	if (m->xsk_sa_mem)
		munmap(m->xsk_sa_mem, (size_t)m->max_sa * sizeof(*m->xsk_sa_mem));
}

void udpesp_maps_close(struct udpesp_maps *m)
{
	const char *name;
	int *fd;

	maps_munmap(m);
	if (m->owned) {
		for (size_t i = 0; (fd = map_fd_slot(m, i, &name)); i++)
			if (*fd >= 0)
				close(*fd);
	}
	maps_reset(m);
}

static int sys_err(int ret)
{
	return ret ? -errno : 0;
}

/* The udpesp_parser_variant bit of a key: which lookup of XDP finds it. */
static __u8 parser_variant(const struct udpesp_parser_key *k)
{
	static const __be32 any[4];
	int i = (k->ifindex == 0 ? 2 : 0) | (!memcmp(k->addr, any, sizeof(any)) ? 1 : 0);

	return 1 << i;
}

struct port_scan {
	__be16 port;
	struct udpesp_port_val val;
};

static int count_port(const struct udpesp_parser_key *k, const struct udpesp_parser_val *v,
		      void *arg)
{
	struct port_scan *ps = arg;

	(void)v;
	if (k->port == ps->port) {
		ps->val.entries++;
		ps->val.variants |= parser_variant(k);
	}
	return 0;
}

/*
 * Rewrite a port's udpesp_ports entry from the parser map itself, so the
 * count and the variants can never drift from what is really there.
 * Parser entries change rarely and the map is small: a scan is cheap.
 */
static int port_sync(const struct udpesp_maps *m, __be16 port_be)
{
	struct port_scan ps = { .port = port_be };
	__u32 port = ntohs(port_be);
	int err = udpesp_maps_parser_for_each(m, count_port, &ps);

	if (err)
		return err;
	return sys_err(bpf_map_update_elem(m->ports, &port, &ps.val, BPF_ANY));
}

int udpesp_maps_parser_add(const struct udpesp_maps *m, const struct udpesp_parser_key *key,
			   const struct udpesp_parser_val *val)
{
	int err;

	if (key->port == 0)
		return -EINVAL;
	err = sys_err(bpf_map_update_elem(m->parser, key, val, BPF_NOEXIST));
	if (err)
		return err;
	err = port_sync(m, key->port);
	if (err)
		bpf_map_delete_elem(m->parser, key); /* all or nothing */
	return err;
}

int udpesp_maps_parser_del(const struct udpesp_maps *m, const struct udpesp_parser_key *key)
{
	int err = sys_err(bpf_map_delete_elem(m->parser, key));

	if (err)
		return err;
	return port_sync(m, key->port);
}

static int percpu_zero(int fd, __u32 key, size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus();
	void *zeros;
	int err;

	if (ncpu < 0)
		return ncpu;
	zeros = calloc(ncpu, (value_size + 7) & ~(size_t)7);
	if (!zeros)
		return -ENOMEM;
	err = sys_err(bpf_map_update_elem(fd, &key, zeros, BPF_ANY));
	free(zeros);
	return err;
}

int udpesp_maps_sa_stats_zero(const struct udpesp_maps *m, __u32 slot)
{
	struct udpesp_sa_stats zero = { 0 };
	int err;

	if (slot >= m->max_sa)
		return -EINVAL;
	err = percpu_zero(m->sa_stats, slot, sizeof(struct udpesp_sa_stats));
	if (!err && m->xsk_sa >= 0)
		err = sys_err(bpf_map_update_elem(m->xsk_sa, &slot, &zero, BPF_ANY));
	return err;
}

int udpesp_maps_sa_add(const struct udpesp_maps *m, const struct udpesp_sa_key *key,
		       const struct udpesp_sa *sa, __u32 window, __u64 top)
{
	struct udpesp_replay rp = { .top = top, .window = window };
	struct udpesp_sa existing;
	int err;

	if (sa->slot >= m->max_sa || window > UDPESP_REPLAY_MAX)
		return -EINVAL;
	if (!bpf_map_lookup_elem(m->sa, key, &existing))
		return -EEXIST;
	/* Slot state first: once the SA is visible XDP reads it. */
	err = sys_err(bpf_map_update_elem(m->replay, &sa->slot, &rp, BPF_ANY));
	if (!err)
		err = udpesp_maps_sa_stats_zero(m, sa->slot);
	if (!err)
		err = sys_err(bpf_map_update_elem(m->sa, key, sa, BPF_NOEXIST));
	return err;
}

int udpesp_maps_sa_get(const struct udpesp_maps *m, const struct udpesp_sa_key *key,
		       struct udpesp_sa *sa)
{
	return sys_err(bpf_map_lookup_elem(m->sa, key, sa));
}

int udpesp_maps_sa_mark_dying(const struct udpesp_maps *m, const struct udpesp_sa_key *key)
{
	struct udpesp_sa sa;
	int err = udpesp_maps_sa_get(m, key, &sa);

	if (err)
		return err;
	sa.flags |= UDPESP_SA_F_DYING;
	return sys_err(bpf_map_update_elem(m->sa, key, &sa, BPF_EXIST));
}

int udpesp_maps_sa_del(const struct udpesp_maps *m, const struct udpesp_sa_key *key)
{
	return sys_err(bpf_map_delete_elem(m->sa, key));
}

int udpesp_maps_replay_get(const struct udpesp_maps *m, __u32 slot, struct udpesp_replay *out)
{
	return sys_err(bpf_map_lookup_elem(m->replay, &slot, out));
}

int udpesp_maps_replay_set(const struct udpesp_maps *m, __u32 slot, const struct udpesp_replay *r)
{
	if (slot >= m->max_sa || r->window > UDPESP_REPLAY_MAX)
		return -EINVAL;
	return sys_err(bpf_map_update_elem(m->replay, &slot, r, BPF_ANY));
}

/*
 * Walk a hash map with get_next_key, handing each entry to fn. key and
 * next are caller buffers of the key size, val of the value size.
 */
static int map_walk(int fd, void *key, void *next, size_t key_size, void *val,
		    int (*fn)(const void *k, const void *v, void *arg), void *arg)
{
	void *prev = NULL;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val))
			continue; /* deleted meanwhile */
		ret = fn(key, val, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The typed callbacks are called through their own types: map_walk()
 * hands each entry to a visitor of its own type, which calls fn. Casting
 * fn to map_walk's type instead is undefined (UBSan -fsanitize=function,
 * and control-flow integrity, abort on it).
 */
struct maps_parser_walk {
	int (*fn)(const struct udpesp_parser_key *k, const struct udpesp_parser_val *v, void *arg);
	void *arg;
};

static int maps_parser_visit(const void *k, const void *v, void *arg)
{
	const struct maps_parser_walk *w = arg;

	return w->fn(k, v, w->arg);
}

int udpesp_maps_parser_for_each(const struct udpesp_maps *m,
				int (*fn)(const struct udpesp_parser_key *k,
					  const struct udpesp_parser_val *v, void *arg),
				void *arg)
{
	struct maps_parser_walk w = { fn, arg };
	struct udpesp_parser_key key, next;
	struct udpesp_parser_val val;

	return map_walk(m->parser, &key, &next, sizeof(key), &val, maps_parser_visit, &w);
}

struct maps_sa_walk {
	int (*fn)(const struct udpesp_sa_key *k, const struct udpesp_sa *v, void *arg);
	void *arg;
};

static int maps_sa_visit(const void *k, const void *v, void *arg)
{
	const struct maps_sa_walk *w = arg;

	return w->fn(k, v, w->arg);
}

int udpesp_maps_sa_for_each(const struct udpesp_maps *m,
			    int (*fn)(const struct udpesp_sa_key *k, const struct udpesp_sa *v,
				      void *arg),
			    void *arg)
{
	struct maps_sa_walk w = { fn, arg };
	struct udpesp_sa_key key, next;
	struct udpesp_sa val;

	return map_walk(m->sa, &key, &next, sizeof(key), &val, maps_sa_visit, &w);
}

int udpesp_maps_counter(const struct udpesp_maps *m, enum udpesp_counter c, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = c;
	__u64 *vals;
	int err;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	struct udpesp_xsk_counters wk;
	__u32 zero = 0;

	err = sys_err(bpf_map_lookup_elem(m->stats, &key, vals));
	*out = 0;
	for (int i = 0; !err && i < ncpu; i++)
		*out += vals[i];
	free(vals);
	/* Plus what the AF_XDP workers counted. */
	if (!err && m->xsk_cnt >= 0 && !bpf_map_lookup_elem(m->xsk_cnt, &zero, &wk))
		*out += wk.c[c];
	return err;
}

int udpesp_maps_sa_stats(const struct udpesp_maps *m, __u32 slot, struct udpesp_sa_stats *out)
{
	const size_t nfields = sizeof(*out) / sizeof(__u64);
	int ncpu = libbpf_num_possible_cpus();
	struct udpesp_sa_stats *vals;
	int err;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	err = sys_err(bpf_map_lookup_elem(m->sa_stats, &slot, vals));
	memset(out, 0, sizeof(*out));
	/* Every field is a __u64 counter, so sum them as an array. */
	for (int i = 0; !err && i < ncpu; i++)
		for (size_t f = 0; f < nfields; f++)
			((__u64 *)out)[f] += ((const __u64 *)&vals[i])[f];
	/* Plus what the AF_XDP workers counted for the slot. */
	if (!err && m->xsk_sa >= 0 && !bpf_map_lookup_elem(m->xsk_sa, &slot, &vals[0]))
		for (size_t f = 0; f < nfields; f++)
			((__u64 *)out)[f] += ((const __u64 *)&vals[0])[f];
	free(vals);
	return err;
}

int udpesp_maps_xsk_set(const struct udpesp_maps *m, __u32 index, int fd)
{
	if (fd < 0)
		return sys_err(bpf_map_delete_elem(m->xsks, &index));
	return sys_err(bpf_map_update_elem(m->xsks, &index, &fd, BPF_ANY));
}

int udpesp_maps_xsk_base_set(const struct udpesp_maps *m, __u32 ifindex, int base)
{
	__u32 b = base;

	if (base < 0)
		return sys_err(bpf_map_delete_elem(m->xsk_base, &ifindex));
	return sys_err(bpf_map_update_elem(m->xsk_base, &ifindex, &b, BPF_ANY));
}

void udpesp_sa_key_init(struct udpesp_sa_key *k, __be32 spi, __u8 family, const __be32 daddr[4])
{
	memset(k, 0, sizeof(*k));
	k->spi = spi;
	k->family = family;
	memcpy(k->daddr, daddr, sizeof(k->daddr));
}

void udpesp_parser_key_init(struct udpesp_parser_key *k, __u32 ifindex, __u16 port, __u8 family,
			    const __be32 addr[4])
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->port = htons(port);
	k->family = family;
	if (addr)
		memcpy(k->addr, addr, sizeof(k->addr));
}
