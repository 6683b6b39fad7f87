/*
 * fuzz_conf.c — libFuzzer target: the configuration loader.
 *
 * The input is written to a file in a private, otherwise empty directory
 * (the working directory, so relative include() and include_dir paths
 * resolve to nothing), then loaded with conf_load(), in daemon mode and in
 * client mode.  A configuration that loads is printed (conf_print), the
 * printed form is loaded again and must give equal programs (conf_print's
 * contract, groups and the global environment included), and every
 * program is expanded for two process numbers.  The same input goes
 * through conf_client_socket() (the lenient load that reads on after
 * errors) and conf_load_buffer().
 * Everything is freed: LeakSanitizer checks each input.
 * Built and run by tests/fuzz/run.sh.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "msglist.h"
#include "xalloc.h"

static char dir[256], path[300], path2[300];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/mwsup-fuzz-conf.XXXXXX", base);
	if (mkdtemp(dir) == NULL || chdir(dir) == -1) {
		perror("fuzz_conf: temporary directory");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
	snprintf(path2, sizeof(path2), "%s/printed.conf", dir);
	setenv("FUZZ_VAR", "a b %(here)s", 1);
	return 0;
}

static bool
write_file(const char *p, const uint8_t *data, size_t size)
{
	FILE *fp = fopen(p, "w");

	if (fp == NULL)
		return false;
	if (size > 0 && fwrite(data, 1, size, fp) != size) {
		fclose(fp);
		return false;
	}
	return fclose(fp) == 0;
}

static void
exercise(struct conf *conf)
{
	FILE *null = fopen("/dev/null", "w");
	char err[256];

	if (null != NULL) {
		conf_print(conf, null);
		fclose(null);
	}
	for (size_t i = 0; i < conf->nprograms; i++) {
		const struct program_conf *pc = conf->programs[i];
		long long last = (long long)pc->numprocs_start +
		    pc->numprocs - 1;
		int nums[2];

		/* conf_load's promise: every process number is an int. */
		if (pc->numprocs < 1 || pc->numprocs_start < 0 ||
		    last > INT_MAX) {
			fprintf(stderr, "fuzz_conf: %s: numprocs %d from %d "
			    "accepted\n", pc->name, pc->numprocs,
			    pc->numprocs_start);
			abort();
		}
		nums[0] = pc->numprocs_start;
		nums[1] = (int)last;

		(void)program_conf_equal(pc, pc);
		(void)program_conf_normal_exit(pc, 0);
		(void)conf_find_program(conf, pc->name);
		(void)conf_find_group(conf, pc->name);
		for (int k = 0; k < 2; k++) {
			struct proc_spec spec;

			memset(&spec, 0, sizeof(spec));
			if (conf_expand_proc(pc, nums[k], &spec, err,
			    sizeof(err)) == 0)
				proc_spec_free(&spec);
		}
	}
}

/* conf_print's contract: what it prints loads back to equal programs. */
static void
round_trip(const struct conf *conf)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *again;
	FILE *fp = fopen(path2, "w");

	if (fp == NULL)
		return;
	conf_print(conf, fp);
	if (fclose(fp) != 0)
		return;
	again = conf_load(path2, &errs);
	if (again == NULL) {
		fprintf(stderr, "fuzz_conf: the printed configuration does "
		    "not load again:\n");
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "  %s\n", errs.msgs[i]);
		abort();
	}
	if (again->nprograms != conf->nprograms) {
		fprintf(stderr, "fuzz_conf: round trip: %zu programs, then "
		    "%zu\n", conf->nprograms, again->nprograms);
		abort();
	}
	if (again->ngroups != conf->ngroups ||
	    strv_len(again->environment) != strv_len(conf->environment)) {
		fprintf(stderr, "fuzz_conf: round trip changed the groups or "
		    "the global environment\n");
		abort();
	}
	for (size_t i = 0; i < conf->ngroups; i++) {
		const struct conf_group *g = conf_find_group(again,
		    conf->groups[i]->name);

		if (g == NULL || g->nprograms != conf->groups[i]->nprograms) {
			fprintf(stderr, "fuzz_conf: round trip changed group "
			    "%s\n", conf->groups[i]->name);
			abort();
		}
	}
	for (size_t i = 0; i < conf->nprograms; i++) {
		const struct program_conf *a = conf->programs[i];
		const struct program_conf *b =
		    conf_find_program(again, a->name);

		if (b == NULL || !program_conf_equal(a, b)) {
			fprintf(stderr, "fuzz_conf: round trip changed "
			    "program %s\n", a->name);
			abort();
		}
	}
	conf_free(again);
	msglist_clear(&errs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *conf;
	char *sock;

	if (size > 65536 || !write_file(path, data, size))
		return 0;
	for (int client = 0; client < 2; client++) {
		conf_set_client_mode(client == 1);
		conf = conf_load(path, &errs);
		if (conf != NULL) {
			exercise(conf);
			if (client == 0)
				round_trip(conf);
			conf_free(conf);
		}
		msglist_clear(&errs);
	}
	conf_set_client_mode(false);

	/* The client's lenient load: a socket unless the file is unreadable. */
	sock = conf_client_socket(path, &errs);
	if (sock == NULL) {
		fprintf(stderr, "fuzz_conf: conf_client_socket gave no socket "
		    "for a readable file\n");
		abort();
	}
	free(sock);
	msglist_clear(&errs);

	conf = conf_load_buffer((const char *)data, size, path, &errs);
	conf_free(conf);
	msglist_clear(&errs);
	return 0;
}
