// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl's SA grammar: every keyword, abbreviations, the DESIGN.md
 * example, and each grammar error with its message. Lines are split on
 * spaces; the word '' stands for an empty argument.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <criterion/criterion.h>

#include "common/sa_check.h"
#include "udpespctl/sa_parse.h"

#define ERRLEN UDPESP_CTL_ERRMSG_MAX
#define BASE "dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1001 "
/* 16-byte AES key + 4-byte salt: bytes 0x01..0x14. */
#define KEY20 "0x0102030405060708090a0b0c0d0e0f1011121314"
#define HEX32 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY32 "0x" HEX32
#define KEY16 "0x00112233445566778899aabbccddeeff"
/* Longer than any key text sa_parse reads. */
#define KEY_BIG 1024

struct words {
	char buf[2048];
	char *argv[96];
	int argc;
};

static void split(struct words *w, const char *line)
{
	char *save, *tok;

	cr_assert_lt(strlen(line), sizeof(w->buf));
	strcpy(w->buf, line);
	w->argc = 0;
	for (tok = strtok_r(w->buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		cr_assert_lt(w->argc, 95);
		w->argv[w->argc++] = strcmp(tok, "''") ? tok : tok + 2;
	}
	w->argv[w->argc] = NULL;
}

static int add(const char *line, struct udpesp_ctl_sa *sa, char *err)
{
	struct words w;

	split(&w, line);
	return sa_parse_add(w.argc, w.argv, sa, err, ERRLEN);
}

static void add_ok(const char *line, struct udpesp_ctl_sa *sa)
{
	char err[ERRLEN] = "x";
	int ret = add(line, sa, err);

	cr_assert_eq(ret, 0, "\"%s\": %s", line, err);
	cr_assert_str_empty(err);
}

static bool zeroed(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Refused with -EINVAL and exactly this message; *out left zeroed. */
static void add_err(const char *line, const char *want)
{
	struct udpesp_ctl_sa sa;
	char err[ERRLEN] = "";

	memset(&sa, 0x5a, sizeof(sa));
	cr_assert_eq(add(line, &sa, err), -EINVAL, "accepted \"%s\"", line);
	cr_assert_str_eq(err, want, "\"%s\"", line);
	cr_assert(zeroed(&sa, sizeof(sa)), "\"%s\": output not wiped", line);
}

static void add_err_has(const char *line, const char *want)
{
	struct udpesp_ctl_sa sa;
	char err[ERRLEN] = "";

	cr_assert_eq(add(line, &sa, err), -EINVAL, "accepted \"%s\"", line);
	cr_assert(strstr(err, want), "\"%s\": message \"%s\" lacks \"%s\"", line, err, want);
}

static void addr_is(const struct udpesp_ctl_addr *a, const char *s, __u8 plen)
{
	__be32 want[4] = {};
	__u8 family = strchr(s, ':') ? UDPESP_AF_INET6 : UDPESP_AF_INET;

	cr_assert_eq(inet_pton(family == UDPESP_AF_INET ? AF_INET : AF_INET6, s, want), 1);
	cr_expect_eq(a->family, family, "%s", s);
	cr_expect_eq(a->prefixlen, plen, "%s: prefixlen %u", s, a->prefixlen);
	cr_expect_arr_eq(a->addr, want, sizeof(want), "%s", s);
}

Test(sa_parse, design_example)
{
	static const __u8 key[20] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
				      11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
	struct udpesp_ctl_sa sa;
	struct esp_suite s;
	char err[ERRLEN];

	add_ok("dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1001 mode tunnel "
	       "aead rfc4106(gcm(aes)) " KEY20 " 128 "
	       "encap espinudp 4500 4500 0.0.0.0 replay-window 128 flag esn "
	       "sel src 203.0.113.0/24 dst 198.18.0.0/24 dev lo offload auto",
	       &sa);
	cr_expect_eq(sa.dir, UDPESP_DIR_IN);
	addr_is(&sa.src, "198.51.100.7", 32);
	addr_is(&sa.dst, "192.0.2.1", 32);
	cr_expect_eq(sa.spi, htonl(0x1001));
	cr_expect_eq(sa.mode, UDPESP_MODE_TUNNEL);
	cr_expect_str_eq(sa.aead.name, "rfc4106(gcm(aes))");
	cr_expect_eq(sa.aead.key_len, 20);
	cr_expect_arr_eq(sa.aead.key, key, sizeof(key));
	cr_expect_eq(sa.aead.bits, 128);
	cr_expect_eq(sa.encap, UDPESP_ENCAP_ESPINUDP);
	cr_expect_eq(sa.encap_sport, htons(4500));
	cr_expect_eq(sa.encap_dport, htons(4500));
	addr_is(&sa.encap_oa, "0.0.0.0", 32);
	cr_expect_eq(sa.replay_window, 128);
	cr_expect_eq(sa.flags, UDPESP_CTL_SA_ESN);
	addr_is(&sa.sel[0].src, "203.0.113.0", 24);
	addr_is(&sa.sel[0].dst, "198.18.0.0", 24);
	cr_expect_eq(sa.ifindex, if_nametoindex("lo"));
	cr_expect_neq(sa.ifindex, 0);
	cr_expect_eq(sa.offload, UDPESP_OFFLOAD_AUTO);
	cr_expect_str_empty(sa.enc.name);
	cr_expect_str_empty(sa.auth.name);

	/* And the daemon takes it as it is. */
	cr_assert_eq(sa_check(&sa, &s, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(s.alg, UDPESP_ALG_AES_GCM_16);
	cr_expect_eq(s.min_len, 36);
}

/* Every keyword of `sa add` once, with the other algorithm form. */
Test(sa_parse, every_keyword)
{
	struct udpesp_ctl_sa sa;

	add_ok("dir out src 2001:db8::7 dst 2001:db8::1 spi 4097 proto esp "
	       "mode transport enc cbc(aes) " KEY16 " auth-trunc hmac(sha256) " KEY32
	       " 128 encap espinudp 4501 4500 :: replay-window 0 "
	       "flag esn sel src 2001:db8:a::/48 dst 2001:db8:b::1 dev lo "
	       "offload kfunc reqid 0xffffffff replay-seq 10 replay-seq-hi 11 "
	       "replay-oseq 12 replay-oseq-hi 13 limit time-soft 60 "
	       "limit time-hard 0x78 limit byte-soft 1000000 "
	       "limit byte-hard 18446744073709551615 limit packet-soft 5 "
	       "limit packet-hard 6 tfcpad 1400 parser 9",
	       &sa);
	cr_expect_eq(sa.dir, UDPESP_DIR_OUT);
	addr_is(&sa.src, "2001:db8::7", 128);
	addr_is(&sa.dst, "2001:db8::1", 128);
	cr_expect_eq(sa.spi, htonl(4097));
	cr_expect_eq(sa.mode, UDPESP_MODE_TRANSPORT);
	cr_expect_str_empty(sa.aead.name);
	cr_expect_str_eq(sa.enc.name, "cbc(aes)");
	cr_expect_eq(sa.enc.key_len, 16);
	cr_expect_eq(sa.enc.key[0], 0x00);
	cr_expect_eq(sa.enc.key[15], 0xff);
	cr_expect_eq(sa.enc.bits, 0);
	cr_expect_str_eq(sa.auth.name, "hmac(sha256)");
	cr_expect_eq(sa.auth.key_len, 32);
	cr_expect_eq(sa.auth.key[31], 0x1f);
	cr_expect_eq(sa.auth.bits, 128);
	cr_expect_eq(sa.encap, UDPESP_ENCAP_ESPINUDP);
	cr_expect_eq(sa.encap_sport, htons(4501));
	cr_expect_eq(sa.encap_dport, htons(4500));
	addr_is(&sa.encap_oa, "::", 128);
	cr_expect_eq(sa.replay_window, 0);
	cr_expect_eq(sa.flags, UDPESP_CTL_SA_ESN | UDPESP_CTL_SA_HAS_REPLAY_SEQ |
				       UDPESP_CTL_SA_HAS_REPLAY_OSEQ);
	addr_is(&sa.sel[0].src, "2001:db8:a::", 48);
	addr_is(&sa.sel[0].dst, "2001:db8:b::1", 128);
	cr_expect_eq(sa.ifindex, if_nametoindex("lo"));
	cr_expect_eq(sa.offload, UDPESP_OFFLOAD_KFUNC);
	cr_expect_eq(sa.reqid, 0xffffffff);
	cr_expect_eq(sa.replay_seq, 10);
	cr_expect_eq(sa.replay_seq_hi, 11);
	cr_expect_eq(sa.replay_oseq, 12);
	cr_expect_eq(sa.replay_oseq_hi, 13);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_TIME_SOFT], 60);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_TIME_HARD], 120);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_BYTE_SOFT], 1000000);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_BYTE_HARD], UINT64_MAX);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_PACKET_SOFT], 5);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_PACKET_HARD], 6);
	cr_expect_eq(sa.tfcpad, 1400);
	cr_expect_eq(sa.parser, 9);
}

