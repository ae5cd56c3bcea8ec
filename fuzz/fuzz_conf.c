/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * read_conf(): the root-owned ppy.conf ("interpreter /absolute/path" and "forbid-exec
 * raise|log /absolute/path|*" lines, comments, blank lines). Root writes it, but it
 * decides which interpreters run with capabilities and which scripts may start
 * processes, so a malformed file must be refused whole, never half-read. Checked against
 * a restatement: up to the first NUL, lines split on '\n'; after leading blanks, '#'
 * lines and empty lines are skipped; every other line must be exactly the words
 * "interpreter" and an absolute path, or "forbid-exec", "raise" or "log", and an absolute
 * path or "*" (paths of at most 4095 bytes); at most 64 of each kind; 65535 bytes or
 * more is refused.
 * The harness writes each input to a root-only directory (so it must run as root, as CI
 * and `make fuzz` do); ppy.c's compiled-in PPY_CONF is redirected there.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char fuzz_conf_path[128];
char *fuzz_strdup(const char *s);
#undef PPY_CONF
#define PPY_CONF fuzz_conf_path
#define strdup fuzz_strdup
#include "harness.h"
#undef strdup

/* read_conf's copies, freed after each input (a refusal leaves them, as ppy exits). */
static char *owned[140];
static size_t nowned;

char *fuzz_strdup(const char *s)
{
	char *d = strdup(s);
	CHECK(nowned < sizeof owned / sizeof owned[0]);
	if (d)
		owned[nowned++] = d;
	return d;
}

struct want {
	size_t ninterp, nforbid;
	char interp[65][4096], forbid[65][4096];
	const char *mode[65];
};

static int reference(const uint8_t *d, size_t size, struct want *w)
{
	static char text[65536];
	char *save = NULL;

	if (size >= 65535)
		return PPY_EX_INSTALL;
	memcpy(text, d, size);
	text[size] = '\0';
	w->ninterp = w->nforbid = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *tok[4];
		int ntok = 0;
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '#' || !*l)
			continue;
		for (char *p = l; *p && ntok < 4;) {
			while (*p && isspace((unsigned char)*p))
				p++;
			if (!*p)
				break;
			tok[ntok++] = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			if (*p)
				*p++ = '\0';
		}
		if (ntok == 2 && !strcmp(tok[0], "interpreter") && tok[1][0] == '/' &&
		    strlen(tok[1]) <= 4095 && w->ninterp < 64) {
			strcpy(w->interp[w->ninterp++], tok[1]);
		} else if (ntok == 3 && !strcmp(tok[0], "forbid-exec") &&
			   (!strcmp(tok[1], "raise") || !strcmp(tok[1], "log")) &&
			   (tok[2][0] == '/' || !strcmp(tok[2], "*")) && strlen(tok[2]) <= 4095 &&
			   w->nforbid < 64) {
			w->mode[w->nforbid] = !strcmp(tok[1], "raise") ? "raise" : "log";
			strcpy(w->forbid[w->nforbid++], tok[2]);
		} else {
			return PPY_EX_INSTALL;
		}
	}
	return -1;
}

static char dir[] = "/var/lib/ppy-fuzz-conf-XXXXXX";

static void cleanup(void)
{
	unlink(fuzz_conf_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc, (void)argv;
	if (getuid() != 0 || !mkdtemp(dir) || chmod(dir, 0755) != 0) {
		fprintf(stderr, "fuzz_conf: must run as root (ppy.conf must be root's alone)\n");
		exit(1);
	}
	snprintf(fuzz_conf_path, sizeof fuzz_conf_path, "%s/ppy.conf", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct want want;
	static struct conf conf;
	int status, ref, fd;

	fd = open(fuzz_conf_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);

	script_shown[0] = '\0';
	nowned = 0;
	GUARD(status, read_conf(&conf));
	ref = reference(data, size, &want);
	CHECK(status == ref);
	if (status == -1) {
		CHECK(conf.ninterp == want.ninterp && conf.nforbid == want.nforbid);
		for (size_t i = 0; i < conf.ninterp; i++)
			CHECK(strcmp(conf.interp[i], want.interp[i]) == 0);
		for (size_t i = 0; i < conf.nforbid; i++)
			CHECK(strcmp(conf.forbid[i], want.forbid[i]) == 0 &&
			      strcmp(conf.forbid_mode[i], want.mode[i]) == 0);
	}
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	return 0;
}
