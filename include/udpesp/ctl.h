/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control protocol between udpespd and its clients (udpespctl), on a
 * Unix stream socket. Every message is a fixed-width header followed by
 * hdr.len bytes of payload; each message type has one fixed payload
 * struct (or a whole number of them), so a receiver checks the length
 * against the type before reading anything. Replies carry the request's
 * seq; status is 0 or a negative errno, and an error reply's payload is a
 * NUL-terminated message for the user.
 */
#ifndef UDPESP_CTL_H
#define UDPESP_CTL_H

#include <linux/types.h>

#define UDPESP_CTL_VERSION 4
#define UDPESP_SOCKET_DEFAULT "/run/udpesp/udpespd.sock"
/* Largest payload either side accepts; longer messages are refused. */
#define UDPESP_CTL_MAX_PAYLOAD (1u << 20)
#define UDPESP_CTL_ERRMSG_MAX 256

struct udpesp_ctl_hdr {
	__u32 type;   /* enum udpesp_msg */
	__u32 len;    /* payload bytes after this header */
	__u32 seq;    /* chosen by the client, echoed in replies */
	__s32 status; /* replies: 0 or -errno */
};
_Static_assert(sizeof(struct udpesp_ctl_hdr) == 16, "udpesp_ctl_hdr ABI");

enum udpesp_msg {
	UDPESP_MSG_HELLO = 1,	/* both ways: struct udpesp_ctl_hello */
	UDPESP_MSG_ERROR,	/* reply: status < 0, payload: message text */
	UDPESP_MSG_DONE,	/* reply: end of a dump (no payload) */
	UDPESP_MSG_SA_ADD,	/* n x udpesp_ctl_sa -> n x udpesp_ctl_handles */
	UDPESP_MSG_SA_DEL,	/* udpesp_ctl_sa_del -> udpesp_ctl_del_result */
	UDPESP_MSG_SA_GET,	/* udpesp_ctl_sa_del (selects one) -> SA_INFO */
	UDPESP_MSG_SA_LIST,	/* empty -> SA_INFO... DONE */
	UDPESP_MSG_SA_INFO,	/* udpesp_ctl_sa_info, keys zeroed */
	UDPESP_MSG_SA_FLUSH,	/* empty -> udpesp_ctl_del_result */
	UDPESP_MSG_PARSER_LIST, /* empty -> PARSER_INFO... DONE */
	UDPESP_MSG_PARSER_INFO, /* udpesp_ctl_parser */
	UDPESP_MSG_STATS,	/* empty -> STATS_INFO, SA_STATS... DONE */
	UDPESP_MSG_STATS_INFO,	/* __u64 counters[n] (n from the length) */
	UDPESP_MSG_SA_STATS,	/* udpesp_ctl_sa_stats */
	UDPESP_MSG_LINK_ATTACH, /* udpesp_ctl_link -> udpesp_ctl_link */
	UDPESP_MSG_LINK_DETACH, /* udpesp_ctl_link -> empty */
	UDPESP_MSG_LINK_LIST,	/* empty -> LINK_INFO... DONE */
	UDPESP_MSG_LINK_INFO,	/* udpesp_ctl_link */
	UDPESP_MSG_MONITOR,	/* empty -> EVENT... until the client leaves */
	UDPESP_MSG_EVENT,	/* udpesp_ctl_event */
	/* For IKE daemons (the charon plugin): */
	UDPESP_MSG_SPI_ALLOC,  /* udpesp_ctl_spi_req -> udpesp_ctl_spi */
	UDPESP_MSG_SA_QUERY,   /* udpesp_ctl_sa_del (selects one) -> udpesp_ctl_sa_query */
	UDPESP_MSG_SA_UPDATE,  /* udpesp_ctl_sa_update -> udpesp_ctl_handles */
	UDPESP_MSG_STATE_GET,  /* empty -> STATE_INFO */
	UDPESP_MSG_STATE_INFO, /* udpesp_ctl_state */
	UDPESP_MSG_MAX,
};

struct udpesp_ctl_hello {
	__u32 version;	   /* UDPESP_CTL_VERSION */
	__u32 abi_version; /* UDPESP_ABI_VERSION of the maps */
};
_Static_assert(sizeof(struct udpesp_ctl_hello) == 8, "udpesp_ctl_hello ABI");

