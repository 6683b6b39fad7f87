/*
 * proc.c — spawn, signal and reap processes; capture their output.
 *
 * Spawning prepares everything (argv, environment, executable path, user
 * and groups) before fork(); the child then only makes async-signal-safe
 * system calls and reports a failure before exec through a close-on-exec
 * pipe, so the parent learns synchronously whether exec worked and why not.
 *
 * Signals go to pids we have not reaped yet: a pid cannot be recycled
 * before its parent reaps it, and the reaper (reap.c) is the only place
 * that reaps and it forgets the pid in the same step, so a recycled pid is
 * never signalled — without spending a pidfd per process.
 *
 * Output: each spawn gets fresh pipes.  When the process is reaped, what
 * it wrote is read first; a pipe that another writer still holds (a helper
 * left behind with killmode = process, a group not killed yet) lingers:
 * it is read until end of file, its lines still tagged with the pid of the
 * process it belonged to and still shown by `tail` of that process, within
 * a bound (LINGER_MAX), so the helper neither loses its lines nor dies of
 * SIGPIPE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "guard.h"
#include "lockfile.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "reap.h"
#include "xalloc.h"

extern char **environ;

#define READ_CHUNK	65536
#define DRAIN_MAX	(1024 * 1024)	/* bytes read from a pipe at reap */
/* Pipes read after their process was reaped, at most: the oldest is
   closed beyond that (each is a descriptor of the budget). */
#define LINGER_MAX	256

struct proc_io;
struct linger;

struct output {
	struct io	 io;
	struct proc_io	*pio;		/* NULL: its process is gone */
	pid_t		 pid;		/* of the process it belongs to */
	char		*ident;		/* syslog tag once PIO is NULL */
	struct linger	*linger;	/* set when it outlived its process */
	enum output_stream stream;
	char		*partial;	/* OUTPUT_LINE_MAX bytes, on demand */
	size_t		 plen;
	bool		 paused;	/* syslog is behind: not reading */
	struct output	*next_paused;
};

/* A pipe still read after its process was reaped. */
struct linger {
	struct output	 out;
	struct linger	*next, *prev;	/* oldest first */
};

struct proc_io {
	struct proc	*proc;
	pid_t		 pid;		/* of the output being read */
	struct reap_child child;	/* in the reaper while alive */
	int		 guard_slot;	/* in the guard's table, or -1 */
	size_t		 nlinger;	/* its pipes that linger */
	struct output	 out[2];
	char		*ring;		/* OUTPUT_RING_MAX bytes, on demand */
	size_t		 ringlen;
	bool		 prepared;
	struct proc_spec spec;		/* expanded settings */
	char		*path;		/* executable, resolved on PATH */
	char	       **envp;		/* points into environ, spec and
					   envown: not owned itself */
	char	       **envown;	/* the strings made for this process */
	struct lockfile	*lock;
};

/* What a child reports when it fails before exec. */
struct child_report {
	int	stage;
	int	err;
};

enum child_stage {
	STAGE_IO, STAGE_SETGROUPS, STAGE_SETGID, STAGE_SETUID,
	STAGE_CHDIR, STAGE_EXEC, STAGE_PARENT,
};

static int		 devnull = -1;
static output_hook	 out_hook;
static int		(*fd_pressure)(void);
static char		 readbuf[READ_CHUNK];
static const unsigned long zero_sigaction[8];
static struct output	*paused;	/* outputs waiting for syslog */
static struct linger	*lingers, *lingers_last;
static size_t		 nlingers;

static void	output_close(struct output *o);
static void	linger_free(struct linger *l);
static void	proc_exited(struct reap_child *c, int status);

static struct rlimit	child_nofile;	/* what children get back */

int
proc_layer_init(void)
{
	struct rlimit rl;

	/* Two pipe ends per process: take all the descriptors we may, and
	   give the children the limit we were started with. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		child_nofile = rl;
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull == -1)
		return -1;
	/* Before any program is spawned: the no-orphan guarantee. */
	return guard_start();
}

size_t
proc_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	return (size_t)rl.rlim_cur;
}

void
proc_set_output_hook(output_hook hook)
{
	out_hook = hook;
}

void
proc_set_fd_pressure_hook(int (*hook)(void))
{
	fd_pressure = hook;
}

/* -------------------------------------------------------------- output */

