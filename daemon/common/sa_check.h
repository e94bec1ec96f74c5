/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's verdict on an SA: udpespd runs sa_check() on every
 * struct udpesp_ctl_sa it receives, whoever sent it, before anything is
 * allocated. udpespctl's parser (sa_parse.c) only checks the grammar, so
 * every rule about what may be offloaded lives here, once.
 *
 * The wire struct has no defaults: dir, mode and encap must be set (the
 * CLI fills mode in as `ip xfrm state` does, with transport). In the
 * algorithm slots a name of "" means "not given". auth.bits == 0 means
 * "the algorithm's default truncation", which is what `auth NAME KEY`
 * (as opposed to `auth-trunc NAME KEY BITS`) asks for in ip xfrm.
 */
#ifndef UDPESP_SA_CHECK_H
#define UDPESP_SA_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <udpesp/abi.h>
#include <udpesp/ctl.h>

#include "esp/esp_suite.h"

/*
 * 0 when the SA may be offloaded, with *out describing its suite;
 * -EINVAL otherwise, with a message for the user in err naming what is
 * wrong and what is expected. Messages never contain key bytes.
 */
int sa_check(const struct udpesp_ctl_sa *sa, struct esp_suite *out, char *err, size_t errlen);

/*
 * RFC 8221's word on an accepted suite's integrity algorithm when it is
 * below SHOULD (HMAC-SHA-1-96: MUST-, AES-XCBC-MAC-96: SHOULD NOT+), for
 * the daemon's log; NULL otherwise.
 */
const char *sa_check_note(const struct esp_suite *s);

/*
 * True when a word could be key material (16 or more characters after
 * 0x, or 16 or more hex digits with a letter among them), so that error
 * messages print a placeholder instead.
 */
bool sa_word_is_secret(const char *word);

#endif /* UDPESP_SA_CHECK_H */
