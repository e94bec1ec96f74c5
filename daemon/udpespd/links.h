/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Interfaces udpesp_xdp runs on: attach and detach through libbpf, list
 * (whoever attached it: udpespd or `ip link`), and libnl link events so
 * that SAs go with their interface.
 */
#ifndef UDPESP_LINKS_H
#define UDPESP_LINKS_H

#include <stddef.h>
#include <linux/types.h>
#include <udpesp/ctl.h>

#define LINKS_MAX_OWNED 64

/* How links report to the daemon; either may be NULL. */
struct links_ops {
	/* An interface vanished (libnl RTM_DELLINK). */
	void (*gone)(void *ctx, __u32 ifindex);
	/* links_attach() or links_detach() changed where udpesp_xdp runs. */
	void (*changed)(void *ctx);
};

struct links {
	int prog_fd;
	__u32 owned[LINKS_MAX_OWNED]; /* ifindexes udpespd attached itself */
	__u8 owned_mode[LINKS_MAX_OWNED];
	int nowned;
	struct nl_sock *nl;
	const struct links_ops *ops;
	void *ctx;
};

int links_init(struct links *l, int prog_fd, const struct links_ops *ops, void *ctx);
/* Detaches whatever udpespd attached itself; leaves `ip link` ones. */
/*
 * A link an earlier udpespd attached (persist.h): this daemon's program
 * replaces the one there, in the same mode, and the link is owned. 0 or -errno.
 */
int links_adopt(struct links *l, __u32 ifindex, __u8 mode);
/* Forget the owned links without detaching: a later udpespd adopts them. */
void links_release(struct links *l);
void links_fini(struct links *l);
/* The libnl socket to poll for link events; links_handle() when readable. */
int links_fd(const struct links *l);
void links_handle(struct links *l);

int links_attach(struct links *l, struct udpesp_ctl_link *req, char *err, size_t errlen);
int links_detach(struct links *l, const struct udpesp_ctl_link *req, char *err, size_t errlen);
/* Calls fn for every interface running udpesp_xdp. */
int links_list(const struct links *l, int (*fn)(const struct udpesp_ctl_link *link, void *arg),
	       void *arg);

#endif /* UDPESP_LINKS_H */
