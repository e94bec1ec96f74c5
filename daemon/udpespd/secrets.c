// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <udpesp/ctl.h>

#include "secrets.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

/* Bit 4 of coredump_filter: ELF headers only; bits 0-1 (anonymous) off. */
#define SECRETS_COREDUMP_FILTER "0x10"

static int secrets_coredump_filter(void)
{
	int fd = open("/proc/self/coredump_filter", O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, SECRETS_COREDUMP_FILTER, sizeof(SECRETS_COREDUMP_FILTER) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Whether mlockall() took: secrets_trim() lifts and takes it again. */
static bool secrets_locked;

int secrets_protect(void)
{
	int err = 0, ret;

	/* The filter first: /proc/self is root's once we are not dumpable. */
	ret = secrets_coredump_filter();
	if (ret && !err)
		err = ret;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) && !err)
		err = -errno;
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) {
		if (!err)
			err = -errno;
	} else {
		secrets_locked = true;
	}
	return err;
}

void secrets_trim(void)
{
	/*
	 * malloc_trim() gives free heap pages back with MADV_DONTNEED, which
	 * the kernel refuses on locked pages: lift the lock for the trim and
	 * take it again, so the pages still in use are locked at once.
	 */
	if (secrets_locked)
		munlockall();
	malloc_trim(0);
	if (secrets_locked && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT))
		secrets_locked = false;
}

void secrets_clear_regs(void)
{
#if defined(__x86_64__)
	/*
	 * Key setup (intel-ipsec-mb, OpenSSL) leaves keys and round keys in
	 * vector registers; a core of this thread would carry them in its
	 * XSAVE note.
	 */
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroall" ::: "memory");
	else
		__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
				 "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
				 "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
				 "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
				 "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
				 "pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
				 "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
				 "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15" ::
					 : "memory");
	/* AVX-512: vzeroall leaves zmm16-31 as they were. */
	if (__builtin_cpu_supports("avx512f"))
		__asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
				 "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
				 "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
				 "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
				 "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
				 "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
				 "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
				 "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
				 "vpxord %%zmm24, %%zmm24, %%zmm24\n\t"
				 "vpxord %%zmm25, %%zmm25, %%zmm25\n\t"
				 "vpxord %%zmm26, %%zmm26, %%zmm26\n\t"
				 "vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
				 "vpxord %%zmm28, %%zmm28, %%zmm28\n\t"
				 "vpxord %%zmm29, %%zmm29, %%zmm29\n\t"
				 "vpxord %%zmm30, %%zmm30, %%zmm30\n\t"
				 "vpxord %%zmm31, %%zmm31, %%zmm31" ::
					 : "memory");
#endif
}

void secrets_wipe_sa_keys(struct udpesp_ctl_sa *sa)
{
	explicit_bzero(sa->aead.key, sizeof(sa->aead.key));
	explicit_bzero(sa->enc.key, sizeof(sa->enc.key));
	explicit_bzero(sa->auth.key, sizeof(sa->auth.key));
}
