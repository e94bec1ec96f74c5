// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Namespaces, interfaces and CPU accounting of the benchmarks (see bench_net.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <udpesp/abi.h>
#include <udpesp/ctl.h>

#include "bench_net.h"
#include "bench_util.h"
#include "common/ctl_proto.h"
#include "common/maps.h"

void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("writing %s to %s: %s", val, path, strerror(errno));
	close(fd);
}

void enter_ns(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns: %s", strerror(errno));
}

void ns_run(int ns, const char *arg0, ...)
{
	const char *argv[32];
	int n = 0, status;
	va_list ap;
	pid_t pid;

	argv[n++] = arg0;
	va_start(ap, arg0);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (setns(ns, CLONE_NEWNET))
			_exit(126);
		execvp(arg0, (char **)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		char cmd[512] = "";

		for (int i = 0; argv[i]; i++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", argv[i]);
		die("failed:%s", cmd);
	}
}

void quiet_namespace(void)
{
	/* No IPv6 chatter (DAD, RS) in the timed intervals; no rp_filter. */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv4/conf/default/rp_filter", "0");
	write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
}

void get_mac(int sock_fd, const char *dev, __u8 *mac)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(sock_fd, SIOCGIFHWADDR, &ifr))
		die("SIOCGIFHWADDR %s: %s", dev, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
}

void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		die("pinning to CPU %d failed", cpu);
}

__u64 thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

__u64 task_ns(pid_t pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &ns) != 1)
		die("%s: %s", path, f ? "unreadable" : strerror(errno));
	fclose(f);
	return ns;
}

__u64 proc_ns(pid_t pid, __u64 *waited)
{
	char path[PATH_MAX];
	struct dirent *de;
	__u64 sum = 0, w = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		die("%s: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		unsigned long long ns, wait;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid, de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu %llu", &ns, &wait) == 2) {
			sum += ns;
			w += wait;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	if (waited)
		*waited = w;
	return sum;
}

