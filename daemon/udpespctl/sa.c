// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl sa: add, add-batch, delete, show, list, flush. The grammar is
 * sa_parse.c's; this file sends what it parsed and prints the replies.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common/ctl_proto.h"
#include "sa_parse.h"
#include "udpespctl.h"

/* SAs per SA_ADD message in add-batch: 4096, or what fits in one. */
#define BATCH_FIT (UDPESP_CTL_MAX_PAYLOAD / sizeof(struct udpesp_ctl_sa))
#define BATCH_SAS (BATCH_FIT < 4096 ? BATCH_FIT : 4096)

static const char *const dir_names[] = { [UDPESP_DIR_IN] = "in", [UDPESP_DIR_OUT] = "out" };
static const char *const
	mode_names[] = { [UDPESP_MODE_TUNNEL] = "tunnel", [UDPESP_MODE_TRANSPORT] = "transport" };
static const char *const offload_names[] = { [UDPESP_OFFLOAD_AUTO] = "auto",
					     [UDPESP_OFFLOAD_XSK] = "xsk",
					     [UDPESP_OFFLOAD_KFUNC] = "kfunc" };
static const char *const state_names[] = { "valid", "soft-expired", "dying" };
static const char *const limit_keys[UDPESP_LIMIT_MAX] = {
	"time_soft", "time_hard", "byte_soft", "byte_hard", "packet_soft", "packet_hard",
};

/* One algorithm line. Keys are never printed, only their length. */
static void sa_print_alg(const char *kind, const struct udpesp_ctl_alg *alg)
{
	bool aead = !strcmp(kind, "aead");

	if (!alg->name[0])
		return;
	json_print_open_object(&print_out, kind);
	json_print_text(&print_out, "\t%s%s ", kind, !aead && alg->bits ? "-trunc" : "");
	json_print_str(&print_out, PRINT_ANY, "name", "%s", alg->name);
	json_print_u64(&print_out, PRINT_ANY, "key_bits", " key %llu bits", alg->key_len * 8ull);
	if (alg->bits)
		json_print_u64(&print_out, PRINT_ANY, aead ? "icv_bits" : "trunc_bits",
			       aead ? " icv %llu" : " trunc %llu", alg->bits);
	json_print_nl(&print_out);
	json_print_close_object(&print_out);
}

/* A port range of a selector: "1024-65535", or one port alone. */
static void sa_print_ports(const char *key, __u16 lo, __u16 hi)
{
	bool any = !lo && (!hi || hi == 0xffff);

	json_print_open_object(&print_out, key);
	json_print_u64(&print_out, PRINT_JSON, "from", NULL, any ? 0 : lo);
	json_print_u64(&print_out, PRINT_JSON, "to", NULL, any ? 0xffff : hi);
	json_print_close_object(&print_out);
	if (any)
		return;
	json_print_text(&print_out, " %s %u", key, lo);
	if (hi != lo)
		json_print_text(&print_out, "-%u", hi);
}

/* One line per selector, as `sa add` takes them; "sel" is an array in JSON. */
static void sa_print_sels(const struct udpesp_ctl_sa *sa)
{
	json_print_open_array(&print_out, "sel");
	if (!sa->nsel)
		json_print_text(&print_out, "\tsel src any dst any\n");
	for (unsigned int i = 0; i < sa->nsel && i < UDPESP_SEL_MAX; i++) {
		const struct udpesp_ctl_sel *sel = &sa->sel[i];

		json_print_open_object(&print_out, NULL);
		print_addr("src", "\tsel src %s", &sel->src, true);
		print_addr("dst", " dst %s", &sel->dst, true);
		json_print_u64(&print_out, PRINT_JSON, "proto", NULL, sel->proto);
		if (sel->proto)
			json_print_text(&print_out, " proto %u", sel->proto);
		sa_print_ports("sport", sel->sport_lo, sel->sport_hi);
		sa_print_ports("dport", sel->dport_lo, sel->dport_hi);
		json_print_text(&print_out, "\n");
		json_print_close_object(&print_out);
	}
	json_print_close_array(&print_out);
}

