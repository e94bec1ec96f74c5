/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Starting over what an earlier udpespd left. Before udpespd touches the
 * pinned maps (it removes SAs whose keys died with their daemon), it
 * must know that no other udpespd still uses them: the control socket
 * tells. A socket file that accepts a connection belongs to a live
 * daemon; one that refuses (ECONNREFUSED) was left by a killed one.
 */
#ifndef UDPESP_RESTART_H
#define UDPESP_RESTART_H

/*
 * 0 when path is free (no file) or was a stale socket, now removed;
 * -EADDRINUSE when a daemon answers on it; -ENOTSOCK when path is
 * something else than a socket (left alone); other -errno.
 */
int restart_socket_claim(const char *path);

#endif /* UDPESP_RESTART_H */
