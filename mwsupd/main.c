/*
 * main.c — mwsupd: the story of start-up, supervision and shutdown.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "log.h"

#define DEFAULT_CONF	SYSCONFDIR "/mwsup.conf"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mwsupd [-c FILE] [-n] [-t [-v]] [-q] [-d] [-V] [-h]\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -n, --foreground   do not daemonize\n"
	    "  -t, --check        check the configuration and exit (0 or 78)\n"
	    "  -v, --verbose      with -t: print the normalised configuration\n"
	    "  -q, --quiet        say nothing when another instance runs\n"
	    "  -d, --debug        log debug messages too\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n", DEFAULT_CONF);
}

/* `mwsupd -t`: print every error, or the normalised config with -v. */
static int
check_config(const char *path, int verbose)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *conf;

	conf = conf_load(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	msglist_clear(&errs);
	if (conf == NULL)
		return EX_CONFIG;
	if (verbose)
		conf_print(conf, stdout);
	conf_free(conf);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "foreground",	no_argument,		NULL, 'n' },
		{ "check",	no_argument,		NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "debug",	no_argument,		NULL, 'd' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conffile = DEFAULT_CONF;
	int check = 0, verbose = 0, ch;

	while ((ch = getopt_long(argc, argv, "c:ntvqdVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'n': case 'q': case 'd':
			break;
		case 'V':
			printf("mwsupd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (check)
		return check_config(conffile, verbose);
	log_init(LOG_TARGET_STDERR, 0, 0);
	fatalx("the supervision engine is not built yet");
}
