/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What Debian's build of strongSwan 5.9.8 defines that its public headers
 * test, in place of the config.h its ./configure writes (included first
 * with -include). Each line says where it comes from; check_config.sh
 * compares the HAVE_* ones with the installed libraries at build time and
 * the plugin checks daemon_t's layout at run time (kernel_udpesp_plugin.c).
 */
#ifndef UDPESP_SWAN_CONFIG_H
#define UDPESP_SWAN_CONFIG_H

/* library.h refuses to compile without a config.h; this is ours. */
#define CONFIG_H_INCLUDED 1

/* debian/rules: --enable-mediation. Adds members to daemon_t and ike_sa_t. */
#define ME 1
/* configure's defaults (IKEv1 and IKEv2 on; debian/rules disables neither). */
#define USE_IKEV1 1
#define USE_IKEV2 1

/* glibc 2.36 (Debian 12), as configure finds it; see check_config.sh. */
#define HAVE_STDBOOL_H 1
#define HAVE__BOOL 1
#define HAVE_INT128 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_CLOCK_GETTIME 1
#define HAVE_CONDATTR_CLOCK_MONOTONIC 1 /* libstrongswan imports pthread_condattr_setclock */
#define HAVE_EXPLICIT_BZERO 1		/* glibc 2.25+ */
#define HAVE_MEMRCHR 1			/* glibc */
#define HAVE_FMEMOPEN 1			/* glibc */
#define HAVE_SIGWAITINFO 1		/* imports sigwaitinfo from glibc */
#define HAVE_CLOSEFROM 1		/* imports closefrom from glibc 2.34+ */

/* glibc's register_printf_specifier: neither Vstr nor the builtin printf. */
#undef USE_VSTR
#undef USE_BUILTIN_PRINTF

/*
 * --with-capabilities=libcap defines HAVE_SYS_CAPABILITY_H, which only
 * pulls in <sys/capability.h>; capabilities_t is the same without it.
 * DEBUG_LEVEL: utils/debug.h defaults to 4, as configure does.
 */

#endif /* UDPESP_SWAN_CONFIG_H */
