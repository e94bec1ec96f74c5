// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl: the command line of udpesp. Every command is one request to
 * udpespd on its Unix socket (include/udpesp/ctl.h), after a HELLO that
 * checks both ends speak the same protocol and map ABI. The grammar is
 * iproute2's: OBJECT COMMAND ARGS, where objects and commands may be
 * shortened to any prefix, the first match in the order they are tried
 * here winning (`udpespctl s l` is `sa list`).
 *
 * Exit status: 0 success, 1 an error udpespd reported (or no udpespd),
 * 2 a usage error found before anything was sent.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/ctl_proto.h"
#include "json_print.h"
#include "common/maps.h"
#include "sa_parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define REPLY_TIMEOUT_MS 60000
/* SAs per SA_ADD message in add-batch: 4096, or what fits in one. */
#define BATCH_FIT (UDPESP_CTL_MAX_PAYLOAD / sizeof(struct udpesp_ctl_sa))
#define BATCH_SAS (BATCH_FIT < 4096 ? BATCH_FIT : 4096)

_Static_assert(UDPESP_AF_INET == AF_INET && UDPESP_AF_INET6 == AF_INET6,
	       "UDPESP_AF_* are the socket families");

static struct jprint out;
static const char *sock_path = UDPESP_SOCKET_DEFAULT;
static const char *pin_dir; /* -P: read pinned maps, no daemon */
static int conn_fd = -1;
static __u32 conn_seq;
static volatile sig_atomic_t stop;

/* iproute2's matches(): word is a non-empty prefix of name. */
static bool matches(const char *word, const char *name)
{
	size_t len = strlen(word);

	return len && len <= strlen(name) && !strncmp(word, name, len);
}

/* "Error: ..." on stderr; returns EXIT_FAIL. */
__attribute__((format(printf, 1, 2)))
static int errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

#define usage_error(...) (errmsg(__VA_ARGS__), EXIT_USAGE)
/* The same, followed by the usage it breaks (on stderr, as `ip` does). */
#define usage_error_with(usage_fn, ...) (errmsg(__VA_ARGS__), usage_fn(stderr), EXIT_USAGE)

/* Step to the word after the keyword at argv[0], which must exist. */
#define NEXT_ARG()                                                             \
	do {                                                                   \
		argc--, argv++;                                                \
		if (argc <= 0)                                                 \
			return usage_error("\"%s\" needs an argument", argv[-1]); \
	} while (0)

static int no_more_args(int argc, char **argv)
{
	return argc > 0 ? usage_error("unexpected \"%s\"", argv[0]) : 0;
}

static bool is_help(int argc, char **argv)
{
	return argc > 0 && !strcmp(argv[0], "help");
}

/* ---- the connection to udpespd ---------------------------------------- */

static int transport_error(int err, __u32 req)
{
	if (err == -ETIMEDOUT)
		errmsg("udpespd did not answer %s within %d s", ctl_msg_name(req),
		       REPLY_TIMEOUT_MS / 1000);
	else if (err == -ENOTCONN || err == -ECONNRESET || err == -EPIPE)
		errmsg("udpespd closed the connection");
	else if (err == -EBADMSG || err == -EMSGSIZE)
		errmsg("malformed message from udpespd (answering %s)", ctl_msg_name(req));
	else
		errmsg("talking to udpespd: %s", strerror(-err));
	return err;
}

static int conn_request(__u32 type, const void *payload, __u32 len)
{
	int err = ctl_send(conn_fd, type, ++conn_seq, 0, payload, len);

	return err ? transport_error(err, type) : 0;
}

/*
 * The next reply to request req: 0 with anything but an ERROR (the
 * caller checks the type), or -errno after printing why.
 */
static int conn_recv(__u32 req, struct ctl_msg *m)
{
	int err = ctl_recv(conn_fd, m, true, REPLY_TIMEOUT_MS);

	if (err)
		return transport_error(err, req);
	if (m->hdr.type == UDPESP_MSG_ERROR) {
		errmsg("%s", (const char *)m->payload);
		err = m->hdr.status;
	} else if (m->hdr.type != UDPESP_MSG_EVENT && m->hdr.seq != conn_seq) {
		errmsg("udpespd answered request %u, not %u", m->hdr.seq, conn_seq);
		err = -EPROTO;
	} else if (m->hdr.status) {
		errmsg("udpespd: %s", strerror(-m->hdr.status));
		err = m->hdr.status < 0 ? m->hdr.status : -EPROTO;
	}
	if (err)
		ctl_msg_free(m);
	return err;
}

static int unexpected(const struct ctl_msg *m, __u32 req)
{
	errmsg("udpespd answered %s with %s", ctl_msg_name(req), ctl_msg_name(m->hdr.type));
	return -EPROTO;
}

