// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl's SA grammar (see sa_parse.h for the syntax). This file turns
 * words into a struct and says precisely which word is wrong; it takes no
 * position on what may be offloaded, which is sa_check()'s job in the
 * daemon.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "common/addr.h"
#include "common/sa_check.h"
#include "sa_parse.h"
#include "common/util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Where we are in argv, where messages go, where keys may come from. */
struct cursor {
	int argc;
	char **argv;
	int i;
	char *err;
	size_t errlen;
	const struct sa_parse_keys *keys;
};

/* A word as a message shows it: quoted, or hidden if it may be a key. */
struct shown {
	char s[80];
};

/* The message for the user, and the code every grammar error returns. */
__attribute__((format(printf, 2, 3))) static int fail(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *show(struct shown *b, const char *word)
{
	size_t n = strlen(word);

	/* A key typed where something else belongs must not be echoed. */
	if (sa_word_is_secret(word))
		snprintf(b->s, sizeof(b->s), "a %zu-character word (hidden: it may be a key)", n);
	else
		snprintf(b->s, sizeof(b->s), "\"%.60s%s\"", word, n > 60 ? "..." : "");
	return b->s;
}

/*
 * iproute2's matches(), made strict: the index of the name equal to
 * word, else of the only name word begins; -ENOENT when none does and
 * -EEXIST when several do.
 */
static int match(const char *word, const char *const *names, int n)
{
	size_t len = strlen(word);
	int found = -ENOENT;

	if (!len)
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		if (!strcmp(word, names[i]))
			return i;
		if (!strncmp(word, names[i], len))
			found = found == -ENOENT ? i : -EEXIST;
	}
	return found;
}

/* "auth, auth-trunc": the names word is a prefix of. */
static const char *candidates(char *buf, size_t len, const char *word, const char *const *names,
			      int n)
{
	size_t off = 0, wl = strlen(word);

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++)
		if (names[i] && !strncmp(word, names[i], wl))
			off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", names[i]);
	return buf;
}

/* The next word, or NULL with "KW: missing WHAT". */
static const char *next_word(struct cursor *c, const char *kw, const char *what)
{
	if (c->i >= c->argc) {
		fail(c, "%s: missing %s", kw, what);
		return NULL;
	}
	return c->argv[c->i++];
}

/* The next word as one of names[] (abbreviations allowed). */
static int next_choice(struct cursor *c, const char *kw, const char *const *names, int n,
		       const char *expected)
{
	const char *w = next_word(c, kw, expected);
	struct shown b;
	char list[128];
	int id;

	if (!w)
		return -EINVAL;
	id = match(w, names, n);
	if (id == -EEXIST)
		return fail(c, "%s: %s is ambiguous: %s", kw, show(&b, w),
			    candidates(list, sizeof(list), w, names, n));
	if (id < 0)
		return fail(c, "%s: expected %s, got %s", kw, expected, show(&b, w));
	return id;
}

