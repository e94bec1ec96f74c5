/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Keeping udpespd's keys out of cores and swap. Keys live in several
 * allocators at once (SA copies in the daemon's heap, expanded keys in
 * intel-ipsec-mb or OpenSSL contexts, control-message buffers), so the
 * protection is for the whole process rather than per buffer:
 *
 * - not dumpable (PR_SET_DUMPABLE 0): no core on a crash, and
 *   /proc/PID/mem, ptrace and process_vm_readv need CAP_SYS_PTRACE;
 * - /proc/self/coredump_filter excludes every anonymous mapping (heap,
 *   stacks, AF_XDP memory): a core written anyway (gcore by root, or
 *   suid_dumpable=2) holds file-backed mappings and registers only;
 * - every page locked as it is first touched (mlockall MCL_ONFAULT):
 *   key pages never go to swap.
 *
 * Each SA's key copies are wiped when it is deleted (sa_table.c,
 * esp_crypto_free(), ctl_msg_free()).
 */
#ifndef UDPESP_SECRETS_H
#define UDPESP_SECRETS_H

/*
 * 0 or -errno of the first step that failed; the steps after it are
 * still taken. A failed mlockall (no CAP_IPC_LOCK and a small
 * RLIMIT_MEMLOCK) is -EPERM/-ENOMEM: the caller logs it and goes on.
 */
int secrets_protect(void);

/*
 * Give freed heap memory back to the kernel (malloc_trim), which locked
 * pages would refuse; the pages in use are locked again right after.
 */
void secrets_trim(void);

/*
 * Wipe the key bytes of an SA's configuration (lengths stay): once its
 * crypto context (and kfunc context) exist, the daemon's copy of the SA
 * needs no key, and a copy less is one a core or a bug cannot show.
 */
struct udpesp_ctl_sa;
void secrets_wipe_sa_keys(struct udpesp_ctl_sa *sa);

/*
 * Zero the calling thread's vector registers (x86-64; elsewhere a
 * no-op): call it after key setup, which leaves key bytes in them.
 */
void secrets_clear_regs(void);

#endif /* UDPESP_SECRETS_H */