/* One request, one reply of type rep (ctl_recv checked its length). */
static int conn_call(__u32 req, const void *p, __u32 len, __u32 rep, struct ctl_msg *m)
{
	int err = conn_request(req, p, len);

	if (!err)
		err = conn_recv(req, m);
	if (!err && m->hdr.type != rep) {
		err = unexpected(m, req);
		ctl_msg_free(m);
	}
	return err;
}

static int conn_open(void)
{
	struct udpesp_ctl_hello hello = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION }, *h;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_msg m;
	int err;

	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		errmsg("socket path \"%s\" is too long", sock_path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, sock_path);
	conn_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn_fd < 0 || connect(conn_fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		if (err == -ENOENT)
			errmsg("udpespd is not running (no socket at %s)", sock_path);
		else if (err == -ECONNREFUSED)
			errmsg("udpespd is not running (nothing listens at %s)", sock_path);
		else
			errmsg("cannot connect to udpespd at %s: %s", sock_path, strerror(-err));
		return err;
	}
	err = conn_call(UDPESP_MSG_HELLO, &hello, sizeof(hello), UDPESP_MSG_HELLO, &m);
	if (err)
		return err;
	h = m.payload;
	if (h->version != UDPESP_CTL_VERSION || h->abi_version != UDPESP_ABI_VERSION) {
		errmsg("version mismatch: udpespd speaks control protocol %u (map ABI %u), udpespctl %u (map ABI %u)",
		       h->version, h->abi_version, UDPESP_CTL_VERSION, UDPESP_ABI_VERSION);
		err = -EPROTO;
	}
	ctl_msg_free(&m);
	return err;
}

/*
 * A dump: req, then info messages handed to one() (-EPROTO: not the
 * expected type), then DONE. begin() runs before the first reply that is
 * not an error and end() after DONE, so an error reply leaves stdout
 * empty; without them the replies form one JSON array.
 */
struct dump {
	__u32 req;
	int (*one)(const struct ctl_msg *m);
	void (*begin)(void);
	void (*end)(void);
};

static int conn_dump(const struct dump *d)
{
	bool started = false;
	struct ctl_msg m;
	int err;

	err = conn_open() ?: conn_request(d->req, NULL, 0);
	while (!err) {
		err = conn_recv(d->req, &m);
		if (err)
			break;
		if (!started)
			d->begin ? d->begin() : jp_open_array(&out, NULL);
		started = true;
		if (m.hdr.type == UDPESP_MSG_DONE) {
			d->end ? d->end() : jp_close_array(&out);
			break;
		}
		err = d->one(&m);
		if (err == -EPROTO)
			unexpected(&m, d->req);
		ctl_msg_free(&m);
	}
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- printing --------------------------------------------------------- */

static const char *const limit_names[UDPESP_LIMIT_MAX] = {
	"time-soft", "time-hard", "byte-soft", "byte-hard", "packet-soft", "packet-hard",
};
static const char *const limit_keys[UDPESP_LIMIT_MAX] = {
	"time_soft", "time_hard", "byte_soft", "byte_hard", "packet_soft", "packet_hard",
};
static const char *const dir_names[] = { [UDPESP_DIR_IN] = "in", [UDPESP_DIR_OUT] = "out" };
static const char *const mode_names[] = { [UDPESP_MODE_TUNNEL] = "tunnel",
					  [UDPESP_MODE_TRANSPORT] = "transport" };
static const char *const encap_names[] = { [UDPESP_ENCAP_ESPINUDP] = "espinudp" };
static const char *const offload_names[] = { [UDPESP_OFFLOAD_AUTO] = "auto",
					     [UDPESP_OFFLOAD_XSK] = "xsk",
					     [UDPESP_OFFLOAD_KFUNC] = "kfunc" };
static const char *const state_names[] = { "valid", "soft-expired", "dying" };
static const char *const xdp_mode_names[] = { "auto", [UDPESP_XDP_NATIVE] = "native",
					      [UDPESP_XDP_GENERIC] = "generic" };
static const char *const family_names[] = { "any", [UDPESP_AF_INET] = "inet",
					    [UDPESP_AF_INET6] = "inet6" };

/* names[v], or "what-v" in buf for a value this udpespctl does not know. */
static const char *name_of(const char *const *names, unsigned int n, unsigned int v,
			   const char *what, char *buf, size_t len)
{
	if (v < n && names[v])
		return names[v];
	snprintf(buf, len, "%s-%u", what, v);
	return buf;
}

#define NAME(tbl, v, what, buf) name_of(tbl, ARRAY_SIZE(tbl), v, what, buf, sizeof(buf))

/* Address (with /len if prefix) in buf, or NULL when none is set. */
static const char *fmt_addr(const struct udpesp_ctl_addr *a, bool prefix, char *buf,
			    size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family, a->addr, s, sizeof(s)))
		return NULL;
	snprintf(buf, len, prefix ? "%s/%u" : "%s", s, a->prefixlen);
	return buf;
}

