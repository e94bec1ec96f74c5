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

#include "tun.h"

int tun_open_queue(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd, err;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = -errno;
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