/* An address, or a prefix in a selector; family 0 = none given. */
struct udpesp_ctl_addr {
	__u8 family; /* UDPESP_AF_INET / UDPESP_AF_INET6 */
	__u8 prefixlen;
	__u8 pad[2];
	__be32 addr[4];
};
_Static_assert(sizeof(struct udpesp_ctl_addr) == 20, "udpesp_ctl_addr ABI");

/*
 * A traffic selector (RFC 4301 4.4.1): what an SA carries. A zeroed one
 * takes every packet; family 0 means any address; ports (host order,
 * inclusive ranges, hi 0 = any) are those of TCP, UDP, UDP-Lite, SCTP
 * and DCCP and need proto. An SA takes a packet that matches any of its
 * selectors; an SA with none takes every packet, as `ip xfrm state`
 * without sel.
 */
#define UDPESP_SEL_MAX 8
struct udpesp_ctl_sel {
	struct udpesp_ctl_addr src, dst;
	__u8 proto; /* IP protocol; 0 = any */
	__u8 pad[3];
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
};
_Static_assert(sizeof(struct udpesp_ctl_sel) == 52, "udpesp_ctl_sel ABI");

enum udpesp_dir { UDPESP_DIR_IN = 1, UDPESP_DIR_OUT = 2 };
enum udpesp_offload { UDPESP_OFFLOAD_AUTO = 0, UDPESP_OFFLOAD_XSK = 1, UDPESP_OFFLOAD_KFUNC = 2 };

enum udpesp_ctl_sa_flags {
	UDPESP_CTL_SA_ESN = 1 << 0,
	UDPESP_CTL_SA_HAS_REPLAY_SEQ = 1 << 1,	/* replay-seq(-hi) given */
	UDPESP_CTL_SA_HAS_REPLAY_OSEQ = 1 << 2, /* replay-oseq(-hi) given */
};

enum udpesp_limit {
	UDPESP_LIMIT_TIME_SOFT,
	UDPESP_LIMIT_TIME_HARD,
	UDPESP_LIMIT_BYTE_SOFT,
	UDPESP_LIMIT_BYTE_HARD,
	UDPESP_LIMIT_PACKET_SOFT,
	UDPESP_LIMIT_PACKET_HARD,
	UDPESP_LIMIT_MAX,
};

#define UDPESP_ALG_NAME_MAX 64
#define UDPESP_KEY_MAX 64 /* HMAC-SHA-512 keys; AEAD keys with salt are shorter */

/* One algorithm as `ip xfrm state` names it: name, key, ICV/trunc bits. */
struct udpesp_ctl_alg {
	char name[UDPESP_ALG_NAME_MAX]; /* "" = not given */
	__u32 key_len;			/* bytes used of key[] */
	__u32 bits;			/* ICV length (aead) or truncation (auth) */
	__u8 key[UDPESP_KEY_MAX];
};
_Static_assert(sizeof(struct udpesp_ctl_alg) == 136, "udpesp_ctl_alg ABI");

/* Who added an SA; an IKE daemon removes what its previous instance left. */
enum udpesp_owner {
	UDPESP_OWNER_NONE = 0,	 /* udpespctl, by hand */
	UDPESP_OWNER_CHARON = 1, /* strongSwan's charon, plugin kernel-udpesp */
};

/* An SA as `udpespctl sa add` describes it. */
struct udpesp_ctl_sa {
	__u32 parser; /* parser-entry handle to reuse; 0 = find or create */
	__u8 dir;     /* enum udpesp_dir */
	__u8 mode;    /* enum udpesp_mode */
	__u8 encap;   /* enum udpesp_encap */
	__u8 offload; /* enum udpesp_offload */
	__be32 spi;
	__u32 flags;				   /* enum udpesp_ctl_sa_flags */
	struct udpesp_ctl_addr src, dst;	   /* outer addresses */
	struct udpesp_ctl_addr encap_oa;	   /* original address (NAT-OA) */
	struct udpesp_ctl_sel sel[UDPESP_SEL_MAX]; /* the first nsel count */
	__be16 encap_sport, encap_dport;
	__u32 ifindex; /* dev, resolved by the client; 0 = any */
	__u32 reqid;
	__u32 replay_window;
	__u32 replay_seq, replay_seq_hi;   /* inbound window start */
	__u32 replay_oseq, replay_oseq_hi; /* outbound next sequence number */
	__u32 tfcpad;
	__u32 owner;			/* enum udpesp_owner: who added it */
	__u32 nsel;			/* selectors in sel[]; 0 = any packet */
	__u64 limits[UDPESP_LIMIT_MAX]; /* 0 = no limit; time in seconds */
	struct udpesp_ctl_alg aead, enc, auth;
};
_Static_assert(sizeof(struct udpesp_ctl_sa) == 992, "udpesp_ctl_sa ABI");

