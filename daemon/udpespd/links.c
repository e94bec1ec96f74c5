// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Attaching udpesp_xdp, listing where it runs, and watching links vanish. */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "links.h"
#include "common/log.h"
#include "common/util.h"
#include <udpesp/abi.h>

static int links_nl_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct links *l = arg;
	struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_DELLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(nlh);
	/* It went with its program: nothing to detach any more. */
	for (int i = 0; i < l->nowned; i++) {
		if (l->owned[i] == (__u32)ifi->ifi_index) {
			l->owned[i] = l->owned[--l->nowned];
			l->owned_mode[i] = l->owned_mode[l->nowned];
			break;
		}
	}
	if (l->ops && l->ops->gone)
		l->ops->gone(l->ctx, ifi->ifi_index);
	return NL_OK;
}

int links_init(struct links *l, int prog_fd, const struct links_ops *ops, void *ctx)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->prog_fd = prog_fd;
	l->ops = ops;
	l->ctx = ctx;
	l->nl = nl_socket_alloc();
	if (!l->nl)
		return -ENOMEM;
	nl_socket_disable_seq_check(l->nl);
	nl_socket_modify_cb(l->nl, NL_CB_VALID, NL_CB_CUSTOM, links_nl_msg, l);
	err = nl_connect(l->nl, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_membership(l->nl, RTNLGRP_LINK);
	if (!err)
		err = nl_socket_set_nonblocking(l->nl);
	if (err) {
		nl_socket_free(l->nl);
		l->nl = NULL;
		return -EIO;
	}
	return 0;
}

static __u32 links_mode_flags(__u8 mode)
{
	switch (mode) {
	case UDPESP_XDP_NATIVE:
		return XDP_FLAGS_DRV_MODE;
	case UDPESP_XDP_GENERIC:
		return XDP_FLAGS_SKB_MODE;
	}
	return 0;
}

void links_fini(struct links *l)
{
	for (int i = 0; i < l->nowned; i++) {
		int err = bpf_xdp_detach(l->owned[i], links_mode_flags(l->owned_mode[i]), NULL);

		if (err)
			pr_warn("detaching from ifindex %u: %s", l->owned[i], strerror(-err));
	}
	l->nowned = 0;
	if (l->nl)
		nl_socket_free(l->nl);
	l->nl = NULL;
}

int links_fd(const struct links *l)
{
	return l->nl ? nl_socket_get_fd(l->nl) : -1;
}

void links_handle(struct links *l)
{
	/* Drain everything queued; the socket is non-blocking. */
	while (nl_recvmsgs_default(l->nl) >= 0)
		;
}

static void links_changed(struct links *l)
{
	if (l->ops && l->ops->changed)
		l->ops->changed(l->ctx);
}

/* The XDP program on ifindex, if it is udpesp_xdp: its id and mode. */
static bool links_prog_on(__u32 ifindex, __u32 *prog_id, __u8 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool ours = false;
	int fd;

	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id)
		return false;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		ours = !strncmp(info.name, UDPESP_PROG_XDP, sizeof(info.name));
	close(fd);
	*prog_id = q.prog_id;
	*mode = q.attach_mode == XDP_ATTACHED_SKB ? UDPESP_XDP_GENERIC : UDPESP_XDP_NATIVE;
	return ours;
}

int links_adopt(struct links *l, __u32 ifindex, __u8 mode)
{
	__u32 id;
	__u8 now;
	int ret;

	(void)mode; /* what it runs in now wins */
	if (!links_prog_on(ifindex, &id, &now))
		return -ENOENT;
	if (l->nowned >= LINKS_MAX_OWNED)
		return -ENOSPC;
	/* Without UPDATE_IF_NOEXIST the kernel swaps the programs atomically. */
	ret = bpf_xdp_attach(ifindex, l->prog_fd, links_mode_flags(now), NULL);
	if (ret)
		return ret;
	l->owned[l->nowned] = ifindex;
	l->owned_mode[l->nowned++] = now;
	return 0;
}

void links_release(struct links *l)
{
	l->nowned = 0;
}

int links_attach(struct links *l, struct udpesp_ctl_link *req, char *err, size_t errlen)
{
	char name[IF_NAMESIZE] = "";
	__u32 id;
	__u8 mode;
	int ret;

	if (!if_indextoname(req->ifindex, name)) {
		errf(err, errlen, "no interface with index %u", req->ifindex);
		return -ENODEV;
	}
	if (links_prog_on(req->ifindex, &id, &mode)) {
		errf(err, errlen, "udpesp is already attached to %s (prog id %u)", name, id);
		return -EEXIST;
	}
	if (l->nowned >= LINKS_MAX_OWNED) {
		errf(err, errlen, "udpespd attaches to at most %d interfaces", LINKS_MAX_OWNED);
		return -ENOSPC;
	}
	ret = bpf_xdp_attach(req->ifindex, l->prog_fd,
			     XDP_FLAGS_UPDATE_IF_NOEXIST | links_mode_flags(req->mode), NULL);
	if (ret) {
		errf(err, errlen, "attaching to %s: %s%s", name, strerror(-ret),
		     ret == -EBUSY || ret == -EEXIST ? " (another XDP program is attached)" : "");
		return ret;
	}
	links_prog_on(req->ifindex, &req->prog_id, &req->mode);
	l->owned[l->nowned] = req->ifindex;
	l->owned_mode[l->nowned++] = req->mode;
	req->owned = 1;
	snprintf(req->name, sizeof(req->name), "%s", name);
	pr_info("attached udpesp_xdp to %s (%s mode)", name,
		req->mode == UDPESP_XDP_GENERIC ? "generic" : "native");
	links_changed(l);
	return 0;
}

int links_detach(struct links *l, const struct udpesp_ctl_link *req, char *err, size_t errlen)
{
	char name[IF_NAMESIZE] = "?";
	__u32 id;
	__u8 mode;
	int ret;

	if_indextoname(req->ifindex, name);
	if (!links_prog_on(req->ifindex, &id, &mode)) {
		errf(err, errlen, "udpesp is not attached to %s", name);
		return -ENOENT;
	}
	ret = bpf_xdp_detach(req->ifindex, links_mode_flags(mode), NULL);
	if (ret) {
		errf(err, errlen, "detaching from %s: %s", name, strerror(-ret));
		return ret;
	}
	for (int i = 0; i < l->nowned; i++) {
		if (l->owned[i] == req->ifindex) {
			l->owned[i] = l->owned[--l->nowned];
			l->owned_mode[i] = l->owned_mode[l->nowned];
			break;
		}
	}
	pr_info("detached udpesp_xdp from %s", name);
	links_changed(l);
	return 0;
}

int links_list(const struct links *l, int (*fn)(const struct udpesp_ctl_link *link, void *arg),
	       void *arg)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int ret = 0;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && !ret; i++) {
		struct udpesp_ctl_link link = { .ifindex = i->if_index };

		if (!links_prog_on(i->if_index, &link.prog_id, &link.mode))
			continue;
		snprintf(link.name, sizeof(link.name), "%s", i->if_name);
		for (int k = 0; k < l->nowned; k++)
			if (l->owned[k] == i->if_index)
				link.owned = 1;
		ret = fn(&link, arg);
	}
	if_freenameindex(ifs);
	return ret;
}
