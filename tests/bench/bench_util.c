// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Helpers shared by the benchmarks (see bench_util.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "common/ctl_proto.h"
#include "bench_util.h"

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

__u32 env_u32(const char *name, __u32 def, __u32 min, __u32 max)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		die("%s=%s: want a number from %u to %u", name, s, min, max);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(const double *v, __u32 n)
{
	double *s = malloc(n * sizeof(*s)), m;

	if (!n)
		return 0;
	if (!s)
		die("out of memory");
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

const char *grouped(unsigned long long v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", v), o = 0;

	for (int i = 0; i < n && o + 2 < (int)len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

void bench_log_tail(const char *log)
{
	char line[512];
	FILE *f = log && log[0] ? fopen(log, "r") : NULL;
	long lines = 0, skip;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		lines++;
	rewind(f);
	skip = lines > 20 ? lines - 20 : 0;
	fprintf(stderr, "--- last lines of udpespd's log:\n");
	while (fgets(line, sizeof(line), f))
		if (skip-- <= 0)
			fputs(line, stderr);
	fclose(f);
}

pid_t bench_daemon_start(char *const argv[], const char *sock, const char *log, int timeout_s,
			 int *fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	double t0 = now_s();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* Never outlive the benchmark, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "%s: exec %s: %s\n", program_invocation_short_name, argv[0],
			strerror(errno));
		_exit(127);
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	for (;;) {
		*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (*fd < 0)
			die("socket: %s", strerror(errno));
		if (!connect(*fd, (struct sockaddr *)&sun, sizeof(sun)))
			return pid;
		close(*fd);
		*fd = -1;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			bench_log_tail(log);
			die("udpespd exited before listening (status 0x%x)", status);
		}
		if (now_s() - t0 > timeout_s)
			die("udpespd did not listen on %s within %d s", sock, timeout_s);
		usleep(20000);
	}
}

int bench_ctl_call(struct bench_ctl *c, __u32 type, const void *payload, __u32 len, __u32 want,
		   struct ctl_msg *m, char *err, size_t errlen)
{
	int e = ctl_send(c->fd, type, ++c->seq, 0, payload, len);

	if (e)
		die("sending %s: %s", ctl_msg_name(type), strerror(-e));
	e = ctl_recv(c->fd, m, true, 10000);
	if (e) {
		bench_log_tail(c->log);
		die("waiting for the %s reply: %s", ctl_msg_name(want), strerror(-e));
	}
	if (m->hdr.seq != c->seq)
		die("reply seq %u, expected %u", m->hdr.seq, c->seq);
	if (m->hdr.type == UDPESP_MSG_ERROR) {
		if (!err)
			die("%s refused: %.*s", ctl_msg_name(type), (int)m->hdr.len,
			    (char *)m->payload);
		snprintf(err, errlen, "%.*s", (int)m->hdr.len, (char *)m->payload);
		ctl_msg_free(m);
		return -1;
	}
	if (m->hdr.type != want)
		die("expected %s, got %s", ctl_msg_name(want), ctl_msg_name(m->hdr.type));
	return 0;
}

void bench_find_daemon(char *path, size_t len)
{
	const char *env = getenv("UDPESPD");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(path, len, "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			die("/proc/self/exe: %s", strerror(errno));
		self[n] = '\0';
		snprintf(path, len, "%s/../udpespd", dirname(self));
	}
	if (access(path, X_OK))
		die("%s: %s (build it with make, or set UDPESPD)", path, strerror(errno));
}

FILE *bench_json_open(void)
{
	const char *path = getenv("BENCH_JSON");
	FILE *f;

	if (!path || !*path)
		return NULL;
	f = fopen(path, "a");
	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

void bench_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}