Test(sa_parse, minimal_and_defaults)
{
	struct udpesp_ctl_sa sa;

	/* Grammar only: no algorithm or encap needed here (sa_check's job). */
	add_ok(BASE, &sa);
	cr_expect_eq(sa.mode, UDPESP_MODE_TRANSPORT, "ip xfrm's default");
	cr_expect_eq(sa.offload, UDPESP_OFFLOAD_AUTO);
	cr_expect_eq(sa.encap, UDPESP_ENCAP_NONE);
	cr_expect_eq(sa.ifindex, 0);
	cr_expect_eq(sa.nsel, 0);
	cr_expect_eq(sa.flags, 0);
	/* Order does not matter. */
	add_ok("spi 0x1001 dst 192.0.2.1 src 198.51.100.7 dir in", &sa);
	cr_expect_eq(sa.spi, htonl(0x1001));
}

Test(sa_parse, values)
{
	struct udpesp_ctl_sa sa;

	add_ok(BASE "offload xsk mode tunnel", &sa);
	cr_expect_eq(sa.offload, UDPESP_OFFLOAD_XSK);
	cr_expect_eq(sa.mode, UDPESP_MODE_TUNNEL);
	/* SPI in decimal, hex with either case of x; leading zeros are decimal. */
	add_ok("dir in src 198.51.100.7 dst 192.0.2.1 spi 0X1A2b", &sa);
	cr_expect_eq(sa.spi, htonl(0x1a2b));
	add_ok("dir in src 198.51.100.7 dst 192.0.2.1 spi 0100", &sa);
	cr_expect_eq(sa.spi, htonl(100));
	add_ok("dir in src 198.51.100.7 dst 192.0.2.1 spi 4294967295", &sa);
	cr_expect_eq(sa.spi, htonl(0xffffffff));
	/* `auth NAME KEY`: bits 0, the algorithm's default truncation. */
	add_ok(BASE "enc cbc(aes) " KEY16 " auth hmac(sha512) " KEY32, &sa);
	cr_expect_str_eq(sa.auth.name, "hmac(sha512)");
	cr_expect_eq(sa.auth.bits, 0);
	/* The null cipher's empty key, and upper-case hex digits. */
	add_ok(BASE "enc ecb(cipher_null) '' auth-trunc hmac(sha256) 0XABCDEF 128", &sa);
	cr_expect_eq(sa.enc.key_len, 0);
	cr_expect_eq(sa.auth.key_len, 3);
	cr_expect_eq(sa.auth.key[0], 0xab);
	cr_expect_eq(sa.auth.key[2], 0xef);
	/* The longest key. */
	add_ok(BASE "enc cbc(aes) " KEY16 " auth-trunc hmac(sha512) " KEY32 HEX32 " 256", &sa);
	cr_expect_eq(sa.auth.key_len, 64);
	/* Selector without /LEN is one host; /0 is everything. */
	add_ok(BASE "sel dst 10.1.2.3 src 0.0.0.0/0", &sa);
	addr_is(&sa.sel[0].dst, "10.1.2.3", 32);
	addr_is(&sa.sel[0].src, "0.0.0.0", 0);
	add_ok(BASE "sel src ::/0", &sa);
	addr_is(&sa.sel[0].src, "::", 0);
	cr_expect_eq(sa.sel[0].dst.family, 0);
	/* Flags may come as a list or repeated. */
	add_ok(BASE "flag esn esn flag esn", &sa);
	cr_expect_eq(sa.flags, UDPESP_CTL_SA_ESN);
	/* A name is any one word, as the shell hands it over. */
	add_ok(BASE "aead rfc7539esp(chacha20,poly1305) " KEY32 "01020304 128", &sa);
	cr_expect_str_eq(sa.aead.name, "rfc7539esp(chacha20,poly1305)");
	cr_expect_eq(sa.aead.key_len, 36);
}