struct udpesp_ctl_handles {
	__u32 handle; /* SA handle */
	__u32 parser; /* parser-entry handle (0 for outbound SAs) */
};
_Static_assert(sizeof(struct udpesp_ctl_handles) == 8, "udpesp_ctl_handles ABI");

/* Selects an SA by handle, or by (dst, spi) when handle is 0. */
struct udpesp_ctl_sa_del {
	__u32 handle;
	__u32 parser; /* also delete this parser entry if no SA uses it */
	__be32 spi;
	__u32 pad;
	struct udpesp_ctl_addr dst;
};
_Static_assert(sizeof(struct udpesp_ctl_sa_del) == 36, "udpesp_ctl_sa_del ABI");

struct udpesp_ctl_del_result {
	__u32 deleted;	    /* SAs removed */
	__u32 parser_gone;  /* 1 if the parser entry was removed too */
	__u32 parser_users; /* SAs still using it otherwise */
	__u32 pad;
};
_Static_assert(sizeof(struct udpesp_ctl_del_result) == 16, "udpesp_ctl_del_result ABI");

/* An SA as the daemon reports it: the request (keys zeroed) plus state. */
struct udpesp_ctl_sa_info {
	struct udpesp_ctl_sa sa;
	__u32 handle;
	__u32 slot;
	__u64 seq;	/* inbound: top of the window; outbound: next to send */
	__u64 add_time; /* CLOCK_REALTIME seconds */
	__u64 use_time; /* 0 = never used */
	__u32 state;	/* 0 valid, 1 soft-expired, 2 dying */
	__u32 pad;
};
_Static_assert(sizeof(struct udpesp_ctl_sa_info) == 992 + 40, "udpesp_ctl_sa_info ABI");

struct udpesp_ctl_sa_stats {
	__u32 handle;
	__u32 pad;
	__u64 packets, bytes, replay, integrity_failed;
	__u64 bad_padding, bad_next_header, tmpl_mismatch, no_worker, hdr_error;
	__u64 inner_error, dummy, ecn_dropped;
};
_Static_assert(sizeof(struct udpesp_ctl_sa_stats) == 104, "udpesp_ctl_sa_stats ABI");

struct udpesp_ctl_parser {
	__u32 handle;
	__u32 ifindex;
	__u32 users; /* inbound SAs that reference it */
	__u8 encap;
	__u8 pad;
	__be16 port;
	struct udpesp_ctl_addr addr;
};
_Static_assert(sizeof(struct udpesp_ctl_parser) == 36, "udpesp_ctl_parser ABI");

enum udpesp_xdp_mode_req { UDPESP_XDP_NATIVE = 1, UDPESP_XDP_GENERIC = 2 };

struct udpesp_ctl_link {
	__u32 ifindex;
	__u8 mode;  /* enum udpesp_xdp_mode_req; 0 = driver's best */
	__u8 owned; /* attached by udpespd (detached on exit) */
	__u8 pad[2];
	__u32 prog_id;
	char name[16];
};
_Static_assert(sizeof(struct udpesp_ctl_link) == 28, "udpesp_ctl_link ABI");

enum udpesp_event_type {
	UDPESP_EV_SA_ADDED = 1,
	UDPESP_EV_SA_DELETED,
	UDPESP_EV_SA_SOFT_EXPIRED,
	UDPESP_EV_SA_HARD_EXPIRED,
	UDPESP_EV_PARSER_ADDED,
	UDPESP_EV_PARSER_REMOVED,
	UDPESP_EV_LINK_GONE,
	UDPESP_EV_MAPPING, /* the peer moved behind its NAT */
};

