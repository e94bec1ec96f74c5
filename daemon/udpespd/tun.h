/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The inner interface (udpesp0 by default): a multi-queue TUN device
 * through which decapsulated packets enter the host stack, one queue per
 * packet worker so that workers never share a file descriptor.
 */
#ifndef UDPESP_TUN_H
#define UDPESP_TUN_H

#include <stdbool.h>

/*
 * Open one more queue of TUN device name (created on the first call),
 * IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, non-blocking. fd or -errno.
 */
int tun_open_queue(const char *name);
/*
 * The same with IFF_VNET_HDR: every packet read or written starts with a
 * struct virtio_net_hdr (esp/esp_gso.h), and the kernel hands over TSO
 * and USO super-packets and packets whose checksum is still to complete
 * (TUNSETOFFLOAD: checksum, TSO4, TSO6, USO4/USO6 where it has them).
 * The flag belongs to the device: every queue of it must be opened the
 * same way. fd or -errno.
 */
int tun_open_queue_gso(const char *name);
/* Set the device's MTU. 0 or -errno. */
int tun_set_mtu(const char *name, unsigned int mtu);
/*
 * Whether the interface outlives its last queue (TUNSETPERSIST): kept
 * with its addresses and routes for a restarted udpespd. 0 or -errno.
 */
int tun_set_persist(int fd, bool on);
/* Set the device administratively up. 0 or -errno. */
int tun_set_up(const char *name);

#endif /* UDPESP_TUN_H */