Test(sa_parse, abbreviations)
{
	struct udpesp_ctl_sa sa;

	add_ok("di i sr 198.51.100.7 ds 192.0.2.1 sp 0x1001 pr e m tu "
	       "ae rfc4106(gcm(aes)) " KEY20 " 128 enca esp 4500 4500 0.0.0.0 "
	       "replay-w 64 f e se s 10.0.0.0/8 d 10.1.0.0/16 de lo o x "
	       "req 5 replay-seq 1 replay-seq-h 2 l time-s 10 l packet-h 7 tf 4 pa 3",
	       &sa);
	cr_expect_eq(sa.dir, UDPESP_DIR_IN);
	cr_expect_eq(sa.spi, htonl(0x1001));
	cr_expect_eq(sa.mode, UDPESP_MODE_TUNNEL);
	cr_expect_str_eq(sa.aead.name, "rfc4106(gcm(aes))");
	cr_expect_eq(sa.encap, UDPESP_ENCAP_ESPINUDP);
	cr_expect_eq(sa.replay_window, 64);
	cr_expect(sa.flags & UDPESP_CTL_SA_ESN);
	addr_is(&sa.sel[0].src, "10.0.0.0", 8);
	addr_is(&sa.sel[0].dst, "10.1.0.0", 16);
	cr_expect_eq(sa.ifindex, if_nametoindex("lo"));
	cr_expect_eq(sa.offload, UDPESP_OFFLOAD_XSK);
	cr_expect_eq(sa.reqid, 5);
	cr_expect_eq(sa.replay_seq, 1);
	cr_expect_eq(sa.replay_seq_hi, 2);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_TIME_SOFT], 10);
	cr_expect_eq(sa.limits[UDPESP_LIMIT_PACKET_HARD], 7);
	cr_expect_eq(sa.tfcpad, 4);
	cr_expect_eq(sa.parser, 3);
}

/* A full keyword wins over a longer one it begins. */
Test(sa_parse, exact_beats_prefix)
{
	struct udpesp_ctl_sa sa;

	add_ok(BASE "enc cbc(aes) " KEY16 " auth hmac(sha256) " KEY32, &sa);
	cr_expect_eq(sa.auth.bits, 0);
	add_ok(BASE "replay-seq 5 replay-oseq 6", &sa);
	cr_expect_eq(sa.replay_seq, 5);
	cr_expect_eq(sa.replay_oseq, 6);
	cr_expect_eq(sa.replay_seq_hi, 0);
	cr_expect_eq(sa.replay_oseq_hi, 0);
	add_ok(BASE "replay-oseq-h 7", &sa);
	cr_expect_eq(sa.replay_oseq_hi, 7);
}

