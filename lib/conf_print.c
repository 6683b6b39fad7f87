/*
 * conf_print.c — the configuration in the normalised form of
 * `mwsupd -t -v`: every option with its effective value, programs from
 * include() and include_dir files listed too, in a form conf_load() reads
 * back to an equal configuration.
 *
 * %(here)s is not printed: a printed configuration loaded from another
 * directory has another `here`.
 */
#include "config.h"

#include <stdio.h>

#include "conf.h"
#include "conf_options.h"
#include "signame.h"

typedef char **strv;	/* so that const applies to the pointer */

#define CFIELD(pc, o, type)	((const type *)(const void *) \
				    ((const char *)(pc) + (o)->offset))

/*
 * Print S as a libconfuse double-quoted string that reads back as S:
 * backslash, quote and '$' (which would start a ${VAR} substitution) are
 * escaped, control characters written as escapes.
 */
void
conf_print_quoted(FILE *fp, const char *s)
{
	putc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\\':
		case '"':
		case '$':
			putc('\\', fp);
			putc(*p, fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(fp, "\\x%02x", *p);
			else
				putc(*p, fp);
		}
	}
	putc('"', fp);
}

static void
print_str_option(FILE *fp, const char *indent, const char *name,
    const char *value, const char *unset)
{
	if (value == NULL) {
		fprintf(fp, "%s# %s: %s\n", indent, name, unset);
		return;
	}
	fprintf(fp, "%s%s = ", indent, name);
	conf_print_quoted(fp, value);
	putc('\n', fp);
}

static void
print_strv(FILE *fp, const char *indent, const char *name, char *const *v)
{
	fprintf(fp, "%s%s = {", indent, name);
	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		if (i > 0)
			fputs(", ", fp);
		conf_print_quoted(fp, v[i]);
	}
	fputs("}\n", fp);
}

void
conf_option_print(const struct conf_option *o, const struct program_conf *pc,
    FILE *fp)
{
	const char *sep = "";
	int v;

	switch (o->kind) {
	case CONF_KIND_COMMAND:
	case CONF_KIND_STRING:
	case CONF_KIND_USER:
		print_str_option(fp, "\t", o->name, *CFIELD(pc, o, char *),
		    o->unset);
		break;
	case CONF_KIND_INT:
		fprintf(fp, "\t%s = %d\n", o->name, *CFIELD(pc, o, int));
		break;
	case CONF_KIND_BOOL:
		fprintf(fp, "\t%s = %s\n", o->name,
		    *CFIELD(pc, o, bool) ? "true" : "false");
		break;
	case CONF_KIND_CHOICE:
		v = *CFIELD(pc, o, int);
		for (const struct conf_choice *c = o->choices; c->name; c++) {
			if (c->value == v) {
				fprintf(fp, "\t%s = %s\n", o->name, c->name);
				break;
			}
		}
		break;
	case CONF_KIND_SIGNAL:
		fprintf(fp, "\t%s = %s\n", o->name,
		    signame_name(*CFIELD(pc, o, int)));
		break;
	case CONF_KIND_MODE:
		if ((v = *CFIELD(pc, o, int)) == -1)
			fprintf(fp, "\t# %s: %s\n", o->name, o->unset);
		else
			fprintf(fp, "\t%s = %04o\n", o->name, (unsigned int)v);
		break;
	case CONF_KIND_EXIT_CODES:
		fprintf(fp, "\t%s = {", o->name);
		for (int code = 0; code < 256; code++) {
			if (CFIELD(pc, o, unsigned char)[code / 8] &
			    (1u << (code % 8))) {
				fprintf(fp, "%s%d", sep, code);
				sep = ", ";
			}
		}
		fputs("}\n", fp);
		break;
	case CONF_KIND_ENVIRONMENT:
		print_strv(fp, "\t", o->name, *CFIELD(pc, o, strv));
		break;
	}
}

static void
print_program(FILE *fp, const struct program_conf *pc)
{
	fprintf(fp, "\nprogram %s {\n", pc->name);
	for (size_t i = 0; i < conf_program_noptions; i++)
		conf_option_print(&conf_program_options[i], pc, fp);
	fputs("}\n", fp);
}

static void
print_group(FILE *fp, const struct conf_group *g)
{
	fprintf(fp, "\ngroup %s {\n", g->name);
	print_strv(fp, "\t", "programs", g->programs);
	fputs("}\n", fp);
}

void
conf_print(const struct conf *conf, FILE *fp)
{
	fputs("# mwsup configuration as loaded: every option with its "
	    "effective value,\n# programs from include() and include_dir "
	    "files listed here too.\n", fp);
	print_str_option(fp, "", "socket", conf->socket, "none");
	fprintf(fp, "socket_mode = %04o\n", (unsigned int)conf->socket_mode);
	print_str_option(fp, "", "socket_group", conf->socket_group, "none");
	print_str_option(fp, "", "pidfile", conf->pidfile, "none");
	fprintf(fp, "log_facility = %s\n", facility_name(conf->log_facility));
	fprintf(fp, "log_target = %s\n", log_target_name(conf->log_target));
	fprintf(fp, "exit_when_done = %s\n",
	    conf->exit_when_done ? "true" : "false");
	/* Only when set, so configurations without one print as before. */
	if (conf->environment != NULL && conf->environment[0] != NULL)
		print_strv(fp, "", "environment", conf->environment);
	for (size_t i = 0; i < conf->nprograms; i++)
		print_program(fp, conf->programs[i]);
	for (size_t i = 0; i < conf->ngroups; i++)
		print_group(fp, conf->groups[i]);
}
