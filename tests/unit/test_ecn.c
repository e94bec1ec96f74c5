// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * include/udpesp/ecn.h: where the ECN field of an outer header is read
 * (both decap backends take it from here). The RFC 6040 Figure 4 table
 * and its application to inner packets are checked in test_esp_encap.c
 * (ecn_decap_rfc6040_table, ecn_decap_packet, ecn_decap_in_esp_decap).
 */
#include <criterion/criterion.h>
#include <udpesp/ecn.h>

Test(ecn, field_of_ipv4_and_ipv6_headers)
{
	for (unsigned int tos = 0; tos < 256; tos++) {
		__u8 v4[20] = { 0x45, (__u8)tos };
		/* Traffic class across the low nibble of byte 0 and the top of byte 1. */
		__u8 v6[40] = { (__u8)(0x60 | tos >> 4), (__u8)(tos << 4 | 0x0a) };

		cr_assert_eq(udpesp_ecn_of(v4, UDPESP_AF_INET), tos & 3, "tos %#x", tos);
		cr_assert_eq(udpesp_ecn_of(v6, UDPESP_AF_INET6), tos & 3, "tclass %#x", tos);
	}
	/* The family the caller parsed decides, not the version nibble. */
	cr_assert_eq(udpesp_ecn_of((__u8[40]){ 0x45, 0x32 }, UDPESP_AF_INET6), 3);
	cr_assert_eq(udpesp_ecn_of((__u8[40]){ 0x60, 0x32 }, UDPESP_AF_INET), 2);
}
