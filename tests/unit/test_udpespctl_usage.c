// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl's usage errors, run as a user runs it (build/udpespctl, or
 * $UDPESPCTL): exit status 2 with "Error: ..." naming the problem, and no
 * attempt to reach udpespd, which the socket given (-s, a path that does
 * not exist) would report as "not running" with status 1. help and -h
 * exit 0 with the usage on stdout. No privileges needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <criterion/criterion.h>

#define NO_SOCKET "/nonexistent/udpesp-unit/udpespd.sock"
#define OUT_MAX 8192

static const char *ctl_path(void)
{
	const char *path = getenv("UDPESPCTL");

	return path && *path ? path : "build/udpespctl";
}

struct run {
	int status; /* exit status, or -1 if it did not exit normally */
	char out[OUT_MAX], err[OUT_MAX];
};

/* Read both pipes to the end (the child may fill either first). */
static void drain(int fdo, int fde, struct run *r)
{
	struct pollfd p[2] = { { .fd = fdo, .events = POLLIN }, { .fd = fde, .events = POLLIN } };
	size_t len[2] = { 0, 0 };
	char *buf[2] = { r->out, r->err };
	int open = 2;

	while (open) {
		if (poll(p, 2, 10000) <= 0)
			cr_assert_fail("udpespctl produced no output for 10 s");
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(p[i].fd, buf[i] + len[i], OUT_MAX - 1 - len[i]);
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open--;
				continue;
			}
			len[i] += n;
		}
	}
	r->out[len[0]] = '\0';
	r->err[len[1]] = '\0';
}

