/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * udpesp ABI: the map keys, values and XDP metadata shared by the XDP
 * program (bpf/) and udpespd (daemon/). This is the only definition of
 * these layouts; tests/unit/test_abi.c compares it with the BTF of
 * build/udpesp.bpf.o.
 *
 * Rules: fixed-width types only, network byte order spelled __be*, every
 * hole filled by an explicit pad field (hash keys are compared byte for
 * byte: zero them before use), one _Static_assert per struct.
 */
#ifndef UDPESP_ABI_H
#define UDPESP_ABI_H

#include <linux/types.h>

/* Bump whenever a key, value or metadata layout below changes. */
#define UDPESP_ABI_VERSION 7

/* Pinned map names (at most 15 characters: the kernel truncates). */
#define UDPESP_MAP_PORTS "udpesp_ports"
#define UDPESP_MAP_PARSER "udpesp_parser"
#define UDPESP_MAP_SA "udpesp_sa"
#define UDPESP_MAP_REPLAY "udpesp_replay"
#define UDPESP_MAP_SA_STATS "udpesp_sa_stats"
#define UDPESP_MAP_STATS "udpesp_stats"
#define UDPESP_MAP_XSKS "udpesp_xsks"
#define UDPESP_MAP_XSK_BASE "udpesp_xsk_base"
#define UDPESP_MAP_XSK_CNT "udpesp_xsk_cnt"
#define UDPESP_MAP_XSK_SA "udpesp_xsk_sa"
#define UDPESP_MAP_KF_PROG "udpesp_kf_prog"
#define UDPESP_MAP_KF_SA "udpesp_kf_sa"
#define UDPESP_MAP_KF_PEER "udpesp_kf_peer"
#define UDPESP_PROG_XDP "udpesp_xdp"

/* Where `ip link ... xdp obj` (iproute2) pins LIBBPF_PIN_BY_NAME maps. */
#define UDPESP_PIN_DIR_DEFAULT "/sys/fs/bpf/tc/globals"

/* Default number of SA slots; udpespd can raise it before load. */
#define UDPESP_MAX_SA_DEFAULT 65536
/* RX queues per interface that can have an AF_XDP worker. */
#define UDPESP_MAX_QUEUES 64
/*
 * AF_XDP sockets in udpesp_xsks, all interfaces together: the socket of
 * RX queue q of interface i sits at udpesp_xsk_base[i] + q.
 */
#define UDPESP_MAX_XSKS 1024
/* Largest anti-replay window (as Linux's XFRMA_REPLAY_ESN_MAX). */
#define UDPESP_REPLAY_MAX 4096

/* Address families, as in <sys/socket.h> (not includable from BPF). */
#define UDPESP_AF_INET 2
#define UDPESP_AF_INET6 10

/* Encapsulation of a parser entry (Windows: UDP_ENCAP_TYPE). */
enum udpesp_encap {
	UDPESP_ENCAP_NONE = 0,
	/* RFC 3948: ESP right after UDP; IKE behind a 4-byte zero marker. */
	UDPESP_ENCAP_ESPINUDP = 1,
	/* Room for others (draft non-IKE marker, ESP-in-TCP, ...). */
	UDPESP_ENCAP_MAX,
};

/*
 * Parser entry key: (interface, UDP destination port, family, local
 * address). ifindex 0 matches any interface; an all-zero address matches
 * any local address. IPv4 addresses live in addr[0].
 */
struct udpesp_parser_key {
	__u32 ifindex;
	__be16 port;
	__u8 family;
	__u8 pad;
	__be32 addr[4];
};
_Static_assert(sizeof(struct udpesp_parser_key) == 24, "udpesp_parser_key ABI");

struct udpesp_parser_val {
	__u32 handle; /* parser-entry handle given out by udpespd */
	__u8 encap;   /* enum udpesp_encap */
	__u8 pad[3];
};
_Static_assert(sizeof(struct udpesp_parser_val) == 8, "udpesp_parser_val ABI");

/*
 * udpesp_ports: array indexed by host-order UDP port; a non-zero entries
 * (the number of parser entries on that port) sends the packet on to the
 * parser lookup. One array read keeps other UDP traffic cheap. variants
 * says which of the four parser-key shapes exist on the port, so XDP does
 * only the hash lookups that can match; 0 means "unknown: try all four".
 */
