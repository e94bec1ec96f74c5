// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * daemon/udpespctl/json_writer.c: the JSON writer (escaping, nesting, numbers, misuse)
 * and json_print.c, the text-or-JSON print layer on top of it. Output goes to an
 * open_memstream buffer and is compared byte for byte. Unprivileged.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "udpespctl/json_print.h"

static char *buf;
static size_t buf_len;
static FILE *mf;

static void mem_open(void)
{
	mf = open_memstream(&buf, &buf_len);
	cr_assert_not_null(mf);
}

/* Close the stream; buf then holds everything written, NUL-terminated. */
static const char *mem_take(void)
{
	fclose(mf);
	mf = NULL;
	return buf;
}

static void mem_free(void)
{
	if (mf)
		fclose(mf);
	free(buf);
	buf = NULL;
	mf = NULL;
}

TestSuite(json_print, .init = mem_open, .fini = mem_free);

static const char *escaped(const char *s)
{
	json_writer_escape(mf, s);
	return mem_take();
}

Test(json_print, escape_plain)
{
	cr_assert_str_eq(escaped("eth0"), "\"eth0\"");
}

Test(json_print, escape_empty)
{
	cr_assert_str_eq(escaped(""), "\"\"");
}

Test(json_print, escape_quote_backslash)
{
	cr_assert_str_eq(escaped("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

Test(json_print, escape_named_controls)
{
	cr_assert_str_eq(escaped("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
}

Test(json_print, escape_other_controls)
{
	cr_assert_str_eq(escaped("\x01x\x1f"), "\"\\u0001x\\u001f\"");
}

Test(json_print, escape_keeps_slash_and_del)
{
	/* Neither needs escaping in JSON; rfc4106(gcm(aes)) stays readable. */
	cr_assert_str_eq(escaped("a/b\x7f"), "\"a/b\x7f\"");
}

Test(json_print, escape_valid_utf8_passes)
{
	/* U+00E9, U+20AC, U+1F600: two, three and four bytes. */
	cr_assert_str_eq(escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
			 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

Test(json_print, escape_invalid_utf8_replaced)
{
	/* Lone continuation, overlong "/", truncated sequence, surrogate. */
	cr_assert_str_eq(escaped("\x80|\xc0\xaf|\xe2\x82|\xed\xa0\x80"),
			 "\"\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|"
			 "\\ufffd\\ufffd\\ufffd\"");
}

Test(json_print, escape_beyond_unicode_replaced)
{
	/* F4 90 ... would be above U+10FFFF; F5 never starts a sequence. */
	cr_assert_str_eq(escaped("\xf4\x90\x80\x80\xf5"),
			 "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

Test(json_print, truncated_sequence_at_end)
{
	cr_assert_str_eq(escaped("ok\xe2"), "\"ok\\ufffd\"");
}

Test(json_print, numbers)
{
	struct json_writer w;

	json_writer_init(&w, mf);
	json_writer_begin_array(&w, NULL);
	json_writer_u64(&w, NULL, 0);
	json_writer_u64(&w, NULL, UINT64_MAX);
	json_writer_s64(&w, NULL, INT64_MIN);
	json_writer_s64(&w, NULL, -1);
	json_writer_end_array(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_str_eq(mem_take(), "[0,18446744073709551615,-9223372036854775808,-1]\n");
}

Test(json_print, scalars)
{
	struct json_writer w;

	json_writer_init(&w, mf);
	json_writer_begin_object(&w, NULL);
	json_writer_bool(&w, "t", true);
	json_writer_bool(&w, "f", false);
	json_writer_null(&w, "n");
	json_writer_string(&w, "s", NULL);
	json_writer_string(&w, "k\"ey", "v");
	json_writer_end_object(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_str_eq(mem_take(),
			 "{\"t\":true,\"f\":false,\"n\":null,\"s\":null,\"k\\\"ey\":\"v\"}\n");
}

Test(json_print, nesting)
{
	struct json_writer w;

	json_writer_init(&w, mf);
	json_writer_begin_object(&w, NULL);
	json_writer_begin_object(&w, "counters");
	json_writer_u64(&w, "RxEsp", 3);
	json_writer_u64(&w, "DecapOk", 2);
	json_writer_end_object(&w);
	json_writer_begin_array(&w, "sa");
	json_writer_begin_object(&w, NULL);
	json_writer_u64(&w, "handle", 1);
	json_writer_end_object(&w);
	json_writer_begin_object(&w, NULL);
	json_writer_end_object(&w);
	json_writer_begin_array(&w, NULL);
	json_writer_end_array(&w);
	json_writer_end_array(&w);
	json_writer_begin_object(&w, "empty");
	json_writer_end_object(&w);
	json_writer_end_object(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.depth, 0);
	cr_assert_str_eq(mem_take(), "{\"counters\":{\"RxEsp\":3,\"DecapOk\":2},"
				     "\"sa\":[{\"handle\":1},{},[]],\"empty\":{}}\n");
}

Test(json_print, top_level_values_are_lines)
{
	struct json_writer w;

	json_writer_init(&w, mf);
	for (int i = 1; i <= 3; i++) {
		json_writer_begin_object(&w, NULL);
		json_writer_u64(&w, "handle", i);
		json_writer_end_object(&w);
	}
	json_writer_u64(&w, NULL, 7);
	cr_assert_str_eq(mem_take(), "{\"handle\":1}\n{\"handle\":2}\n{\"handle\":3}\n7\n");
}

Test(json_print, depth_limit)
{
	struct json_writer w;
	int i;

	json_writer_init(&w, mf);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		cr_assert_eq(json_writer_begin_array(&w, NULL), 0);
	cr_assert_eq(json_writer_begin_array(&w, NULL), -EINVAL);
	cr_assert_eq(w.err, -EINVAL);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		cr_assert_eq(json_writer_end_array(&w), 0);
	cr_assert_eq(json_writer_end_array(&w), -EINVAL);
	cr_assert_eq(strlen(mem_take()), 2 * JSON_MAX_DEPTH + 1);
}

Test(json_print, misuse_writes_nothing)
{
	struct json_writer w;

	json_writer_init(&w, mf);
	cr_assert_eq(json_writer_u64(&w, "key-at-top", 1), -EINVAL);
	json_writer_begin_object(&w, NULL);
	cr_assert_eq(json_writer_u64(&w, NULL, 1), -EINVAL); /* no key in an object */
	cr_assert_eq(json_writer_end_array(&w), -EINVAL);    /* wrong closer */
	json_writer_begin_array(&w, "a");
	cr_assert_eq(json_writer_string(&w, "k", "v"), -EINVAL); /* key in an array */
	json_writer_end_array(&w);
	json_writer_end_object(&w);
	cr_assert_eq(w.err, -EINVAL);
	cr_assert_str_eq(mem_take(), "{\"a\":[]}\n");
}

Test(json_print, print_any_text)
{
	struct json_print p;

	json_print_init(&p, mf, false);
	json_print_open_object(&p, NULL);
	json_print_u64(&p, PRINT_ANY, "handle", "handle %llu", 7);
	json_print_str(&p, PRINT_ANY, "dir", " dir %s", "in");
	json_print_u64(&p, PRINT_JSON, "spi", NULL, 0x1001);
	json_print_text(&p, " spi 0x%08x", 0x1001);
	json_print_bool(&p, PRINT_ANY, "esn", " flag esn", true);
	json_print_bool(&p, PRINT_ANY, "owned", " owned", false);
	json_print_null(&p, PRINT_ANY, "dev", " dev any");
	json_print_u64(&p, PRINT_FP, "ignored", " fp-only %llu", 1);
	json_print_u64(&p, PRINT_ANY, "nofmt", NULL, 2);
	json_print_nl(&p);
	json_print_close_object(&p);
	cr_assert_str_eq(mem_take(), "handle 7 dir in spi 0x00001001 flag esn dev any fp-only 1\n");
}

Test(json_print, print_any_json)
{
	struct json_print p;

	json_print_init(&p, mf, true);
	json_print_open_array(&p, NULL);
	json_print_open_object(&p, NULL);
	json_print_u64(&p, PRINT_ANY, "handle", "handle %llu", 7);
	json_print_str(&p, PRINT_ANY, "dir", " dir %s", "in");
	json_print_u64(&p, PRINT_JSON, "spi", NULL, 0x1001);
	json_print_text(&p, " spi 0x%08x", 0x1001);
	json_print_bool(&p, PRINT_ANY, "esn", " flag esn", true);
	json_print_bool(&p, PRINT_ANY, "owned", " owned", false);
	json_print_null(&p, PRINT_ANY, "dev", " dev any");
	json_print_u64(&p, PRINT_FP, "ignored", " fp-only %llu", 1);
	json_print_nl(&p);
	json_print_open_object(&p, "sel");
	json_print_str(&p, PRINT_ANY, "src", "sel src %s", "10.0.0.0/8");
	json_print_close_object(&p);
	json_print_close_object(&p);
	json_print_close_array(&p);
	cr_assert_eq(p.jw.err, 0);
	cr_assert_str_eq(mem_take(),
			 "[{\"handle\":7,\"dir\":\"in\",\"spi\":4097,\"esn\":true,"
			 "\"owned\":false,\"dev\":null,\"sel\":{\"src\":\"10.0.0.0/8\"}}]\n");
}
