// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * How sa_table picks the backend of an SA (choose_backend): offload
 * kfunc gets the in-kernel backend or a refusal that says why (the data
 * path's kfunc_ok); offload auto gets it where kfunc_ok allows and the
 * AF_XDP workers otherwise; what `sa show` then prints (cfg.offload) and
 * what XDP sees (udpesp_sa.backend). The data path is a fake in memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>

#include "udpespctl/sa_parse.h"
#include "udpespd/sa_table.h"

struct kf_fake {
	bool kernel_has_kfuncs;
	struct udpesp_sa last;
	int sas;
};

static int f_parser_add(void *ctx, const struct udpesp_parser_key *key,
			const struct udpesp_parser_val *val)
{
	(void)ctx, (void)key, (void)val;
	return 0;
}

static int f_parser_del(void *ctx, const struct udpesp_parser_key *key)
{
	(void)ctx, (void)key;
	return 0;
}

static int f_sa_add(void *ctx, const struct udpesp_sa_key *key, const struct udpesp_sa *sa,
		    __u32 window, __u64 top)
{
	struct kf_fake *f = ctx;

	(void)key, (void)window, (void)top;
	f->last = *sa;
	f->sas++;
	return 0;
}

static int f_sa_other(void *ctx, const struct udpesp_sa_key *key)
{
	(void)ctx, (void)key;
	return 0;
}

/* As udpespd's: GCM inbound only, and only on a kernel with the kfuncs. */
static int f_kfunc_ok(void *ctx, const struct udpesp_ctl_sa *cfg, const struct esp_suite *s,
		      char *err, size_t errlen)
{
	struct kf_fake *f = ctx;

	if (!f->kernel_has_kfuncs) {
		snprintf(err, errlen, "offload kfunc: no bpf_crypto kfuncs in this kernel");
		return -EOPNOTSUPP;
	}
	if (cfg->dir != UDPESP_DIR_IN || s->alg != UDPESP_ALG_AES_GCM_16) {
		snprintf(err, errlen, "offload kfunc: not this suite");
		return -EOPNOTSUPP;
	}
	return 0;
}

static const struct sa_table_ops ops = {
	.parser_add = f_parser_add,
	.parser_del = f_parser_del,
	.sa_add = f_sa_add,
	.sa_mark_dying = f_sa_other,
	.sa_del = f_sa_other,
	.kfunc_ok = f_kfunc_ok,
};

static struct udpesp_ctl_sa sa_words(const char *alg, const char *offload, const char *dir)
{
	char *argv[] = { "dir",		 (char *)dir, "src",	"198.51.100.7", "dst",
			 "192.0.2.1",	 "spi",	      "0x1001", "mode",		"tunnel",
			 "aead",	 (char *)alg, NULL,	"128",		"encap",
			 "espinudp",	 "4500",      "4500",	"0.0.0.0",	"offload",
			 (char *)offload };
	struct udpesp_ctl_sa sa;
	char err[UDPESP_CTL_ERRMSG_MAX];

	argv[12] =
		!strcmp(alg, "rfc4106(gcm(aes))") ?
			"0x000102030405060708090a0b0c0d0e0f10111213" :
			"0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223";
	cr_assert_eq(sa_parse_add(sizeof(argv) / sizeof(argv[0]), argv, &sa, err, sizeof(err)), 0,
		     "%s", err);
	return sa;
}

/* Add one SA; its `sa show` offload, or the refusal's errno. */
static int add(struct kf_fake *f, const struct udpesp_ctl_sa *sa, char *err, size_t errlen)
{
	struct udpesp_ctl_handles h;
	struct sa_table t;
	struct udpesp_ctl_sa_del sel = { 0 };
	struct sa_entry *e;
	int ret;

	cr_assert_eq(sa_table_init(&t, 16, &ops, f), 0);
	ret = sa_table_add(&t, sa, 1, &h, err, errlen);
	if (!ret) {
		sel.handle = h.handle;
		e = sa_table_find(&t, &sel);
		cr_assert_not_null(e);
		ret = e->cfg.offload;
		cr_assert_eq(e->backend, ret == UDPESP_OFFLOAD_KFUNC ? UDPESP_BACKEND_KFUNC :
								       UDPESP_BACKEND_XSK);
	}
	sa_table_fini(&t);
	return ret;
}

#define GCM "rfc4106(gcm(aes))"
#define CHACHA "rfc7539esp(chacha20,poly1305)"

Test(sa_table_kfunc, kernel_with_kfuncs)
{
	struct kf_fake f = { .kernel_has_kfuncs = true };
	struct udpesp_ctl_sa sa;
	char err[UDPESP_CTL_ERRMSG_MAX];

	sa = sa_words(GCM, "kfunc", "in");
	cr_assert_eq(add(&f, &sa, err, sizeof(err)), UDPESP_OFFLOAD_KFUNC);
	cr_assert_eq(f.last.backend, UDPESP_BACKEND_KFUNC, "XDP must see the kfunc backend");
	sa = sa_words(GCM, "auto", "in");
	cr_assert_eq(add(&f, &sa, err, sizeof(err)), UDPESP_OFFLOAD_KFUNC);
	sa = sa_words(GCM, "xsk", "in");
	cr_assert_eq(add(&f, &sa, err, sizeof(err)), UDPESP_OFFLOAD_XSK);
	cr_assert_eq(f.last.backend, UDPESP_BACKEND_XSK);
	sa = sa_words(CHACHA, "auto", "in");
	cr_assert_eq(add(&f, &sa, err, sizeof(err)), UDPESP_OFFLOAD_XSK);
	sa = sa_words(CHACHA, "kfunc", "in");
	cr_assert_eq(add(&f, &sa, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_str_eq(err, "offload kfunc: not this suite");
}

Test(sa_table_kfunc, kernel_without_kfuncs)
{
	struct kf_fake f = { .kernel_has_kfuncs = false };
	struct udpesp_ctl_sa sa;
	char err[UDPESP_CTL_ERRMSG_MAX];

	sa = sa_words(GCM, "kfunc", "in");
	cr_assert_eq(add(&f, &sa, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_str_eq(err, "offload kfunc: no bpf_crypto kfuncs in this kernel");
	cr_assert_eq(f.sas, 0, "a refused SA reached the data path");
	sa = sa_words(GCM, "auto", "in");
	cr_assert_eq(add(&f, &sa, err, sizeof(err)), UDPESP_OFFLOAD_XSK, "auto falls back");
	cr_assert_eq(f.last.backend, UDPESP_BACKEND_XSK);
}