/*
 * Keep LINE in P's recent output; drop the oldest half when full.  Each
 * entry is one stream byte ('1' stdout, '2' stderr), the line, '\n'.
 */
static void
ring_add(struct proc_io *pio, enum output_stream stream, const char *line,
    size_t len)
{
	if (len > OUTPUT_RING_MAX / 2)
		len = OUTPUT_RING_MAX / 2;
	if (pio->ring == NULL && (pio->ring = malloc(OUTPUT_RING_MAX)) == NULL)
		return;
	if (pio->ringlen + len + 2 > OUTPUT_RING_MAX) {
		/* Drop whole lines until at least half is free. */
		size_t cut = 0;
		while (cut < pio->ringlen &&
		    (cut < OUTPUT_RING_MAX / 2 ||
		    pio->ringlen - cut + len + 2 > OUTPUT_RING_MAX)) {
			char *nl = memchr(pio->ring + cut, '\n',
			    pio->ringlen - cut);
			cut = nl ? (size_t)(nl - pio->ring) + 1 : pio->ringlen;
		}
		memmove(pio->ring, pio->ring + cut, pio->ringlen - cut);
		pio->ringlen -= cut;
	}
	pio->ring[pio->ringlen++] = stream == STREAM_STDERR ? '2' : '1';
	memcpy(pio->ring + pio->ringlen, line, len);
	pio->ringlen += len;
	pio->ring[pio->ringlen++] = '\n';
}

void
proc_tail(const struct proc *p, size_t n,
    void (*cb)(void *arg, const char *line, size_t len,
    enum output_stream stream), void *arg)
{
	const struct proc_io *pio = p->io;
	size_t start, end;

	if (pio == NULL || pio->ring == NULL || n == 0)
		return;
	/* Walk back over N newlines from the end. */
	start = pio->ringlen;
	for (size_t seen = 0; start > 0; start--) {
		if (pio->ring[start - 1] == '\n' && start != pio->ringlen &&
		    ++seen == n)
			break;
	}
	for (; start < pio->ringlen; start = end + 1) {
		const char *nl = memchr(pio->ring + start, '\n',
		    pio->ringlen - start);
		end = (size_t)(nl - pio->ring);
		cb(arg, pio->ring + start + 1, end - start - 1,
		    pio->ring[start] == '2' ? STREAM_STDERR : STREAM_STDOUT);
	}
}

static void
deliver(struct output *o, const char *line, size_t len)
{
	struct proc_io *pio = o->pio;
	struct proc *p = pio != NULL ? pio->proc : NULL;
	char clean[OUTPUT_LINE_MAX];

	/* NUL bytes would cut a syslog line and cannot cross the control
	   protocol: show them as '?'. */
	if (memchr(line, '\0', len) != NULL) {
		for (size_t i = 0; i < len; i++)
			clean[i] = line[i] ? line[i] : '?';
		line = clean;
	}

	log_child_line(p != NULL ? p->program->conf->syslog_ident : o->ident,
	    o->pid, o->stream == STREAM_STDOUT ? LOG_INFO : LOG_ERR, line,
	    len);
	if (p == NULL)
		return;
	ring_add(pio, o->stream, line, len);
	if (out_hook != NULL)
		out_hook(p, line, len, o->stream);
}

/* Cut DATA into lines; keep an unfinished last line for later. */
static void
output_feed(struct output *o, const char *data, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t seg = nl ? (size_t)(nl - data) : n;
		size_t take;

		if (o->plen + seg <= OUTPUT_LINE_MAX) {
			if (nl == NULL) {
				if (o->partial == NULL &&
				    (o->partial = malloc(OUTPUT_LINE_MAX))
				    == NULL)
					return;
				memcpy(o->partial + o->plen, data, seg);
				o->plen += seg;
				return;
			}
			if (o->plen == 0)
				deliver(o, data, seg);
			else {
				memcpy(o->partial + o->plen, data, seg);
				deliver(o, o->partial, o->plen + seg);
				o->plen = 0;
			}
			data += seg + 1;
			n -= seg + 1;
			continue;
		}
		/* Longer than a line may be: fill up, split, go on. */
		if (o->partial == NULL &&
		    (o->partial = malloc(OUTPUT_LINE_MAX)) == NULL)
			return;
		take = OUTPUT_LINE_MAX - o->plen;
		memcpy(o->partial + o->plen, data, take);
		deliver(o, o->partial, OUTPUT_LINE_MAX);
		o->plen = 0;
		data += take;
		n -= take;
	}
}

