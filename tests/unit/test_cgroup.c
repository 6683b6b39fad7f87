/*
 * test_cgroup.c — the cgroup v2 module against the real hierarchy.
 *
 * Needs root and a writable cgroup v2 hierarchy; skips otherwise.  Each
 * test's groups are killed and removed by its teardown, also on failure.
 * MWSUP_CGROUP_BENCH=N sets how many groups test_create_remove_cost
 * creates and removes (default 100).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"

#define DEADLINE_MS	5000

static int dirfd_ = -1;
static const char *group_;	/* the process name of the test's group */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Skip unless the hierarchy is usable. */
static void
need_cgroup(void)
{
	char err[256];

	if (cgroup_init(err, sizeof(err)) == -1) {
		print_message("no cgroup v2 hierarchy: %s\n", err);
		skip();
	}
}

static void
need_controller(unsigned bit, const char *name)
{
	need_cgroup();
	if (!(cgroup_controllers() & bit)) {
		print_message("the %s controller is not available in %s\n",
		    name, cgroup_base());
		skip();
	}
}

/* Create the test's group NAME with LIM; fails the test on error. */
static void
make_group(const char *name, const struct cgroup_limits *lim)
{
	char err[256];

	group_ = name;
	if (cgroup_create(name, lim, &dirfd_, err, sizeof(err)) == -1)
		fail_msg("cgroup_create(%s): %s", name, err);
}