static void sa_print(const struct udpesp_ctl_sa_info *si)
{
	const struct udpesp_ctl_sa *sa = &si->sa;
	bool in = sa->dir == UDPESP_DIR_IN, limited = false;
	char b[32], oa[INET6_ADDRSTRLEN];

	json_print_open_object(&print_out, NULL);
	json_print_u64(&print_out, PRINT_ANY, "handle", "handle %llu", si->handle);
	json_print_u64(&print_out, PRINT_ANY, "parser", " parser %llu", sa->parser);
	json_print_str(&print_out, PRINT_ANY, "dir", " dir %s", NAME(dir_names, sa->dir, "dir", b));
	print_addr("src", " src %s", &sa->src, false);
	print_addr("dst", " dst %s", &sa->dst, false);
	print_spi(" spi 0x%08x", sa->spi);
	json_print_str(&print_out, PRINT_ANY, "mode", " mode %s",
		       NAME(mode_names, sa->mode, "mode", b));
	json_print_u64(&print_out, PRINT_ANY, "slot", " slot %llu", si->slot);
	if (sa->reqid)
		json_print_u64(&print_out, PRINT_ANY, "reqid", " reqid %llu", sa->reqid);
	/* Who added it: an IKE daemon's SAs are not to be edited by hand. */
	json_print_str(&print_out, sa->owner ? PRINT_ANY : PRINT_JSON, "owner", " owner %s",
		       sa->owner == UDPESP_OWNER_CHARON ? "charon" :
		       sa->owner			? "?" :
							  "none");
	json_print_nl(&print_out);
	sa_print_alg("aead", &sa->aead);
	sa_print_alg("enc", &sa->enc);
	sa_print_alg("auth", &sa->auth);
	if (sa->encap) {
		json_print_open_object(&print_out, "encap");
		json_print_str(&print_out, PRINT_ANY, "type", "\tencap %s",
			       NAME(print_encap_names, sa->encap, "encap", b));
		json_print_u64(&print_out, PRINT_ANY, "sport", " %llu", ntohs(sa->encap_sport));
		json_print_u64(&print_out, PRINT_ANY, "dport", " %llu", ntohs(sa->encap_dport));
		if (!print_fmt_addr(&sa->encap_oa, false, oa, sizeof(oa)))
			strcpy(oa, sa->dst.family == AF_INET6 ? "::" : "0.0.0.0");
		json_print_str(&print_out, PRINT_ANY, "oa", " %s\n", oa);
		json_print_close_object(&print_out);
	}
	json_print_u64(&print_out, PRINT_ANY, "replay_window", "\treplay-window %llu",
		       sa->replay_window);
	json_print_bool(&print_out, PRINT_ANY, "esn", " flag esn", sa->flags & UDPESP_CTL_SA_ESN);
	json_print_u64(&print_out, PRINT_ANY, in ? "seq" : "oseq",
		       in ? " seq 0x%llx\n" : " oseq 0x%llx\n", si->seq);
	sa_print_sels(sa);
	print_dev("\tdev %s", sa->ifindex);
	json_print_str(&print_out, PRINT_ANY, "offload", " offload %s",
		       NAME(offload_names, sa->offload, "offload", b));
	if (sa->tfcpad)
		json_print_u64(&print_out, PRINT_ANY, "tfcpad", " tfcpad %llu", sa->tfcpad);
	json_print_nl(&print_out);
	json_print_open_object(&print_out, "limits");
	for (int i = 0; i < UDPESP_LIMIT_MAX; i++) {
		json_print_u64(&print_out, PRINT_JSON, limit_keys[i], NULL, sa->limits[i]);
		if (sa->limits[i])
			json_print_text(&print_out, "%s %s %llu", limited ? "" : "\tlimit",
					print_limit_names[i], (unsigned long long)sa->limits[i]);
		limited |= !!sa->limits[i];
	}
	json_print_close_object(&print_out);
	json_print_str(&print_out, PRINT_ANY, "state", limited ? " state %s" : "\tstate %s",
		       NAME(state_names, si->state, "state", b));
	print_time("add_time", " added %s", si->add_time);
	print_time("use_time", " used %s\n", si->use_time);
	json_print_close_object(&print_out);
}

static void sa_print_handles(const struct udpesp_ctl_handles *h)
{
	json_print_open_object(&print_out, NULL);
	json_print_u64(&print_out, PRINT_ANY, "handle", "handle %llu", h->handle);
	json_print_u64(&print_out, PRINT_ANY, "parser", " parser %llu\n", h->parser);
	json_print_close_object(&print_out);
}