static void
output_flush(struct output *o)
{
	if (o->plen > 0)
		deliver(o, o->partial, o->plen);
	o->plen = 0;
}

/* Read what is there (at most MAX bytes).  Returns 1 at EOF or error. */
static int
output_read(struct output *o, size_t max)
{
	size_t total = 0;
	ssize_t n;

	while (total < max) {
		n = read(o->io.fd, readbuf, sizeof(readbuf));
		if (n > 0) {
			output_feed(o, readbuf, (size_t)n);
			total += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return 1;		/* EOF or a real error */
	}
	return 0;
}

static void
output_ready(int fd, uint32_t events, void *arg)
{
	struct output *o = arg;

	(void)fd;
	(void)events;
	/* One chunk per wake-up keeps a flooding child from starving the
	   others; epoll is level-triggered and brings us back. */
	if (output_read(o, 1) == 1) {
		if (o->linger != NULL)
			linger_free(o->linger);
		else
			output_close(o);
		return;
	}
	/* Syslog is behind: let the child wait on its pipe rather than
	   lose its lines or buffer them without bound. */
	if (log_congested() && !o->paused) {
		o->paused = true;
		o->next_paused = paused;
		paused = o;
		(void)loop_mod(&o->io, 0);
	}
}

static void
unpause(struct output *o)
{
	struct output **pp;

	if (!o->paused)
		return;
	for (pp = &paused; *pp != NULL; pp = &(*pp)->next_paused)
		if (*pp == o) {
			*pp = o->next_paused;
			break;
		}
	o->paused = false;
	o->next_paused = NULL;
}

void
proc_output_resume(void)
{
	while (paused != NULL) {
		struct output *o = paused;
		unpause(o);
		if (o->io.fd != -1)
			(void)loop_mod(&o->io, EPOLLIN);
	}
}

static void
output_close(struct output *o)
{
	int fd = o->io.fd;

	if (fd == -1)
		return;
	unpause(o);
	output_flush(o);
	loop_del(&o->io);
	close(fd);
	free(o->partial);
	o->partial = NULL;
}

static int
output_open(struct output *o, int fd, pid_t pid)
{
	o->pid = pid;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
	    loop_add(&o->io, fd, EPOLLIN, output_ready, o) == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ lingering */

static void
linger_free(struct linger *l)
{
	output_close(&l->out);
	if (l->out.pio != NULL)
		l->out.pio->nlinger--;
	free(l->out.ident);
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		lingers = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	else
		lingers_last = l->prev;
	nlingers--;
	/* Its event may still be pending in this turn of the loop. */
	loop_defer_free(free, l);
}

/* Drop the oldest lingering pipes, at most N.  Returns how many
   descriptors it freed.  Says so at most once a second. */
static int
linger_shed(size_t n)
{
	static uint64_t last_warn;
	static unsigned long unsaid;
	int freed = 0;

	while (lingers != NULL && (size_t)freed < n) {
		linger_free(lingers);
		freed++;
	}
	unsaid += (unsigned long)freed;
	if (unsaid > 0 && now_ms() - last_warn >= 1000) {
		log_warnx("stopped reading %lu output pipe%s that outlived "
		    "their process (at most %d are read, and descriptors ran "
		    "short)", unsaid, unsaid > 1 ? "s" : "", LINGER_MAX);
		last_warn = now_ms();
		unsaid = 0;
	}
	return freed;
}

/*
 * O's process was reaped but someone still holds the pipe: keep reading
 * it until end of file, from a struct of its own so that the process's
 * next spawn gets fresh pipes.
 */
static void
linger_start(struct output *o)
{
	struct linger *l;
	int fd = o->io.fd;

	if (nlingers >= LINGER_MAX)
		(void)linger_shed(nlingers - LINGER_MAX + 1);
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		output_close(o);
		return;
	}
	/* The same pipe, watched through its new owner. */
	unpause(o);
	loop_del(&o->io);
	l->out = *o;
	l->out.linger = l;
	l->out.next_paused = NULL;
	o->io.fd = -1;
	o->partial = NULL;
	o->plen = 0;
	if (loop_add(&l->out.io, fd, EPOLLIN, output_ready, &l->out) == -1) {
		l->out.io.fd = fd;
		output_close(&l->out);
		free(l);
		return;
	}
	l->prev = lingers_last;
	if (lingers_last != NULL)
		lingers_last->next = l;
	else
		lingers = l;
	lingers_last = l;
	nlingers++;
	l->out.pio->nlinger++;
}

/* P is being freed: its lingering pipes go on to syslog alone. */
static void
linger_orphan(struct proc_io *pio)
{
	const char *ident = pio->proc->program->conf->syslog_ident;

	for (struct linger *l = lingers; l != NULL && pio->nlinger > 0;
	    l = l->next)
		if (l->out.pio == pio) {
			l->out.ident = xstrdup(ident);
			l->out.pio = NULL;
			pio->nlinger--;
		}
}

/* --------------------------------------------------------- preparation */

static struct proc_io *
pio_get(struct proc *p)
{
	struct proc_io *pio = p->io;

	if (pio != NULL)
		return pio;
	pio = xcalloc(1, sizeof(*pio));
	pio->proc = p;
	pio->child.exited = proc_exited;
	if ((pio->guard_slot = guard_slot_take()) == -1)
		log_warnx("%s: the guard's table is full: this process may "
		    "outlive a killed mwsupd", p->name);
	for (int i = 0; i < 2; i++) {
		pio->out[i].io.fd = -1;
		pio->out[i].pio = pio;
		pio->out[i].stream = i == 0 ? STREAM_STDOUT : STREAM_STDERR;
	}
	p->io = pio;
	return pio;
}

/*
 * The environment of a process under construction: a NULL-terminated
 * array of pointers, and an open-addressing hash of its keys so that
 * setting a variable is O(1) and 100,000 `environment` entries cost
 * linear time.  The array holds pointers only: to environ's strings
 * (mwsupd never changes its environment), to the expanded spec's, and to
 * those build_env() makes, so a thousand processes do not each carry a
 * copy of the whole environment.
 */
struct env_builder {
	char	**v;		/* the entries, then NULL */
	size_t	  n, cap;	/* CAP: room for every entry planned */
	size_t	 *hash;		/* index + 1 into V, 0 empty */
	size_t	  mask;		/* hash size - 1 (a power of two) */
};

static size_t
env_key_hash(const char *kv, size_t klen)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;	/* FNV-1a */

	for (size_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)kv[i]) * (1099511628211ULL & SIZE_MAX);
	return h;
}

