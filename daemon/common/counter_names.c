// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Counter names and help (see counter_names.h). */
#include "counter_names.h"

#define UDPESP_COUNTER_NAME(id, name, help) [UDPESP_CNT_##id] = name,
#define UDPESP_COUNTER_HELP(id, name, help) [UDPESP_CNT_##id] = help,
const char *const udpesp_counter_names[UDPESP_CNT_MAX] = { UDPESP_COUNTERS(UDPESP_COUNTER_NAME) };
const char *const udpesp_counter_help[UDPESP_CNT_MAX] = { UDPESP_COUNTERS(UDPESP_COUNTER_HELP) };