/* Decimal or 0x hex, at most max; -EINVAL for syntax, -ERANGE above max. */
static int parse_num(const char *s, __u64 max, __u64 *out)
{
	unsigned int base = 10;
	const char *p;
	__u64 v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (base == 16 ? !isxdigit((unsigned char)*p) : !isdigit((unsigned char)*p))
			return -EINVAL;
	for (p = s; *p; p++) {
		unsigned int d = isdigit((unsigned char)*p) ?
					 (unsigned int)(*p - '0') :
					 (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);

		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int next_num(struct cursor *c, const char *kw, const char *what, __u64 max, __u64 *out)
{
	const char *w = next_word(c, kw, what);
	struct shown b;
	int ret;

	if (!w)
		return -EINVAL;
	ret = parse_num(w, max, out);
	if (ret == -EINVAL)
		return fail(c, "%s: %s is not a number", kw, show(&b, w));
	if (ret == -ERANGE)
		return fail(c, "%s: %s is out of range (at most %llu)", kw, show(&b, w),
			    (unsigned long long)max);
	return 0;
}

static int next_u32(struct cursor *c, const char *kw, const char *what, __u32 *out)
{
	__u64 v;
	int ret = next_num(c, kw, what, UINT32_MAX, &v);

	if (!ret)
		*out = v;
	return ret;
}

static int next_addr(struct cursor *c, const char *kw, struct udpesp_ctl_addr *a)
{
	const char *w = next_word(c, kw, "ADDR");
	struct shown b;

	if (!w)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (udpesp_addr_parse(w, &a->family, a->addr))
		return fail(c, "%s: %s is not an IPv4 or IPv6 address", kw, show(&b, w));
	/* One address: a host prefix, so it reads the same as a selector. */
	a->prefixlen = a->family == UDPESP_AF_INET ? 32 : 128;
	return 0;
}

/* ADDR[/LEN], LEN decimal and within the family's width. */
static int next_prefix(struct cursor *c, const char *kw, struct udpesp_ctl_addr *a)
{
	const char *w = next_word(c, kw, "PREFIX"), *slash;
	char addr[INET6_ADDRSTRLEN + 1];
	struct shown b;
	size_t alen;
	__u64 len;
	int max;

	if (!w)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	slash = strchr(w, '/');
	alen = slash ? (size_t)(slash - w) : strlen(w);
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, w, alen);
	addr[alen] = '\0';
	if (udpesp_addr_parse(addr, &a->family, a->addr))
		goto bad;
	max = a->family == UDPESP_AF_INET ? 32 : 128;
	a->prefixlen = max;
	if (!slash)
		return 0;
	/* LEN is decimal only, as in ip(8). */
	if (!slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1))
		goto bad;
	if (parse_num(slash + 1, max, &len))
		return fail(c, "%s: prefix length in %s is out of range (0-%d for %s)", kw,
			    show(&b, w), max, max == 32 ? "IPv4" : "IPv6");
	a->prefixlen = len;
	return 0;
bad:
	return fail(c, "%s: %s is not an address prefix (ADDR[/LEN])", kw, show(&b, w));
}