Test(sa_parse, ambiguous)
{
	add_err(BASE "d lo", "\"d\" is ambiguous: dir, dst, dev");
	add_err(BASE "s 1", "\"s\" is ambiguous: src, spi, sel");
	add_err(BASE "aut hmac(sha256) " KEY32, "\"aut\" is ambiguous: auth, auth-trunc");
	add_err(BASE "en x", "\"en\" is ambiguous: enc, encap");
	add_err(BASE "p 1", "\"p\" is ambiguous: proto, parser");
	add_err(BASE "r 1",
		"\"r\" is ambiguous: replay-window, reqid, replay-seq, replay-seq-hi, replay-oseq, replay-oseq-hi");
	add_err(BASE "replay-s 1", "\"replay-s\" is ambiguous: replay-seq, replay-seq-hi");
	add_err(BASE "mode t", "mode: \"t\" is ambiguous: tunnel, transport");
	add_err(BASE "limit time 5", "limit: \"time\" is ambiguous: time-soft, time-hard");
	add_err(BASE "limit p 5", "limit: \"p\" is ambiguous: packet-soft, packet-hard");
}

Test(sa_parse, required)
{
	add_err("", "\"dir\" is required");
	add_err("src 198.51.100.7 dst 192.0.2.1 spi 0x1001", "\"dir\" is required");
	add_err("dir in dst 192.0.2.1 spi 0x1001", "\"src\" is required");
	add_err("dir in src 198.51.100.7 spi 0x1001", "\"dst\" is required");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1", "\"spi\" is required");
}

/* Each `sel` adds a selector; proto and ports as ip xfrm's selector. */
Test(sa_parse, selectors_protocols_and_ports)
{
	struct udpesp_ctl_sa sa;

	add_ok(BASE "sel src 10.0.0.0/8 sel dst 10.0.0.0/8 proto tcp dport 443 "
		    "sel src 2001:db8::/32 proto 132 sport 1024-65535 dport 36412-36422 reqid 3",
	       &sa);
	cr_assert_eq(sa.nsel, 3);
	addr_is(&sa.sel[0].src, "10.0.0.0", 8);
	cr_expect_eq(sa.sel[0].dst.family, 0);
	cr_expect_eq(sa.sel[0].proto, 0);
	cr_expect_eq(sa.sel[1].src.family, 0);
	addr_is(&sa.sel[1].dst, "10.0.0.0", 8);
	cr_expect_eq(sa.sel[1].proto, 6);
	cr_expect(sa.sel[1].dport_lo == 443 && sa.sel[1].dport_hi == 443);
	cr_expect(sa.sel[1].sport_lo == 0 && sa.sel[1].sport_hi == 0);
	addr_is(&sa.sel[2].src, "2001:db8::", 32);
	cr_expect_eq(sa.sel[2].proto, 132);
	cr_expect(sa.sel[2].sport_lo == 1024 && sa.sel[2].sport_hi == 65535);
	cr_expect(sa.sel[2].dport_lo == 36412 && sa.sel[2].dport_hi == 36422);
	cr_expect_eq(sa.reqid, 3);
	add_ok(BASE
	       "sel proto udp sport 0-65535 sel proto ipv6-icmp sel proto icmpv6 sel proto gre",
	       &sa);
	cr_assert_eq(sa.nsel, 4);
	cr_expect(sa.sel[0].proto == 17 && sa.sel[0].sport_lo == 0 && sa.sel[0].sport_hi == 65535);
	cr_expect(sa.sel[1].proto == 58 && sa.sel[2].proto == 58 && sa.sel[3].proto == 47);

	add_err(BASE "sel proto", "sel proto: missing PROTO");
	add_err(BASE "sel proto tcpx",
		"sel proto: \"tcpx\" is not an IP protocol (a name such as tcp, or 0-255)");
	add_err(BASE "sel proto 256",
		"sel proto: \"256\" is not an IP protocol (a name such as tcp, or 0-255)");
	add_err(BASE "sel proto tcp dport", "sel dport: missing PORT[-PORT]");
	add_err(BASE "sel proto tcp dport 0", "sel dport: \"0\" is an empty range or port 0");
	add_err(BASE "sel proto tcp dport 9-8", "sel dport: \"9-8\" is an empty range or port 0");
	add_err(BASE "sel proto tcp sport 65536",
		"sel sport: \"65536\" is not a port or port range (PORT[-PORT], 0-65535)");
	add_err(BASE "sel proto tcp sport 1-",
		"sel sport: \"1-\" is not a port or port range (PORT[-PORT], 0-65535)");
	add_err(BASE "sel proto tcp sport -1",
		"sel sport: \"-1\" is not a port or port range (PORT[-PORT], 0-65535)");
	add_err(BASE "sel proto tcp proto udp", "sel: \"proto\" is given twice");
	add_err(BASE "sel src 10.0.0.1 sel src 10.0.0.2 sel src 10.0.0.3 sel src 10.0.0.4 "
		     "sel src 10.0.0.5 sel src 10.0.0.6 sel src 10.0.0.7 sel src 10.0.0.8 "
		     "sel src 10.0.0.9",
		"sel: at most 8 selectors");
}

