// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespd's side of the in-kernel crypto backend (see kfunc.h and
 * bpf/udpesp_kf.bpf.c). Key bytes pass through exactly one place: the
 * ctx buffer of udpesp_kf_new, wiped after the call. H and the GHASH
 * table are computed inside the kernel (udpesp_kf_init) and never come
 * back: udpesp_kf_sa is write-only from userspace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <udpesp/abi.h>

#include "kfunc.h"
#include "sa_esp.h"
#include "udpesp_kf.skel.h"

/* The slot of the probe's throwaway context: outside every SA table. */
#define KF_PROBE_SLOT 0xffffffffu

/*
 * Whether the kernel's AES (what ecb(aes) wraps: the "aes" cipher of
 * highest priority in /proc/crypto) is more than the portable C one.
 * With the C one the kfunc backend costs 3-7x the AF_XDP path per packet
 * (README, make bench-kfunc), so offload auto does not pick it.
 */
static bool kfunc_aes_accelerated(char *driver, size_t len)
{
	char line[256], name[64] = "", drv[64] = "", type[32] = "";
	int prio = -1, best = -1;
	bool fast = false;
	FILE *f = fopen("/proc/crypto", "re");

	snprintf(driver, len, "unknown");
	if (!f)
		return false;
	for (bool more = true; more;) {
		more = fgets(line, sizeof(line), f) != NULL;
		if (!more || line[0] == '\n') {
			if (!strcmp(name, "aes") && !strcmp(type, "cipher") && prio > best) {
				best = prio;
				snprintf(driver, len, "%s", drv);
				fast = strcmp(drv, "aes-generic") && strcmp(drv, "aes-fixed-time");
			}
			name[0] = drv[0] = type[0] = '\0';
			prio = -1;
			continue;
		}
		if (sscanf(line, "name : %63s", name) == 1 ||
		    sscanf(line, "driver : %63s", drv) == 1 ||
		    sscanf(line, "type : %31s", type) == 1)
			continue;
		sscanf(line, "priority : %d", &prio);
	}
	fclose(f);
	return fast;
}

static void kfunc_wipe(void *p, size_t n)
{
	volatile __u8 *v = p;

	while (n--)
		*v++ = 0;
}

/*
 * Use the maps udpesp.bpf.o already has, by name. udpesp_kf_sa is not
 * pinned: the contexts (keys) must not outlive udpespd, and a write-only
 * map cannot be swept by the next one. It lives as long as the program
 * in udpesp_kf_prog that uses it.
 */
static int kfunc_reuse_maps(struct udpesp_kf *skel, const struct udpesp_maps *m)
{
	const struct {
		const char *name;
		int fd;
	} shared[] = {
		{ UDPESP_MAP_PORTS, m->ports },
		{ UDPESP_MAP_PARSER, m->parser },
		{ UDPESP_MAP_SA, m->sa },
		{ UDPESP_MAP_REPLAY, m->replay },
		{ UDPESP_MAP_SA_STATS, m->sa_stats },
		{ UDPESP_MAP_STATS, m->stats },
		{ UDPESP_MAP_XSKS, m->xsks },
		{ UDPESP_MAP_XSK_BASE, m->xsk_base },
		{ UDPESP_MAP_XSK_CNT, m->xsk_cnt },
		{ UDPESP_MAP_XSK_SA, m->xsk_sa },
		{ UDPESP_MAP_KF_PROG, m->kf_prog },
	};
	int err;

	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, shared[i].name);

		if (!map || shared[i].fd < 0)
			return -ENOENT;
		err = bpf_map__set_pin_path(map, NULL);
		if (!err)
			err = bpf_map__reuse_fd(map, shared[i].fd);
		if (err)
			return err;
	}
	err = bpf_map__set_pin_path(skel->maps.udpesp_kf_sa, NULL);
	if (!err)
		err = bpf_map__set_pin_path(skel->maps.udpesp_kf_peer, NULL);
	return err;
}

/*
 * Run a syscall program on its context (len bytes); the kernel copies the
 * context back, so *err is the program's answer.
 */
static int kfunc_run_syscall(struct bpf_program *prog, void *ctx, __u32 len, const __s32 *err)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = len);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -errno;
	return *err;
}

/* H and the GHASH table of slot, inside the kernel. */
static int kfunc_run_init(struct udpesp_kf *skel, __u32 slot)
{
	__u8 pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);

	memcpy(pkt, &slot, sizeof(slot));
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.udpesp_kf_init), &opts))
		return -errno;
	return opts.retval == 2 /* XDP_PASS */ ? 0 : -EIO;
}