/* JSON: the address or null; text: fmt with the address or "any". */
static void print_addr(const char *key, const char *fmt, const struct udpesp_ctl_addr *a,
		       bool prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *s = fmt_addr(a, prefix, buf, sizeof(buf));

	jp_str(&out, PRINT_JSON, key, NULL, s);
	jp_str(&out, PRINT_FP, key, fmt, s ? s : "any");
}

static void print_spi(const char *fmt, __be32 spi)
{
	jp_u64(&out, PRINT_JSON, "spi", NULL, ntohl(spi));
	jp_text(&out, fmt, ntohl(spi));
}

static void print_dev(const char *fmt, __u32 ifindex)
{
	char name[IF_NAMESIZE] = "any";

	if (ifindex && !if_indextoname(ifindex, name))
		snprintf(name, sizeof(name), "if%u", ifindex);
	if (!ifindex)
		jp_null(&out, PRINT_JSON, "dev", NULL);
	jp_str(&out, ifindex ? PRINT_ANY : PRINT_FP, "dev", fmt, name);
	jp_u64(&out, PRINT_JSON, "ifindex", NULL, ifindex);
}

/* JSON: seconds since the epoch; text: local time, "-" for 0. */
static void print_time(const char *key, const char *fmt, __u64 t)
{
	time_t tt = (time_t)t;
	char buf[32] = "-";
	struct tm tm;

	jp_u64(&out, PRINT_JSON, key, NULL, t);
	if (t && localtime_r(&tt, &tm))
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	jp_str(&out, PRINT_FP, NULL, fmt, buf);
}

/* One algorithm line. Keys are never printed, only their length. */
static void print_alg(const char *kind, const struct udpesp_ctl_alg *alg)
{
	bool aead = !strcmp(kind, "aead");

	if (!alg->name[0])
		return;
	jp_open_object(&out, kind);
	jp_text(&out, "\t%s%s ", kind, !aead && alg->bits ? "-trunc" : "");
	jp_str(&out, PRINT_ANY, "name", "%s", alg->name);
	jp_u64(&out, PRINT_ANY, "key_bits", " key %llu bits", alg->key_len * 8ull);
	if (alg->bits)
		jp_u64(&out, PRINT_ANY, aead ? "icv_bits" : "trunc_bits",
		       aead ? " icv %llu" : " trunc %llu", alg->bits);
	jp_nl(&out);
	jp_close_object(&out);
}

static void print_sa(const struct udpesp_ctl_sa_info *si)
{
	const struct udpesp_ctl_sa *sa = &si->sa;
	bool in = sa->dir == UDPESP_DIR_IN, limited = false;
	char b[32], oa[INET6_ADDRSTRLEN];

	jp_open_object(&out, NULL);
	jp_u64(&out, PRINT_ANY, "handle", "handle %llu", si->handle);
	jp_u64(&out, PRINT_ANY, "parser", " parser %llu", sa->parser);
	jp_str(&out, PRINT_ANY, "dir", " dir %s", NAME(dir_names, sa->dir, "dir", b));
	print_addr("src", " src %s", &sa->src, false);
	print_addr("dst", " dst %s", &sa->dst, false);
	print_spi(" spi 0x%08x", sa->spi);
	jp_str(&out, PRINT_ANY, "mode", " mode %s", NAME(mode_names, sa->mode, "mode", b));
	jp_u64(&out, PRINT_ANY, "slot", " slot %llu", si->slot);
	if (sa->reqid)
		jp_u64(&out, PRINT_ANY, "reqid", " reqid %llu", sa->reqid);
	/* Who added it: an IKE daemon's SAs are not to be edited by hand. */
	jp_str(&out, sa->owner ? PRINT_ANY : PRINT_JSON, "owner", " owner %s",
	       sa->owner == UDPESP_OWNER_CHARON ? "charon" : sa->owner ? "?" : "none");
	jp_nl(&out);
	print_alg("aead", &sa->aead);
	print_alg("enc", &sa->enc);
	print_alg("auth", &sa->auth);
	if (sa->encap) {
		jp_open_object(&out, "encap");
		jp_str(&out, PRINT_ANY, "type", "\tencap %s",
		       NAME(encap_names, sa->encap, "encap", b));
		jp_u64(&out, PRINT_ANY, "sport", " %llu", ntohs(sa->encap_sport));
		jp_u64(&out, PRINT_ANY, "dport", " %llu", ntohs(sa->encap_dport));
		if (!fmt_addr(&sa->encap_oa, false, oa, sizeof(oa)))
			strcpy(oa, sa->dst.family == AF_INET6 ? "::" : "0.0.0.0");
		jp_str(&out, PRINT_ANY, "oa", " %s\n", oa);
		jp_close_object(&out);
	}
	jp_u64(&out, PRINT_ANY, "replay_window", "\treplay-window %llu", sa->replay_window);
	jp_bool(&out, PRINT_ANY, "esn", " flag esn", sa->flags & UDPESP_CTL_SA_ESN);
	jp_u64(&out, PRINT_ANY, in ? "seq" : "oseq", in ? " seq 0x%llx\n" : " oseq 0x%llx\n",
	       si->seq);
	jp_open_object(&out, "sel");
	print_addr("src", "\tsel src %s", &sa->sel_src, true);
	print_addr("dst", " dst %s\n", &sa->sel_dst, true);
	jp_close_object(&out);
	print_dev("\tdev %s", sa->ifindex);
	jp_str(&out, PRINT_ANY, "offload", " offload %s",
	       NAME(offload_names, sa->offload, "offload", b));
	if (sa->tfcpad)
		jp_u64(&out, PRINT_ANY, "tfcpad", " tfcpad %llu", sa->tfcpad);
	jp_nl(&out);
	jp_open_object(&out, "limits");
	for (int i = 0; i < UDPESP_LIMIT_MAX; i++) {
		jp_u64(&out, PRINT_JSON, limit_keys[i], NULL, sa->limits[i]);
		if (sa->limits[i])
			jp_text(&out, "%s %s %llu", limited ? "" : "\tlimit", limit_names[i],
				(unsigned long long)sa->limits[i]);
		limited |= !!sa->limits[i];
	}
	jp_close_object(&out);
	jp_str(&out, PRINT_ANY, "state", limited ? " state %s" : "\tstate %s",
	       NAME(state_names, si->state, "state", b));
	print_time("add_time", " added %s", si->add_time);
	print_time("use_time", " used %s\n", si->use_time);
	jp_close_object(&out);
}

