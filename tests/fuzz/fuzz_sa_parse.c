// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer: udpespctl's SA grammar. The input is an argument vector,
 * words separated by NUL bytes, as the shell would hand `sa add ...`,
 * `sa del ...` or `sa show ...` to udpespctl; byte 0 picks the command.
 * What sa_parse_add() accepts then goes through sa_check(), as the daemon
 * would run it; what it refuses must come back wiped (it may hold keys).
 */
#include <stdlib.h>
#include <string.h>

#include "udpespctl/sa_parse.h"
#include "common/sa_check.h"
#include "esp/esp_suite.h"

#define FUZZ_ARGS_MAX 96

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static bool fuzz_sa_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *argv[FUZZ_ARGS_MAX + 1], *text, err[256];
	struct udpesp_ctl_sa_del del;
	struct udpesp_ctl_sa sa;
	struct esp_suite suite;
	int argc = 0, ret;
	size_t i;

	if (size < 1)
		return 0;
	/* The words, each NUL-terminated (the last one too). */
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	argv[argc++] = text;
	for (i = 0; i + 1 < size - 1 && argc < FUZZ_ARGS_MAX; i++)
		if (!text[i])
			argv[argc++] = text + i + 1;
	if (size == 1)
		argc = 0;
	argv[argc] = NULL;

	err[0] = 0;
	if (data[0] & 1) {
		ret = sa_parse_select(argc, argv, &del, err, sizeof(err));
		if (ret && !err[0])
			abort();
	} else {
		memset(&sa, 0xa5, sizeof(sa));
		ret = sa_parse_add(argc, argv, &sa, err, sizeof(err));
		if (ret) {
			if (!err[0] || !fuzz_sa_zero(&sa, sizeof(sa)))
				abort();
		} else {
			(void)sa_check(&sa, &suite, err, sizeof(err));
		}
	}
	if (memchr(err, 0, sizeof(err)) == NULL)
		abort();
	free(text);
	return 0;
}
