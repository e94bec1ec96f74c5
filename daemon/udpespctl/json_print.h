/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Output for udpespctl, as text or as JSON from one set of calls.
 *
 * struct json_writer is a small streaming JSON writer: compact output,
 * strings escaped (quotes, backslashes, control characters; bytes that
 * are not valid UTF-8 become U+FFFD, so jq always parses the result),
 * and a newline after every complete top-level value, so a series of
 * top-level objects is JSON lines. Misuse (a key where none belongs, a
 * missing key inside an object, unbalanced ends, nesting deeper than
 * JSON_MAX_DEPTH) writes nothing, returns -EINVAL and is remembered in
 * w->err, so a caller may check once at the end.
 *
 * struct jprint is iproute2's PRINT_ANY idea on top of it: each print_*
 * call names the JSON key and the text format of one value, and prints
 * whichever the output mode asks for. PRINT_FP prints only in text mode,
 * PRINT_JSON only in JSON mode, PRINT_ANY in both. Text formats take the
 * value as the type the call names: unsigned long long (%llu, %llx) for
 * jp_u64, const char * (%s) for jp_str. Objects and arrays exist only in
 * JSON: in text mode the open/close calls print nothing.
 */
#ifndef UDPESP_JSON_PRINT_H
#define UDPESP_JSON_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *f;
	unsigned int depth;			 /* open objects and arrays */
	bool in_object[JSON_MAX_DEPTH + 1];	 /* [d]: level d is an object */
	bool has_items[JSON_MAX_DEPTH + 1];	 /* [d]: comma before the next */
	int err;				 /* first misuse, sticky */
};

void jw_init(struct json_writer *w, FILE *f);
/* key: the member name inside an object; NULL in an array or at the top. */
int jw_begin_object(struct json_writer *w, const char *key);
int jw_end_object(struct json_writer *w);
int jw_begin_array(struct json_writer *w, const char *key);
int jw_end_array(struct json_writer *w);
/* s NULL writes null. */
int jw_string(struct json_writer *w, const char *key, const char *s);
int jw_u64(struct json_writer *w, const char *key, __u64 v);
int jw_s64(struct json_writer *w, const char *key, __s64 v);
int jw_bool(struct json_writer *w, const char *key, bool v);
int jw_null(struct json_writer *w, const char *key);
/* Write s as a JSON string literal, quotes included. */
void jw_escape(FILE *f, const char *s);

enum print_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = PRINT_FP | PRINT_JSON,
};

struct jprint {
	FILE *f;
	bool json;
	struct json_writer jw;
};

void jp_init(struct jprint *p, FILE *f, bool json);
/* JSON only; text output has no structure. */
void jp_open_object(struct jprint *p, const char *key);
void jp_close_object(struct jprint *p);
void jp_open_array(struct jprint *p, const char *key);
void jp_close_array(struct jprint *p);
/* A NULL fmt prints nothing in text mode. */
void jp_u64(struct jprint *p, enum print_type t, const char *key,
	    const char *fmt, __u64 v);
void jp_str(struct jprint *p, enum print_type t, const char *key,
	    const char *fmt, const char *s);
/* Text: fmt, a plain string without conversions, when v is true. */
void jp_bool(struct jprint *p, enum print_type t, const char *key,
	     const char *fmt, bool v);
/* Text: fmt as a plain string. JSON: key: null. */
void jp_null(struct jprint *p, enum print_type t, const char *key,
	     const char *fmt);
/* Text mode only: printf-style. */
void jp_text(struct jprint *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Text mode only: end of line. */
void jp_nl(struct jprint *p);

#endif /* UDPESP_JSON_PRINT_H */
