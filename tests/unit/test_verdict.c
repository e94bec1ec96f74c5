// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The decap verdict table (include/udpesp/verdict.h) that both decap
 * backends count from: each drop keeps the global counter, the per-SA
 * field and the name it had before the two backends shared it (these
 * are what users read), and no two drops share a name or an SA field.
 */
#include <stddef.h>
#include <string.h>
#include <criterion/criterion.h>
#include <udpesp/verdict.h>

struct want {
	int v;
	const char *name;
	enum udpesp_counter cnt;
	size_t field; /* offset in struct udpesp_sa_stats */
};

#define SA(f) offsetof(struct udpesp_sa_stats, f)

/* As xsk_worker.c and udpesp_kf.bpf.c each counted them before. */
static const struct want wants[] = {
	{ UDPESP_DROP_HDR, "hdr-error", UDPESP_CNT_IN_HDR_ERROR, SA(hdr_error) },
	{ UDPESP_DROP_REPLAY, "replay", UDPESP_CNT_IN_STATE_SEQ_ERROR, SA(replay) },
	{ UDPESP_DROP_ICV, "icv-failed", UDPESP_CNT_IN_STATE_PROTO_ERROR, SA(integrity_failed) },
	{ UDPESP_DROP_PADDING, "bad-padding", UDPESP_CNT_DECAP_BAD_PADDING, SA(bad_padding) },
	{ UDPESP_DROP_NEXT_HDR, "bad-next-header", UDPESP_CNT_DECAP_BAD_NEXT_HDR,
	  SA(bad_next_header) },
	{ UDPESP_DROP_DUMMY, "dummy", UDPESP_CNT_DECAP_DUMMY, SA(dummy) },
	{ UDPESP_DROP_SELECTOR, "selector-mismatch", UDPESP_CNT_IN_TMPL_MISMATCH,
	  SA(tmpl_mismatch) },
	{ UDPESP_DROP_INNER, "inner-malformed", UDPESP_CNT_IN_STATE_MODE_ERROR, SA(inner_error) },
	{ UDPESP_DROP_ECN, "ecn-ce-not-ect", UDPESP_CNT_DECAP_ECN_DROP, SA(ecn_dropped) },
};

/* The per-SA field of a drop, as the counting sites take it from the table. */
static long table_field(int v)
{
	switch (v) {
#define FIELD(id, name, cnt, field) \
	case UDPESP_DROP_##id:      \
		return SA(field);
		UDPESP_DECAP_DROPS(FIELD)
#undef FIELD
	default:
		return -1;
	}
}

Test(verdict, every_drop_keeps_its_counter_field_and_name)
{
	size_t n = sizeof(wants) / sizeof(wants[0]);

	cr_assert_eq(UDPESP_DECAP_OK, 0);
	cr_assert_eq(UDPESP_DECAP_VERDICT_MAX, n + 1, "a verdict without an expectation here");
	for (size_t i = 0; i < n; i++) {
		const struct want *w = &wants[i];

		/* The order is the ABI the kfunc object and udpespd agree on. */
		cr_assert_eq(w->v, (int)i + 1, "%s", w->name);
		cr_assert_str_eq(udpesp_decap_verdict_name(w->v), w->name);
		cr_assert_eq(udpesp_decap_counter(w->v), w->cnt, "%s", w->name);
		cr_assert_eq(table_field(w->v), (long)w->field, "%s", w->name);
		for (size_t j = 0; j < i; j++) {
			cr_assert_str_neq(wants[j].name, w->name);
			cr_assert_neq(wants[j].field, w->field, "%s and %s share a field",
				      wants[j].name, w->name);
		}
		/* The fields counted are the drops', never the traffic's. */
		cr_assert_geq(w->field, SA(replay), "%s", w->name);
	}
}

Test(verdict, ok_and_unknown_values)
{
	cr_assert_str_eq(udpesp_decap_verdict_name(UDPESP_DECAP_OK), "ok");
	cr_assert_eq(udpesp_decap_counter(UDPESP_DECAP_OK), UDPESP_CNT_DECAP_OK);
	cr_assert_str_eq(udpesp_decap_verdict_name(UDPESP_DECAP_VERDICT_MAX), "unknown");
	cr_assert_str_eq(udpesp_decap_verdict_name(-1), "unknown");
	cr_assert_eq(udpesp_decap_counter(UDPESP_DECAP_VERDICT_MAX), UDPESP_CNT_IN_ERROR);
	cr_assert_eq(table_field(UDPESP_DECAP_OK), -1);
}
