/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The global counters' names and help, indexed by enum udpesp_counter,
 * from the one table in include/udpesp/abi.h (UDPESP_COUNTERS).
 */
#ifndef UDPESP_COUNTER_NAMES_H
#define UDPESP_COUNTER_NAMES_H

#include <udpesp/abi.h>

extern const char *const udpesp_counter_names[UDPESP_CNT_MAX];
extern const char *const udpesp_counter_help[UDPESP_CNT_MAX];

#endif /* UDPESP_COUNTER_NAMES_H */
