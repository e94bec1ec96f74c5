// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The words of the command line: keyword prefixes, trailing words, help. */
#include <stdbool.h>
#include <string.h>

#include "udpespctl.h"

/* iproute2's matches(): word is a non-empty prefix of name. */
bool args_matches(const char *word, const char *name)
{
	size_t len = strlen(word);

	return len && len <= strlen(name) && !strncmp(word, name, len);
}

int args_no_more(int argc, char **argv)
{
	return argc > 0 ? usage_error("unexpected \"%s\"", argv[0]) : 0;
}

bool args_is_help(int argc, char **argv)
{
	return argc > 0 && !strcmp(argv[0], "help");
}