static void sa_usage(FILE *f)
{
	fprintf(f,
		"Usage: udpespctl sa add dir in|out src ADDR dst ADDR spi SPI [proto esp]\n"
		"                 [mode tunnel|transport] ALGO... [encap espinudp SPORT DPORT OADDR]\n"
		"                 [replay-window N] [flag esn] [sel [src PREFIX] [dst PREFIX] [proto P] [sport N[-M]] [dport N[-M]]]...\n"
		"                 [dev IFNAME] [offload auto|xsk|kfunc] [reqid N] [tfcpad N]\n"
		"                 [replay-seq N] [replay-seq-hi N] [replay-oseq N] [replay-oseq-hi N]\n"
		"                 [limit LIMIT N]... [parser P]\n"
		"       udpespctl sa add-batch FILE|-\n"
		"       udpespctl sa { delete | show } SELECTOR\n"
		"       udpespctl sa [ list | flush ]\n"
		"ALGO := aead NAME KEY ICV_BITS | enc NAME KEY | auth NAME KEY |\n"
		"        auth-trunc NAME KEY TRUNC_BITS\n"
		"KEY := 0xHEX | @FILE | - | ''   (@FILE: read from FILE, -: the next line of\n"
		"        stdin; both keep the key out of ps, which shows the command line)\n"
		"Suites (KEY bytes: AES-128/192/256 key + salt or nonce; ICV bits):\n"
		"  aead 'rfc4106(gcm(aes))' KEY 64|96|128        KEY 20|28|36\n"
		"  aead 'rfc4309(ccm(aes))' KEY 64|96|128        KEY 19|27|35\n"
		"  aead 'rfc4543(gcm(aes))' KEY 128              KEY 20|28|36 (GMAC)\n"
		"  aead 'rfc7539esp(chacha20,poly1305)' KEY 128  KEY 36\n"
		"  enc 'cbc(aes)' KEY 16|24|32, enc 'rfc3686(ctr(aes))' KEY 20|28|36 or\n"
		"  enc 'ecb(cipher_null)' \"\", each with one of\n"
		"    auth-trunc 'hmac(sha256)' KEY32 128, 'hmac(sha384)' KEY48 192,\n"
		"    'hmac(sha512)' KEY64 256, 'hmac(sha1)' KEY20 96, 'xcbc(aes)' KEY16 96\n"
		"  Refused (RFC 8221): DES, 3DES, HMAC-MD5, ESP without integrity, AH.\n"
		"LIMIT := time-soft | time-hard | byte-soft | byte-hard | packet-soft | packet-hard\n"
		"SELECTOR := handle H [parser P] | dst ADDR spi SPI [parser P]\n"
		"add-batch reads FILE (- for stdin): one SA per line, the words that would\n"
		"follow \"sa add\"; '...' or \"...\" quotes a word, lines starting with # are\n"
		"skipped. Every line is parsed first, then they go to udpespd in SA_ADD\n"
		"messages of up to %zu SAs, each installed all or nothing.\n",
		(size_t)BATCH_SAS);
}

static int sa_add(int argc, char **argv)
{
	const struct sa_parse_keys keys = { STDIN_FILENO, true };
	struct udpesp_ctl_sa sa;
	struct ctl_msg m;
	char msg[256];
	int err;

	if (sa_parse_add_keys(argc, argv, &keys, &sa, msg, sizeof(msg)))
		return usage_error("%s", msg);
	err = conn_open() ?: conn_call(UDPESP_MSG_SA_ADD, &sa, sizeof(sa), UDPESP_MSG_SA_ADD, &m);
	explicit_bzero(&sa, sizeof(sa)); /* it holds keys */
	if (err)
		return EXIT_FAIL;
	if (m.hdr.len != sizeof(struct udpesp_ctl_handles))
		err = conn_unexpected(&m, UDPESP_MSG_SA_ADD);
	else
		sa_print_handles(m.payload);
	ctl_msg_free(&m);
	return err ? EXIT_FAIL : EXIT_OK;
}

/*
 * Split line into words in place: blanks separate them, and a word that
 * starts with ' or " runs to the next such quote (no escapes; '' is the
 * empty word). A # before the first word makes a comment. Returns the
 * number of words, or -EINVAL with *why set.
 */
