/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control messages for IKE daemons (SPI_ALLOC, SA_QUERY, SA_UPDATE in
 * include/udpesp/ctl.h), registered in ctl_server.c's handler table.
 */
#ifndef UDPESPD_CTL_SWAN_H
#define UDPESPD_CTL_SWAN_H

#include <stddef.h>
#include <udpesp/ctl.h>

struct ctl_server_client;
struct ctl_msg;

/* Handlers: 0 when the reply (or error reply) was sent, -errno otherwise. */
int ctl_swan_spi_alloc(struct ctl_server_client *c, const struct ctl_msg *m);
int ctl_swan_sa_query(struct ctl_server_client *c, const struct ctl_msg *m);
int ctl_swan_sa_update(struct ctl_server_client *c, const struct ctl_msg *m);

/*
 * Keep the SPI reservations in fd from now on, after taking over what an
 * earlier udpespd left there (issue 16). 0 or -errno.
 */
int ctl_swan_keep(int fd);
/* After a successful SA_ADD: the SPIs reserved for these SAs are taken. */
void ctl_swan_sa_added(const struct udpesp_ctl_sa *sa, size_t n);
void ctl_swan_fini(void);

#endif /* UDPESPD_CTL_SWAN_H */