static void print_handles(const struct udpesp_ctl_handles *h)
{
	jp_open_object(&out, NULL);
	jp_u64(&out, PRINT_ANY, "handle", "handle %llu", h->handle);
	jp_u64(&out, PRINT_ANY, "parser", " parser %llu\n", h->parser);
	jp_close_object(&out);
}

/* ---- sa --------------------------------------------------------------- */

static void sa_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl sa add dir in|out src ADDR dst ADDR spi SPI [proto esp]\n"
		   "                 [mode tunnel|transport] ALGO... [encap espinudp SPORT DPORT OADDR]\n"
		   "                 [replay-window N] [flag esn] [sel [src PREFIX] [dst PREFIX]]\n"
		   "                 [dev IFNAME] [offload auto|xsk|kfunc] [reqid N] [tfcpad N]\n"
		   "                 [replay-seq N] [replay-seq-hi N] [replay-oseq N] [replay-oseq-hi N]\n"
		   "                 [limit LIMIT N]... [parser P]\n"
		   "       udpespctl sa add-batch FILE|-\n"
		   "       udpespctl sa { delete | show } SELECTOR\n"
		   "       udpespctl sa [ list | flush ]\n"
		   "ALGO := aead NAME KEY ICV_BITS | enc NAME KEY | auth NAME KEY |\n"
		   "        auth-trunc NAME KEY TRUNC_BITS\n"
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
	struct udpesp_ctl_sa sa;
	struct ctl_msg m;
	char msg[256];
	int err;

	if (sa_parse_add(argc, argv, &sa, msg, sizeof(msg)))
		return usage_error("%s", msg);
	err = conn_open() ?: conn_call(UDPESP_MSG_SA_ADD, &sa, sizeof(sa), UDPESP_MSG_SA_ADD, &m);
	explicit_bzero(&sa, sizeof(sa)); /* it holds keys */
	if (err)
		return EXIT_FAIL;
	if (m.hdr.len != sizeof(struct udpesp_ctl_handles))
		err = unexpected(&m, UDPESP_MSG_SA_ADD);
	else
		print_handles(m.payload);
	ctl_msg_free(&m);
	return err ? EXIT_FAIL : EXIT_OK;
}

/*
 * Split line into words in place: blanks separate them, and a word that
 * starts with ' or " runs to the next such quote (no escapes; '' is the
 * empty word). A # before the first word makes a comment. Returns the
 * number of words, or -EINVAL with *why set.
 */
static int split_words(char *s, char **words, int max, const char **why)
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