static int next_alg_name(struct cursor *c, const char *kw, struct udpesp_ctl_alg *alg)
{
	const char *w = next_word(c, kw, "NAME");

	if (!w)
		return -EINVAL;
	if (!w[0])
		return fail(c, "%s: NAME is empty", kw);
	/* NAME left out, KEY in its place: say so without echoing it. */
	if (sa_word_is_secret(w) || (w[0] == '0' && (w[1] == 'x' || w[1] == 'X')))
		return fail(
			c,
			"%s: expected NAME, such as 'rfc4106(gcm(aes))', got what looks like a KEY",
			kw);
	if (strlen(w) >= sizeof(alg->name))
		return fail(c, "%s: NAME is longer than %zu characters", kw, sizeof(alg->name) - 1);
	strcpy(alg->name, w);
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower((unsigned char)ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* KEY text: "" or 0x + hex. No message quotes the text: it is the key. */
static int parse_key(struct cursor *c, const char *kw, const char *w, struct udpesp_ctl_alg *alg)
{
	__u8 key[UDPESP_KEY_MAX];
	size_t digits;
	int ret = 0;

	if (!w[0]) {
		alg->key_len = 0;
		return 0;
	}
	if (w[0] != '0' || (w[1] != 'x' && w[1] != 'X') || !w[2])
		return fail(c, "%s: KEY must be 0x followed by hex digits, or \"\" for none", kw);
	w += 2;
	digits = strlen(w);
	if (digits % 2)
		return fail(c, "%s: KEY has an odd number of hex digits (%zu)", kw, digits);
	if (digits / 2 > UDPESP_KEY_MAX)
		return fail(c, "%s: KEY is %zu bytes, at most %d", kw, digits / 2, UDPESP_KEY_MAX);
	for (size_t i = 0; i < digits / 2; i++) {
		int hi = hexval(w[2 * i]), lo = hexval(w[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			ret = fail(c, "%s: KEY has a character that is not a hex digit", kw);
			goto out;
		}
		key[i] = hi << 4 | lo;
	}
	memcpy(alg->key, key, digits / 2);
	alg->key_len = digits / 2;
out:
	explicit_bzero(key, sizeof(key));
	return ret;
}

/* Room for the longest key's text, blanks around it, and one more byte. */
#define KEY_TEXT_MAX (2 + 2 * UDPESP_KEY_MAX + 64)

/*
 * Up to len - 1 bytes of fd into buf: the whole of it (line false), or
 * up to and without the first newline (line true; read byte by byte so
 * that nothing after the line is consumed). Returns the length, or
 * -EFBIG when there was more, or -errno.
 */
static ssize_t read_key_text(int fd, char *buf, size_t len, bool line)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, buf + n, line ? 1 : len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			break;
		if (line && buf[n] == '\n')
			break;
		n += r;
		if (n == len)
			return -EFBIG;
	}
	buf[n] = '\0';
	return n;
}

/* The key text that @FILE or - names, without the blanks around it. */
static int key_text(struct cursor *c, const char *kw, const char *w, char *buf, size_t len)
{
	bool from_file = w[0] == '@';
	const char *blank = " \t\r\n";
	ssize_t n;
	size_t lead;
	int fd;

	if (!c->keys || (from_file ? !c->keys->files : c->keys->fd < 0))
		return fail(c, "%s: a KEY from %s is not allowed here", kw,
			    from_file ? "a file (@FILE)" : "standard input (-)");
	if (from_file) {
		fd = open(w + 1, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(c, "%s: cannot open key file \"%.200s\": %s", kw, w + 1,
				    strerror(errno));
		n = read_key_text(fd, buf, len, false);
		close(fd);
	} else {
		n = read_key_text(c->keys->fd, buf, len, true);
	}
	if (n == -EFBIG)
		return fail(c, "%s: the KEY in %s is too long", kw,
			    from_file ? w + 1 : "standard input");
	if (n < 0)
		return fail(c, "%s: reading the KEY from %s: %s", kw,
			    from_file ? w + 1 : "standard input", strerror((int)-n));
	while (n && strchr(blank, buf[n - 1]))
		buf[--n] = '\0';
	lead = strspn(buf, blank);
	memmove(buf, buf + lead, n - lead + 1);
	if (!buf[0])
		return fail(c, "%s: no KEY in %s", kw, from_file ? w + 1 : "standard input");
	return 0;
}

/*
 * KEY: the word itself, or with @FILE or - the text read from FILE or
 * the next line of standard input, which is wiped after use.
 */
static int next_key(struct cursor *c, const char *kw, struct udpesp_ctl_alg *alg)
{
	const char *w = next_word(c, kw, "KEY");
	char text[KEY_TEXT_MAX];
	int ret;

	if (!w)
		return -EINVAL;
	if (w[0] != '@' && strcmp(w, "-"))
		return parse_key(c, kw, w, alg);
	ret = key_text(c, kw, w, text, sizeof(text)) ?: parse_key(c, kw, text, alg);
	explicit_bzero(text, sizeof(text));
	return ret;
}

enum add_kw {
	KW_DIR,
	KW_SRC,
	KW_DST,
	KW_SPI,
	KW_PROTO,
	KW_MODE,
	KW_AEAD,
	KW_ENC,
	KW_AUTH,
	KW_AUTH_TRUNC,
	KW_ENCAP,
	KW_REPLAY_WINDOW,
	KW_FLAG,
	KW_SEL,
	KW_DEV,
	KW_OFFLOAD,
	KW_REQID,
	KW_REPLAY_SEQ,
	KW_REPLAY_SEQ_HI,
	KW_REPLAY_OSEQ,
	KW_REPLAY_OSEQ_HI,
	KW_LIMIT,
	KW_TFCPAD,
	KW_PARSER,
	KW_MAX,
};

static const char *const add_kws[KW_MAX] = {
	[KW_DIR] = "dir",
	[KW_SRC] = "src",
	[KW_DST] = "dst",
	[KW_SPI] = "spi",
	[KW_PROTO] = "proto",
	[KW_MODE] = "mode",
	[KW_AEAD] = "aead",
	[KW_ENC] = "enc",
	[KW_AUTH] = "auth",
	[KW_AUTH_TRUNC] = "auth-trunc",
	[KW_ENCAP] = "encap",
	[KW_REPLAY_WINDOW] = "replay-window",
	[KW_FLAG] = "flag",
	[KW_SEL] = "sel",
	[KW_DEV] = "dev",
	[KW_OFFLOAD] = "offload",
	[KW_REQID] = "reqid",
	[KW_REPLAY_SEQ] = "replay-seq",
	[KW_REPLAY_SEQ_HI] = "replay-seq-hi",
	[KW_REPLAY_OSEQ] = "replay-oseq",
	[KW_REPLAY_OSEQ_HI] = "replay-oseq-hi",
	[KW_LIMIT] = "limit",
	[KW_TFCPAD] = "tfcpad",
	[KW_PARSER] = "parser",
};

/* Keywords that may appear more than once (each with other values). */
#define KW_REPEATABLE (1u << KW_FLAG | 1u << KW_LIMIT | 1u << KW_SEL)

static const char *const dirs[] = { "in", "out" };
static const char *const modes[] = { "tunnel", "transport" };
static const char *const offloads[] = { "auto", "xsk", "kfunc" };
static const char *const protos[] = { "esp", "ah" };
static const char *const encaps[] = { "espinudp" };
static const char *const flags[] = { "esn" };
enum sel_part { SP_SRC, SP_DST, SP_PROTO, SP_SPORT, SP_DPORT, SEL_PARTS };
static const char *const sel_kws[SEL_PARTS] = { "src", "dst", "proto", "sport", "dport" };
/* IP protocols by name (ip(8) spells ICMPv6 ipv6-icmp); others by number. */
static const struct {
	const char *name;
	__u8 proto;
} ip_protos[] = {
	{ "icmp", 1 },	     { "tcp", 6 },     { "udp", 17 },	{ "dccp", 33 },	    { "gre", 47 },
	{ "ipv6-icmp", 58 }, { "icmpv6", 58 }, { "sctp", 132 }, { "udplite", 136 },
};
static const char *const limits[UDPESP_LIMIT_MAX] = {
	[UDPESP_LIMIT_TIME_SOFT] = "time-soft",	    [UDPESP_LIMIT_TIME_HARD] = "time-hard",
	[UDPESP_LIMIT_BYTE_SOFT] = "byte-soft",	    [UDPESP_LIMIT_BYTE_HARD] = "byte-hard",
	[UDPESP_LIMIT_PACKET_SOFT] = "packet-soft", [UDPESP_LIMIT_PACKET_HARD] = "packet-hard",
};

static int parse_proto(struct cursor *c)
{
	int id = next_choice(c, "proto", protos, ARRAY_SIZE(protos), "esp");

	if (id == 1)
		return fail(
			c,
			"proto: AH is not offloaded; RFC 8221 prefers ESP with NULL encryption (enc 'ecb(cipher_null)' \"\") for integrity only");
	return id < 0 ? id : 0;
}

static int parse_encap(struct cursor *c, struct udpesp_ctl_sa *sa)
{
	__u64 sport, dport;
	int ret;

	ret = next_choice(c, "encap", encaps, ARRAY_SIZE(encaps), "espinudp (RFC 3948)");
	if (ret < 0)
		return ret;
	if ((ret = next_num(c, "encap", "SPORT", UINT16_MAX, &sport)) ||
	    (ret = next_num(c, "encap", "DPORT", UINT16_MAX, &dport)) ||
	    (ret = next_addr(c, "encap", &sa->encap_oa)))
		return ret;
	sa->encap = UDPESP_ENCAP_ESPINUDP;
	sa->encap_sport = htons(sport);
	sa->encap_dport = htons(dport);
	return 0;
}

/* `flag` takes one flag, then any more spelled out in full. */
static int parse_flag(struct cursor *c, struct udpesp_ctl_sa *sa)
{
	int id = next_choice(c, "flag", flags, ARRAY_SIZE(flags), "esn");

	if (id < 0)
		return id;
	sa->flags |= UDPESP_CTL_SA_ESN; /* the only flag so far */
	/* Full names only: an abbreviation here could be the next keyword. */
	while (c->i < c->argc && !strcmp(c->argv[c->i], flags[0]))
		c->i++;
	return 0;
}

static int next_ip_proto(struct cursor *c, const char *kw, __u8 *proto)
{
	const char *w = next_word(c, kw, "PROTO");
	struct shown b;
	__u64 v;

	if (!w)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(ip_protos); i++)
		if (!strcmp(w, ip_protos[i].name)) {
			*proto = ip_protos[i].proto;
			return 0;
		}
	if (parse_num(w, 255, &v))
		return fail(c, "%s: %s is not an IP protocol (a name such as tcp, or 0-255)", kw,
			    show(&b, w));
	*proto = v;
	return 0;
}

/* PORT or PORT-PORT, decimal, 1-65535 (0-65535 as a range). */
static int next_port_range(struct cursor *c, const char *kw, __u16 *lo, __u16 *hi)
{
	const char *w = next_word(c, kw, "PORT[-PORT]"), *dash;
	char first[8];
	struct shown b;
	__u64 a, z;

	if (!w)
		return -EINVAL;
	dash = strchr(w, '-');
	if (dash && (size_t)(dash - w) < sizeof(first)) {
		memcpy(first, w, dash - w);
		first[dash - w] = '\0';
		if (parse_num(first, 65535, &a) || parse_num(dash + 1, 65535, &z))
			goto bad;
	} else if (dash || parse_num(w, 65535, &a)) {
		goto bad;
	} else {
		z = a;
	}
	if (a > z || !z)
		return fail(c, "%s: %s is an empty range or port 0", kw, show(&b, w));
	*lo = a;
	*hi = z;
	return 0;
bad:
	return fail(c, "%s: %s is not a port or port range (PORT[-PORT], 0-65535)", kw,
		    show(&b, w));
}

/*
 * src and dst abbreviated as before proto and ports existed ("sel s A d
 * B"); the new words in full, so that no abbreviation of a keyword
 * after the selector is taken for them.
 */
static int sel_part(const char *word)
{
	int id = match(word, sel_kws, SP_PROTO);

	if (id >= 0)
		return id;
	for (id = SP_PROTO; id < SEL_PARTS; id++)
		if (!strcmp(word, sel_kws[id]))
			return id;
	return -ENOENT;
}

/*
 * `sel` takes src, dst, proto, sport and dport (as ip xfrm's selector);
 * the first other word ends it. Each `sel` adds one selector.
 */
static int parse_sel(struct cursor *c, struct udpesp_ctl_sa *sa)
{
	static const char *const what[SEL_PARTS] = { "sel src", "sel dst", "sel proto", "sel sport",
						     "sel dport" };
	struct udpesp_ctl_sel *sel;
	bool seen[SEL_PARTS] = {};
	int n = 0, id, ret;

	if (sa->nsel >= UDPESP_SEL_MAX)
		return fail(c, "sel: at most %d selectors", UDPESP_SEL_MAX);
	sel = &sa->sel[sa->nsel++];
	while (c->i < c->argc && (id = sel_part(c->argv[c->i])) >= 0) {
		c->i++;
		if (seen[id])
			return fail(c, "sel: \"%s\" is given twice", sel_kws[id]);
		switch (id) {
		case SP_SRC:
			ret = next_prefix(c, what[id], &sel->src);
			break;
		case SP_DST:
			ret = next_prefix(c, what[id], &sel->dst);
			break;
		case SP_PROTO:
			ret = next_ip_proto(c, what[id], &sel->proto);
			break;
		case SP_SPORT:
			ret = next_port_range(c, what[id], &sel->sport_lo, &sel->sport_hi);
			break;
		default:
			ret = next_port_range(c, what[id], &sel->dport_lo, &sel->dport_hi);
			break;
		}
		if (ret)
			return ret;
		seen[id] = true;
		n++;
	}
	if (!n)
		return fail(c, "sel: expected src PREFIX, dst PREFIX, proto PROTO, sport or dport");
	return 0;
}

static int parse_limit(struct cursor *c, struct udpesp_ctl_sa *sa, unsigned int *seen)
{
	int id = next_choice(
		c, "limit", limits, UDPESP_LIMIT_MAX,
		"time-soft, time-hard, byte-soft, byte-hard, packet-soft or packet-hard");
	char kw[32];

	if (id < 0)
		return id;
	snprintf(kw, sizeof(kw), "limit %s", limits[id]);
	if (*seen & 1u << id)
		return fail(c, "\"%s\" is given twice", kw);
	*seen |= 1u << id;
	return next_num(c, kw, "N", UINT64_MAX, &sa->limits[id]);
}

static int parse_alg(struct cursor *c, int kw, struct udpesp_ctl_sa *sa)
{
	struct udpesp_ctl_alg *alg;
	const char *name = add_kws[kw];
	int ret;

	alg = kw == KW_AEAD ? &sa->aead : kw == KW_ENC ? &sa->enc : &sa->auth;
	/* auth and auth-trunc fill one slot: one integrity algorithm. */
	if (alg == &sa->auth && alg->name[0])
		return fail(c, "%s: an integrity algorithm is already given", name);
	if ((ret = next_alg_name(c, name, alg)) || (ret = next_key(c, name, alg)))
		return ret;
	if (kw == KW_AEAD)
		return next_u32(c, name, "ICV_BITS", &alg->bits);
	if (kw != KW_AUTH_TRUNC)
		return 0;
	ret = next_u32(c, name, "TRUNC_BITS", &alg->bits);
	/* 0 on the wire means `auth`: the algorithm's default truncation. */
	if (!ret && !alg->bits)
		return fail(c, "%s: TRUNC_BITS must not be 0", name);
	return ret;
}

static int parse_dev(struct cursor *c, struct udpesp_ctl_sa *sa)
{
	const char *w = next_word(c, "dev", "IFNAME");
	struct shown b;

	if (!w)
		return -EINVAL;
	sa->ifindex = if_nametoindex(w);
	if (!sa->ifindex)
		return fail(c, "dev: no device %s", show(&b, w));
	return 0;
}

static int parse_add_kw(struct cursor *c, int kw, struct udpesp_ctl_sa *sa,
			unsigned int *limits_seen)
{
	int id;

	switch (kw) {
	case KW_DIR:
		id = next_choice(c, "dir", dirs, ARRAY_SIZE(dirs), "in or out");
		if (id < 0)
			return id;
		sa->dir = id ? UDPESP_DIR_OUT : UDPESP_DIR_IN;
		return 0;
	case KW_SRC:
		return next_addr(c, "src", &sa->src);
	case KW_DST:
		return next_addr(c, "dst", &sa->dst);
	case KW_SPI: {
		__u32 spi = 0;
		int ret = next_u32(c, "spi", "SPI", &spi);

		sa->spi = htonl(spi);
		return ret;
	}
	case KW_PROTO:
		return parse_proto(c);
	case KW_MODE:
		id = next_choice(c, "mode", modes, ARRAY_SIZE(modes), "tunnel or transport");
		if (id < 0)
			return id;
		sa->mode = id ? UDPESP_MODE_TRANSPORT : UDPESP_MODE_TUNNEL;
		return 0;
	case KW_AEAD:
	case KW_ENC:
	case KW_AUTH:
	case KW_AUTH_TRUNC:
		return parse_alg(c, kw, sa);
	case KW_ENCAP:
		return parse_encap(c, sa);
	case KW_REPLAY_WINDOW:
		return next_u32(c, "replay-window", "N", &sa->replay_window);
	case KW_FLAG:
		return parse_flag(c, sa);
	case KW_SEL:
		return parse_sel(c, sa);
	case KW_DEV:
		return parse_dev(c, sa);
	case KW_OFFLOAD:
		id = next_choice(c, "offload", offloads, ARRAY_SIZE(offloads),
				 "auto, xsk or kfunc");
		if (id < 0)
			return id;
		sa->offload = id == 0 ? UDPESP_OFFLOAD_AUTO :
			      id == 1 ? UDPESP_OFFLOAD_XSK :
					UDPESP_OFFLOAD_KFUNC;
		return 0;
	case KW_REQID:
		return next_u32(c, "reqid", "N", &sa->reqid);
	case KW_REPLAY_SEQ:
		sa->flags |= UDPESP_CTL_SA_HAS_REPLAY_SEQ;
		return next_u32(c, "replay-seq", "N", &sa->replay_seq);
	case KW_REPLAY_SEQ_HI:
		sa->flags |= UDPESP_CTL_SA_HAS_REPLAY_SEQ;
		return next_u32(c, "replay-seq-hi", "N", &sa->replay_seq_hi);
	case KW_REPLAY_OSEQ:
		sa->flags |= UDPESP_CTL_SA_HAS_REPLAY_OSEQ;
		return next_u32(c, "replay-oseq", "N", &sa->replay_oseq);
	case KW_REPLAY_OSEQ_HI:
		sa->flags |= UDPESP_CTL_SA_HAS_REPLAY_OSEQ;
		return next_u32(c, "replay-oseq-hi", "N", &sa->replay_oseq_hi);
	case KW_LIMIT:
		return parse_limit(c, sa, limits_seen);
	case KW_TFCPAD:
		return next_u32(c, "tfcpad", "N", &sa->tfcpad);
	case KW_PARSER:
		return next_u32(c, "parser", "P", &sa->parser);
	}
	return -EINVAL;
}

/* A keyword of table[]: unknown and ambiguous words get a message. */
static int next_keyword(struct cursor *c, const char *const *table, int n)
{
	const char *w = c->argv[c->i++];
	struct shown b;
	char list[256];
	int kw = match(w, table, n);

	if (kw == -EEXIST)
		return fail(c, "%s is ambiguous: %s", show(&b, w),
			    candidates(list, sizeof(list), w, table, n));
	if (kw < 0)
		return fail(c, "unknown keyword %s", show(&b, w));
	return kw;
}

int sa_parse_add(int argc, char **argv, struct udpesp_ctl_sa *out, char *err, size_t errlen)
{
	return sa_parse_add_keys(argc, argv, NULL, out, err, errlen);
}

int sa_parse_add_keys(int argc, char **argv, const struct sa_parse_keys *keys,
		      struct udpesp_ctl_sa *out, char *err, size_t errlen)
{
	struct cursor c = { argc, argv, 0, err, errlen, keys };
	static const int required[] = { KW_DIR, KW_SRC, KW_DST, KW_SPI };
	unsigned int seen = 0, limits_seen = 0;
	int kw, ret;

	if (err && errlen)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	while (c.i < c.argc) {
		kw = next_keyword(&c, add_kws, KW_MAX);
		if (kw < 0)
			goto fail;
		if (seen & 1u << kw & ~KW_REPEATABLE) {
			fail(&c, "\"%s\" is given twice", add_kws[kw]);
			goto fail;
		}
		seen |= 1u << kw;
		ret = parse_add_kw(&c, kw, out, &limits_seen);
		if (ret)
			goto fail;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		if (!(seen & 1u << required[i])) {
			fail(&c, "\"%s\" is required", add_kws[required[i]]);
			goto fail;
		}
	}
	/* As `ip xfrm state add`: an SA without `mode` is a transport SA. */
	if (!out->mode)
		out->mode = UDPESP_MODE_TRANSPORT;
	return 0;
fail:
	/* Keys may already be in *out: leave nothing behind on errors. */
	explicit_bzero(out, sizeof(*out));
	return -EINVAL;
}

enum sel_kw { SEL_HANDLE, SEL_PARSER, SEL_DST, SEL_SPI, SEL_PROTO, SEL_MAX };

static const char *const sel_select_kws[SEL_MAX] = {
	[SEL_HANDLE] = "handle", [SEL_PARSER] = "parser", [SEL_DST] = "dst",
	[SEL_SPI] = "spi",	 [SEL_PROTO] = "proto",
};

int sa_parse_select(int argc, char **argv, struct udpesp_ctl_sa_del *out, char *err, size_t errlen)
{
	struct cursor c = { argc, argv, 0, err, errlen, NULL };
	unsigned int seen = 0;
	__u32 spi = 0;
	int kw, ret;

	if (err && errlen)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	while (c.i < c.argc) {
		/* `ip xfrm state delete` names src too; the SA key has none. */
		if (!strcmp(c.argv[c.i], "src"))
			return fail(
				&c,
				"\"src\" is not used: an SA is selected by dst and spi, or by handle");
		kw = next_keyword(&c, sel_select_kws, SEL_MAX);
		if (kw < 0)
			return kw;
		if (seen & 1u << kw)
			return fail(&c, "\"%s\" is given twice", sel_select_kws[kw]);
		seen |= 1u << kw;
		switch (kw) {
		case SEL_HANDLE:
			ret = next_u32(&c, "handle", "H", &out->handle);
			if (!ret && !out->handle)
				ret = fail(&c, "handle: 0 is not a handle");
			break;
		case SEL_PARSER:
			ret = next_u32(&c, "parser", "P", &out->parser);
			break;
		case SEL_DST:
			ret = next_addr(&c, "dst", &out->dst);
			break;
		case SEL_SPI:
			ret = next_u32(&c, "spi", "SPI", &spi);
			out->spi = htonl(spi);
			break;
		default:
			ret = parse_proto(&c);
			break;
		}
		if (ret)
			return ret;
	}
	if (seen & 1u << SEL_HANDLE) {
		if (seen & (1u << SEL_DST | 1u << SEL_SPI))
			return fail(&c, "\"handle\" and \"dst\"/\"spi\" exclude each other");
		return 0;
	}
	if (!(seen & (1u << SEL_DST | 1u << SEL_SPI)))
		return fail(&c, "expected handle H, or dst ADDR spi SPI");
	if (!(seen & 1u << SEL_SPI))
		return fail(&c, "\"spi\" is required with \"dst\"");
	if (!(seen & 1u << SEL_DST))
		return fail(&c, "\"dst\" is required with \"spi\"");
	return 0;
}