static int kfunc_sa_write(struct kfunc_backend *kb, __u32 slot, const struct udpesp_kf_sa *val,
			  const __u8 *key, __u32 key_len)
{
	int fd = bpf_map__fd(kb->skel->maps.udpesp_kf_sa);
	struct udpesp_kf_args a = { .slot = slot, .key_len = key_len };
	int err;

	if (key_len > sizeof(a.key))
		return -EINVAL;
	if (bpf_map_update_elem(fd, &slot, val, BPF_ANY))
		return -errno;
	memcpy(a.key, key, key_len);
	err = kfunc_run_syscall(kb->skel->progs.udpesp_kf_new, &a, sizeof(a), &a.err);
	kfunc_wipe(&a, sizeof(a));
	if (!err)
		err = kfunc_run_init(kb->skel, slot);
	if (err)
		kfunc_sa_del(kb, slot);
	return err;
}

/* A context over a zero key through every program: the kernel can run it. */
static int kfunc_probe(struct kfunc_backend *kb)
{
	struct udpesp_kf_sa val = { .mode = UDPESP_MODE_TUNNEL };
	__u8 key[16] = { 0 };

	return kfunc_sa_write(kb, KF_PROBE_SLOT, &val, key, sizeof(key));
}

void kfunc_load(struct kfunc_backend *kb, const struct udpesp_maps *m)
{
	__u32 zero = 0;
	int err, fd;

	memset(kb, 0, sizeof(*kb));
	kb->skel = udpesp_kf__open();
	if (!kb->skel) {
		snprintf(kb->why, sizeof(kb->why), "opening udpesp_kf.bpf.o: %s", strerror(errno));
		return;
	}
	err = kfunc_reuse_maps(kb->skel, m);
	if (err) {
		snprintf(kb->why, sizeof(kb->why), "udpesp's maps: %s", strerror(-err));
		goto fail;
	}
	err = udpesp_kf__load(kb->skel);
	if (err) {
		snprintf(
			kb->why, sizeof(kb->why),
			"the kernel refused udpesp_kf.bpf.o (%s): no bpf_crypto kfuncs (Linux 6.10+, CONFIG_CRYPTO)?",
			strerror(-err));
		goto fail;
	}
	err = kfunc_probe(kb);
	if (err) {
		snprintf(kb->why, sizeof(kb->why), "no ecb(aes) context in the kernel: %s",
			 strerror(-err));
		goto fail;
	}
	kfunc_sa_del(kb, KF_PROBE_SLOT);
	fd = bpf_program__fd(kb->skel->progs.udpesp_kf_xdp);
	if (bpf_map_update_elem(m->kf_prog, &zero, &fd, BPF_ANY)) {
		snprintf(kb->why, sizeof(kb->why), "udpesp_kf_prog: %s", strerror(errno));
		goto fail;
	}
	kb->ok = true;
	kb->aes_fast = kfunc_aes_accelerated(kb->aes_driver, sizeof(kb->aes_driver));
	return;
fail:
	udpesp_kf__destroy(kb->skel);
	kb->skel = NULL;
}

void kfunc_unload(struct kfunc_backend *kb, const struct udpesp_maps *m)
{
	__u32 zero = 0;

	if (!kb->skel)
		return;
	ring_buffer__free(kb->peers);
	kb->peers = NULL;
	/* Without udpespd nobody manages the contexts: kfunc SAs pass up. */
	if (kb->ok && m->kf_prog >= 0)
		bpf_map_delete_elem(m->kf_prog, &zero);
	udpesp_kf__destroy(kb->skel);
	kb->skel = NULL;
	kb->ok = false;
}

