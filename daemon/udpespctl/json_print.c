// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udpespctl's output layer: a streaming JSON writer and, on top of it,
 * one call per value that prints text or JSON (see json_print.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_print.h"

void jw_init(struct json_writer *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

/*
 * Length of the valid UTF-8 sequence at s (1 to 4), or 0 if the bytes
 * there are not one (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 */
static int utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL stops this loop too: it is not a continuation byte. */
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void jw_escape(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		int n = utf8_len(s);

		if (!n) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20)
				fprintf(f, "\\u%04x", *s);
			else
				fputc(*s, f);
		}
		s++;
	}
	fputc('"', f);
}

static int jw_fail(struct json_writer *w)
{
	if (!w->err)
		w->err = -EINVAL;
	return -EINVAL;
}

/* Separator and key before a value; -EINVAL if key does not fit here. */
static int jw_prefix(struct json_writer *w, const char *key)
{
	if (w->depth && w->in_object[w->depth] != !!key)
		return jw_fail(w);
	if (!w->depth && key)
		return jw_fail(w);
	if (w->depth && w->has_items[w->depth])
		fputc(',', w->f);
	w->has_items[w->depth] = true;
	if (key) {
		jw_escape(w->f, key);
		fputc(':', w->f);
	}
	return 0;
}

/* After a value: a finished top-level value ends its line. */
static int jw_suffix(struct json_writer *w)
{
	if (!w->depth)
		fputc('\n', w->f);
	return 0;
}

static int jw_begin(struct json_writer *w, const char *key, bool object)
{
	if (w->depth >= JSON_MAX_DEPTH)
		return jw_fail(w);
	if (jw_prefix(w, key))
		return -EINVAL;
	fputc(object ? '{' : '[', w->f);
	w->depth++;
	w->in_object[w->depth] = object;
	w->has_items[w->depth] = false;
	return 0;
}

static int jw_end(struct json_writer *w, bool object)
{
	if (!w->depth || w->in_object[w->depth] != object)
		return jw_fail(w);
	fputc(object ? '}' : ']', w->f);
	w->depth--;
	return jw_suffix(w);
}

int jw_begin_object(struct json_writer *w, const char *key)
{
	return jw_begin(w, key, true);
}

int jw_end_object(struct json_writer *w)
{
	return jw_end(w, true);
}

int jw_begin_array(struct json_writer *w, const char *key)
{
	return jw_begin(w, key, false);
}

int jw_end_array(struct json_writer *w)
{
	return jw_end(w, false);
}

int jw_string(struct json_writer *w, const char *key, const char *s)
{
	if (jw_prefix(w, key))
		return -EINVAL;
	if (s)
		jw_escape(w->f, s);
	else
		fputs("null", w->f);
	return jw_suffix(w);
}

int jw_u64(struct json_writer *w, const char *key, __u64 v)
{
	if (jw_prefix(w, key))
		return -EINVAL;
	fprintf(w->f, "%llu", (unsigned long long)v);
	return jw_suffix(w);
}

int jw_s64(struct json_writer *w, const char *key, __s64 v)
{
	if (jw_prefix(w, key))
		return -EINVAL;
	fprintf(w->f, "%lld", (long long)v);
	return jw_suffix(w);
}

int jw_bool(struct json_writer *w, const char *key, bool v)
{
	if (jw_prefix(w, key))
		return -EINVAL;
	fputs(v ? "true" : "false", w->f);
	return jw_suffix(w);
}

int jw_null(struct json_writer *w, const char *key)
{
	return jw_string(w, key, NULL);
}

void jp_init(struct jprint *p, FILE *f, bool json)
{
	p->f = f;
	p->json = json;
	jw_init(&p->jw, f);
}

void jp_open_object(struct jprint *p, const char *key)
{
	if (p->json)
		jw_begin_object(&p->jw, key);
}

void jp_close_object(struct jprint *p)
{
	if (p->json)
		jw_end_object(&p->jw);
}

void jp_open_array(struct jprint *p, const char *key)
{
	if (p->json)
		jw_begin_array(&p->jw, key);
}

void jp_close_array(struct jprint *p)
{
	if (p->json)
		jw_end_array(&p->jw);
}

/* Whether this call prints in the current mode, and in text mode at all. */
static bool jp_json(const struct jprint *p, enum print_type t)
{
	return p->json && (t & PRINT_JSON);
}

static bool jp_fp(const struct jprint *p, enum print_type t, const char *fmt)
{
	return !p->json && (t & PRINT_FP) && fmt;
}

void jp_u64(struct jprint *p, enum print_type t, const char *key,
	    const char *fmt, __u64 v)
{
	if (jp_json(p, t))
		jw_u64(&p->jw, key, v);
	else if (jp_fp(p, t, fmt))
		fprintf(p->f, fmt, (unsigned long long)v);
}

void jp_str(struct jprint *p, enum print_type t, const char *key,
	    const char *fmt, const char *s)
{
	if (jp_json(p, t))
		jw_string(&p->jw, key, s);
	else if (jp_fp(p, t, fmt))
		fprintf(p->f, fmt, s ? s : "(null)");
}

void jp_bool(struct jprint *p, enum print_type t, const char *key,
	     const char *fmt, bool v)
{
	if (jp_json(p, t))
		jw_bool(&p->jw, key, v);
	else if (jp_fp(p, t, fmt) && v)
		fputs(fmt, p->f);
}

void jp_null(struct jprint *p, enum print_type t, const char *key,
	     const char *fmt)
{
	if (jp_json(p, t))
		jw_null(&p->jw, key);
	else if (jp_fp(p, t, fmt))
		fputs(fmt, p->f);
}

void jp_text(struct jprint *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
}

void jp_nl(struct jprint *p)
{
	if (!p->json)
		fputc('\n', p->f);
}