Test(sa_parse, unknown_and_duplicate)
{
	add_err(BASE "foo", "unknown keyword \"foo\"");
	add_err(BASE "if_id 5", "unknown keyword \"if_id\"");
	add_err(BASE "spi 0x1002", "\"spi\" is given twice");
	add_err(BASE "mode tunnel mode transport", "\"mode\" is given twice");
	add_err(BASE "aead rfc4106(gcm(aes)) " KEY20 " 128 aead rfc4106(gcm(aes)) " KEY20 " 128",
		"\"aead\" is given twice");
	add_err(BASE "auth hmac(sha256) " KEY32 " auth-trunc hmac(sha256) " KEY32 " 128",
		"auth-trunc: an integrity algorithm is already given");
	add_err(BASE "auth-trunc hmac(sha256) " KEY32 " 128 auth hmac(sha256) " KEY32,
		"auth: an integrity algorithm is already given");
	add_err(BASE "limit time-soft 5 limit time-soft 6", "\"limit time-soft\" is given twice");
	add_err(BASE "sel src 10.0.0.0/8 src 10.0.0.0/8", "sel: \"src\" is given twice");
	/* A long hex word is never echoed: it may be a key. */
	add_err(BASE KEY20, "unknown keyword a 42-character word (hidden: it may be a key)");
	add_err(BASE "0102030405060708090a0b0c0d0e0f10",
		"unknown keyword a 32-character word (hidden: it may be a key)");
}

Test(sa_parse, missing_values)
{
	add_err("dir", "dir: missing in or out");
	add_err("dir in src", "src: missing ADDR");
	add_err(BASE "spi", "\"spi\" is given twice");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi", "spi: missing SPI");
	add_err(BASE "mode", "mode: missing tunnel or transport");
	add_err(BASE "aead", "aead: missing NAME");
	add_err(BASE "aead rfc4106(gcm(aes))", "aead: missing KEY");
	add_err(BASE "aead rfc4106(gcm(aes)) " KEY20, "aead: missing ICV_BITS");
	add_err(BASE "auth-trunc hmac(sha256) " KEY32, "auth-trunc: missing TRUNC_BITS");
	add_err(BASE "enc cbc(aes)", "enc: missing KEY");
	add_err(BASE "encap", "encap: missing espinudp (RFC 3948)");
	add_err(BASE "encap espinudp", "encap: missing SPORT");
	add_err(BASE "encap espinudp 4500", "encap: missing DPORT");
	add_err(BASE "encap espinudp 4500 4500", "encap: missing ADDR");
	add_err(BASE "sel", "sel: expected src PREFIX, dst PREFIX, proto PROTO, sport or dport");
	add_err(BASE "sel dev lo",
		"sel: expected src PREFIX, dst PREFIX, proto PROTO, sport or dport");
	add_err(BASE "sel src", "sel src: missing PREFIX");
	add_err(BASE "dev", "dev: missing IFNAME");
	add_err(BASE "offload", "offload: missing auto, xsk or kfunc");
	add_err(BASE "flag", "flag: missing esn");
	add_err(BASE "limit",
		"limit: missing time-soft, time-hard, byte-soft, byte-hard, packet-soft or packet-hard");
	add_err(BASE "limit byte-soft", "limit byte-soft: missing N");
	add_err(BASE "replay-window", "replay-window: missing N");
	add_err(BASE "reqid", "reqid: missing N");
	add_err(BASE "tfcpad", "tfcpad: missing N");
	add_err(BASE "parser", "parser: missing P");
	add_err(BASE "proto", "proto: missing esp");
}

Test(sa_parse, bad_numbers)
{
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi 0xZZ", "spi: \"0xZZ\" is not a number");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi 0x", "spi: \"0x\" is not a number");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi -1", "spi: \"-1\" is not a number");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi +5", "spi: \"+5\" is not a number");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi ''", "spi: \"\" is not a number");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi 12ab", "spi: \"12ab\" is not a number");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi 4294967296",
		"spi: \"4294967296\" is out of range (at most 4294967295)");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1 spi 0x100000000",
		"spi: \"0x100000000\" is out of range (at most 4294967295)");
	add_err(BASE "encap espinudp 70000 4500 0.0.0.0",
		"encap: \"70000\" is out of range (at most 65535)");
	add_err(BASE "encap espinudp 4500 port 0.0.0.0", "encap: \"port\" is not a number");
	add_err(BASE "replay-window 1e3", "replay-window: \"1e3\" is not a number");
	add_err(BASE "aead rfc4106(gcm(aes)) " KEY20 " 128bits",
		"aead: \"128bits\" is not a number");
	add_err(BASE "auth-trunc hmac(sha256) " KEY32 " 0", "auth-trunc: TRUNC_BITS must not be 0");
	add_err(BASE "limit byte-hard 18446744073709551616",
		"limit byte-hard: \"18446744073709551616\" is out of range (at most 18446744073709551615)");
	add_err(BASE "limit packet-hard 99999999999999999999999",
		"limit packet-hard: \"99999999999999999999999\" is out of range (at most 18446744073709551615)");
	add_err(BASE "reqid 4294967296",
		"reqid: \"4294967296\" is out of range (at most 4294967295)");
	add_err(BASE "tfcpad x", "tfcpad: \"x\" is not a number");
	add_err(BASE "parser -", "parser: \"-\" is not a number");
	add_err(BASE "replay-seq-hi 0xg", "replay-seq-hi: \"0xg\" is not a number");
}