enum udpesp_parser_variant {
	UDPESP_PV_IF_ADDR = 1 << 0,  /* this interface, this address */
	UDPESP_PV_IF_ANY = 1 << 1,   /* this interface, any address */
	UDPESP_PV_ANY_ADDR = 1 << 2, /* any interface, this address */
	UDPESP_PV_ANY_ANY = 1 << 3,  /* any interface, any address */
};

struct udpesp_port_val {
	__u16 entries;
	__u8 variants; /* enum udpesp_parser_variant bits */
	__u8 pad;
};
_Static_assert(sizeof(struct udpesp_port_val) == 4, "udpesp_port_val ABI");

/* SA key: as XFRM looks states up, by (SPI, destination address, family). */
struct udpesp_sa_key {
	__be32 spi;
	__u8 family;
	__u8 pad[3];
	__be32 daddr[4];
};
_Static_assert(sizeof(struct udpesp_sa_key) == 24, "udpesp_sa_key ABI");

enum udpesp_backend {
	UDPESP_BACKEND_NONE = 0,
	UDPESP_BACKEND_XSK = 1,	  /* AF_XDP userspace worker */
	UDPESP_BACKEND_KFUNC = 2, /* bpf_crypto kfuncs inside XDP */
};

enum udpesp_mode {
	UDPESP_MODE_TUNNEL = 1,
	UDPESP_MODE_TRANSPORT = 2,
};

/* Suites; the daemon maps Linux crypto names onto these. */
enum udpesp_alg {
	UDPESP_ALG_NONE = 0,
	UDPESP_ALG_AES_GCM_16 = 1,	  /* rfc4106(gcm(aes)), ICV 8, 12 or 16 */
	UDPESP_ALG_CHACHA20_POLY1305 = 2, /* rfc7539esp(chacha20,poly1305) */
	UDPESP_ALG_AES_GMAC = 3,	  /* rfc4543(gcm(aes)) */
	UDPESP_ALG_AES_CBC_HMAC = 4,	  /* cbc(aes) + hmac(sha1/sha2) or xcbc(aes) */
	UDPESP_ALG_NULL_HMAC = 5,	  /* ecb(cipher_null) + the same */
	UDPESP_ALG_AES_CCM = 6,		  /* rfc4309(ccm(aes)), ICV 8, 12 or 16 */
	UDPESP_ALG_AES_CTR_HMAC = 7,	  /* rfc3686(ctr(aes)) + the same */
};

enum udpesp_sa_flags {
	UDPESP_SA_F_DYING = 1 << 0, /* being deleted: never used again */
	UDPESP_SA_F_ESN = 1 << 1,   /* 64-bit sequence numbers (RFC 4304) */
	UDPESP_SA_F_IPV6_INNER = 1 << 2,
};

/*
 * What the XDP program needs of an inbound SA. Keys, salts and the
 * rest of the SA stay in udpespd (or in kernel crypto contexts).
 */
struct udpesp_sa {
	__u32 handle;  /* SA handle given out by udpespd */
	__u32 slot;    /* index into udpesp_replay and udpesp_sa_stats */
	__u32 parser;  /* handle of the parser entry it belongs to */
	__u32 flags;   /* enum udpesp_sa_flags */
	__u8 backend;  /* enum udpesp_backend */
	__u8 mode;     /* enum udpesp_mode */
	__u8 alg;      /* enum udpesp_alg */
	__u8 encap;    /* enum udpesp_encap the packet must arrive with */
	__u16 min_len; /* smallest valid ESP (header+IV+trailer+ICV) */
	__u16 pad16;   /* the replay window lives in udpesp_replay */
	__u32 gen;     /* bumped each time the slot is reused */
	__u32 pad;
};
_Static_assert(sizeof(struct udpesp_sa) == 32, "udpesp_sa ABI");

/*
 * Anti-replay state of one SA slot (RFC 4303 3.4.3, ESN per RFC 4304).
 * Bit (seq % UDPESP_REPLAY_MAX) of bitmap marks seq as seen; only the
 * replay_window sequence numbers at and below top are ever consulted.
 * XDP only reads it; the crypto stage advances it after the ICV verified,
 * holding lock. The map is mmap()able so AF_XDP workers update it in place.
 */
