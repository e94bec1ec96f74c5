// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The ESP engine (daemon/esp/) is a library apart from the daemon: none
 * of its files may include the control protocol, the SA validator or
 * the SA table, directly (scanned below) or through another header
 * (every engine header is included first here, then the guards of the
 * forbidden ones must still be undefined); and of the tree it includes
 * only its own headers and include/udpesp/, never daemon/common/ or
 * daemon/udpespd/.
 */
#include "esp/esp_addr.h"
#include "esp/esp_crypto.h"
#include "esp/esp_crypto_priv.h"
#include "esp/esp_decap.h"
#include "esp/esp_encap.h"
#include "esp/esp_suite.h"

#if defined(UDPESP_CTL_H) || defined(UDPESP_CTL_PROTO_H) || defined(UDPESP_SA_CHECK_H) || \
	defined(UDPESP_SA_TABLE_H)
#error "an ESP engine header pulls in the control protocol or the SA table"
#endif

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>

/* Header names an engine file must not include, in any folder. */
static const char *const forbidden[] = {
	"ctl.h", "ctl_proto.h", "sa_check.h", "sa_table.h", "sa_esp.h", "sa_rt.h",
};

/* The name an #include line names, without its folder; NULL for none. */
static const char *included(const char *line, char *name, size_t size)
{
	const char *p = line, *end, *base;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '#')
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "include", 7))
		return NULL;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"' && *p != '<')
		return NULL;
	end = strpbrk(++p, "\">");
	if (!end || (size_t)(end - p) >= size)
		return NULL;
	memcpy(name, p, end - p);
	name[end - p] = 0;
	base = strrchr(name, '/');
	return base ? base + 1 : name;
}

Test(esp_layout, no_engine_file_includes_control_or_sa_table_headers)
{
	char path[4096], line[512], name[256];
	int files = 0, includes = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/daemon/esp", UDPESP_SRCDIR);
	d = opendir(path);
	cr_assert_not_null(d, "%s", path);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		FILE *f;

		if (n < 3 || de->d_name[n - 2] != '.' ||
		    (de->d_name[n - 1] != 'c' && de->d_name[n - 1] != 'h'))
			continue;
		snprintf(path, sizeof(path), "%s/daemon/esp/%s", UDPESP_SRCDIR, de->d_name);
		f = fopen(path, "r");
		cr_assert_not_null(f, "%s", path);
		files++;
		while (fgets(line, sizeof(line), f)) {
			const char *base = included(line, name, sizeof(name));

			if (!base)
				continue;
			includes++;
			for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
				cr_expect_neq(strcmp(base, forbidden[i]), 0,
					      "daemon/esp/%s includes %s", de->d_name, name);
			/* "x.h" is the engine's own; a folder names another part. */
			cr_expect(!strchr(line, '"') || base == name,
				  "daemon/esp/%s includes %s, outside the engine", de->d_name,
				  name);
		}
		fclose(f);
	}
	closedir(d);
	/* The scan saw the engine: its sources and their includes. */
	cr_assert_geq(files, 8, "only %d files in daemon/esp", files);
	cr_assert_geq(includes, 20, "only %d #include lines in daemon/esp", includes);
}

Test(esp_layout, include_line_parsing)
{
	char name[256];

	cr_assert_str_eq(included("#include <udpesp/ctl.h>\n", name, sizeof(name)), "ctl.h");
	cr_assert_str_eq(included("# include \"common/ctl_proto.h\"", name, sizeof(name)),
			 "ctl_proto.h");
	cr_assert_str_eq(included("\t#include \"sa_table.h\"", name, sizeof(name)), "sa_table.h");
	cr_assert_null(included("/* #include <udpesp/ctl.h> */", name, sizeof(name)));
	cr_assert_null(included("#define X 1", name, sizeof(name)));
}