/* Every line of f into *buf; returns an exit status. */
static int sa_read_batch(FILE *f, const char *name, struct udpesp_ctl_sa **buf, size_t *n)
{
	static char line[8192];
	struct udpesp_ctl_sa sa;
	char *words[256], msg[256];
	int ret = EXIT_OK, lineno = 0, nw;
	const char *why;
	size_t cap = 0;

	while (ret == EXIT_OK && fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') || feof(f);

		lineno++;
		nw = whole ? split_words(line, words, ARRAY_SIZE(words), &why) : 0;
		if (!whole)
			ret = usage_error("%s:%d: line too long", name, lineno);
		else if (nw < 0)
			ret = usage_error("%s:%d: %s", name, lineno, why);
		else if (nw && sa_parse_add(nw, words, &sa, msg, sizeof(msg)))
			ret = usage_error("%s:%d: %s", name, lineno, msg);
		else if (nw && sa_push(buf, n, &cap, &sa))
			ret = errmsg("out of memory");
		explicit_bzero(&sa, sizeof(sa));
	}
	if (ret == EXIT_OK && ferror(f))
		ret = errmsg("reading %s: %s", name, strerror(errno));
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
		return errmsg("cannot open %s: %s", argv[0], strerror(errno));
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
		err = conn_call(UDPESP_MSG_SA_ADD, buf + done, k * sizeof(*buf),
				UDPESP_MSG_SA_ADD, &m);
		if (err) {
			fprintf(stderr, "(SAs %zu to %zu refused; %zu installed before them)\n",
				done + 1, done + k, done);
			break;
		}
		if (m.hdr.len != k * sizeof(struct udpesp_ctl_handles)) {
			err = unexpected(&m, UDPESP_MSG_SA_ADD);
		} else {
			if (!opened)
				jp_open_array(&out, NULL);
			opened = true;
			for (size_t i = 0; i < k; i++)
				print_handles((struct udpesp_ctl_handles *)m.payload + i);
		}
		ctl_msg_free(&m);
	}
	if (opened)
		jp_close_array(&out);
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
	jp_open_object(&out, NULL);
	jp_u64(&out, PRINT_JSON, "deleted", NULL, r->deleted);
	if (sel.handle) {
		jp_u64(&out, PRINT_ANY, "handle", "deleted handle %llu\n", sel.handle);
	} else {
		print_addr("dst", "deleted dst %s", &sel.dst, false);
		print_spi(" spi 0x%08x\n", sel.spi);
	}
	if (sel.parser) {
		jp_u64(&out, PRINT_ANY, "parser", "parser %llu ", sel.parser);
		jp_bool(&out, PRINT_ANY, "parser_removed", "removed\n", r->parser_gone);
		if (!r->parser_gone)
			jp_u64(&out, PRINT_ANY, "parser_users", "still used by %llu SAs\n",
			       r->parser_users);
	}
	jp_close_object(&out);
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
	print_sa(m.payload);
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
	jp_open_object(&out, NULL);
	jp_u64(&out, PRINT_ANY, "deleted", "deleted %llu SAs", r->deleted);
	jp_u64(&out, PRINT_ANY, "parsers_removed", ", removed %llu parser entries\n",
	       r->parser_gone);
	jp_close_object(&out);
	ctl_msg_free(&m);
	return EXIT_OK;
}

static int one_sa(const struct ctl_msg *m)
{
	if (m->hdr.type != UDPESP_MSG_SA_INFO)
		return -EPROTO;
	print_sa(m->payload);
	return 0;
}

static int do_sa(int argc, char **argv)
{
	static const struct dump list = { .req = UDPESP_MSG_SA_LIST, .one = one_sa };
	const char *verb = argc ? argv[0] : "list";

	if (argc)
		argc--, argv++;
	if (matches(verb, "help") || is_help(argc, argv))
		return sa_usage(stdout), EXIT_OK;
	if (matches(verb, "add"))
		return sa_add(argc, argv);
	if (matches(verb, "add-batch"))
		return sa_add_batch(argc, argv);
	if (matches(verb, "delete"))
		return sa_del(argc, argv);
	if (matches(verb, "show") || matches(verb, "get"))
		return sa_show(argc, argv);
	if (matches(verb, "list") || !strcmp(verb, "ls"))
		return no_more_args(argc, argv) ?: conn_dump(&list);
	if (matches(verb, "flush"))
		return no_more_args(argc, argv) ?: sa_flush();
	return usage_error_with(sa_usage, "command \"%s\" is unknown", verb);
}

/* ---- parser, stats, link ---------------------------------------------- */

static int one_parser(const struct ctl_msg *m)
{
	const struct udpesp_ctl_parser *p = m->payload;
	const __be32 *a = p->addr.addr;
	char b[32];

	if (m->hdr.type != UDPESP_MSG_PARSER_INFO)
		return -EPROTO;
	jp_open_object(&out, NULL);
	jp_u64(&out, PRINT_ANY, "handle", "parser %llu", p->handle);
	print_dev(" dev %s", p->ifindex);
	jp_u64(&out, PRINT_ANY, "port", " port %llu", ntohs(p->port));
	jp_str(&out, PRINT_ANY, "family", " family %s",
	       NAME(family_names, p->addr.family, "family", b));
	if (a[0] || a[1] || a[2] || a[3])
		print_addr("addr", " addr %s", &p->addr, false);
	else
		jp_null(&out, PRINT_JSON, "addr", NULL);
	jp_str(&out, PRINT_ANY, "encap", " encap %s", NAME(encap_names, p->encap, "encap", b));
	jp_u64(&out, PRINT_ANY, "users", " users %llu\n", p->users);
	jp_close_object(&out);
	return 0;
}

static void parser_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl parser [ list ]\n");
}