static int sa_split_words(char *s, char **words, int max, const char **why)
{
	const char *blank = " \t\r\n";
	int n = 0;

	for (;;) {
		s += strspn(s, blank);
		if (!*s || (!n && *s == '#'))
			return n;
		*why = "too many words";
		if (n == max)
			return -EINVAL;
		if (*s == '\'' || *s == '"') {
			char *end = strchr(s + 1, *s);

			*why = "unterminated quote";
			if (!end)
				return -EINVAL;
			*end = '\0';
			words[n++] = s + 1;
			s = end + 1;
			*why = "text after a closing quote";
			if (*s && !strchr(blank, *s))
				return -EINVAL;
			continue;
		}
		words[n++] = s;
		s += strcspn(s, blank);
		if (*s)
			*s++ = '\0';
	}
}

/* Append to an array of SAs; growing it wipes the old copy (keys). */
static int sa_push(struct udpesp_ctl_sa **buf, size_t *n, size_t *cap,
		   const struct udpesp_ctl_sa *sa)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct udpesp_ctl_sa *nb = calloc(ncap, sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		if (*buf) {
			memcpy(nb, *buf, *n * sizeof(*nb));
			explicit_bzero(*buf, *n * sizeof(*nb));
			free(*buf);
		}
		*buf = nb;
		*cap = ncap;
	}
	(*buf)[(*n)++] = *sa;
	return 0;
}

/*
 * Every line of f into *buf; returns an exit status. Keys may come from
 * @FILE, and from - unless the lines themselves are standard input.
 */
static int sa_read_batch(FILE *f, const char *name, struct udpesp_ctl_sa **buf, size_t *n)
{
	const struct sa_parse_keys keys = { f == stdin ? -1 : STDIN_FILENO, true };
	static char line[8192];
	struct udpesp_ctl_sa sa;
	char *words[256], msg[256];
	int ret = EXIT_OK, lineno = 0, nw;
	const char *why;
	size_t cap = 0;

	while (ret == EXIT_OK && fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') || feof(f);

		lineno++;
		nw = whole ? sa_split_words(line, words, ARRAY_SIZE(words), &why) : 0;
		if (!whole)
			ret = usage_error("%s:%d: line too long", name, lineno);
		else if (nw < 0)
			ret = usage_error("%s:%d: %s", name, lineno, why);
		else if (nw && sa_parse_add_keys(nw, words, &keys, &sa, msg, sizeof(msg)))
			ret = usage_error("%s:%d: %s", name, lineno, msg);
		else if (nw && sa_push(buf, n, &cap, &sa))
			ret = print_error("out of memory");
		explicit_bzero(&sa, sizeof(sa));
	}
	if (ret == EXIT_OK && ferror(f))
		ret = print_error("reading %s: %s", name, strerror(errno));
	explicit_bzero(line, sizeof(line));
	return ret;
}

static int sa_add_batch(int argc, char **argv)
{
	static char iobuf[BUFSIZ];
	struct udpesp_ctl_sa *buf = NULL;
	size_t n = 0, done = 0, k;
	bool opened = false;
	struct ctl_msg m;
	int ret, err = 0;
	FILE *f;

	if (argc != 1)
		return usage_error("add-batch takes one FILE (- for stdin)");
	f = strcmp(argv[0], "-") ? fopen(argv[0], "re") : stdin;
	if (!f)
		return print_error("cannot open %s: %s", argv[0], strerror(errno));
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf)); /* ours, to wipe the keys in it */
	ret = sa_read_batch(f, f == stdin ? "<stdin>" : argv[0], &buf, &n);
	if (f != stdin)
		fclose(f);
	explicit_bzero(iobuf, sizeof(iobuf));
	if (ret == EXIT_OK && !n)
		ret = usage_error("%s: no SA in it", argv[0]);
	if (ret == EXIT_OK)
		err = conn_open();
	for (; ret == EXIT_OK && !err && done < n; done += k) {
		k = n - done < BATCH_SAS ? n - done : BATCH_SAS;
		err = conn_call(UDPESP_MSG_SA_ADD, buf + done, k * sizeof(*buf), UDPESP_MSG_SA_ADD,
				&m);
		if (err) {
			fprintf(stderr, "(SAs %zu to %zu refused; %zu installed before them)\n",
				done + 1, done + k, done);
			break;
		}
		if (m.hdr.len != k * sizeof(struct udpesp_ctl_handles)) {
			err = conn_unexpected(&m, UDPESP_MSG_SA_ADD);
		} else {
			if (!opened)
				json_print_open_array(&print_out, NULL);
			opened = true;
			for (size_t i = 0; i < k; i++)
				sa_print_handles((struct udpesp_ctl_handles *)m.payload + i);
		}
		ctl_msg_free(&m);
	}
	if (opened)
		json_print_close_array(&print_out);
	if (buf)
		explicit_bzero(buf, n * sizeof(*buf));
	free(buf);
	return ret != EXIT_OK ? ret : err ? EXIT_FAIL : EXIT_OK;
}