/* Run udpespctl -s NO_SOCKET ARGS... (NULL-terminated), stdin from /dev/null. */
static void run(struct run *r, const char *stdin_path, ...)
{
	const char *argv[64] = { ctl_path(), "-s", NO_SOCKET };
	int out[2], err[2], argc = 3, wstatus;
	const char *a;
	va_list ap;
	pid_t pid;

	if (access(ctl_path(), X_OK))
		cr_skip_test("%s not built (run make)", ctl_path());
	va_start(ap, stdin_path);
	while ((a = va_arg(ap, const char *)) && argc < 63)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(err), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	memset(r, 0, sizeof(*r));
	drain(out[0], err[0], r);
	cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
	r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

/* Status 2, nothing on stdout, "Error: " + text, and no connection tried. */
static void assert_usage_error(const struct run *r, const char *text)
{
	cr_assert_eq(r->status, 2, "exit %d, stderr: %s", r->status, r->err);
	cr_assert_str_empty(r->out, "stdout: %s", r->out);
	cr_assert_eq(strncmp(r->err, "Error: ", 7), 0, "stderr: %s", r->err);
	cr_assert(strstr(r->err, text), "stderr lacks \"%s\": %s", text, r->err);
	cr_assert_null(strstr(r->err, "not running"), "contacted udpespd: %s", r->err);
}

/* ... and the usage right after the error line. */
static void assert_usage_error_with_usage(const struct run *r, const char *text)
{
	const char *nl;

	assert_usage_error(r, text);
	nl = strchr(r->err, '\n');
	cr_assert(nl && !strncmp(nl + 1, "Usage: udpespctl", 16), "no usage after the error: %s",
		  r->err);
}

static void assert_help(const struct run *r)
{
	cr_assert_eq(r->status, 0, "exit %d, stderr: %s", r->status, r->err);
	cr_assert_eq(strncmp(r->out, "Usage: udpespctl", 16), 0, "stdout: %s", r->out);
	cr_assert_str_empty(r->err, "stderr: %s", r->err);
}

Test(udpespctl_usage, unknown_object_command_and_option_show_the_usage)
{
	struct run r;

	run(&r, NULL, "frob", NULL);
	assert_usage_error_with_usage(&r, "object \"frob\" is unknown");
	run(&r, NULL, "sa", "frob", NULL);
	assert_usage_error_with_usage(&r, "command \"frob\" is unknown");
	run(&r, NULL, "link", "frob", NULL);
	assert_usage_error_with_usage(&r, "command \"frob\" is unknown");
	run(&r, NULL, "parser", "frob", NULL);
	assert_usage_error_with_usage(&r, "command \"frob\" is unknown");
	run(&r, NULL, "stats", "frob", NULL);
	assert_usage_error_with_usage(&r, "command \"frob\" is unknown");
	run(&r, NULL, "monitor", "frob", NULL);
	assert_usage_error_with_usage(&r, "monitor takes no command, got \"frob\"");
	run(&r, NULL, "-x", "sa", "list", NULL);
	assert_usage_error_with_usage(&r, "option \"-x\" is unknown");
}

Test(udpespctl_usage, no_object_prints_the_usage_on_stderr)
{
	struct run r;

	run(&r, NULL, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_str_empty(r.out);
	cr_assert_eq(strncmp(r.err, "Usage: udpespctl", 16), 0, "stderr: %s", r.err);
}

Test(udpespctl_usage, help_works_after_every_object_and_command)
{
	static const char *const cases[][3] = {
		{ "help" },
		{ "-h" },
		{ "--help" },
		{ "sa", "help" },
		{ "sa", "add", "help" },
		{ "sa", "add-batch", "help" },
		{ "sa", "del", "help" },
		{ "sa", "show", "help" },
		{ "sa", "list", "help" },
		{ "sa", "flush", "help" },
		{ "link", "help" },
		{ "link", "attach", "help" },
		{ "link", "detach", "help" },
		{ "link", "list", "help" },
		{ "parser", "help" },
		{ "parser", "list", "help" },
		{ "stats", "help" },
		{ "stats", "show", "help" },
		{ "monitor", "help" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run(&r, NULL, cases[i][0], cases[i][1], cases[i][2], NULL);
		cr_assert_eq(r.status, 0, "udpespctl %s %s %s: exit %d, stderr %s", cases[i][0],
			     cases[i][1] ?: "", cases[i][2] ?: "", r.status, r.err);
		assert_help(&r);
	}
}

Test(udpespctl_usage, grammar_errors_are_status_2_before_any_contact)
{
	struct run r;

	run(&r, NULL, "-s", NULL);
	assert_usage_error(&r, "\"-s\" needs an argument");
	run(&r, NULL, "sa", "add", NULL);
	assert_usage_error(&r, "\"dir\" is required");
	run(&r, NULL, "sa", "add", "dir", "sideways", NULL);
	assert_usage_error(&r, "dir: expected in or out, got \"sideways\"");
	run(&r, NULL, "sa", "add", "dir", "in", "proto", "ah", NULL);
	assert_usage_error(&r, "AH is not offloaded; RFC 8221");
	run(&r, NULL, "sa", "add", "dir", "in", "sel", "src", "203.0.113.0/33", NULL);
	assert_usage_error(&r, "sel src: prefix length in \"203.0.113.0/33\" is out of range");
	run(&r, NULL, "sa", "add", "dir", "in", "encap", "espinudp-nonike", NULL);
	assert_usage_error(&r, "encap: expected espinudp (RFC 3948)");
	run(&r, NULL, "sa", "delete", NULL);
	assert_usage_error(&r, "expected handle H, or dst ADDR spi SPI");
	run(&r, NULL, "sa", "show", "dst", "192.0.2.1", NULL);
	assert_usage_error(&r, "\"spi\" is required with \"dst\"");
	run(&r, NULL, "sa", "list", "extra", NULL);
	assert_usage_error(&r, "unexpected \"extra\"");
	run(&r, NULL, "sa", "add-batch", NULL);
	assert_usage_error(&r, "add-batch takes one FILE");
	run(&r, NULL, "link", "attach", NULL);
	assert_usage_error(&r, "link attach: dev IFNAME is required");
	run(&r, NULL, "link", "attach", "dev", "lo", "mode", "turbo", NULL);
	assert_usage_error(&r, "mode: expected native or generic, got \"turbo\"");
}

Test(udpespctl_usage, keys_in_bad_words_are_not_repeated)
{
	static const char key[] = "0x0123456789abcdeffedcba98765432100a0b0c0d";
	struct run r;

	run(&r, NULL, "sa", "add", "dir", "in", "aead", key, key, "128", NULL);
	assert_usage_error(&r, "got what looks like a KEY");
	cr_assert_null(strstr(r.err, "0123456789abcdef"), "%s", r.err);
	run(&r, NULL, "sa", "add", "dir", "in", "spi", key + 2, NULL);
	assert_usage_error(&r, "(hidden: it may be a key) is not a number");
	cr_assert_null(strstr(r.err, "0123456789abcdef"), "%s", r.err);
}

Test(udpespctl_usage, batch_from_stdin_names_the_line)
{
	char path[] = "/tmp/udpespctl-usage-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] =
		"# comment\n"
		"\n"
		"dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1001 aead 'rfc4106(gcm(aes))' "
		"0x0102030405060708090a0b0c0d0e0f1011121314 128 encap espinudp 4500 4500 0.0.0.0\n"
		"dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1002 replay-window lots\n";
	struct run r;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	run(&r, path, "sa", "add-batch", "-", NULL);
	unlink(path);
	assert_usage_error(&r, "<stdin>:4: replay-window: \"lots\" is not a number");
}