Test(sa_parse, bad_words)
{
	add_err("dir sideways", "dir: expected in or out, got \"sideways\"");
	add_err(BASE "mode beet", "mode: expected tunnel or transport, got \"beet\"");
	add_err(BASE "encap espintcp 4500 4500 0.0.0.0",
		"encap: expected espinudp (RFC 3948), got \"espintcp\"");
	add_err(BASE "encap espinudp-nonike 4500 4500 0.0.0.0",
		"encap: expected espinudp (RFC 3948), got \"espinudp-nonike\"");
	add_err(BASE "offload crypto", "offload: expected auto, xsk or kfunc, got \"crypto\"");
	add_err(BASE "flag noecn", "flag: expected esn, got \"noecn\"");
	add_err(BASE "limit time-use-soft 5",
		"limit: expected time-soft, time-hard, byte-soft, byte-hard, packet-soft or packet-hard, got \"time-use-soft\"");
	add_err(BASE "proto comp", "proto: expected esp, got \"comp\"");
	add_err_has(BASE "proto ah", "proto: AH is not offloaded; RFC 8221");
	add_err(BASE "dev nosuchdev0", "dev: no device \"nosuchdev0\"");
	add_err(BASE "dev qqqqqqqqqqqqqqqqqqqq", "dev: no device \"qqqqqqqqqqqqqqqqqqqq\"");
}

Test(sa_parse, bad_addresses)
{
	add_err("dir in src 1.2.3 dst 192.0.2.1 spi 0x1001",
		"src: \"1.2.3\" is not an IPv4 or IPv6 address");
	add_err("dir in src 198.51.100.7 dst 192.0.2.1/32 spi 0x1001",
		"dst: \"192.0.2.1/32\" is not an IPv4 or IPv6 address");
	add_err("dir in src 198.51.100.7 dst host spi 0x1001",
		"dst: \"host\" is not an IPv4 or IPv6 address");
	add_err(BASE "encap espinudp 4500 4500 any",
		"encap: \"any\" is not an IPv4 or IPv6 address");
	add_err(BASE "sel src 203.0.113.0/33",
		"sel src: prefix length in \"203.0.113.0/33\" is out of range (0-32 for IPv4)");
	add_err(BASE "sel dst 2001:db8::/129",
		"sel dst: prefix length in \"2001:db8::/129\" is out of range (0-128 for IPv6)");
	add_err(BASE "sel dst 2001:db8::/99999999999999999999999",
		"sel dst: prefix length in \"2001:db8::/99999999999999999999999\" is out of range (0-128 for IPv6)");
	add_err(BASE "sel dst 198.18.0.0/",
		"sel dst: \"198.18.0.0/\" is not an address prefix (ADDR[/LEN])");
	add_err(BASE "sel dst 198.18.0.0/0x18",
		"sel dst: \"198.18.0.0/0x18\" is not an address prefix (ADDR[/LEN])");
	add_err(BASE "sel dst 198.18.0.0/-1",
		"sel dst: \"198.18.0.0/-1\" is not an address prefix (ADDR[/LEN])");
	add_err(BASE "sel src foo/24", "sel src: \"foo/24\" is not an address prefix (ADDR[/LEN])");
	add_err(BASE "sel src 1111:2222:3333:4444:5555:6666:7777:8888:9999/64",
		"sel src: \"1111:2222:3333:4444:5555:6666:7777:8888:9999/64\" is not an address prefix (ADDR[/LEN])");
}

/* Key errors never quote the key. */
Test(sa_parse, bad_keys)
{
	add_err(BASE "aead rfc4106(gcm(aes)) secretsecret 128",
		"aead: KEY must be 0x followed by hex digits, or \"\" for none");
	add_err(BASE "aead rfc4106(gcm(aes)) 0x 128",
		"aead: KEY must be 0x followed by hex digits, or \"\" for none");
	add_err(BASE "aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f101112131 128",
		"aead: KEY has an odd number of hex digits (39)");
	add_err(BASE "enc cbc(aes) 0x0102030405060708090a0b0c0d0e0fzz",
		"enc: KEY has a character that is not a hex digit");
	add_err(BASE "auth-trunc hmac(sha512) " KEY32 HEX32 "00 256",
		"auth-trunc: KEY is 65 bytes, at most 64");
	/* NAME left out: the key would be taken for it. */
	add_err(BASE "aead " KEY20 " 128",
		"aead: expected NAME, such as 'rfc4106(gcm(aes))', got what looks like a KEY");
	add_err(BASE "enc 0xab 128",
		"enc: expected NAME, such as 'rfc4106(gcm(aes))', got what looks like a KEY");
	add_err(BASE "enc '' " KEY16, "enc: NAME is empty");
	add_err(BASE "enc zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz " KEY16,
		"enc: NAME is longer than 63 characters");
}

