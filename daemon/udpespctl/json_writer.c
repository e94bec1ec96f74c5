// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A small streaming JSON writer for udpespctl (see json_writer.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_writer.h"

void json_writer_init(struct json_writer *w, FILE *f)
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

void json_writer_escape(FILE *f, const char *str)
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

static int json_writer_fail(struct json_writer *w)
{
	if (!w->err)
		w->err = -EINVAL;
	return -EINVAL;
}

/* Separator and key before a value; -EINVAL if key does not fit here. */
static int json_writer_prefix(struct json_writer *w, const char *key)
{
	if (w->depth && w->in_object[w->depth] != !!key)
		return json_writer_fail(w);
	if (!w->depth && key)
		return json_writer_fail(w);
	if (w->depth && w->has_items[w->depth])
		fputc(',', w->f);
	w->has_items[w->depth] = true;
	if (key) {
		json_writer_escape(w->f, key);
		fputc(':', w->f);
	}
	return 0;
}

/* After a value: a finished top-level value ends its line. */
static int json_writer_suffix(struct json_writer *w)
{
	if (!w->depth)
		fputc('\n', w->f);
	return 0;
}

static int json_writer_begin(struct json_writer *w, const char *key, bool object)
{
	if (w->depth >= JSON_MAX_DEPTH)
		return json_writer_fail(w);
	if (json_writer_prefix(w, key))
		return -EINVAL;
	fputc(object ? '{' : '[', w->f);
	w->depth++;
	w->in_object[w->depth] = object;
	w->has_items[w->depth] = false;
	return 0;
}

static int json_writer_end(struct json_writer *w, bool object)
{
	if (!w->depth || w->in_object[w->depth] != object)
		return json_writer_fail(w);
	fputc(object ? '}' : ']', w->f);
	w->depth--;
	return json_writer_suffix(w);
}

int json_writer_begin_object(struct json_writer *w, const char *key)
{
	return json_writer_begin(w, key, true);
}

int json_writer_end_object(struct json_writer *w)
{
	return json_writer_end(w, true);
}

int json_writer_begin_array(struct json_writer *w, const char *key)
{
	return json_writer_begin(w, key, false);
}

int json_writer_end_array(struct json_writer *w)
{
	return json_writer_end(w, false);
}

int json_writer_string(struct json_writer *w, const char *key, const char *s)
{
	if (json_writer_prefix(w, key))
		return -EINVAL;
	if (s)
		json_writer_escape(w->f, s);
	else
		fputs("null", w->f);
	return json_writer_suffix(w);
}

int json_writer_u64(struct json_writer *w, const char *key, __u64 v)
{
	if (json_writer_prefix(w, key))
		return -EINVAL;
	fprintf(w->f, "%llu", (unsigned long long)v);
	return json_writer_suffix(w);
}

int json_writer_s64(struct json_writer *w, const char *key, __s64 v)
{
	if (json_writer_prefix(w, key))
		return -EINVAL;
	fprintf(w->f, "%lld", (long long)v);
	return json_writer_suffix(w);
}

int json_writer_bool(struct json_writer *w, const char *key, bool v)
{
	if (json_writer_prefix(w, key))
		return -EINVAL;
	fputs(v ? "true" : "false", w->f);
	return json_writer_suffix(w);
}

int json_writer_null(struct json_writer *w, const char *key)
{
	return json_writer_string(w, key, NULL);
}