struct udpesp_replay {
	__u64 top;  /* highest authenticated sequence number (64-bit) */
	__u32 lock; /* 0 free, 1 held: serialises advances across queues */
	__u32 window;
	__u64 bitmap[UDPESP_REPLAY_MAX / 64];
};
_Static_assert(sizeof(struct udpesp_replay) == 16 + UDPESP_REPLAY_MAX / 8, "udpesp_replay ABI");

/* Per-SA counters (per-CPU in udpesp_sa_stats; sum the CPUs). */
struct udpesp_sa_stats {
	__u64 rx_packets; /* ESP packets that reached this SA in XDP */
	__u64 rx_bytes;
	__u64 packets; /* decapsulated: authenticated and delivered */
	__u64 bytes;
	__u64 replay;		/* replayed or too old */
	__u64 integrity_failed; /* ICV did not verify */
	__u64 bad_padding;
	__u64 bad_next_header;
	__u64 tmpl_mismatch; /* inner source outside the selector */
	__u64 no_worker;     /* no AF_XDP socket on the RX queue */
	__u64 hdr_error;     /* too short for the SA's suite */
	__u64 inner_error;   /* decrypted inner packet malformed */
	__u64 dummy;	     /* dummy packets (next header 59), dropped */
	__u64 ecn_dropped;   /* outer CE over Not-ECT inner (RFC 6040), dropped */
	__u64 pad[2];
};
_Static_assert(sizeof(struct udpesp_sa_stats) == 128, "udpesp_sa_stats ABI");

/*
 * XDP metadata in front of a packet redirected to an AF_XDP socket.
 * Offsets are from the start of the Ethernet header. At most 32 bytes
 * and a multiple of 4 (kernel limit on XDP metadata).
 */
#define UDPESP_META_MAGIC 0x75657370 /* "uesp" */
struct udpesp_xdp_meta {
	__u32 magic;
	__u32 slot;
	__u32 gen;     /* SA generation at redirect time */
	__u32 seq_hi;  /* ESN high half inferred by the replay pre-check */
	__u16 l3_off;  /* outer IPv4/IPv6 header */
	__u16 l4_off;  /* UDP header */
	__u16 esp_off; /* ESP header (SPI) */
	__u8 family;   /* UDPESP_AF_INET or UDPESP_AF_INET6 */
	__u8 pad;
};
_Static_assert(sizeof(struct udpesp_xdp_meta) == 24, "udpesp_xdp_meta ABI");

/*
 * Global counters, by reason. Names follow /proc/net/xfrm_stat where one
 * exists. X(enum suffix, user-visible name, one-line meaning).
 */
