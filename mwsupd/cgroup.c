/* cgroup.c — cgroup v2 groups per process; see cgroup.h for the layout. */
#include "config.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

#define LEAF	"mwsupd"

static struct {
	int	 done;		/* cgroup_init() ran */
	int	 result;	/* its return value */
	char	 reason[256];	/* its reason when it failed */
	char	 mnt[PATH_MAX];	/* the cgroup2 mount point */
	char	 own[PATH_MAX];	/* OWN, relative to the hierarchy */
	char	 rel[PATH_MAX];	/* the base, relative ("/" = root) */
	char	 base[PATH_MAX];/* the base in the file system */
	int	 created_base;	/* the base is ours (OWN was the root) */
	unsigned ctrl;		/* controllers enabled for the groups */
} cg;

static const struct {
	const char	*name;
	unsigned	 bit;
} controllers[] = {
	{ "cpu",	CGROUP_CPU },
	{ "memory",	CGROUP_MEMORY },
	{ "pids",	CGROUP_PIDS },
};

/* snprintf() that says -1 (ENAMETOOLONG) when BUF was too short. */
static int __attribute__((format(printf, 3, 4)))
fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Write S to DIR/FILE (DIR may be AT_FDCWD with an absolute FILE). */
static int
write_at(int dir, const char *file, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;
	int fd, saved;

	if ((fd = openat(dir, file, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	w = write(fd, s, n);
	saved = errno;
	close(fd);
	if (w != (ssize_t)n) {
		errno = w == -1 ? saved : EIO;
		return -1;
	}
	return 0;
}

/* Read DIR/FILE into BUF (NUL-terminated); its length or -1. */
static ssize_t
read_at(int dir, const char *file, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd, saved;

	if ((fd = openat(dir, file, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)got < len - 1 &&
	    (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* The value of "KEY VALUE" line KEY in BUF; -1 when absent. */
static int64_t
keyed(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtoll(p + klen + 1, NULL, 10);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

/* Parse a space-separated controller list into a mask. */
static unsigned
ctrl_mask(const char *list)
{
	unsigned mask = 0;
	size_t i, n;
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \n");
		n = strcspn(p, " \n");
		for (i = 0; i < sizeof(controllers) / sizeof(*controllers); i++)
			if (strlen(controllers[i].name) == n &&
			    strncmp(p, controllers[i].name, n) == 0)
				mask |= controllers[i].bit;
		p += n;
	}
	return mask;
}

/* Find the cgroup2 mount: /sys/fs/cgroup first, else the first listed.
 * ROOT gets the mount's root within the hierarchy (field 4). */
static int
find_mount(char *root, size_t rlen)
{
	FILE *f;
	char *line = NULL, *fields[10], *sep, *p, *save;
	size_t cap = 0;
	int found = 0, i;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -1;
	while (getline(&line, &cap, f) != -1) {
		/* ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE ... */
		if ((sep = strstr(line, " - ")) == NULL ||
		    strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		for (i = 0, p = strtok_r(line, " ", &save); p != NULL && i < 10;
		    p = strtok_r(NULL, " ", &save))
			fields[i++] = p;
		if (i < 5 || strchr(fields[4], '\\') != NULL)
			continue;	/* escaped (odd) mount point: skip */
		if (found && strcmp(fields[4], "/sys/fs/cgroup") != 0)
			continue;
		fmt(cg.mnt, sizeof(cg.mnt), "%s", fields[4]);
		fmt(root, rlen, "%s", fields[3]);
		found = 1;
		if (strcmp(fields[4], "/sys/fs/cgroup") == 0)
			break;
	}
	free(line);
	fclose(f);
	return found ? 0 : -1;
}

/* OWN from the "0::" line of /proc/self/cgroup. */
static int
find_own(void)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return -1;
	while (!found && getline(&line, &cap, f) != -1) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		fmt(cg.own, sizeof(cg.own), "%s", line + 3);
		found = 1;
	}
	free(line);
	fclose(f);
	return found ? 0 : -1;
}

/* Move this process into the group at absolute path DIR. */
static int
move_self(const char *dir)
{
	char path[PATH_MAX + 16], pid[24];

	fmt(path, sizeof(path), "%s/cgroup.procs", dir);
	fmt(pid, sizeof(pid), "%d", (int)getpid());
	return write_at(AT_FDCWD, path, pid);
}

/* Enable in DIR's cgroup.subtree_control those of WANT it offers. */
static unsigned
enable(const char *dir, unsigned want)
{
	char path[PATH_MAX + 32], buf[512], cmd[8];
	unsigned avail, on = 0;
	size_t i;

	fmt(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_at(AT_FDCWD, path, buf, sizeof(buf)) == -1)
		return 0;
	avail = ctrl_mask(buf) & want;
	fmt(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	for (i = 0; i < sizeof(controllers) / sizeof(*controllers); i++) {
		if (!(avail & controllers[i].bit))
			continue;
		fmt(cmd, sizeof(cmd), "+%s", controllers[i].name);
		if (write_at(AT_FDCWD, path, cmd) == 0)
			on |= controllers[i].bit;
	}
	return on;
}

static int
init(char *err, size_t len)
{
	char root[PATH_MAX], leaf[PATH_MAX + 8];
	const char *own;
	size_t rl;

	if (find_mount(root, sizeof(root)) == -1) {
		fmt(err, len, "no cgroup2 file system mounted");
		return -1;
	}
	if (find_own() == -1) {
		fmt(err, len, "no cgroup v2 line (0::) in /proc/self/cgroup");
		return -1;
	}
	/* A mount of a subtree (ROOT) shows OWN relative to the hierarchy. */
	own = cg.own;
	rl = strlen(root);
	if (strcmp(root, "/") != 0) {
		if (strncmp(own, root, rl) != 0 ||
		    (own[rl] != '\0' && own[rl] != '/')) {
			fmt(err, len, "own cgroup %s is outside the "
			    "cgroup2 mount %s (root %s)", own, cg.mnt, root);
			return -1;
		}
		own += rl;
	}
	if (strcmp(own, "/") == 0 || *own == '\0') {
		/* The root of the hierarchy (or of a cgroup namespace): take a
		 * group of our own, so as to share nothing with others. */
		if (fmt(cg.rel, sizeof(cg.rel), "%s/mwsupd.%d",
		    strcmp(cg.own, "/") == 0 ? "" : cg.own,
		    (int)getpid()) == -1 ||
		    fmt(cg.base, sizeof(cg.base), "%s/mwsupd.%d", cg.mnt,
		    (int)getpid()) == -1) {
			fmt(err, len, "cgroup path too long: %s", cg.mnt);
			return -1;
		}
		if (mkdir(cg.base, 0755) == -1 && errno != EEXIST) {
			fmt(err, len, "cannot create cgroup %s: %s",
			    cg.base, strerror(errno));
			return -1;
		}
		cg.created_base = 1;
	} else {
		if (fmt(cg.rel, sizeof(cg.rel), "%s", cg.own) == -1 ||
		    fmt(cg.base, sizeof(cg.base), "%s%s", cg.mnt, own) == -1) {
			fmt(err, len, "cgroup path too long: %s%s", cg.mnt,
			    own);
			return -1;
		}
		/* Started again inside the leaf a previous mwsupd made: the
		 * base is its parent. */
		rl = strlen(cg.rel);
		if (rl > sizeof(LEAF) && strcmp(cg.rel + rl - sizeof(LEAF),
		    "/" LEAF) == 0) {
			cg.rel[rl - sizeof(LEAF)] = '\0';
			cg.base[strlen(cg.base) - sizeof(LEAF)] = '\0';
		}
	}
	/* No internal processes: mwsupd goes into a leaf of its own. */
	if (fmt(leaf, sizeof(leaf), "%s/" LEAF, cg.base) == -1) {
		fmt(err, len, "cgroup path too long: %s", cg.base);
		goto fail;
	}
	if (mkdir(leaf, 0755) == -1 && errno != EEXIST) {
		fmt(err, len, "cannot create cgroup %s: %s", leaf,
		    strerror(errno));
		goto fail;
	}
	if (move_self(leaf) == -1) {
		fmt(err, len, "cannot move mwsupd into cgroup %s: %s",
		    leaf, strerror(errno));
		rmdir(leaf);
		goto fail;
	}
	/* Our own base below the root needs the controllers from it too. */
	if (cg.created_base)
		enable(cg.mnt, CGROUP_CPU | CGROUP_MEMORY | CGROUP_PIDS);
	/* Fails (EBUSY) while another process stays in OWN: the groups then
	 * work without limits. */
	cg.ctrl = enable(cg.base, CGROUP_CPU | CGROUP_MEMORY | CGROUP_PIDS);
	return 0;
fail:
	if (cg.created_base)
		rmdir(cg.base);
	cg.created_base = 0;
	return -1;
}

int
cgroup_init(char *err, size_t len)
{
	if (!cg.done) {
		cg.result = init(cg.reason, sizeof(cg.reason));
		cg.done = 1;
	}
	if (cg.result == -1)
		fmt(err, len, "%s", cg.reason);
	return cg.result;
}

void
cgroup_shutdown(void)
{
	char own[PATH_MAX * 2], leaf[PATH_MAX + 8];

	if (!cg.done || cg.result == -1) {
		cg.done = 0;
		return;
	}
	fmt(own, sizeof(own), "%s%s", cg.mnt,
	    strcmp(cg.own, "/") == 0 ? "" : cg.own);
	/* Where OWN now enables controllers it may hold no process: mwsupd
	 * then stays in its leaf. */
	if (cg.created_base || cg.ctrl == 0)
		move_self(own);
	fmt(leaf, sizeof(leaf), "%s/" LEAF, cg.base);
	rmdir(leaf);
	if (cg.created_base)
		rmdir(cg.base);
	memset(&cg, 0, sizeof(cg));
}

bool
cgroup_available(void)
{
	return cg.done && cg.result == 0;
}

unsigned
cgroup_controllers(void)
{
	return cgroup_available() ? cg.ctrl : 0;
}

const char *
cgroup_base(void)
{
	return cg.base;
}

int
cgroup_name(const char *name, char *out, size_t len)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= len || n > 255 || strcmp(name, LEAF) == 0)
		return -1;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (c == ':')
			c = '@';
		else if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '-')
			c = '_';
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

static void
ctrl_list(unsigned mask, char *out, size_t len)
{
	size_t i, used = 0;

	*out = '\0';
	for (i = 0; i < sizeof(controllers) / sizeof(*controllers); i++)
		if ((mask & controllers[i].bit) && used < len)
			used += snprintf(out + used, len - used, "%s%s",
			    used ? " " : "", controllers[i].name);
	if (used == 0)
		fmt(out, len, "none");
}

int
cgroup_check_limits(const struct cgroup_limits *lim, unsigned avail,
    char *err, size_t len)
{
	static const struct {
		const char	*option;
		unsigned	 bit;
		const char	*controller;
	} need[] = {
		{ "memory_max",	 CGROUP_MEMORY,	"memory" },
		{ "memory_high", CGROUP_MEMORY,	"memory" },
		{ "cpu_max",	 CGROUP_CPU,	"cpu" },
		{ "pids_max",	 CGROUP_PIDS,	"pids" },
	};
	const int set[] = {
		lim->memory_max != 0, lim->memory_high != 0,
		lim->cpu_percent != 0, lim->pids_max != 0,
	};
	char have[64];
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(*need); i++) {
		if (!set[i] || (avail & need[i].bit))
			continue;
		ctrl_list(avail, have, sizeof(have));
		fmt(err, len, "%s needs the cgroup v2 %s controller, "
		    "which is not available in %s (available: %s)",
		    need[i].option, need[i].controller,
		    *cg.base ? cg.base : "the hierarchy", have);
		return -1;
	}
	return 0;
}

void
cgroup_cpu_max(unsigned percent, char *out, size_t len)
{
	if (percent == 0)
		fmt(out, len, "max 100000");
	else
		fmt(out, len, "%llu 100000",
		    (unsigned long long)percent * 1000);
}

/* Write the limits of LIM into the group DIR. */
static int
apply_limits(int dir, const struct cgroup_limits *lim, char *err, size_t len)
{
	char v[32];
	const char *file = NULL;

	if (lim->memory_high != 0) {
		fmt(v, sizeof(v), "%llu",
		    (unsigned long long)lim->memory_high);
		if (write_at(dir, file = "memory.high", v) == -1)
			goto fail;
	}
	if (lim->memory_max != 0) {
		fmt(v, sizeof(v), "%llu",
		    (unsigned long long)lim->memory_max);
		if (write_at(dir, file = "memory.max", v) == -1)
			goto fail;
	}
	if (lim->cpu_percent != 0) {
		cgroup_cpu_max(lim->cpu_percent, v, sizeof(v));
		if (write_at(dir, file = "cpu.max", v) == -1)
			goto fail;
	}
	if (lim->pids_max != 0) {
		fmt(v, sizeof(v), "%llu",
		    (unsigned long long)lim->pids_max);
		if (write_at(dir, file = "pids.max", v) == -1)
			goto fail;
	}
	return 0;
fail:
	fmt(err, len, "cannot write %s to %s: %s", v, file,
	    strerror(errno));
	return -1;
}

int
cgroup_create(const char *name, const struct cgroup_limits *lim,
    int *dirfd_out, char *err, size_t len)
{
	static const struct cgroup_limits none;
	char g[256], path[PATH_MAX + 300];
	int fd, existed;

	if (!cgroup_available()) {
		fmt(err, len, "no writable cgroup v2 hierarchy: %s",
		    cg.done ? cg.reason : "not initialised");
		return -1;
	}
	if (lim == NULL)
		lim = &none;
	if (cgroup_name(name, g, sizeof(g)) == -1) {
		fmt(err, len, "cannot name a cgroup after \"%s\"", name);
		return -1;
	}
	if (cgroup_check_limits(lim, cg.ctrl, err, len) == -1)
		return -1;
	fmt(path, sizeof(path), "%s/%s", cg.base, g);
	if (mkdir(path, 0755) == 0)
		existed = 0;
	else if (errno == EEXIST)
		existed = 1;
	else {
		fmt(err, len, "cannot create cgroup %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fmt(err, len, "cannot open cgroup %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Left by a process that is not ours any more (a previous mwsupd
	 * killed with SIGKILL): never share a group with it. */
	if (existed && cgroup_populated(fd) != 0) {
		close(fd);
		fmt(err, len, "cgroup %s still holds processes (left by an "
		    "earlier mwsupd?)", path);
		return -1;
	}
	if (apply_limits(fd, lim, err, len) == -1) {
		close(fd);
		rmdir(path);
		return -1;
	}
	*dirfd_out = fd;
	return 0;
}

bool
cgroup_spawn_supported(void)
{
	static int known = -1;

	if (known == -1) {
		/* clone3 with a too-small size says EINVAL where it exists,
		 * ENOSYS where not; CLONE_INTO_CGROUP came in the same
		 * release as the size check for its field (5.7): probe with
		 * an invalid cgroup fd, which gives EBADF only then. */
		struct clone_args a;
		long r;

		memset(&a, 0, sizeof(a));
		a.flags = CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)-1 >> 33;	/* not an open fd */
		a.exit_signal = SIGCHLD;
		r = syscall(SYS_clone3, &a, sizeof(a));
		if (r == 0)
			_exit(127);	/* cannot happen: the fd is bad */
		if (r > 0) {
			int st;

			waitpid((pid_t)r, &st, 0);
		}
		known = r == -1 && errno == EBADF;
	}
	return known == 1;
}

pid_t
cgroup_fork_into(int dirfd)
{
	struct clone_args a;

	memset(&a, 0, sizeof(a));
	a.flags = CLONE_INTO_CGROUP;
	a.cgroup = (uint64_t)dirfd;
	a.exit_signal = SIGCHLD;
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

int
cgroup_attach(int dirfd, pid_t pid)
{
	char s[24];

	fmt(s, sizeof(s), "%d", (int)pid);
	return write_at(dirfd, "cgroup.procs", s);
}

int
cgroup_populated(int dirfd)
{
	char buf[256];

	if (read_at(dirfd, "cgroup.events", buf, sizeof(buf)) == -1)
		return -1;
	return keyed(buf, "populated") > 0;
}

int
cgroup_kill_each(int dirfd)
{
	struct timespec pause = { 0, 1000000 };
	char buf[4096], *p, *end;
	int round, any;
	long pid;

	write_at(dirfd, "cgroup.freeze", "1");	/* absent before 5.2 */
	for (round = 0; round < 1000; round++) {
		if (read_at(dirfd, "cgroup.procs", buf, sizeof(buf)) == -1)
			return -1;
		any = 0;
		for (p = buf; *p != '\0'; p = end) {
			pid = strtol(p, &end, 10);
			/* A number cut short by the buffer is not a pid. */
			if (end == p || *end != '\n')
				break;
			end++;
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				any = 1;
		}
		if (!any)
			break;
		nanosleep(&pause, NULL);
	}
	write_at(dirfd, "cgroup.freeze", "0");
	return 0;
}

int
cgroup_kill(int dirfd)
{
	if (write_at(dirfd, "cgroup.kill", "1") == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return cgroup_kill_each(dirfd);
}

int
cgroup_remove(const char *name)
{
	char g[256], path[PATH_MAX + 300];

	if (cgroup_name(name, g, sizeof(g)) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (fmt(path, sizeof(path), "%s/%s", cg.base, g) == -1)
		return -1;
	return rmdir(path);
}

int
cgroup_usage(int dirfd, uint64_t *cpu_usec, int64_t *mem_bytes)
{
	char buf[1024];
	int64_t v;

	if (read_at(dirfd, "cpu.stat", buf, sizeof(buf)) == -1)
		return -1;
	if ((v = keyed(buf, "usage_usec")) < 0) {
		errno = EINVAL;
		return -1;
	}
	*cpu_usec = (uint64_t)v;
	*mem_bytes = -1;
	if (read_at(dirfd, "memory.current", buf, sizeof(buf)) > 0)
		*mem_bytes = strtoll(buf, NULL, 10);
	return 0;
}

int64_t
cgroup_oom_kills(int dirfd)
{
	char buf[1024];

	if (read_at(dirfd, "memory.events", buf, sizeof(buf)) == -1)
		return -1;
	return keyed(buf, "oom_kill");
}

const char *
cgroup_path(const char *name, char *out, size_t len)
{
	char g[256];

	if (cgroup_name(name, g, sizeof(g)) == -1)
		return NULL;
	fmt(out, len, "%s/%s", strcmp(cg.rel, "/") == 0 ? "" : cg.rel,
	    g);
	return out;
}