/* Room for up to MAX entries. */
static void
env_begin(struct env_builder *b, size_t max)
{
	size_t size = 16;

	while (size < 2 * max)
		size *= 2;
	b->v = xcalloc(max + 1, sizeof(*b->v));
	b->n = 0;
	b->cap = max;
	b->hash = xcalloc(size, sizeof(*b->hash));
	b->mask = size - 1;
}

/* Set KV ("KEY=VALUE"), replacing an entry with the same KEY in place. */
static void
env_put(struct env_builder *b, char *kv)
{
	size_t klen = strcspn(kv, "=");
	size_t i = env_key_hash(kv, klen) & b->mask;

	for (; b->hash[i] != 0; i = (i + 1) & b->mask) {
		char *old = b->v[b->hash[i] - 1];
		if (strncmp(old, kv, klen) == 0 && old[klen] == '=') {
			b->v[b->hash[i] - 1] = kv;
			return;
		}
	}
	if (b->n == b->cap)		/* cannot happen: MAX was counted */
		return;
	b->v[b->n++] = kv;
	b->hash[i] = b->n;
}

/* The finished array (NULL-terminated); the hash is freed. */
static char **
env_end(struct env_builder *b)
{
	free(b->hash);
	b->hash = NULL;
	return b->v;
}

/* A string build_env() makes: kept in *OWN to be freed with the process. */
static char *
env_own(char ***own, size_t *nown, char *kv)
{
	*own = xreallocarray(*own, *nown + 2, sizeof(**own));
	(*own)[(*nown)++] = kv;
	(*own)[*nown] = NULL;
	return kv;
}

