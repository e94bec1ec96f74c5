// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl's output layer: one call per value that prints text or JSON,
 * on top of the JSON writer (see json_print.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "json_print.h"

void json_print_init(struct json_print *p, FILE *f, bool json)
{
	p->f = f;
	p->json = json;
	json_writer_init(&p->jw, f);
}

void json_print_open_object(struct json_print *p, const char *key)
{
	if (p->json)
		json_writer_begin_object(&p->jw, key);
}

void json_print_close_object(struct json_print *p)
{
	if (p->json)
		json_writer_end_object(&p->jw);
}

void json_print_open_array(struct json_print *p, const char *key)
{
	if (p->json)
		json_writer_begin_array(&p->jw, key);
}

void json_print_close_array(struct json_print *p)
{
	if (p->json)
		json_writer_end_array(&p->jw);
}

/* Whether this call prints in the current mode, and in text mode at all. */
static bool json_print_json(const struct json_print *p, enum print_type t)
{
	return p->json && (t & PRINT_JSON);
}

static bool json_print_fp(const struct json_print *p, enum print_type t, const char *fmt)
{
	return !p->json && (t & PRINT_FP) && fmt;
}

void json_print_u64(struct json_print *p, enum print_type t, const char *key, const char *fmt,
		    __u64 v)
{
	if (json_print_json(p, t))
		json_writer_u64(&p->jw, key, v);
	else if (json_print_fp(p, t, fmt))
		fprintf(p->f, fmt, (unsigned long long)v);
}

void json_print_str(struct json_print *p, enum print_type t, const char *key, const char *fmt,
		    const char *s)
{
	if (json_print_json(p, t))
		json_writer_string(&p->jw, key, s);
	else if (json_print_fp(p, t, fmt))
		fprintf(p->f, fmt, s ? s : "(null)");
}

void json_print_bool(struct json_print *p, enum print_type t, const char *key, const char *fmt,
		     bool v)
{
	if (json_print_json(p, t))
		json_writer_bool(&p->jw, key, v);
	else if (json_print_fp(p, t, fmt) && v)
		fputs(fmt, p->f);
}

void json_print_null(struct json_print *p, enum print_type t, const char *key, const char *fmt)
{
	if (json_print_json(p, t))
		json_writer_null(&p->jw, key);
	else if (json_print_fp(p, t, fmt))
		fputs(fmt, p->f);
}

void json_print_text(struct json_print *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
}

void json_print_nl(struct json_print *p)
{
	if (!p->json)
		fputc('\n', p->f);
}
