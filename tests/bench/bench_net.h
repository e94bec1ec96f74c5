/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the benchmarks that move real packets share: commands run in a
 * network namespace, quiet namespaces, MAC addresses, where each task's
 * CPU time goes, and how many datagrams reached UDP in a namespace.
 */
#ifndef UDPESP_BENCH_NET_H
#define UDPESP_BENCH_NET_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

/*
 * The benchmark's own world: a private mount namespace with its own
 * bpffs under a private directory (the pins die with the process), a
 * peer network namespace (kept as an fd) and a gateway one, which the
 * calling thread is left in.
 */
struct bench_world {
	char dir[64], pin[96], sock[96], log[96]; /* udpespd's pins, socket, log */
	bool mounted;
	int peer_ns, gw_ns;
};

/* tag names the private directory (/tmp/udpesp-TAG.XXXXXX). */
void bench_world_make(struct bench_world *w, const char *tag);
/* A veth from the gateway (gw_dev, gw4/24) to the peer (peer_dev, peer4/24), up. */
void bench_world_veth(struct bench_world *w, const char *gw_dev, const char *peer_dev,
		      const char *gw4, const char *peer4);
/* Unmount and remove what bench_world_make() made; safe to call twice. */
void bench_world_cleanup(struct bench_world *w);

struct bench_ctl;
struct udpesp_maps;
/*
 * udpespd (the binary at daemon) started in the world, its one AF_XDP
 * worker pinned to cpu: connected and greeted over ctl, its pinned maps
 * opened and mmap()ed into maps. Returns its pid; dies on failure.
 */
pid_t bench_world_daemon(struct bench_world *w, const char *daemon, int cpu, struct bench_ctl *ctl,
			 struct udpesp_maps *maps);

/* Write val to a /proc or /sys file; dies on failure. */
void write_file(const char *path, const char *val);

/* Enter network namespace fd (this thread only); dies on failure. */
void enter_ns(int fd);

/*
 * Run a command (argv, NULL-terminated) in network namespace ns and wait
 * for it; dies, showing the command, unless it exits 0.
 */
void ns_run(int ns, const char *arg0, ...) __attribute__((sentinel));

/* No IPv6 chatter, no rp_filter in the namespace this thread is in. */
void quiet_namespace(void);

/* MAC address of dev in the namespace sock_fd belongs to. */
void get_mac(int sock_fd, const char *dev, __u8 *mac);

/* Pin the calling thread to one CPU. */
void pin_to(int cpu);

/* CPU time of the calling thread, ns. */
__u64 thread_ns(void);

/* CPU time of one task (thread or process leader), ns, from schedstat. */
__u64 task_ns(pid_t pid);

/*
 * CPU time of all threads of process pid, ns; *waited (if not NULL)
 * gets their time runnable but waiting for a CPU.
 */
__u64 proc_ns(pid_t pid, __u64 *waited);

/*
 * ksoftirqd of a CPU: softirq work that runs long moves there, so the
 * costs add its time on the CPUs concerned and miss nothing.
 */
pid_t find_ksoftirqd(int cpu);

/*
 * Datagrams that reached UDP in this thread's namespace: read, or
 * dropped because a socket was full (InDatagrams counts at read time, so
 * udp_fd, if >= 0, is emptied first).
 */
__u64 udp_arrived(int udp_fd);

/* Read whatever udp_fd holds, without blocking; how many datagrams. */
__u64 udp_empty(int udp_fd);

/*
 * One UDP socket's arrivals, where other UDP traffic shares the
 * namespace: datagrams read from it plus those it dropped when full
 * (the drops column of /proc/net/udp).
 */
struct udp_sink {
	int fd;
	__u16 port; /* host order */
	__u64 read;
};
int udp_sink_open(struct udp_sink *s, __u16 port); /* any address; 0 or -errno */
__u64 udp_sink_arrived(struct udp_sink *s);

#endif /* UDPESP_BENCH_NET_H */
