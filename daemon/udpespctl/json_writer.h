/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * struct json_writer is a small streaming JSON writer: compact output,
 * strings escaped (quotes, backslashes, control characters; bytes that
 * are not valid UTF-8 become U+FFFD, so jq always parses the result),
 * and a newline after every complete top-level value, so a series of
 * top-level objects is JSON lines. Misuse (a key where none belongs, a
 * missing key inside an object, unbalanced ends, nesting deeper than
 * JSON_MAX_DEPTH) writes nothing, returns -EINVAL and is remembered in
 * w->err, so a caller may check once at the end.
 */
#ifndef UDPESP_JSON_WRITER_H
#define UDPESP_JSON_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *f;
	unsigned int depth;		    /* open objects and arrays */
	bool in_object[JSON_MAX_DEPTH + 1]; /* [d]: level d is an object */
	bool has_items[JSON_MAX_DEPTH + 1]; /* [d]: comma before the next */
	int err;			    /* first misuse, sticky */
};

void json_writer_init(struct json_writer *w, FILE *f);
/* key: the member name inside an object; NULL in an array or at the top. */
int json_writer_begin_object(struct json_writer *w, const char *key);
int json_writer_end_object(struct json_writer *w);
int json_writer_begin_array(struct json_writer *w, const char *key);
int json_writer_end_array(struct json_writer *w);
/* s NULL writes null. */
int json_writer_string(struct json_writer *w, const char *key, const char *s);
int json_writer_u64(struct json_writer *w, const char *key, __u64 v);
int json_writer_s64(struct json_writer *w, const char *key, __s64 v);
int json_writer_bool(struct json_writer *w, const char *key, bool v);
int json_writer_null(struct json_writer *w, const char *key);
/* Write s as a JSON string literal, quotes included. */
void json_writer_escape(FILE *f, const char *s);

#endif /* UDPESP_JSON_WRITER_H */