pid_t find_ksoftirqd(int cpu)
{
	char want[32], comm[64], path[64];
	struct dirent *de;
	pid_t pid = 0;
	DIR *d = opendir("/proc");

	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	while (d && !pid && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/comm", de->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			pid = atoi(de->d_name);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	if (!pid)
		die("no ksoftirqd/%d in /proc", cpu);
	return pid;
}

__u64 udp_empty(int udp_fd)
{
	char buf[2048];
	__u64 n = 0;

	while (udp_fd >= 0 && recv(udp_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

int udp_sink_open(struct udp_sink *s, __u16 port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	s->port = port;
	s->read = 0;
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	if (bind(s->fd, (struct sockaddr *)&sin, sizeof(sin))) {
		int err = -errno;

		close(s->fd);
		s->fd = -1;
		return err;
	}
	return 0;
}

__u64 udp_sink_arrived(struct udp_sink *s)
{
	char line[512];
	__u64 drops = 0;
	FILE *f;

	s->read += udp_empty(s->fd);
	f = fopen("/proc/thread-self/net/udp", "r");
	if (!f)
		die("/proc/thread-self/net/udp: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save, *last = NULL;
		unsigned int port;

		/* "  N: 00000000:1389 00000000:0000 ... drops", padded with spaces */
		if (sscanf(line, " %*d: %*x:%x", &port) != 1 || port != s->port)
			continue;
		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			last = tok;
		if (last)
			drops += strtoull(last, NULL, 10);
	}
	fclose(f);
	return s->read + drops;
}

__u64 udp_arrived(int udp_fd)
{
	char names[512], vals[512];
	__u64 sum = 0;
	FILE *f;

	udp_empty(udp_fd);
	f = fopen("/proc/thread-self/net/snmp", "r");
	if (!f)
		die("/proc/thread-self/net/snmp: %s", strerror(errno));
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		char *sn, *sv, *n, *v;

		if (strncmp(names, "Udp:", 4))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(vals, " \n", &sv);
		while ((n = strtok_r(NULL, " \n", &sn)) && (v = strtok_r(NULL, " \n", &sv)))
			if (!strcmp(n, "InDatagrams") || !strcmp(n, "RcvbufErrors"))
				sum += strtoull(v, NULL, 10);
		break;
	}
	fclose(f);
	return sum;
}

void bench_world_make(struct bench_world *w, const char *tag)
{
	w->peer_ns = w->gw_ns = -1;
	if (unshare(CLONE_NEWNS | CLONE_NEWNET))
		die("unshare(CLONE_NEWNS | CLONE_NEWNET): %s (run as root)", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("making mounts private: %s", strerror(errno));
	snprintf(w->dir, sizeof(w->dir), "/tmp/udpesp-%s.XXXXXX", tag);
	if (!mkdtemp(w->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(w->pin, sizeof(w->pin), "%s/bpf", w->dir);
	snprintf(w->sock, sizeof(w->sock), "%s/udpespd.sock", w->dir);
	snprintf(w->log, sizeof(w->log), "%s/udpespd.log", w->dir);
	if (mkdir(w->pin, 0700))
		die("mkdir %s: %s", w->pin, strerror(errno));
	if (mount("bpf", w->pin, "bpf", 0, "mode=0700"))
		die("mounting bpffs on %s: %s", w->pin, strerror(errno));
	w->mounted = true;
	quiet_namespace();
	w->peer_ns = open("/proc/thread-self/ns/net", O_RDONLY); /* not CLOEXEC: ip uses it */
	if (w->peer_ns < 0 || unshare(CLONE_NEWNET))
		die("second network namespace: %s", strerror(errno));
	quiet_namespace();
	w->gw_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (w->gw_ns < 0)
		die("/proc/thread-self/ns/net: %s", strerror(errno));
}

void bench_world_veth(struct bench_world *w, const char *gw_dev, const char *peer_dev,
		      const char *gw4, const char *peer4)
{
	char peer_path[64], gw_addr[32], peer_addr[32];

	snprintf(peer_path, sizeof(peer_path), "/proc/%d/fd/%d", getpid(), w->peer_ns);
	snprintf(gw_addr, sizeof(gw_addr), "%s/24", gw4);
	snprintf(peer_addr, sizeof(peer_addr), "%s/24", peer4);
	ns_run(w->gw_ns, "ip", "link", "add", gw_dev, "type", "veth", "peer", "name", peer_dev,
	       "netns", peer_path, NULL);
	ns_run(w->gw_ns, "ip", "addr", "add", gw_addr, "dev", gw_dev, NULL);
	ns_run(w->gw_ns, "ip", "link", "set", "lo", "up", NULL);
	ns_run(w->gw_ns, "ip", "link", "set", gw_dev, "up", NULL);
	ns_run(w->peer_ns, "ip", "addr", "add", peer_addr, "dev", peer_dev, NULL);
	ns_run(w->peer_ns, "ip", "link", "set", "lo", "up", NULL);
	ns_run(w->peer_ns, "ip", "link", "set", peer_dev, "up", NULL);
}

void bench_world_cleanup(struct bench_world *w)
{
	if (w->mounted) {
		umount2(w->pin, MNT_DETACH);
		w->mounted = false;
	}
	if (w->dir[0]) {
		unlink(w->sock);
		unlink(w->log);
		rmdir(w->pin);
		rmdir(w->dir);
		w->dir[0] = '\0';
	}
}

#define DAEMON_START_TIMEOUT_S 30

pid_t bench_world_daemon(struct bench_world *w, const char *daemon, int cpu, struct bench_ctl *ctl,
			 struct udpesp_maps *maps)
{
	char cpu_s[16];
	/* BENCH_GSO=off: the daemon without TUN offloads, for comparison. */
	const char *gso = getenv("BENCH_GSO") ? getenv("BENCH_GSO") : "on";
	char *argv[] = { (char *)daemon, "--foreground", "--socket", w->sock,	  "--pin-dir",
			 w->pin,	 "--max-sa",	 "64",	     "--xsk-cpu", cpu_s,
			 "--log",	 w->log,	 "--gso",    (char *)gso, NULL };
	struct udpesp_ctl_hello h = { UDPESP_CTL_VERSION, UDPESP_ABI_VERSION };
	struct ctl_msg m;
	pid_t pid;

	snprintf(cpu_s, sizeof(cpu_s), "%d", cpu);
	pid = bench_daemon_start(argv, w->sock, w->log, DAEMON_START_TIMEOUT_S, &ctl->fd);
	ctl->log = w->log;
	bench_ctl_call(ctl, UDPESP_MSG_HELLO, &h, sizeof(h), UDPESP_MSG_HELLO, &m, NULL, 0);
	ctl_msg_free(&m);
	if (udpesp_maps_open_pinned(maps, w->pin) || udpesp_maps_mmap(maps))
		die("opening the maps pinned under %s", w->pin);
	return pid;
}
