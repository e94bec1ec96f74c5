/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Small helpers shared by udpespd's modules. */
#ifndef UDPESP_UTIL_H
#define UDPESP_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Format a message for the user into err (which may be NULL). */
static inline __attribute__((format(printf, 3, 0))) void verrf(char *err, size_t errlen,
							       const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

static inline __attribute__((format(printf, 3, 4))) void errf(char *err, size_t errlen,
							      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Make room for one more element in a growing array (*arr holding n of
 * *cap elements of size bytes), doubling from 16. 0 or -ENOMEM.
 */
static inline int array_reserve(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t want = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, want * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = want;
	return 0;
}

#endif /* UDPESP_UTIL_H */