static char **
build_env(const struct proc *p, const struct proc_spec *spec,
    const struct passwd *pw, char ***own)
{
	struct env_builder b;
	size_t max = 4 + 3, nown = 0;

	for (char **e = environ; *e != NULL; e++)
		max++;
	for (char **e = spec->environment; e != NULL && *e != NULL; e++)
		max++;
	env_begin(&b, max);
	*own = NULL;
	for (char **e = environ; *e != NULL; e++)
		if (strchr(*e, '=') != NULL)
			env_put(&b, *e);
	if (pw != NULL) {
		env_put(&b, env_own(own, &nown,
		    xasprintf("HOME=%s", pw->pw_dir)));
		env_put(&b, env_own(own, &nown,
		    xasprintf("USER=%s", pw->pw_name)));
		env_put(&b, env_own(own, &nown,
		    xasprintf("LOGNAME=%s", pw->pw_name)));
		env_put(&b, env_own(own, &nown,
		    xasprintf("SHELL=%s", pw->pw_shell)));
	}
	for (char **e = spec->environment; e != NULL && *e != NULL; e++)
		env_put(&b, *e);
	env_put(&b, env_own(own, &nown,
	    xasprintf("MWSUP_PROGRAM=%s", p->program->conf->name)));
	env_put(&b, env_own(own, &nown,
	    xasprintf("MWSUP_PROCESS_NUM=%d", p->num)));
	env_put(&b, env_own(own, &nown,
	    xasprintf("MWSUP_PROCESS_NAME=%s", p->name)));
	return env_end(&b);
}

static const char *
env_get(char **envp, const char *key)
{
	size_t klen = strlen(key);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, key, klen) == 0 && (*envp)[klen] == '=')
			return *envp + klen + 1;
	return NULL;
}

/* The file execve() should run for NAME, searching PATH like execvp. */
static char *
resolve_path(const char *name, const char *pathvar)
{
	struct stat st;

	if (strchr(name, '/') != NULL)
		return xstrdup(name);
	if (pathvar == NULL)
		pathvar = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		    "/sbin:/bin";
	for (const char *d = pathvar; ; ) {
		size_t dlen = strcspn(d, ":");
		char *cand = xasprintf("%.*s%s%s", (int)dlen,
		    dlen ? d : ".", "/", name);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (d[dlen] == '\0')
			break;
		d += dlen + 1;
	}
	return NULL;
}

/* Expand the program's settings for P once; they cannot change later. */
static int
prepare(struct proc *p, struct proc_io *pio, char *reason, size_t len)
{
	char err[256];

	if (pio->prepared)
		return 0;
	if (conf_expand_proc(p->program->conf, p->num, &pio->spec, err,
	    sizeof(err)) == -1) {
		snprintf(reason, len, "%s", err);
		return -1;
	}
	pio->prepared = true;
	return 0;
}

/* ----------------------------------------------------------- spawning */

/* The child: async-signal-safe calls only, then exec or report. */
static void __attribute__((noreturn))
child(struct proc_io *pio, const struct passwd *pw, gid_t *groups,
    int ngroups, int outfd, int errfd, int reportfd, pid_t parent,
    int um)
{
	struct child_report rep = { STAGE_IO, 0 };
	struct sigaction sa;
	sigset_t none;

	(void)setpgid(0, 0);
	/* Listed for the guard before anything can change our credentials;
	   the parent-death signal covers the moments until exec. */
	guard_slot_set(pio->guard_slot, (pid_t)syscall(SYS_getpid),
	    pio->proc->program->conf->killmode == KILLMODE_GROUP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	/* glibc's sigaction() refuses its internal signals (32, 33), which
	   may still arrive ignored from whoever started mwsupd; an all-zero
	   kernel sigaction is SIG_DFL whatever the architecture's layout. */
	for (int sig = 32; sig < SIGRTMIN; sig++)
		(void)syscall(SYS_rt_sigaction, sig, zero_sigaction, NULL,
		    (size_t)8);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (child_nofile.rlim_max != 0)
		(void)syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &child_nofile,
		    NULL);

	if (dup2(devnull, 0) == -1 || dup2(outfd, 1) == -1 ||
	    dup2(errfd, 2) == -1)
		goto fail;
	/* Nothing else is inherited: everything >= 3 closes at exec (the
	   report pipe included, which is how the parent learns of it). */
	if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */)
	    == -1) {
		for (int fd = 3; fd < 65536; fd++)
			if (fd != reportfd)
				(void)close(fd);
	}
	if (pw != NULL) {
		rep.stage = STAGE_SETGROUPS;
		/* Raw system calls: in a vfork-style child, glibc's wrappers
		   could touch state shared with the suspended parent. */
		if (syscall(SYS_setgroups, (size_t)ngroups, groups) == -1)
			goto fail;
		rep.stage = STAGE_SETGID;
		if (syscall(SYS_setresgid, pw->pw_gid, pw->pw_gid,
		    pw->pw_gid) == -1)
			goto fail;
		rep.stage = STAGE_SETUID;
		if (syscall(SYS_setresuid, pw->pw_uid, pw->pw_uid,
		    pw->pw_uid) == -1)
			goto fail;
	}
	/* After the credential change, which would clear it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);		/* mwsupd died meanwhile */
	if (pio->spec.directory != NULL) {
		rep.stage = STAGE_CHDIR;
		if (chdir(pio->spec.directory) == -1)
			goto fail;
	}
	if (um >= 0)
		umask((mode_t)um);
	rep.stage = STAGE_EXEC;
	execve(pio->path, pio->spec.argv, pio->envp);