int kfunc_supports(const struct kfunc_backend *kb, const struct udpesp_ctl_sa *cfg,
		   const struct esp_suite *s, char *err, size_t errlen)
{
	if (cfg->dir != UDPESP_DIR_IN) {
		snprintf(
			err, errlen,
			"offload kfunc decapsulates inbound SAs only; outbound ESP is sent by udpespd (use offload auto or xsk)");
		return -EOPNOTSUPP;
	}
	if (s->alg != UDPESP_ALG_AES_GCM_16) {
		snprintf(
			err, errlen,
			"offload kfunc supports aead 'rfc4106(gcm(aes))' only, with a 64, 96 or 128-bit ICV (the kernel's bpf_crypto offers ecb(aes) and cbc(aes), no AEAD); use offload xsk or auto");
		return -EOPNOTSUPP;
	}
	if (cfg->nsel > 1 || (cfg->nsel == 1 && (cfg->sel[0].proto || cfg->sel[0].sport_hi ||
						 cfg->sel[0].dport_hi))) {
		snprintf(
			err, errlen,
			"offload kfunc checks one address selector inside XDP; this SA has %s: use offload xsk or auto",
			cfg->nsel > 1 ? "several" : "a protocol or ports");
		return -EOPNOTSUPP;
	}
	if (!kb->ok) {
		snprintf(err, errlen, "offload kfunc: %s; use offload xsk or auto",
			 kb->why[0] ? kb->why : "the kfunc backend is not loaded");
		return -EOPNOTSUPP;
	}
	if (cfg->offload == UDPESP_OFFLOAD_AUTO && !kb->aes_fast) {
		snprintf(
			err, errlen,
			"offload auto: the kernel's AES is %s (portable C), slower than the AF_XDP path; offload kfunc forces it",
			kb->aes_driver);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void kfunc_addr(struct udpesp_kf_addr *k, const struct esp_addr *a)
{
	memset(k, 0, sizeof(*k));
	k->family = a->family;
	k->prefixlen = a->prefixlen;
	memcpy(k->addr, a->addr, sizeof(k->addr));
}

int kfunc_sa_add(struct kfunc_backend *kb, __u32 slot, __u32 gen, const struct udpesp_ctl_sa *cfg,
		 const struct esp_suite *s)
{
	struct udpesp_kf_sa val = { 0 };
	struct esp_addr a;
	int err;

	if (!kb->ok)
		return -EOPNOTSUPP;
	if (cfg->aead.key_len != (__u32)s->key_len + 4 || s->salt_len != 4)
		return -EINVAL;
	val.gen = gen;
	val.mode = cfg->mode;
	val.inner_family = s->inner_family;
	val.esn = !!(cfg->flags & UDPESP_CTL_SA_ESN);
	val.icv_len = s->icv_len;
	memcpy(val.salt, cfg->aead.key + s->key_len, 4);
	/* The rules esp_decap() gets its selector and NAT-OA by. */
	/* The one selector kfunc_supports() lets through, as sa_esp_sels() reads it. */
	if (cfg->nsel == 1) {
		sa_esp_addr(&a, &cfg->sel[0].src);
		kfunc_addr(&val.sel_src, &a);
		sa_esp_addr(&a, &cfg->sel[0].dst);
		kfunc_addr(&val.sel_dst, &a);
	}
	sa_esp_orig_src(&a, cfg);
	kfunc_addr(&val.orig_src, &a);
	/* Where the peer sends from: XDP reports when that changes. */
	val.peer.family = cfg->src.family;
	memcpy(val.peer.addr, cfg->src.addr, sizeof(val.peer.addr));
	val.peer_port = cfg->encap_sport;
	err = kfunc_sa_write(kb, slot, &val, cfg->aead.key, s->key_len);
	kfunc_wipe(&val, sizeof(val));
	return err;
}

void kfunc_sa_del(struct kfunc_backend *kb, __u32 slot)
{
	struct udpesp_kf_args a = { .slot = slot };

	if (!kb->skel)
		return;
	kfunc_run_syscall(kb->skel->progs.udpesp_kf_del, &a, sizeof(a), &a.err);
	bpf_map_delete_elem(bpf_map__fd(kb->skel->maps.udpesp_kf_sa), &slot);
}

int kfunc_sa_peer(struct kfunc_backend *kb, __u32 slot, const struct udpesp_ctl_sa *cfg)
{
	struct udpesp_kf_peer_args a = { .slot = slot, .port = cfg->encap_sport };

	if (!kb->skel)
		return -EOPNOTSUPP;
	a.peer.family = cfg->src.family;
	memcpy(a.peer.addr, cfg->src.addr, sizeof(a.peer.addr));
	return kfunc_run_syscall(kb->skel->progs.udpesp_kf_peer_set, &a, sizeof(a), &a.err);
}

static int kfunc_peer_record(void *ctx, void *data, size_t size)
{
	struct kfunc_backend *kb = ctx;
	struct udpesp_kf_peer_ev ev;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	kb->peer_fn(kb->peer_ctx, &ev);
	return 0;
}

int kfunc_peer_watch(struct kfunc_backend *kb, kfunc_peer_fn fn, void *ctx)
{
	if (!kb->ok)
		return -EOPNOTSUPP;
	if (!kb->peers) {
		kb->peers = ring_buffer__new(bpf_map__fd(kb->skel->maps.udpesp_kf_peer),
					     kfunc_peer_record, kb, NULL);
		if (!kb->peers)
			return errno ? -errno : -ENOMEM;
	}
	kb->peer_fn = fn;
	kb->peer_ctx = ctx;
	return ring_buffer__epoll_fd(kb->peers);
}

int kfunc_peer_consume(struct kfunc_backend *kb)
{
	if (!kb->peers)
		return -ENOENT;
	return ring_buffer__consume(kb->peers);
}