static int do_parser(int argc, char **argv)
{
	static const struct dump list = { .req = UDPESP_MSG_PARSER_LIST, .one = one_parser };

	if (argc && (matches(argv[0], "help") || is_help(argc - 1, argv + 1)))
		return parser_usage(stdout), EXIT_OK;
	if (argc && !matches(argv[0], "list") && !matches(argv[0], "show"))
		return usage_error_with(parser_usage, "command \"%s\" is unknown", argv[0]);
	return no_more_args(argc - !!argc, argv + !!argc) ?: conn_dump(&list);
}

static const struct {
	const char *text, *key;
	size_t off;
} sa_stat_fields[] = {
#define F(t, k) { t, #k, offsetof(struct udpesp_ctl_sa_stats, k) }
	F("packets", packets), F("bytes", bytes), F("replay", replay),
	F("integrity-failed", integrity_failed), F("bad-padding", bad_padding),
	F("bad-next-header", bad_next_header), F("tmpl-mismatch", tmpl_mismatch),
	F("no-worker", no_worker), F("hdr-error", hdr_error),
	F("inner-error", inner_error), F("dummy", dummy), F("ecn-dropped", ecn_dropped),
#undef F
};

static bool stats_counters, stats_sa;

static void stats_begin(void)
{
	jp_open_object(&out, NULL);
}

static void stats_end(void)
{
	if (!stats_counters) {
		jp_open_object(&out, "counters");
		jp_close_object(&out);
	}
	if (!stats_sa)
		jp_open_array(&out, "sa");
	jp_close_array(&out);
	jp_close_object(&out);
}

/* STATS_INFO (once, first), then SA_STATS. */
static int one_stat(const struct ctl_msg *m)
{
	const struct udpesp_ctl_sa_stats *s = m->payload;
	const __u64 *c = m->payload;

	if (m->hdr.type == UDPESP_MSG_STATS_INFO && !stats_counters && !stats_sa) {
		stats_counters = true;
		jp_open_object(&out, "counters");
		/* A newer or older udpespd may count more or fewer reasons. */
		for (size_t i = 0; i < m->hdr.len / sizeof(*c) && i < UDPESP_CNT_MAX; i++) {
			jp_text(&out, "%-24s ", udpesp_counter_names[i]);
			jp_u64(&out, PRINT_ANY, udpesp_counter_names[i], "%llu\n", c[i]);
		}
		jp_close_object(&out);
		return 0;
	}
	if (m->hdr.type != UDPESP_MSG_SA_STATS)
		return -EPROTO;
	if (!stats_sa)
		jp_open_array(&out, "sa");
	stats_sa = true;
	jp_open_object(&out, NULL);
	jp_u64(&out, PRINT_ANY, "handle", "handle %llu", s->handle);
	for (size_t i = 0; i < ARRAY_SIZE(sa_stat_fields); i++) {
		jp_text(&out, " %s ", sa_stat_fields[i].text);
		jp_u64(&out, PRINT_ANY, sa_stat_fields[i].key, "%llu",
		       *(const __u64 *)((const char *)s + sa_stat_fields[i].off));
	}
	jp_nl(&out);
	jp_close_object(&out);
	return 0;
}

/*
 * `-P DIR stats`: the global counters straight from the maps pinned under
 * DIR, for a program attached with `ip link` and no udpespd running.
 */
static int stats_from_pins(void)
{
	__u64 counters[UDPESP_CNT_MAX];
	struct ctl_msg m = { .hdr = { .type = UDPESP_MSG_STATS_INFO, .len = sizeof(counters) },
			     .payload = counters };
	struct udpesp_maps maps;
	int err = udpesp_maps_open_pinned(&maps, pin_dir);

	if (err)
		return errmsg("no udpesp maps under %s: %s", pin_dir, strerror(-err));
	for (int i = 0; i < UDPESP_CNT_MAX && !err; i++)
		err = udpesp_maps_counter(&maps, i, &counters[i]);
	udpesp_maps_close(&maps);
	if (err)
		return errmsg("reading counters under %s: %s", pin_dir, strerror(-err));
	stats_begin();
	one_stat(&m);
	stats_end();
	return EXIT_OK;
}

static void stats_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl [-P PIN_DIR] stats [ show ]\n");
}

static int do_stats(int argc, char **argv)
{
	static const struct dump d = { UDPESP_MSG_STATS, one_stat, stats_begin, stats_end };

	if (argc && (matches(argv[0], "help") || is_help(argc - 1, argv + 1)))
		return stats_usage(stdout), EXIT_OK;
	if (argc && matches(argv[0], "show"))
		argc--, argv++;
	else if (argc)
		return usage_error_with(stats_usage, "command \"%s\" is unknown", argv[0]);
	if (!pin_dir)
		return no_more_args(argc, argv) ?: conn_dump(&d);
	return no_more_args(argc, argv) ?: stats_from_pins();
}

