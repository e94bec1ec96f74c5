// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The inner TUN interface (see tun.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "esp/esp_gso.h"
#include "tun.h"

/* Debian 12's headers (Linux 6.1) predate USO (Linux 6.2). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

static int tun_open(const char *name, short flags)
{
	struct ifreq ifr = { 0 };
	int fd, err;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | flags;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int tun_open_queue(const char *name)
{
	return tun_open(name, 0);
}

int tun_open_queue_gso(const char *name)
{
	unsigned int off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	int fd = tun_open(name, IFF_VNET_HDR), sz = ESP_GSO_VNET_LEN, err = 0;

	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz)) {
		err = -errno;
		goto out;
	}
	/* USO where the kernel has it (6.2 and later): EINVAL before. */
	if (ioctl(fd, TUNSETOFFLOAD, off | TUN_F_USO4 | TUN_F_USO6) &&
	    ioctl(fd, TUNSETOFFLOAD, off))
		err = -errno;
out:
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * No IPv6 link-local address on udpesp0: the host would otherwise send
 * router solicitations and MLD reports into the tunnel, where no SA
 * takes them. Inner IPv6 addresses the user adds still work.
 */
static void tun_quiet_ipv6(const char *name)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", name);
	f = fopen(path, "w");
	if (!f)
		return; /* no IPv6 in this kernel or namespace */
	fputs("1\n", f);
	fclose(f);
}

int tun_set_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		tun_quiet_ipv6(name);
		/* No MLD/IGMP reports of its own into the tunnel either. */
		ifr.ifr_flags &= ~IFF_MULTICAST;
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(s);
	return err;
}

int tun_set_mtu(const char *name, unsigned int mtu)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr))
		err = -errno;
	close(s);
	return err;
}

int tun_set_persist(int fd, bool on)
{
	return ioctl(fd, TUNSETPERSIST, on ? 1 : 0) ? -errno : 0;
}