fail:
	rep.err = errno;
	(void)!write(reportfd, &rep, sizeof(rep));
	_exit(127);
}

/* "web:2: spawned pid 1234: /usr/bin/x --slot 2" (argv as executed). */
static void
log_spawn(const struct proc *p, pid_t pid, char **argv)
{
	char line[1024];
	size_t off = 0;

	line[0] = '\0';
	for (char **a = argv; *a != NULL && off < sizeof(line); a++) {
		int n = snprintf(line + off, sizeof(line) - off, "%s%s",
		    a == argv ? "" : " ", *a);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	log_info("%s: spawned pid %ld: %s", p->name, (long)pid, line);
}

struct child_args {
	struct proc_io		*pio;
	const struct passwd	*pw;
	gid_t			*groups;
	int			 ngroups;
	int			 outfd, errfd, reportfd;
	pid_t			 parent;
	int			 um;
};

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_WITH_FORK	1	/* ASan's shadow memory and a shared
				   address space do not mix */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_WITH_FORK	1
#endif
#endif

#ifndef SPAWN_WITH_FORK
/*
 * The child runs on this stack in mwsupd's own address space until it
 * execs (CLONE_VM | CLONE_VFORK: mwsupd is suspended meanwhile), so one
 * stack serves every spawn.  This is how glibc's posix_spawn works; we
 * cannot use posix_spawn itself, which cannot set the user, the umask or
 * the parent-death signal.  It spares mwsupd the copy of its page tables
 * and the copy-on-write faults that fork() costs on every restart.
 */
static char	spawn_stack[64 * 1024] __attribute__((aligned(64)));

static int
child_main(void *arg)
{
	struct child_args *a = arg;

	child(a->pio, a->pw, a->groups, a->ngroups, a->outfd, a->errfd,
	    a->reportfd, a->parent, a->um);
}
#endif

/* Start the child; it reports on a->reportfd if it fails before exec. */
static pid_t
spawn_child(struct child_args *a)
{
#ifdef SPAWN_WITH_FORK
	pid_t pid = fork();

	if (pid == 0)
		child(a->pio, a->pw, a->groups, a->ngroups, a->outfd,
		    a->errfd, a->reportfd, a->parent, a->um);
	return pid;
#else
	return clone(child_main, spawn_stack + sizeof(spawn_stack),
	    CLONE_VM | CLONE_VFORK | SIGCHLD, a);
#endif
}

/*
 * Out of descriptors: the pipes of processes already gone go first, then
 * idle clients (the hook).  Returns how many descriptors were freed.
 */
static int
fd_relieve(void)
{
	int n = linger_shed(6);

	if (n < 6 && fd_pressure != NULL)
		n += fd_pressure();
	return n;
}

/* The three pipes of a spawn; on failure none is left open. */
static int
make_pipes(int outp[2], int errp[2], int repp[2])
{
	int saved;

	if (pipe2(outp, O_CLOEXEC) == 0) {
		if (pipe2(errp, O_CLOEXEC) == 0) {
			if (pipe2(repp, O_CLOEXEC) == 0)
				return 0;
			saved = errno;
			close(errp[0]);
			close(errp[1]);
			errno = saved;
		}
		saved = errno;
		close(outp[0]);
		close(outp[1]);
		errno = saved;
	}
	outp[0] = outp[1] = errp[0] = errp[1] = repp[0] = repp[1] = -1;
	return -1;
}

static bool
transient(int err)
{
	return err == EAGAIN || err == ENOMEM || err == ENFILE ||
	    err == EMFILE || err == EINTR;
}

static void
report_reason(const struct proc *p, const struct proc_io *pio,
    const struct child_report *rep, char *reason, size_t len)
{
	const char *user = p->program->conf->user;

	switch (rep->stage) {
	case STAGE_EXEC:
		if (rep->err == ENOENT)
			snprintf(reason, len, "no such file: %s", pio->path);
		else if (rep->err == EACCES)
			snprintf(reason, len, "permission denied: %s",
			    pio->path);
		else if (rep->err == ENOEXEC)
			snprintf(reason, len, "not an executable: %s",
			    pio->path);
		else
			snprintf(reason, len, "cannot execute %s: %s",
			    pio->path, strerror(rep->err));
		break;
	case STAGE_CHDIR:
		snprintf(reason, len, "cannot change directory to %s: %s",
		    pio->spec.directory, strerror(rep->err));
		break;
	case STAGE_SETGROUPS:
	case STAGE_SETGID:
	case STAGE_SETUID:
		snprintf(reason, len, "cannot switch to user %s: %s",
		    user ? user : "?", strerror(rep->err));
		break;
	default:
		snprintf(reason, len, "cannot set up the process: %s",
		    strerror(rep->err));
		break;
	}
}

static int
spawn(struct proc *p, char *reason, size_t len, bool *permanent)
{
	const struct program_conf *pc = p->program->conf;
	struct proc_io *pio = pio_get(p);
	struct passwd *pw = NULL;
	struct child_report rep;
	gid_t *groups = NULL;
	int ngroups = 0, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int repp[2] = { -1, -1 }, status;
	ssize_t n;
	pid_t pid, self = getpid();

	*permanent = true;
	if (prepare(p, pio, reason, len) == -1)
		return -1;
	if (pc->user != NULL) {
		errno = 0;
		if ((pw = getpwnam(pc->user)) == NULL) {
			snprintf(reason, len, "unknown user");
			return -1;
		}
		ngroups = 64;
		groups = xcalloc((size_t)ngroups, sizeof(*groups));
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &ngroups)
		    == -1) {
			groups = xreallocarray(groups, (size_t)ngroups,
			    sizeof(*groups));
			if (getgrouplist(pw->pw_name, pw->pw_gid, groups,
			    &ngroups) == -1)
				ngroups = 0;
		}
	}
	if (pio->envp == NULL)
		pio->envp = build_env(p, &pio->spec, pw, &pio->envown);
	if (pio->path == NULL &&
	    (pio->path = resolve_path(pio->spec.argv[0],
	    env_get(pio->envp, "PATH"))) == NULL) {
		snprintf(reason, len, "no such file: %s", pio->spec.argv[0]);
		goto fail;
	}

	*permanent = false;
	if (make_pipes(outp, errp, repp) == -1 &&
	    (errno != EMFILE && errno != ENFILE ? true :
	    (fd_relieve() == 0 || make_pipes(outp, errp, repp) == -1))) {
		snprintf(reason, len, "cannot create pipes: %s",
		    strerror(errno));
		goto fail;
	}
	{
		struct child_args ca = { pio, pw, groups, ngroups, outp[1],
		    errp[1], repp[1], self, pc->umask };

		pid = spawn_child(&ca);
	}
	if (pid == -1) {
		snprintf(reason, len, "cannot fork: %s", strerror(errno));
		goto fail;
	}

	(void)setpgid(pid, pid);	/* whichever of us gets there first */
	close(outp[1]);
	close(errp[1]);
	close(repp[1]);
	outp[1] = errp[1] = repp[1] = -1;
	do
		n = read(repp[0], &rep, sizeof(rep));
	while (n == -1 && errno == EINTR);
	close(repp[0]);
	repp[0] = -1;
	if (n == (ssize_t)sizeof(rep)) {
		/* It failed before exec and is exiting: collect it now. */
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		guard_slot_clear(pio->guard_slot);
		report_reason(p, pio, &rep, reason, len);
		*permanent = !transient(rep.err);
		goto fail;
	}
	free(groups);
	groups = NULL;

	pio->pid = pid;
	if (output_open(&pio->out[0], outp[0], pid) == -1) {
		log_warn("%s: cannot watch stdout", p->name);
		close(outp[0]);
	}
	if (output_open(&pio->out[1], errp[0], pid) == -1) {
		log_warn("%s: cannot watch stderr", p->name);
		close(errp[0]);
	}
	p->pid = pid;
	pio->child.pid = pid;
	reap_watch(&pio->child);
	log_spawn(p, pid, pio->spec.argv);
	return 0;