static int sa_select(int argc, char **argv, struct udpesp_ctl_sa_del *sel)
{
	char msg[256];

	return sa_parse_select(argc, argv, sel, msg, sizeof(msg)) ? usage_error("%s", msg) : 0;
}

static int sa_del(int argc, char **argv)
{
	const struct udpesp_ctl_del_result *r;
	struct udpesp_ctl_sa_del sel;
	struct ctl_msg m;
	int ret = sa_select(argc, argv, &sel);

	if (ret)
		return ret;
	if (conn_open() || conn_call(UDPESP_MSG_SA_DEL, &sel, sizeof(sel), UDPESP_MSG_SA_DEL, &m))
		return EXIT_FAIL;
	r = m.payload;
	json_print_open_object(&print_out, NULL);
	json_print_u64(&print_out, PRINT_JSON, "deleted", NULL, r->deleted);
	if (sel.handle) {
		json_print_u64(&print_out, PRINT_ANY, "handle", "deleted handle %llu\n",
			       sel.handle);
	} else {
		print_addr("dst", "deleted dst %s", &sel.dst, false);
		print_spi(" spi 0x%08x\n", sel.spi);
	}
	if (sel.parser) {
		json_print_u64(&print_out, PRINT_ANY, "parser", "parser %llu ", sel.parser);
		json_print_bool(&print_out, PRINT_ANY, "parser_removed", "removed\n",
				r->parser_gone);
		if (!r->parser_gone)
			json_print_u64(&print_out, PRINT_ANY, "parser_users",
				       "still used by %llu SAs\n", r->parser_users);
	}
	json_print_close_object(&print_out);
	ctl_msg_free(&m);
	return EXIT_OK;
}

static int sa_show(int argc, char **argv)
{
	struct udpesp_ctl_sa_del sel;
	struct ctl_msg m;
	int ret = sa_select(argc, argv, &sel);

	if (ret)
		return ret;
	if (conn_open() || conn_call(UDPESP_MSG_SA_GET, &sel, sizeof(sel), UDPESP_MSG_SA_INFO, &m))
		return EXIT_FAIL;
	sa_print(m.payload);
	ctl_msg_free(&m);
	return EXIT_OK;
}

static int sa_flush(void)
{
	const struct udpesp_ctl_del_result *r;
	struct ctl_msg m;

	if (conn_open() || conn_call(UDPESP_MSG_SA_FLUSH, NULL, 0, UDPESP_MSG_SA_FLUSH, &m))
		return EXIT_FAIL;
	r = m.payload;
	json_print_open_object(&print_out, NULL);
	json_print_u64(&print_out, PRINT_ANY, "deleted", "deleted %llu SAs", r->deleted);
	json_print_u64(&print_out, PRINT_ANY, "parsers_removed", ", removed %llu parser entries\n",
		       r->parser_gone);
	json_print_close_object(&print_out);
	ctl_msg_free(&m);
	return EXIT_OK;
}

static int sa_one(const struct ctl_msg *m)
{
	if (m->hdr.type != UDPESP_MSG_SA_INFO)
		return -EPROTO;
	sa_print(m->payload);
	return 0;
}

int do_sa(int argc, char **argv)
{
	static const struct conn_dump list = { .req = UDPESP_MSG_SA_LIST, .one = sa_one };
	const char *verb = argc ? argv[0] : "list";

	if (argc)
		argc--, argv++;
	if (args_matches(verb, "help") || args_is_help(argc, argv))
		return sa_usage(stdout), EXIT_OK;
	if (args_matches(verb, "add"))
		return sa_add(argc, argv);
	if (args_matches(verb, "add-batch"))
		return sa_add_batch(argc, argv);
	if (args_matches(verb, "delete"))
		return sa_del(argc, argv);
	if (args_matches(verb, "show") || args_matches(verb, "get"))
		return sa_show(argc, argv);
	if (args_matches(verb, "list") || !strcmp(verb, "ls"))
		return args_no_more(argc, argv) ?: conn_dump(&list);
	if (args_matches(verb, "flush"))
		return args_no_more(argc, argv) ?: sa_flush();
	return usage_error_with(sa_usage, "command \"%s\" is unknown", verb);
}
