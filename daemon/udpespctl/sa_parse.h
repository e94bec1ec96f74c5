/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * udpespctl's SA grammar, after `ip xfrm state`:
 *
 *   sa add dir in|out src ADDR dst ADDR spi SPI [proto esp]
 *          [mode tunnel|transport] ALGO...
 *          [encap espinudp SPORT DPORT OADDR] [replay-window N]
 *          [flag esn]... [sel [src PREFIX] [dst PREFIX]] [dev IFNAME]
 *          [offload auto|xsk|kfunc] [reqid N] [replay-seq N]
 *          [replay-seq-hi N] [replay-oseq N] [replay-oseq-hi N]
 *          [limit time-soft|time-hard|byte-soft|byte-hard|
 *                 packet-soft|packet-hard N]... [tfcpad N] [parser P]
 *   ALGO := aead NAME KEY ICV_BITS
 *         | enc NAME KEY | auth NAME KEY | auth-trunc NAME KEY TRUNC_BITS
 *
 *   sa del|show  handle H [parser P]  |  dst ADDR spi SPI [proto esp] [parser P]
 *
 * Keywords, and the fixed words after them (in, tunnel, esn, time-soft,
 * ...), may be shortened to any prefix that names exactly one of them; a
 * full keyword always wins over a longer one it begins (`auth` vs
 * `auth-trunc`, `replay-seq` vs `replay-seq-hi`). Numbers are decimal or
 * 0x hex. KEY is 0x followed by an even number of hex digits, or "" for
 * no key; where the caller allows it (sa_parse_add_keys), @FILE reads
 * that text from FILE and - from the next line of standard input, so
 * that keys need not be in argv (visible to every user in ps). Blanks
 * around the text are ignored. PREFIX is ADDR[/LEN]; without /LEN it is
 * one host.
 *
 * Only the grammar is checked here: whether the SA may be offloaded is
 * for sa_check(), which the daemon runs on whatever it receives.
 */
#ifndef UDPESP_SA_PARSE_H
#define UDPESP_SA_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <udpesp/ctl.h>

/* Where a KEY word of @FILE or - may read the key from. */
struct sa_parse_keys {
	int fd;	    /* -: the next line of fd (standard input); -1 refuses - */
	bool files; /* @FILE: the whole of FILE; false refuses @FILE */
};

/*
 * The words after `sa add`. mode defaults to transport as in ip xfrm;
 * `auth NAME KEY` leaves out->auth.bits 0 (the algorithm's default).
 * 0, or -EINVAL with a message in err (out is then wiped: it may hold
 * key bytes).
 */
int sa_parse_add(int argc, char **argv, struct udpesp_ctl_sa *out, char *err, size_t errlen);
/* The same, with keys also from where keys allows (NULL: nowhere). */
int sa_parse_add_keys(int argc, char **argv, const struct sa_parse_keys *keys,
		      struct udpesp_ctl_sa *out, char *err, size_t errlen);

/* The words after `sa del` or `sa show`. 0 or -EINVAL with a message. */
int sa_parse_select(int argc, char **argv, struct udpesp_ctl_sa_del *out, char *err, size_t errlen);

#endif /* UDPESP_SA_PARSE_H */