fail:
	free(groups);
	for (int i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
		if (repp[i] != -1)
			close(repp[i]);
	}
	return -1;
}

/* ------------------------------------------------------------- signals */

static void
send_signal(struct proc *p, int sig, bool group)
{
	if (p->pid <= 0)
		return;
	if (kill(group ? -p->pid : p->pid, sig) == -1 && errno != ESRCH)
		log_warn("%s: cannot send signal %d to %s %ld", p->name, sig,
		    group ? "process group" : "pid", (long)p->pid);
}

void
proc_reap(void)
{
	reap_children();
}

/* The reaper found P's process dead. */
static void
proc_exited(struct reap_child *c, int status)
{
	struct proc_io *pio = (struct proc_io *)(void *)((char *)c -
	    offsetof(struct proc_io, child));
	struct proc *p = pio->proc;

	guard_slot_clear(pio->guard_slot);
	/* Every line it wrote before dying is logged first; a pipe someone
	   else still writes to is read on until they are gone too. */
	for (int i = 0; i < 2; i++) {
		struct output *o = &pio->out[i];
		if (o->io.fd == -1)
			continue;
		if (output_read(o, DRAIN_MAX) == 1)
			output_close(o);
		else
			linger_start(o);
	}
	sup_exited(p, status);
}

/* ---------------------------------------------------------- lockfiles */

