/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Output for udpespctl, as text or as JSON from one set of calls.
 *
 * struct json_print is iproute2's PRINT_ANY idea on top of the JSON
 * writer (json_writer.h): each json_print_* value call names the JSON
 * key and the text format of one value, and prints whichever the output
 * mode asks for. PRINT_FP prints only in text mode, PRINT_JSON only in
 * JSON mode, PRINT_ANY in both. Text formats take the value as the type
 * the call names: unsigned long long (%llu, %llx) for json_print_u64,
 * const char * (%s) for json_print_str. Objects and arrays exist only in
 * JSON: in text mode the open/close calls print nothing.
 */
#ifndef UDPESP_JSON_PRINT_H
#define UDPESP_JSON_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "json_writer.h"

enum print_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = PRINT_FP | PRINT_JSON,
};

struct json_print {
	FILE *f;
	bool json;
	struct json_writer jw;
};

void json_print_init(struct json_print *p, FILE *f, bool json);
/* JSON only; text output has no structure. */
void json_print_open_object(struct json_print *p, const char *key);
void json_print_close_object(struct json_print *p);
void json_print_open_array(struct json_print *p, const char *key);
void json_print_close_array(struct json_print *p);
/* A NULL fmt prints nothing in text mode. */
void json_print_u64(struct json_print *p, enum print_type t, const char *key, const char *fmt,
		    __u64 v);
void json_print_str(struct json_print *p, enum print_type t, const char *key, const char *fmt,
		    const char *s);
/* Text: fmt, a plain string without conversions, when v is true. */
void json_print_bool(struct json_print *p, enum print_type t, const char *key, const char *fmt,
		     bool v);
/* Text: fmt as a plain string. JSON: key: null. */
void json_print_null(struct json_print *p, enum print_type t, const char *key, const char *fmt);
/* Text mode only: printf-style. */
void json_print_text(struct json_print *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Text mode only: end of line. */
void json_print_nl(struct json_print *p);

#endif /* UDPESP_JSON_PRINT_H */