struct udpesp_ctl_event {
	__u32 type;   /* enum udpesp_event_type */
	__u32 handle; /* SA or parser handle */
	__u32 ifindex;
	__be32 spi;
	__u64 time;		     /* CLOCK_REALTIME seconds */
	struct udpesp_ctl_addr addr; /* dst of the SA, or new peer address */
	__be16 port;		     /* new peer port (mapping) */
	__u8 limit;		     /* enum udpesp_limit that expired */
	__u8 pad;
	__u32 pad2[2];
};
_Static_assert(sizeof(struct udpesp_ctl_event) == 56, "udpesp_ctl_event ABI");

/*
 * SPI_ALLOC: an SPI in [min, max] that no SA towards dst uses and no other
 * reservation holds, reserved for timeout seconds or until an SA with it
 * is added (IKE sends the SPI to the peer before it adds the SA).
 */
struct udpesp_ctl_spi_req {
	struct udpesp_ctl_addr dst; /* this host's address: inbound SAs' dst */
	__u32 min, max;		    /* 0, 0: 0xc0000000..0xcfffffff */
	__u32 timeout;		    /* seconds; 0: 180 */
	__u32 pad;
};
_Static_assert(sizeof(struct udpesp_ctl_spi_req) == 36, "udpesp_ctl_spi_req ABI");

struct udpesp_ctl_spi {
	__be32 spi;
	__u32 timeout; /* seconds the reservation lasts */
};
_Static_assert(sizeof(struct udpesp_ctl_spi) == 8, "udpesp_ctl_spi ABI");

/* SA_QUERY: one SA's counters, without dumping the table. */
struct udpesp_ctl_sa_query {
	__u32 handle;
	__u8 dir;   /* enum udpesp_dir */
	__u8 state; /* as udpesp_ctl_sa_info.state */
	__u8 pad[2];
	__u64 packets; /* inbound: authenticated and delivered; outbound: sent */
	__u64 bytes;
	__u64 seq;	/* as udpesp_ctl_sa_info.seq */
	__u64 add_time; /* CLOCK_REALTIME seconds */
};
_Static_assert(sizeof(struct udpesp_ctl_sa_query) == 40, "udpesp_ctl_sa_query ABI");

/*
 * SA_UPDATE: move the SA that sel selects to new outer addresses and UDP
 * ports (NAT rebinding, MOBIKE), keeping its handle, keys, sequence
 * numbers, replay window and counters. family 0 in src or dst: unchanged.
 * The local address of an inbound SA is its lookup key: changing it is
 * refused (-EOPNOTSUPP; add a new SA).
 */
struct udpesp_ctl_sa_update {
	struct udpesp_ctl_sa_del sel;
	struct udpesp_ctl_addr src, dst;
	__be16 sport, dport;
};
_Static_assert(sizeof(struct udpesp_ctl_sa_update) == 80, "udpesp_ctl_sa_update ABI");

enum udpesp_ctl_state_flags {
	UDPESP_CTL_STATE_KEPT = 1 << 0,	   /* SAs are kept for the next udpespd */
	UDPESP_CTL_STATE_ADOPTED = 1 << 1, /* this one took over kept SAs */
};

/* What udpespd keeps across restarts and what it took over at start. */
struct udpesp_ctl_state {
	__u32 flags; /* enum udpesp_ctl_state_flags */
	__u32 adopted_sas;
	__u32 dropped_sas; /* kept, but their keys or map entries were gone */
	__u32 adopted_links;
	__u64 adopted_at;  /* CLOCK_REALTIME seconds; 0 = nothing adopted */
	__u64 kept_since;  /* when the first udpespd of this state started */
	__u64 seq_block;   /* outbound sequence numbers reserved at a time */
	__u32 key_batches; /* keys in the kernel keyring */
	__u32 pad;
	char path[256]; /* the state file */
};
_Static_assert(sizeof(struct udpesp_ctl_state) == 304, "udpesp_ctl_state ABI");

#endif /* UDPESP_CTL_H */