static int
lock(struct proc *p, char *reason, size_t len)
{
	struct proc_io *pio = pio_get(p);
	int busy;

	if (p->lock_held)
		return 1;
	if (p->program->conf->lockfile == NULL)
		return 1;
	if (prepare(p, pio, reason, len) == -1)
		return -1;
	pio->lock = lockfile_take(pio->spec.lockfile, p->program->conf->name,
	    &busy, reason, len);
	if (pio->lock == NULL)
		return busy ? 0 : -1;
	p->lock_held = true;
	return 1;
}

static void
unlock(struct proc *p)
{
	if (!p->lock_held)
		return;
	lockfile_give(p->io->lock);
	p->io->lock = NULL;
	p->lock_held = false;
}

/* A process freed while still alive: when it is reaped at last, its
   guard slot is cleared and given back. */
struct adopted {
	struct reap_child	 child;
	int			 guard_slot;
};

static void
adopted_exited(struct reap_child *c, int status)
{
	struct adopted *a = (struct adopted *)(void *)c;

	(void)status;
	guard_slot_give(a->guard_slot);
	free(a);
}

static void
release(struct proc *p)
{
	struct proc_io *pio = p->io;

	unlock(p);
	if (pio == NULL)
		return;
	if (p->pid > 0) {
		/* Freed alive: the guard keeps its slot until it is reaped,
		   so it still dies with mwsupd. */
		struct adopted *a = xcalloc(1, sizeof(*a));
		reap_forget(&pio->child);
		a->child.pid = p->pid;
		a->child.exited = adopted_exited;
		a->guard_slot = pio->guard_slot;
		reap_watch(&a->child);
	} else
		guard_slot_give(pio->guard_slot);
	if (pio->nlinger > 0)
		linger_orphan(pio);
	for (int i = 0; i < 2; i++)
		output_close(&pio->out[i]);
	free(pio->ring);
	if (pio->prepared)
		proc_spec_free(&pio->spec);
	free(pio->path);
	free(pio->envp);
	strv_free(pio->envown);
	free(pio);
	p->io = NULL;
}

const struct sup_ops proc_ops = {
	.now = now_ms,
	.spawn = spawn,
	.signal = send_signal,
	.lock = lock,
	.unlock = unlock,
	.changed = NULL,	/* set by main.c through its own copy */
	.release = release,
};