#define UDPESP_COUNTERS(X)                                                                    \
	X(RX_ENCAP, "RxEncap", "UDP datagrams matching a parser entry")                       \
	X(RX_KEEPALIVE, "RxKeepalive", "NAT-keepalives (one 0xFF byte), dropped")             \
	X(RX_IKE, "RxIke", "IKE behind the non-ESP marker, passed up")                        \
	X(RX_SHORT, "RxShort", "other payloads of 8 bytes or less, passed up")                \
	X(RX_ESP, "RxEsp", "ESP packets classified")                                          \
	X(RX_REDIRECT, "RxXskRedirect", "ESP redirected to an AF_XDP worker")                 \
	X(RX_NO_WORKER, "RxNoWorker", "no AF_XDP socket on the queue, passed up")             \
	X(RX_NO_BACKEND, "RxNoBackend", "SA backend unavailable, passed up")                  \
	X(RX_IP_FRAGMENT, "RxIpFragment", "IPv4 UDP fragments, passed up")                    \
	X(RX_IPV6_EXTHDR, "RxIpv6ExtHdr", "IPv6 with extension headers, passed up")           \
	X(RX_META_ERROR, "RxMetaError", "no room for XDP metadata, passed up")                \
	X(DECAP_OK, "DecapOk", "ESP authenticated and decapsulated")                          \
	X(DECAP_DUMMY, "DecapDummy", "dummy packets (next header 59), dropped")               \
	X(DECAP_BAD_PADDING, "DecapBadPadding", "ESP padding malformed, dropped")             \
	X(DECAP_BAD_NEXT_HDR, "DecapBadNextHeader",                                           \
	  "next header not allowed by the SA mode, dropped")                                  \
	X(DECAP_STALE_SA, "DecapStaleSa", "SA deleted or replaced while queued, dropped")     \
	X(DECAP_ECN_DROP, "DecapEcnDrop",                                                     \
	  "outer ECN CE over a Not-ECT inner packet (RFC 6040), dropped")                     \
	X(IN_ERROR, "XfrmInError", "other input errors")                                      \
	X(IN_HDR_ERROR, "XfrmInHdrError", "malformed IP/UDP/ESP header, dropped")             \
	X(IN_NO_STATES, "XfrmInNoStates", "unknown SPI, passed up")                           \
	X(IN_STATE_PROTO_ERROR, "XfrmInStateProtoError", "ICV or trailer error")              \
	X(IN_STATE_MODE_ERROR, "XfrmInStateModeError", "inner packet malformed")              \
	X(IN_STATE_SEQ_ERROR, "XfrmInStateSeqError", "replayed or too old, dropped")          \
	X(IN_STATE_EXPIRED, "XfrmInStateExpired", "SA expired")                               \
	X(IN_STATE_MISMATCH, "XfrmInStateMismatch", "SA encapsulation differs, dropped")      \
	X(IN_STATE_INVALID, "XfrmInStateInvalid", "SA dying, passed up")                      \
	X(IN_TMPL_MISMATCH, "XfrmInTmplMismatch", "inner source outside selector")            \
	X(IN_BUFFER_ERROR, "XfrmInBufferError", "no buffer left")                             \
	X(TX_ESP, "TxEsp", "ESP packets sent")                                                \
	X(TX_KEEPALIVE, "TxKeepalive", "NAT-keepalives sent")                                 \
	X(OUT_NO_STATES, "XfrmOutNoStates", "inner packet matched no outbound SA, dropped")   \
	X(OUT_SEQ_ERROR, "XfrmOutStateSeqError", "sequence numbers used up, dropped")         \
	X(OUT_ERROR, "XfrmOutError", "inner packet malformed or too big, or send failed")     \
	X(XSK_RX_DROPPED, "RxXskDropped",                                                     \
	  "redirected ESP an AF_XDP socket dropped (no free frame, or other)")                \
	X(XSK_RX_RING_FULL, "RxXskRingFull",                                                  \
	  "redirected ESP dropped: the worker's RX ring was full")                            \
	X(XSK_RX_RING_LEFT, "RxXskRingLeft",                                                  \
	  "redirected ESP left in a worker's RX ring when it stopped")                        \
	X(XSK_FILL_EMPTY, "RxXskFillEmpty",                                                   \
	  "times a worker's fill ring was empty (drops: RxXskDropped)")                       \
	X(XSK_RX_INVALID, "RxXskInvalidDescs", "invalid descriptors on a worker's fill ring") \
	X(XSK_TX_INVALID, "TxXskInvalidDescs", "invalid descriptors on a worker's TX ring")

#define UDPESP_COUNTER_ENUM(id, name, help) UDPESP_CNT_##id,
enum udpesp_counter {
	UDPESP_COUNTERS(UDPESP_COUNTER_ENUM) UDPESP_CNT_MAX,
};
#undef UDPESP_COUNTER_ENUM

/*
 * Counters kept by the AF_XDP workers in userspace, in mmap()able
 * arrays (udpesp_xsk_cnt: one entry; udpesp_xsk_sa: one per SA slot),
 * added to the XDP program's per-CPU counters when read.
 */
struct udpesp_xsk_counters {
	__u64 c[UDPESP_CNT_MAX];
};

/*
 * The in-kernel (kfunc) backend, build/udpesp_kf.bpf.o: udpesp_xdp tail
 * calls udpesp_kf_prog[0] (program udpesp_kf_xdp) with the same XDP
 * metadata as a redirect. Its own object, so that udpesp.bpf.o loads on
 * kernels without bpf_crypto. AES-GCM-16 (RFC 4106) only.
 */
#define UDPESP_KF_MAX_SA 4096 /* SAs on the kfunc backend at once */
#define UDPESP_KF_CT_MAX 4096 /* largest ciphertext (IV to ICV exclusive) */