static void print_link(const struct udpesp_ctl_link *l, const char *fmt)
{
	char name[sizeof(l->name) + 1] = "", b[32];

	memcpy(name, l->name, sizeof(l->name));
	jp_open_object(&out, NULL);
	jp_str(&out, PRINT_ANY, "dev", fmt, name);
	jp_u64(&out, PRINT_ANY, "ifindex", " ifindex %llu", l->ifindex);
	jp_str(&out, PRINT_ANY, "mode", " mode %s", NAME(xdp_mode_names, l->mode, "mode", b));
	jp_u64(&out, PRINT_ANY, "prog_id", " prog-id %llu", l->prog_id);
	jp_bool(&out, PRINT_ANY, "owned", " owned", l->owned);
	jp_nl(&out);
	jp_close_object(&out);
}

static int one_link(const struct ctl_msg *m)
{
	if (m->hdr.type != UDPESP_MSG_LINK_INFO)
		return -EPROTO;
	print_link(m->payload, "dev %s");
	return 0;
}

static int link_change(int argc, char **argv, bool attach)
{
	__u32 req = attach ? UDPESP_MSG_LINK_ATTACH : UDPESP_MSG_LINK_DETACH;
	struct udpesp_ctl_link l = { 0 };
	const char *dev = NULL;
	struct ctl_msg m;

	for (; argc > 0; argc--, argv++) {
		if (matches(argv[0], "dev")) {
			NEXT_ARG();
			dev = argv[0];
		} else if (attach && matches(argv[0], "mode")) {
			NEXT_ARG();
			if (matches(argv[0], "native") || matches(argv[0], "generic"))
				l.mode = argv[0][0] == 'n' ? UDPESP_XDP_NATIVE : UDPESP_XDP_GENERIC;
			else
				return usage_error("mode: expected native or generic, got \"%s\"",
						   argv[0]);
		} else {
			return usage_error("unexpected \"%s\", try \"udpespctl link help\"",
					   argv[0]);
		}
	}
	if (!dev)
		return usage_error("link %s: dev IFNAME is required", attach ? "attach" : "detach");
	l.ifindex = strlen(dev) < sizeof(l.name) ? if_nametoindex(dev) : 0;
	if (!l.ifindex)
		return errmsg("device \"%s\" does not exist", dev);
	memcpy(l.name, dev, strlen(dev));
	if (conn_open() || conn_call(req, &l, sizeof(l), req, &m))
		return EXIT_FAIL;
	if (attach) {
		print_link(m.payload, "attached dev %s");
	} else {
		jp_open_object(&out, NULL);
		jp_str(&out, PRINT_ANY, "detached", "detached dev %s\n", dev);
		jp_close_object(&out);
	}
	ctl_msg_free(&m);
	return EXIT_OK;
}

static void link_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl link attach dev IFNAME [mode native|generic]\n"
		   "       udpespctl link detach dev IFNAME\n"
		   "       udpespctl link [ list ]\n");
}

static int do_link(int argc, char **argv)
{
	static const struct dump list = { .req = UDPESP_MSG_LINK_LIST, .one = one_link };
	const char *verb = argc ? argv[0] : "list";

	if (argc)
		argc--, argv++;
	if (matches(verb, "help") || is_help(argc, argv))
		return link_usage(stdout), EXIT_OK;
	if (matches(verb, "attach") || matches(verb, "detach"))
		return link_change(argc, argv, verb[0] == 'a');
	if (matches(verb, "list") || matches(verb, "show"))
		return no_more_args(argc, argv) ?: conn_dump(&list);
	return usage_error_with(link_usage, "command \"%s\" is unknown", verb);
}

/* ---- monitor ---------------------------------------------------------- */

static const char *const event_names[] = {
	[UDPESP_EV_SA_ADDED] = "sa-added",
	[UDPESP_EV_SA_DELETED] = "sa-deleted",
	[UDPESP_EV_SA_SOFT_EXPIRED] = "sa-soft-expired",
	[UDPESP_EV_SA_HARD_EXPIRED] = "sa-hard-expired",
	[UDPESP_EV_PARSER_ADDED] = "parser-added",
	[UDPESP_EV_PARSER_REMOVED] = "parser-removed",
	[UDPESP_EV_LINK_GONE] = "link-gone",
	[UDPESP_EV_MAPPING] = "mapping",
};

