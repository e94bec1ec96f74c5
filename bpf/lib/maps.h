/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Every map of udpesp_xdp, one comment each. All are pinned by name so
 * that `ip link set dev IF xdp obj build/udpesp.bpf.o sec xdp` leaves them
 * under /sys/fs/bpf/tc/globals/ for udpespd and bpftool. Sizes tied to SA
 * slots (udpesp_sa, udpesp_replay, udpesp_sa_stats) are load-time
 * settings: udpespd resizes all three together before load.
 */
#ifndef UDPESP_BPF_MAPS_H
#define UDPESP_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <udpesp/abi.h>

/* Host-order UDP port -> number of parser entries on it: the cheap first filter. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct udpesp_port_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_ports SEC(".maps");

/* Parser entries: (ifindex, port, family, local address) -> encapsulation. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct udpesp_parser_key);
	__type(value, struct udpesp_parser_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_parser SEC(".maps");

/* Inbound SAs: (SPI, destination, family) -> what XDP needs of the SA. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UDPESP_MAX_SA_DEFAULT);
	__type(key, struct udpesp_sa_key);
	__type(value, struct udpesp_sa);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_sa SEC(".maps");

/* Anti-replay window per SA slot; mmap()ed by the AF_XDP workers. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UDPESP_MAX_SA_DEFAULT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct udpesp_replay);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_replay SEC(".maps");

/* Per-SA counters per CPU, indexed by SA slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UDPESP_MAX_SA_DEFAULT);
	__type(key, __u32);
	__type(value, struct udpesp_sa_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_sa_stats SEC(".maps");

/* Global counters per CPU, indexed by enum udpesp_counter. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UDPESP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_stats SEC(".maps");

/* AF_XDP sockets of the crypto workers: udpesp_xsk_base[ifindex] + queue. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, UDPESP_MAX_XSKS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_xsks SEC(".maps");

/* Where each interface's sockets start in udpesp_xsks (udpespd sets it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UDPESP_MAX_XSKS / UDPESP_MAX_QUEUES);
	__type(key, __u32);   /* ifindex */
	__type(value, __u32); /* first udpesp_xsks index */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_xsk_base SEC(".maps");

/*
 * The workers' own counters (never touched here): declared with the
 * rest so that one object pins every map the tools read.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct udpesp_xsk_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_xsk_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UDPESP_MAX_SA_DEFAULT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct udpesp_sa_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_xsk_sa SEC(".maps");

/*
 * The kfunc backend's XDP program (build/udpesp_kf.bpf.o), index 0,
 * put there by udpespd once the kernel proved it has bpf_crypto. Empty:
 * kfunc SAs are passed up and counted RxNoBackend.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} udpesp_kf_prog SEC(".maps");

#endif /* UDPESP_BPF_MAPS_H */
