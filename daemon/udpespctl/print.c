// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What every object prints with: the output (text or JSON, json_print.h),
 * error messages, names of enumerated values, addresses, SPIs, devices
 * and times.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "udpespctl.h"

struct json_print print_out;

/* "Error: ..." on stderr; returns EXIT_FAIL. */
__attribute__((format(printf, 1, 2))) int print_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

const char *const print_limit_names[UDPESP_LIMIT_MAX] = {
	"time-soft", "time-hard", "byte-soft", "byte-hard", "packet-soft", "packet-hard",
};
const char *const print_encap_names[UDPESP_ENCAP_ESPINUDP + 1] = { [UDPESP_ENCAP_ESPINUDP] =
									   "espinudp" };

/* names[v], or "what-v" in buf for a value this udpespctl does not know. */
const char *print_name(const char *const *names, unsigned int n, unsigned int v, const char *what,
		       char *buf, size_t len)
{
	if (v < n && names[v])
		return names[v];
	snprintf(buf, len, "%s-%u", what, v);
	return buf;
}

/* Address (with /len if prefix) in buf, or NULL when none is set. */
const char *print_fmt_addr(const struct udpesp_ctl_addr *a, bool prefix, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family, a->addr, s, sizeof(s)))
		return NULL;
	snprintf(buf, len, prefix ? "%s/%u" : "%s", s, a->prefixlen);
	return buf;
}

/* JSON: the address or null; text: fmt with the address or "any". */
void print_addr(const char *key, const char *fmt, const struct udpesp_ctl_addr *a, bool prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *s = print_fmt_addr(a, prefix, buf, sizeof(buf));

	json_print_str(&print_out, PRINT_JSON, key, NULL, s);
	json_print_str(&print_out, PRINT_FP, key, fmt, s ? s : "any");
}

void print_spi(const char *fmt, __be32 spi)
{
	json_print_u64(&print_out, PRINT_JSON, "spi", NULL, ntohl(spi));
	json_print_text(&print_out, fmt, ntohl(spi));
}

void print_dev(const char *fmt, __u32 ifindex)
{
	char name[IF_NAMESIZE] = "any";

	if (ifindex && !if_indextoname(ifindex, name))
		snprintf(name, sizeof(name), "if%u", ifindex);
	if (!ifindex)
		json_print_null(&print_out, PRINT_JSON, "dev", NULL);
	json_print_str(&print_out, ifindex ? PRINT_ANY : PRINT_FP, "dev", fmt, name);
	json_print_u64(&print_out, PRINT_JSON, "ifindex", NULL, ifindex);
}

/* JSON: seconds since the epoch; text: local time, "-" for 0. */
void print_time(const char *key, const char *fmt, __u64 t)
{
	time_t tt = (time_t)t;
	char buf[32] = "-";
	struct tm tm;

	json_print_u64(&print_out, PRINT_JSON, key, NULL, t);
	if (t && localtime_r(&tt, &tm))
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	json_print_str(&print_out, PRINT_FP, NULL, fmt, buf);
}