/* Context of the syscall programs udpesp_kf_new / udpesp_kf_del. */
struct udpesp_kf_args {
	__u32 slot;
	__u32 key_len; /* AES key bytes (16, 24, 32); the salt is not here */
	__s32 err;     /* out: 0 or -errno */
	__u32 pad;
	__u8 key[32]; /* wiped by udpespd after the call */
};
_Static_assert(sizeof(struct udpesp_kf_args) == 48, "udpesp_kf_args ABI");

struct bpf_crypto_ctx;

/*
 * udpesp_kf_sa value, keyed by SA slot. The map is write-only from
 * userspace (BPF_F_WRONLY): udpespd writes the parameters, the
 * programs add the context and the GHASH table; nobody reads it back
 * through bpf(2), bpftool included. Unlike the others it is not pinned:
 * it holds key material and goes with udpespd's programs.
 */
struct udpesp_kf_sa {
#ifdef __bpf__
	struct bpf_crypto_ctx __attribute__((btf_type_tag("kptr"))) * ctx;
#else
	__u64 ctx; /* ecb(aes) context (kernel pointer; never visible) */
#endif
	__u32 gen;	   /* udpesp_sa.gen of the SA it belongs to */
	__u8 mode;	   /* enum udpesp_mode */
	__u8 inner_family; /* tunnel: the family sel pins, 0 = either */
	__u8 ready;	   /* 1 once the GHASH table is in place */
	__u8 esn;	   /* the high half of the number is in the AAD */
	__u8 salt[4];	   /* RFC 4106 nonce salt */
	__u8 icv_len;	   /* 8, 12 or 16 (RFC 4106 3) */
	__u8 pad2[3];
	struct udpesp_kf_addr {
		__u8 family; /* 0: none */
		__u8 prefixlen;
		__u8 pad[2];
		__be32 addr[4];
	} sel_src, orig_src; /* tunnel: selector; transport: NAT-OA */
	/*
	 * Outer source (prefixlen unused) and UDP source port of the peer:
	 * udpespd writes them once, then udpesp_kf_xdp follows the NAT
	 * mapping in authenticated packets and reports each change.
	 */
	struct udpesp_kf_addr peer;
	__be16 peer_port;
	__u8 pad3[2];
	/* Tunnel mode: the inner destination's prefix, as sel_src the source's. */
	struct udpesp_kf_addr sel_dst;
	__u8 pad4[4];
	__u64 ghash_hi[16]; /* 4-bit (Shoup) table of H = E_K(0^128) */
	__u64 ghash_lo[16];
};
_Static_assert(sizeof(struct udpesp_kf_sa) == 368, "udpesp_kf_sa ABI");
_Static_assert(__builtin_offsetof(struct udpesp_kf_sa, ghash_hi) % 8 == 0, "GHASH table aligned");

/*
 * Context of the syscall program udpesp_kf_peer_set: where an inbound
 * SA's peer is after udpespd moved the SA (MOBIKE, an IKE daemon's
 * update), so that XDP reports the next change from there. Userspace
 * cannot rewrite a udpesp_kf_sa value: an update would drop its context.
 */
struct udpesp_kf_peer_args {
	__u32 slot;
	__s32 err; /* out: 0 or -errno */
	struct udpesp_kf_addr peer;
	__be16 port;
	__u8 pad[2];
};
_Static_assert(sizeof(struct udpesp_kf_peer_args) == 32, "udpesp_kf_peer_args ABI");

/*
 * A record of the udpesp_kf_peer ring buffer (not pinned either): an
 * authenticated packet of the inbound SA in slot came from another outer
 * address or UDP port than udpesp_kf_sa.peer said (a NAT rebinding).
 * One per change; udpespd handles it as the AF_XDP workers' note_peer().
 */
struct udpesp_kf_peer_ev {
	__u32 slot;
	__u32 gen; /* udpesp_kf_sa.gen: a reused slot's stale record is ignored */
	__u8 family;
	__u8 pad;
	__be16 port;
	__be32 addr[4];
};
_Static_assert(sizeof(struct udpesp_kf_peer_ev) == 28, "udpesp_kf_peer_ev ABI");

#endif /* UDPESP_ABI_H */