/* A refusal after a key was parsed leaves no key bytes in *out. */
Test(sa_parse, output_wiped_on_error)
{
	struct udpesp_ctl_sa sa;
	char err[ERRLEN];

	cr_assert_eq(add(BASE "aead rfc4106(gcm(aes)) " KEY20 " 128 foo", &sa, err), -EINVAL);
	cr_expect(zeroed(&sa, sizeof(sa)));
	cr_expect(!strstr(err, "0102030405"), "%s", err);
}

/* ---- keys from a file (@FILE) or standard input (-) ---------------- */

/* A file under /tmp holding text; its path in path. */
static void key_file(char *path, size_t len, const char *text)
{
	int fd;

	snprintf(path, len, "/tmp/udpesp-test-key-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int add_keys(const char *line, const struct sa_parse_keys *keys, struct udpesp_ctl_sa *sa,
		    char *err)
{
	struct words w;

	split(&w, line);
	return sa_parse_add_keys(w.argc, w.argv, keys, sa, err, ERRLEN);
}

/* @FILE gives the same SA as the key on the command line. */
Test(sa_parse, key_from_file)
{
	const struct sa_parse_keys keys = { -1, true };
	struct udpesp_ctl_sa want, got;
	char path[64], line[256], err[ERRLEN] = "";

	add_ok(BASE "aead rfc4106(gcm(aes)) " KEY20 " 128", &want);
	/* Blanks and a newline around the key are ignored. */
	key_file(path, sizeof(path), "  " KEY20 " \r\n");
	snprintf(line, sizeof(line), BASE "aead rfc4106(gcm(aes)) @%s 128", path);
	cr_assert_eq(add_keys(line, &keys, &got, err), 0, "%s", err);
	unlink(path);
	cr_expect_arr_eq(&got, &want, sizeof(want));
	cr_expect_eq(got.aead.key_len, 20);
}

/* Each - takes the next line of the fd, and nothing after that line. */
Test(sa_parse, key_from_stdin)
{
	struct udpesp_ctl_sa want, got;
	char err[ERRLEN] = "", rest[8] = "";
	const char *input = KEY16 "\n" KEY32 "\nrest\n";
	int p[2];

	add_ok(BASE "enc cbc(aes) " KEY16 " auth hmac(sha256) " KEY32, &want);
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], input, strlen(input)), (ssize_t)strlen(input));
	close(p[1]);
	cr_assert_eq(add_keys(BASE "enc cbc(aes) - auth hmac(sha256) -",
			      &(struct sa_parse_keys){ p[0], false }, &got, err),
		     0, "%s", err);
	cr_expect_arr_eq(&got, &want, sizeof(want));
	cr_expect_eq(read(p[0], rest, sizeof(rest) - 1), 5);
	cr_expect_str_eq(rest, "rest\n");
	close(p[0]);
}

/* Refused where the caller does not allow a source; no key is echoed. */
Test(sa_parse, key_sources_refused)
{
	const struct sa_parse_keys files_only = { -1, true }, stdin_only = { 0, false };
	struct udpesp_ctl_sa sa;
	char err[ERRLEN] = "";

	add_err(BASE "aead rfc4106(gcm(aes)) @/nonexistent 128",
		"aead: a KEY from a file (@FILE) is not allowed here");
	add_err(BASE "enc cbc(aes) -", "enc: a KEY from standard input (-) is not allowed here");
	cr_expect_eq(add_keys(BASE "enc cbc(aes) -", &files_only, &sa, err), -EINVAL);
	cr_expect_str_eq(err, "enc: a KEY from standard input (-) is not allowed here");
	cr_expect_eq(add_keys(BASE "auth hmac(sha256) @/x", &stdin_only, &sa, err), -EINVAL);
	cr_expect_str_eq(err, "auth: a KEY from a file (@FILE) is not allowed here");
}