static void print_event(const struct udpesp_ctl_event *e)
{
	char b[32], a[INET6_ADDRSTRLEN] = "?";
	bool expiry = e->type == UDPESP_EV_SA_SOFT_EXPIRED || e->type == UDPESP_EV_SA_HARD_EXPIRED;

	jp_open_object(&out, NULL);
	jp_str(&out, PRINT_ANY, "event", "%s", NAME(event_names, e->type, "event", b));
	jp_u64(&out, PRINT_JSON, "time", NULL, e->time);
	if (e->type == UDPESP_EV_LINK_GONE) {
		jp_u64(&out, PRINT_ANY, "ifindex", " ifindex %llu", e->ifindex);
	} else if (e->type == UDPESP_EV_PARSER_ADDED || e->type == UDPESP_EV_PARSER_REMOVED) {
		jp_u64(&out, PRINT_ANY, "handle", " handle %llu", e->handle);
		if (e->ifindex)
			print_dev(" dev %s", e->ifindex);
		if (e->port)
			jp_u64(&out, PRINT_ANY, "port", " port %llu", ntohs(e->port));
	} else if (e->type == UDPESP_EV_MAPPING) {
		jp_u64(&out, PRINT_ANY, "handle", " handle %llu", e->handle);
		print_addr("addr", NULL, &e->addr, false);
		jp_u64(&out, PRINT_JSON, "port", NULL, ntohs(e->port));
		fmt_addr(&e->addr, false, a, sizeof(a));
		jp_text(&out, e->addr.family == AF_INET6 ? " new [%s]:%u" : " new %s:%u", a,
			ntohs(e->port));
	} else {
		jp_u64(&out, PRINT_ANY, "handle", " handle %llu", e->handle);
		if (e->addr.family)
			print_addr("dst", " dst %s", &e->addr, false);
		if (e->spi)
			print_spi(" spi 0x%08x", e->spi);
		if (expiry)
			jp_str(&out, PRINT_ANY, "limit", " limit %s",
			       NAME(limit_names, e->limit, "limit", b));
	}
	jp_nl(&out);
	jp_close_object(&out);
	fflush(stdout);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void monitor_usage(FILE *f)
{
	fprintf(f, "Usage: udpespctl [-j] monitor\n");
}

/* Events until Ctrl-C (exit 0) or until udpespd goes away (exit 1). */
static int do_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct pollfd pfd = { .events = POLLIN };
	sigset_t block, orig;
	struct ctl_msg m;
	int err;

	if (argc && matches(argv[0], "help"))
		return monitor_usage(stdout), EXIT_OK;
	if (argc)
		return usage_error_with(monitor_usage, "monitor takes no command, got \"%s\"", argv[0]);
	/* Signals only interrupt ppoll(), so none is lost between two checks. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = conn_open() ?: conn_request(UDPESP_MSG_MONITOR, NULL, 0);
	pfd.fd = conn_fd;
	while (!err && !stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno != EINTR)
				err = errmsg("poll: %s", strerror(errno));
			continue;
		}
		err = conn_recv(UDPESP_MSG_MONITOR, &m);
		if (err)
			break;
		if (m.hdr.type == UDPESP_MSG_EVENT)
			print_event(m.payload);
		else
			err = unexpected(&m, UDPESP_MSG_MONITOR);
		ctl_msg_free(&m);
	}
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- main ------------------------------------------------------------- */

static int usage(FILE *f, int status)
{
	fprintf(f, "Usage: udpespctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		   "       udpespctl -V\n"
		   "OBJECT := { link | sa | parser | stats | monitor }\n"
		   "OPTIONS := { -j[son] | -s[ocket] PATH | -P PIN_DIR | -V[ersion] | -h[elp] }\n"
		   "The default socket is %s.\n", UDPESP_SOCKET_DEFAULT);
	return status;
}

static int do_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	return usage(stdout, EXIT_OK);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} objects[] = {
	{ "link", do_link }, { "sa", do_sa },           { "parser", do_parser },
	{ "stats", do_stats }, { "monitor", do_monitor }, { "help", do_help },
};

static int run(int argc, char **argv)
{
	for (; argc > 0 && argv[0][0] == '-' && argv[0][1]; argc--, argv++) {
		const char *opt = argv[0] + (argv[0][1] == '-'); /* --json = -json */

		if (matches(opt, "-json")) {
			out.json = true;
		} else if (matches(opt, "-socket")) {
			NEXT_ARG();
			sock_path = argv[0];
		} else if (!strcmp(opt, "-P") || matches(opt, "-pin-dir")) {
			NEXT_ARG();
			pin_dir = argv[0];
		} else if (!strcmp(opt, "-V") || matches(opt, "-version")) {
			printf("udpespctl %s (control protocol %d, map ABI %d)\n", UDPESP_VERSION,
			       UDPESP_CTL_VERSION, UDPESP_ABI_VERSION);
			return EXIT_OK;
		} else if (matches(opt, "-help")) {
			return usage(stdout, EXIT_OK);
		} else {
			errmsg("option \"%s\" is unknown", argv[0]);
			return usage(stderr, EXIT_USAGE);
		}
	}
	if (argc <= 0)
		return usage(stderr, EXIT_USAGE);
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
		if (matches(argv[0], objects[i].name))
			return objects[i].fn(argc - 1, argv + 1);
	errmsg("object \"%s\" is unknown", argv[0]);
	return usage(stderr, EXIT_USAGE);
}

int main(int argc, char **argv)
{
	int ret;

	jp_init(&out, stdout, false);
	ret = run(argc - 1, argv + 1);
	if (conn_fd >= 0)
		close(conn_fd);
	if (out.jw.err && ret == EXIT_OK)
		ret = errmsg("internal: malformed JSON output");
	if ((fflush(stdout) || ferror(stdout)) && ret == EXIT_OK)
		ret = errmsg("writing output: %s", strerror(errno));
	return ret;
}