/* SIGKILL every pid cgroup.procs lists, without the module. */
static void
kill_listed(int dir)
{
	char buf[4096], *p, *end;
	long pid;
	ssize_t n;
	int fd;

	if ((fd = openat(dir, "cgroup.procs", O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; (pid = strtol(p, &end, 10)) > 0; p = end)
		kill((pid_t)pid, SIGKILL);
}

/* Kill and remove the test's group, whatever state the test left. */
static int
teardown_group(void **state)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;

	(void)state;
	if (dirfd_ != -1) {
		cgroup_kill(dirfd_);
		while (cgroup_populated(dirfd_) == 1 && now_ms() < deadline) {
			/* The test may have failed because cgroup_kill() does
			 * not work: do it by hand too. */
			kill_listed(dirfd_);
			pause_ms(5);
		}
		close(dirfd_);
		dirfd_ = -1;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (group_ != NULL && cgroup_remove(group_) == -1 && errno != ENOENT)
		print_message("cannot remove cgroup %s: %s\n", group_,
		    strerror(errno));
	group_ = NULL;
	return 0;
}

/* Fork a child into the group: clone3 where possible, else attach. */
static pid_t
fork_into_group(void)
{
	pid_t pid;
	int p[2];
	char c;

	if (cgroup_spawn_supported())
		return cgroup_fork_into(dirfd_);
	/* The child waits until it has been moved. */
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(126);
		close(p[0]);
		return 0;
	}
	assert_true(pid > 0);
	close(p[0]);
	assert_int_equal(cgroup_attach(dirfd_, pid), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	close(p[1]);
	return pid;
}

/* Does /proc/PID/cgroup put PID in group PATH? */
static int
in_group(pid_t pid, const char *path)
{
	char file[64], buf[512], want[512];
	int fd;
	ssize_t n;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "0::%s\n", path);
	return strstr(buf, want) != NULL;
}

/* Is PID gone (or a zombie nobody reaps yet)? */
static int
gone(pid_t pid)
{
	char file[64], buf[512], *p;
	int fd;
	ssize_t n;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

static void
test_names(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(cgroup_name("queue:1", out, sizeof(out)), 0);
	assert_string_equal(out, "queue@1");
	assert_int_equal(cgroup_name("a/b:0", out, sizeof(out)), 0);
	assert_string_equal(out, "a_b@0");
	assert_int_equal(cgroup_name("..", out, sizeof(out)), 0);
	assert_string_equal(out, "__");
	assert_int_equal(cgroup_name("mwsupd", out, sizeof(out)), -1);
	assert_int_equal(cgroup_name("", out, sizeof(out)), -1);
	cgroup_cpu_max(150, out, sizeof(out));
	assert_string_equal(out, "150000 100000");
	cgroup_cpu_max(50, out, sizeof(out));
	assert_string_equal(out, "50000 100000");
}

/* A limit without its controller is an error naming both. */
static void
test_missing_controller(void **state)
{
	struct cgroup_limits lim;
	char err[256];
	int fd = -1;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	assert_int_equal(cgroup_check_limits(&lim, 0, err, sizeof(err)), 0);
	lim.memory_max = 1 << 20;
	assert_int_equal(cgroup_check_limits(&lim, CGROUP_CPU | CGROUP_PIDS,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "memory_max needs the cgroup v2 memory "
	    "controller"));
	assert_non_null(strstr(err, "(available: cpu pids)"));
	assert_int_equal(cgroup_check_limits(&lim, CGROUP_MEMORY, err,
	    sizeof(err)), 0);
	memset(&lim, 0, sizeof(lim));
	lim.cpu_percent = 150;
	assert_int_equal(cgroup_check_limits(&lim, CGROUP_MEMORY, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cpu_max needs the cgroup v2 cpu"));
	memset(&lim, 0, sizeof(lim));
	lim.pids_max = 3;
	assert_int_equal(cgroup_check_limits(&lim, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pids_max needs the cgroup v2 pids"));
	assert_non_null(strstr(err, "(available: none)"));

	/* On this host, for real, where a controller is missing. */
	need_cgroup();
	memset(&lim, 0, sizeof(lim));
	if (!(cgroup_controllers() & CGROUP_MEMORY))
		lim.memory_max = 1 << 20;
	else if (!(cgroup_controllers() & CGROUP_PIDS))
		lim.pids_max = 3;
	else if (!(cgroup_controllers() & CGROUP_CPU))
		lim.cpu_percent = 50;
	else
		return;
	group_ = "nolimit:0";
	assert_int_equal(cgroup_create("nolimit:0", &lim, &fd, err,
	    sizeof(err)), -1);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "controller, which is not available"));
	assert_int_equal(fd, -1);
	assert_int_equal(cgroup_remove("nolimit:0"), -1);
	assert_int_equal(errno, ENOENT);
}

/*
 * Without a cgroup2 mount cgroup_init() fails with the reason, and so
 * does cgroup_create().  In a child with a mount namespace of its own
 * from which the hierarchy is unmounted; runs before any other test
 * initialises the module.
 */
static void
test_unavailable(void **state)
{
	static const char *mounts[] = {
		"/sys/fs/cgroup/unified", "/sys/fs/cgroup", NULL,
	};
	char err[256] = "", err2[256] = "";
	pid_t pid;
	int p[2], st, fd, i;
	ssize_t n;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
			_exit(77);
		for (i = 0; mounts[i] != NULL; i++)
			umount2(mounts[i], MNT_DETACH);
		if (cgroup_init(err, sizeof(err)) == 0)
			_exit(1);
		if (cgroup_create("x:0", NULL, &fd, err2, sizeof(err2)) == 0)
			_exit(2);
		if (write(p[1], err, sizeof(err)) != sizeof(err) ||
		    write(p[1], err2, sizeof(err2)) != sizeof(err2))
			_exit(3);
		_exit(cgroup_available() ? 4 : 0);
	}
	assert_true(pid > 0);
	close(p[1]);
	n = read(p[0], err, sizeof(err));
	if (n == sizeof(err))
		n = read(p[0], err2, sizeof(err2));
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(n, sizeof(err2));
	assert_string_equal(err, "no cgroup2 file system mounted");
	assert_string_equal(err2, "no writable cgroup v2 hierarchy: "
	    "no cgroup2 file system mounted");
}

static void
test_init(void **state)
{
	char err[256], own[512];

	(void)state;
	need_cgroup();
	assert_int_equal(cgroup_init(err, sizeof(err)), 0);
	assert_true(cgroup_available());
	print_message("base %s, controllers%s%s%s\n", cgroup_base(),
	    cgroup_controllers() & CGROUP_CPU ? " cpu" : "",
	    cgroup_controllers() & CGROUP_MEMORY ? " memory" : "",
	    cgroup_controllers() & CGROUP_PIDS ? " pids" : "");
	assert_int_equal(access(cgroup_base(), W_OK), 0);
	/* This process sits in the leaf "mwsupd" below the base. */
	assert_non_null(cgroup_path("x:0", own, sizeof(own)));
	own[strlen(own) - strlen("x@0")] = '\0';
	strncat(own, "mwsupd", sizeof(own) - strlen(own) - 1);
	assert_true(in_group(getpid(), own));
}

/*
 * A child that double-forks a setsid daemon: both are in the group, and
 * cgroup_kill() ends them both.
 */
static void
kill_daemon(const char *name, int (*killer)(int))
{
	char path[512];
	pid_t child, daemon_pid = -1, pid;
	uint64_t deadline;
	int p[2], st;

	need_cgroup();
	make_group(name, NULL);
	assert_int_equal(pipe(p), 0);
	if ((child = fork_into_group()) == 0) {
		close(p[0]);
		if ((pid = fork()) == 0) {
			setsid();
			if ((pid = fork()) == 0) {
				pid = getpid();
				if (write(p[1], &pid, sizeof(pid)) !=
				    sizeof(pid))
					_exit(1);
				for (;;)
					pause();
			}
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		for (;;)
			pause();
	}
	assert_true(child > 0);
	close(p[1]);
	assert_int_equal(read(p[0], &daemon_pid, sizeof(daemon_pid)),
	    sizeof(daemon_pid));
	close(p[0]);

	assert_non_null(cgroup_path(name, path, sizeof(path)));
	assert_true(in_group(child, path));
	assert_true(in_group(daemon_pid, path));
	/* Out of the child's session and process group: killmode = group
	 * would miss it. */
	assert_int_not_equal(getsid(daemon_pid), getsid(child));
	assert_int_not_equal(getpgid(daemon_pid), getpgid(child));
	assert_int_equal(cgroup_populated(dirfd_), 1);

	assert_int_equal(killer(dirfd_), 0);
	deadline = now_ms() + DEADLINE_MS;
	while (!(gone(daemon_pid) && cgroup_populated(dirfd_) == 0) &&
	    now_ms() < deadline)
		pause_ms(2);
	assert_true(gone(daemon_pid));
	assert_int_equal(cgroup_populated(dirfd_), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);

	close(dirfd_);
	dirfd_ = -1;
	assert_int_equal(cgroup_remove(name), 0);
	group_ = NULL;
}

static void
test_kill_daemon(void **state)
{
	(void)state;
	kill_daemon("daemon:0", cgroup_kill);
}

/* The same without cgroup.kill (kernels before 5.14). */
static void
test_kill_daemon_fallback(void **state)
{
	(void)state;
	kill_daemon("daemon:1", cgroup_kill_each);
}

/* pids.max = 3: the child and two of its children, the third fork fails. */
static void
test_pids_max(void **state)
{
	struct cgroup_limits lim;
	char buf[32];
	pid_t child;
	int st, i, fd;

	(void)state;
	need_controller(CGROUP_PIDS, "pids");
	memset(&lim, 0, sizeof(lim));
	lim.pids_max = 3;
	make_group("pids:0", &lim);
	fd = openat(dirfd_, "pids.max", O_RDONLY | O_CLOEXEC);
	assert_true(fd != -1);
	memset(buf, 0, sizeof(buf));
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	assert_string_equal(buf, "3\n");
	if ((child = fork_into_group()) == 0) {
		for (i = 0; i < 5; i++) {
			pid_t pid = fork();

			if (pid == -1)
				_exit(errno == EAGAIN ? i + 10 : 2);
			if (pid == 0) {
				pause();
				_exit(0);
			}
		}
		_exit(1);
	}
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	/* Forks 0 and 1 succeed, fork 2 (the fourth task) fails. */
	assert_int_equal(WEXITSTATUS(st), 12);
}

/* memory.max read back; a child allocating past it is OOM-killed. */
static void
test_memory_max(void **state)
{
	struct cgroup_limits lim;
	char buf[32];
	pid_t child;
	int st, fd;

	(void)state;
	need_controller(CGROUP_MEMORY, "memory");
	memset(&lim, 0, sizeof(lim));
	lim.memory_max = 32 << 20;
	lim.memory_high = 64 << 20;
	make_group("oom:0", &lim);
	fd = openat(dirfd_, "memory.max", O_RDONLY | O_CLOEXEC);
	assert_true(fd != -1);
	memset(buf, 0, sizeof(buf));
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	assert_string_equal(buf, "33554432\n");
	/* No swap to escape into. */
	if ((fd = openat(dirfd_, "memory.swap.max", O_WRONLY | O_CLOEXEC))
	    != -1) {
		assert_int_equal(write(fd, "0", 1), 1);
		close(fd);
	}
	assert_int_equal(cgroup_oom_kills(dirfd_), 0);
	if ((child = fork_into_group()) == 0) {
		size_t size = 256 << 20, i;
		char *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			_exit(2);
		for (i = 0; i < size; i += 4096)
			m[i] = 1;
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(cgroup_oom_kills(dirfd_), 1);
}

/* A child burning 200 ms of CPU shows in the group's usage. */
static void
test_cpu_usage(void **state)
{
	uint64_t before, after;
	int64_t mem;
	pid_t child;
	int st;

	(void)state;
	need_cgroup();
	make_group("burn:0", NULL);
	assert_int_equal(cgroup_usage(dirfd_, &before, &mem), 0);
	if (cgroup_controllers() & CGROUP_MEMORY)
		assert_true(mem >= 0);
	else
		assert_int_equal(mem, -1);
	assert_int_equal(cgroup_oom_kills(dirfd_),
	    (cgroup_controllers() & CGROUP_MEMORY) ? 0 : -1);
	if ((child = fork_into_group()) == 0) {
		struct timespec ts;

		do
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		while (ts.tv_sec == 0 && ts.tv_nsec < 200000000);
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(cgroup_usage(dirfd_, &after, &mem), 0);
	print_message("usage %llu -> %llu usec\n", (unsigned long long)before,
	    (unsigned long long)after);
	assert_true(after >= before + 190000);
}

/* Wall and CPU (this process) microseconds since MARK, per N. */
struct mark {
	struct timespec	wall, cpu;
};

static void
mark(struct mark *m)
{
	clock_gettime(CLOCK_MONOTONIC, &m->wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &m->cpu);
}

static double
us(const struct timespec *a, clockid_t clock, int n)
{
	struct timespec b;

	clock_gettime(clock, &b);
	return ((double)(b.tv_sec - a->tv_sec) * 1e9 +
	    (double)(b.tv_nsec - a->tv_nsec)) / 1e3 / n;
}

static void
report(const char *what, const struct mark *m, int n)
{
	print_message("  %-34s %8.1f us wall, %8.1f us CPU\n", what,
	    us(&m->wall, CLOCK_MONOTONIC, n),
	    us(&m->cpu, CLOCK_PROCESS_CPUTIME_ID, n));
}

/* fork (or clone3 into FDS[i]) N children that exit at once, as a launch
 * does, then reap them. */
static void
spawn_cost(const char *what, int n, const int *fds)
{
	struct mark m;
	pid_t pid;
	int i;

	mark(&m);
	for (i = 0; i < n; i++) {
		pid = fds != NULL ? cgroup_fork_into(fds[i]) : fork();
		if (pid == 0)
			_exit(0);
		assert_true(pid > 0);
	}
	report(what, &m, n);
	for (i = 0; i < n; i++)
		assert_true(wait(NULL) > 0);
}

/*
 * What killmode = cgroup adds to a launch, per process: create a group,
 * clone3 into it instead of fork, remove the group.  N groups at once, as
 * mwsupd has them (MWSUP_CGROUP_BENCH, default 100).
 */
static void
test_create_remove_cost(void **state)
{
	static const struct cgroup_limits none;
	const char *env = getenv("MWSUP_CGROUP_BENCH");
	char name[32], err[256];
	struct mark m;
	int i, made = 0, n = env != NULL ? atoi(env) : 100, *fds;

	(void)state;
	need_cgroup();
	if (n <= 0)
		n = 100;
	fds = calloc((size_t)n, sizeof(*fds));
	assert_non_null(fds);
	print_message("%d groups, per group:\n", n);
	mark(&m);
	for (made = 0; made < n; made++) {
		snprintf(name, sizeof(name), "bench:%d", made);
		if (cgroup_create(name, &none, &fds[made], err,
		    sizeof(err)) == -1)
			break;
	}
	if (made == n) {
		report("cgroup_create", &m, n);
		spawn_cost("fork", n, NULL);
		if (cgroup_spawn_supported())
			spawn_cost("clone3 into the group", n, fds);
	}
	mark(&m);
	for (i = 0; i < made; i++) {
		close(fds[i]);
		snprintf(name, sizeof(name), "bench:%d", i);
		if (cgroup_remove(name) == -1)
			print_message("cannot remove cgroup %s: %s\n", name,
			    strerror(errno));
	}
	if (made == n)
		report("cgroup_remove", &m, n);
	free(fds);
	if (made < n)
		fail_msg("cgroup_create: %s", err);
}

static int
teardown_all(void **state)
{
	(void)state;
	cgroup_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: its child must not inherit an initialised module. */
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_names),
		cmocka_unit_test_teardown(test_missing_controller,
		    teardown_group),
		cmocka_unit_test(test_init),
		cmocka_unit_test_teardown(test_kill_daemon, teardown_group),
		cmocka_unit_test_teardown(test_kill_daemon_fallback,
		    teardown_group),
		cmocka_unit_test_teardown(test_pids_max, teardown_group),
		cmocka_unit_test_teardown(test_memory_max, teardown_group),
		cmocka_unit_test_teardown(test_cpu_usage, teardown_group),
		cmocka_unit_test(test_create_remove_cost),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