Test(sa_parse, key_file_errors)
{
	const struct sa_parse_keys keys = { -1, true };
	struct udpesp_ctl_sa sa;
	char path[64], line[256], big[KEY_BIG + 1], err[ERRLEN] = "";
	int p[2];

	cr_expect_eq(add_keys(BASE "enc cbc(aes) @/nonexistent/key", &keys, &sa, err), -EINVAL);
	cr_expect_str_eq(
		err, "enc: cannot open key file \"/nonexistent/key\": No such file or directory");

	key_file(path, sizeof(path), " \n");
	snprintf(line, sizeof(line), BASE "enc cbc(aes) @%s", path);
	cr_expect_eq(add_keys(line, &keys, &sa, err), -EINVAL);
	cr_expect(strstr(err, "enc: no KEY in /tmp/udpesp-test-key-"), "%s", err);
	unlink(path);

	/* Not a key: the usual message, and the text is not echoed. */
	key_file(path, sizeof(path), "secretsecret\n");
	snprintf(line, sizeof(line), BASE "enc cbc(aes) @%s", path);
	cr_expect_eq(add_keys(line, &keys, &sa, err), -EINVAL);
	cr_expect_str_eq(err, "enc: KEY must be 0x followed by hex digits, or \"\" for none");
	cr_expect(zeroed(&sa, sizeof(sa)));
	unlink(path);

	memset(big, 'a', KEY_BIG);
	big[0] = '0', big[1] = 'x', big[KEY_BIG] = '\0';
	key_file(path, sizeof(path), big);
	snprintf(line, sizeof(line), BASE "enc cbc(aes) @%s", path);
	cr_expect_eq(add_keys(line, &keys, &sa, err), -EINVAL);
	cr_expect(strstr(err, "is too long"), "%s", err);
	unlink(path);

	/* End of input before a key. */
	cr_assert_eq(pipe(p), 0);
	close(p[1]);
	cr_expect_eq(add_keys(BASE "enc cbc(aes) -", &(struct sa_parse_keys){ p[0], false }, &sa,
			      err),
		     -EINVAL);
	cr_expect_str_eq(err, "enc: no KEY in standard input");
	close(p[0]);
}

Test(sa_parse, null_error_buffer)
{
	struct udpesp_ctl_sa sa;
	struct udpesp_ctl_sa_del del;
	char *argv[] = { "foo", NULL };

	cr_expect_eq(sa_parse_add(1, argv, &sa, NULL, 0), -EINVAL);
	cr_expect_eq(sa_parse_select(1, argv, &del, NULL, 0), -EINVAL);
}

static int sel(const char *line, struct udpesp_ctl_sa_del *d, char *err)
{
	struct words w;

	split(&w, line);
	return sa_parse_select(w.argc, w.argv, d, err, ERRLEN);
}

static void sel_ok(const char *line, struct udpesp_ctl_sa_del *d)
{
	char err[ERRLEN] = "";

	cr_assert_eq(sel(line, d, err), 0, "\"%s\": %s", line, err);
}

static void sel_err(const char *line, const char *want)
{
	struct udpesp_ctl_sa_del d;
	char err[ERRLEN] = "";

	cr_assert_eq(sel(line, &d, err), -EINVAL, "accepted \"%s\"", line);
	cr_assert_str_eq(err, want, "\"%s\"", line);
}

Test(sa_parse, select)
{
	struct udpesp_ctl_sa_del d;

	sel_ok("handle 7", &d);
	cr_expect_eq(d.handle, 7);
	cr_expect_eq(d.parser, 0);
	cr_expect_eq(d.spi, 0);
	cr_expect_eq(d.dst.family, 0);
	sel_ok("handle 7 parser 1", &d);
	cr_expect_eq(d.handle, 7);
	cr_expect_eq(d.parser, 1);
	sel_ok("h 0x10 pa 2", &d);
	cr_expect_eq(d.handle, 16);
	cr_expect_eq(d.parser, 2);
	sel_ok("dst 192.0.2.1 spi 0x1001", &d);
	cr_expect_eq(d.handle, 0);
	cr_expect_eq(d.spi, htonl(0x1001));
	addr_is(&d.dst, "192.0.2.1", 32);
	sel_ok("s 4097 proto esp d 2001:db8::1 parser 3", &d);
	cr_expect_eq(d.spi, htonl(4097));
	addr_is(&d.dst, "2001:db8::1", 128);
	cr_expect_eq(d.parser, 3);
}

Test(sa_parse, select_errors)
{
	sel_err("", "expected handle H, or dst ADDR spi SPI");
	sel_err("parser 1", "expected handle H, or dst ADDR spi SPI");
	sel_err("handle 0", "handle: 0 is not a handle");
	sel_err("handle", "handle: missing H");
	sel_err("handle x", "handle: \"x\" is not a number");
	sel_err("handle 7 handle 8", "\"handle\" is given twice");
	sel_err("handle 7 dst 192.0.2.1", "\"handle\" and \"dst\"/\"spi\" exclude each other");
	sel_err("spi 1 handle 7", "\"handle\" and \"dst\"/\"spi\" exclude each other");
	sel_err("dst 192.0.2.1", "\"spi\" is required with \"dst\"");
	sel_err("spi 0x1001", "\"dst\" is required with \"spi\"");
	sel_err("dst 192.0.2 spi 1", "dst: \"192.0.2\" is not an IPv4 or IPv6 address");
	sel_err("src 198.51.100.7 dst 192.0.2.1 spi 1",
		"\"src\" is not used: an SA is selected by dst and spi, or by handle");
	sel_err("p 1", "\"p\" is ambiguous: parser, proto");
	sel_err("foo", "unknown keyword \"foo\"");
	sel_err("dst 192.0.2.1 spi 1 proto comp", "proto: expected esp, got \"comp\"");
}
