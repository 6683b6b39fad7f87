/*
 * test_logfile.c — program log files (logfile.c): creation mode, refusals
 * (symbolic link, directory, FIFO, missing directory), size rotation with
 * nothing lost, reopen after logrotate, a full filesystem (a small tmpfs,
 * as root), binary lines.  With LOGFILE_BENCH=N in the environment it
 * measures N lines of 100 bytes through logfile_write() against a plain
 * write(2) per line instead.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "logfile.h"
#include "xalloc.h"

/* The test's temporary directory and the log file in it. */
static char dir[64];
static char path[128];
static int mounted;

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_logfile.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/prog.log", dir);
	mounted = 0;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	/* Lazily: a failed assertion may have left the file open. */
	if (mounted && umount2(dir, MNT_DETACH) == -1)
		fprintf(stderr, "umount %s: %s\n", dir, strerror(errno));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The contents of FILE (malloc'd, NUL added), its length in *LEN. */
static char *
slurp(const char *file, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	if ((fd = open(file, O_RDONLY)) == -1)
		fail_msg("open %s: %s", file, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	buf = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static int
exists(const char *file)
{
	struct stat st;

	return lstat(file, &st) == 0;
}

static char *
numbered(int n)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s.%d", path, n);
	return buf;
}

/* Line I of the rotation tests: 29 bytes, 30 with the newline. */
static const char *
line30(int i)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "line %05d abcdefghijklmnopqr", i);
	assert_int_equal(strlen(buf), 29);
	return buf;
}

static struct logfile *
must_open(uint64_t maxbytes, int backups)
{
	char err[256] = "";
	struct logfile *lf;

	lf = logfile_open(path, maxbytes, backups, err, sizeof(err));
	if (lf == NULL)
		fail_msg("logfile_open %s: %s", path, err);
	return lf;
}

static void
put(struct logfile *lf, const char *s)
{
	assert_int_equal(logfile_write(lf, s, strlen(s)), 0);
}

/* logfile_open() must refuse PATH, at once, with ERR naming it and WHY. */
static void
check_refused(const char *why)
{
	char err[256] = "";

	alarm(5);	/* a hang on a FIFO kills the test */
	assert_null(logfile_open(path, 0, 0, err, sizeof(err)));
	alarm(0);
	if (strstr(err, path) == NULL || strstr(err, why) == NULL)
		fail_msg("error \"%s\" should name %s and say \"%s\"", err,
		    path, why);
}

static void
test_create_mode(void **state)
{
	struct logfile *lf;
	struct stat st;
	mode_t old;
	size_t len;
	char *s;

	(void)state;
	old = umask(0);
	lf = must_open(0, 0);
	umask(old);
	put(lf, "hello");
	assert_string_equal(logfile_path(lf), path);
	logfile_close(lf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* Appends to what is there. */
	lf = must_open(0, 0);
	put(lf, "world");
	logfile_close(lf);
	s = slurp(path, &len);
	assert_string_equal(s, "hello\nworld\n");
	free(s);

	/* 0640 whatever the umask, here a strict one. */
	assert_int_equal(unlink(path), 0);
	old = umask(0077);
	lf = must_open(0, 0);
	umask(old);
	logfile_close(lf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void
test_symlink_refused(void **state)
{
	char target[128], dangling[128];
	size_t len;
	char *s;
	int fd;

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "keep\n", 5), 5);
	close(fd);
	assert_int_equal(symlink(target, path), 0);
	check_refused("symbolic link");
	s = slurp(target, &len);
	assert_string_equal(s, "keep\n");
	free(s);

	/* A dangling link creates nothing at its target either. */
	assert_int_equal(unlink(path), 0);
	snprintf(dangling, sizeof(dangling), "%s/nothing", dir);
	assert_int_equal(symlink(dangling, path), 0);
	check_refused("symbolic link");
	assert_false(exists(dangling));
}

static void
test_directory_refused(void **state)
{
	(void)state;
	assert_int_equal(mkdir(path, 0755), 0);
	check_refused("directory");
}

static void
test_fifo_refused(void **state)
{
	int rd;

	(void)state;
	assert_int_equal(mkfifo(path, 0644), 0);
	check_refused("not a regular file");
	/* With a reader, the open succeeds and fstat() refuses it. */
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	check_refused("not a regular file");
	close(rd);
}

static void
test_missing_directory(void **state)
{
	char err[256] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/prog.log", dir);
	assert_null(logfile_open(path, 0, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
}

/*
 * Write COUNT lines of 30 bytes with maxbytes 100 and BACKUPS, then check
 * every file: at most 100 bytes, whole lines, FILE.1 newest, and FILE.N …
 * FILE.1 FILE concatenated are the last lines written, in order.
 */
static void
check_rotation(int count, int backups, int files_expected)
{
	struct logfile *lf;
	char *want, *got, *s;
	size_t wantlen = 0, gotlen = 0, len;
	int i;

	lf = must_open(100, backups);
	want = xmalloc((size_t)count * 30 + 1);
	for (i = 0; i < count; i++) {
		put(lf, line30(i));
		memcpy(want + wantlen, line30(i), 29);
		want[wantlen + 29] = '\n';
		wantlen += 30;
	}
	logfile_close(lf);

	got = xmalloc(wantlen + 1);
	for (i = files_expected - 1; i >= 0; i--) {
		s = slurp(i == 0 ? path : numbered(i), &len);
		if (len > 100 || len % 30 != 0)
			fail_msg("%s: %zu bytes", i == 0 ? path : numbered(i),
			    len);
		assert_true(gotlen + len <= wantlen);
		memcpy(got + gotlen, s, len);
		gotlen += len;
		free(s);
	}
	assert_false(exists(numbered(files_expected)));
	/* What is kept is the tail of what was written. */
	assert_true(gotlen <= wantlen);
	/* Fewer backups than allowed: none was discarded, nothing lost. */
	if (files_expected - 1 < backups)
		assert_int_equal(gotlen, wantlen);
	assert_memory_equal(got, want + wantlen - gotlen, gotlen);
	free(got);
	free(want);
}

static void
test_rotation(void **state)
{
	size_t len;
	char *s;

	(void)state;
	/* 20 lines, 3 to a file: FILE.6 … FILE.1 full, FILE holds 2. */
	check_rotation(20, 10, 7);
	s = slurp(numbered(6), &len);
	assert_int_equal(strncmp(s, line30(0), 29), 0);
	free(s);
	s = slurp(path, &len);
	assert_int_equal(len, 60);
	assert_int_equal(strncmp(s, line30(18), 29), 0);
	free(s);
}

static void
test_backups_two(void **state)
{
	size_t len;
	char *s;

	(void)state;
	check_rotation(20, 2, 3);
	s = slurp(numbered(2), &len);
	assert_int_equal(len, 90);
	assert_int_equal(strncmp(s, line30(12), 29), 0);
	free(s);
}

static void
test_backups_zero(void **state)
{
	struct logfile *lf;
	size_t len;
	char *s;

	(void)state;
	lf = must_open(100, 0);
	for (int i = 0; i < 4; i++)
		put(lf, line30(i));
	logfile_close(lf);
	s = slurp(path, &len);
	assert_int_equal(len, 30);
	assert_int_equal(strncmp(s, line30(3), 29), 0);
	free(s);
	assert_false(exists(numbered(1)));
}

static void
test_long_line(void **state)
{
	struct logfile *lf;
	char big[251], *huge;
	size_t len;
	char *s;

	(void)state;
	memset(big, 'x', 250);
	big[250] = '\0';
	lf = must_open(100, 5);
	put(lf, line30(1));
	put(lf, big);
	put(lf, line30(2));
	logfile_close(lf);
	s = slurp(numbered(1), &len);
	assert_int_equal(len, 251);
	assert_memory_equal(s, big, 250);
	free(s);
	s = slurp(numbered(2), &len);
	assert_int_equal(len, 30);
	free(s);
	s = slurp(path, &len);
	assert_int_equal(len, 30);
	assert_int_equal(strncmp(s, line30(2), 29), 0);
	free(s);

	/* The first line in an empty file, however long, stays there. */
	assert_int_equal(unlink(path), 0);
	lf = must_open(100, 5);
	put(lf, big);
	logfile_close(lf);
	s = slurp(path, &len);
	assert_int_equal(len, 251);
	free(s);

	/* Past LOGFILE_LINE_MAX too (written another way), whole. */
	assert_int_equal(unlink(path), 0);
	huge = xmalloc(LOGFILE_LINE_MAX + 10);
	memset(huge, 'h', LOGFILE_LINE_MAX + 10);
	lf = must_open(0, 0);
	assert_int_equal(logfile_write(lf, huge, LOGFILE_LINE_MAX), 0);
	assert_int_equal(logfile_write(lf, huge, LOGFILE_LINE_MAX + 10), 0);
	logfile_close(lf);
	s = slurp(path, &len);
	assert_int_equal(len, 2 * LOGFILE_LINE_MAX + 12);
	assert_memory_equal(s, huge, LOGFILE_LINE_MAX);
	assert_int_equal(s[LOGFILE_LINE_MAX], '\n');
	assert_memory_equal(s + LOGFILE_LINE_MAX + 1, huge,
	    LOGFILE_LINE_MAX + 10);
	assert_int_equal(s[len - 1], '\n');
	free(s);
	free(huge);
}

static void
test_reopen_after_logrotate(void **state)
{
	char moved[160], err[256] = "";
	struct logfile *lf;
	struct stat st;
	size_t len;
	char *s;

	(void)state;
	snprintf(moved, sizeof(moved), "%s.rotated", path);
	lf = must_open(0, 0);
	put(lf, "before");
	assert_int_equal(rename(path, moved), 0);
	put(lf, "in between");
	assert_int_equal(logfile_reopen(lf, err, sizeof(err)), 0);
	put(lf, "after");
	s = slurp(moved, &len);
	assert_string_equal(s, "before\nin between\n");
	free(s);
	s = slurp(path, &len);
	assert_string_equal(s, "after\n");
	free(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* Replaced by a directory: refused, the old file stays in use. */
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(logfile_reopen(lf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	put(lf, "still");
	logfile_close(lf);
	s = slurp(moved, &len);
	assert_string_equal(s, "after\nstill\n");
	free(s);
}

static void
test_binary(void **state)
{
	static const char line[] = { 'a', '\0', 'b', '\377', '\r', '\033',
	    '\0', '\n', 'z' };
	struct logfile *lf;
	size_t len;
	char *s;

	(void)state;
	lf = must_open(0, 0);
	assert_int_equal(logfile_write(lf, line, sizeof(line)), 0);
	assert_int_equal(logfile_write(lf, "", 0), 0);
	logfile_close(lf);
	s = slurp(path, &len);
	assert_int_equal(len, sizeof(line) + 2);
	assert_memory_equal(s, line, sizeof(line));
	assert_int_equal(s[sizeof(line)], '\n');
	assert_int_equal(s[sizeof(line) + 1], '\n');
	free(s);
}

/*
 * A rotation that cannot rename (FILE.1 is a non-empty directory and, with
 * one backup, nothing moves it away first) loses nothing: lines go on to
 * FILE, reported once, retried a minute later.
 */
static void
test_rotation_fails(void **state)
{
	char inside[192], msg[512];
	struct logfile *lf;
	size_t len;
	char *s;
	int fd;

	(void)state;
	assert_int_equal(mkdir(numbered(1), 0755), 0);
	snprintf(inside, sizeof(inside), "%s/x", numbered(1));
	assert_true((fd = open(inside, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);

	lf = must_open(100, 1);
	for (int i = 0; i < 5; i++)
		put(lf, line30(i));
	s = slurp(path, &len);
	assert_int_equal(len, 150);
	free(s);
	assert_int_equal(logfile_dropped(lf), 0);

	/* Fixed, but not retried at every line: only after the report. */
	assert_int_equal(unlink(inside), 0);
	assert_int_equal(rmdir(numbered(1)), 0);
	put(lf, line30(5));
	assert_false(exists(numbered(1)));
	assert_int_equal(logfile_report(lf, 1000, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "cannot rotate"));
	assert_non_null(strstr(msg, path));
	assert_int_equal(logfile_report(lf, 2000, msg, sizeof(msg)), 0);

	put(lf, line30(6));
	logfile_close(lf);
	s = slurp(numbered(1), &len);
	assert_int_equal(len, 180);
	free(s);
	s = slurp(path, &len);
	assert_int_equal(len, 30);
	assert_int_equal(strncmp(s, line30(6), 29), 0);
	free(s);
}

/* Fill a 64 KiB tmpfs: lines dropped and counted, reported once a minute. */
static void
test_disk_full(void **state)
{
	char line[100], msg[512];
	struct logfile *lf;
	uint64_t failed = 0, now = 5000, last = 0;
	int reports = 0, i;
	size_t len;
	char *s;

	(void)state;
	if (geteuid() != 0)
		skip();
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") == -1) {
		fprintf(stderr, "mount tmpfs: %s\n", strerror(errno));
		skip();
	}
	mounted = 1;
	lf = must_open(0, 0);
	memset(line, 'd', sizeof(line) - 1);
	for (i = 0; i < 3000; i++) {
		line[0] = (char)('A' + i % 26);
		if (logfile_write(lf, line, sizeof(line) - 1) == -1) {
			assert_true(errno == ENOSPC || errno == EDQUOT ||
			    errno == EFBIG);
			failed++;
		}
		/* Ten fake seconds per 100 lines: 300 s in all. */
		if (i % 100 == 99)
			now += 10000;
		if (logfile_report(lf, now, msg, sizeof(msg)) == 1) {
			if (reports++ > 0)
				assert_true(now - last >= LOGFILE_REPORT_MS);
			last = now;
			assert_non_null(strstr(msg, path));
			assert_non_null(strstr(msg, strerror(ENOSPC)));
		}
	}
	assert_true(failed > 0);
	assert_int_equal(logfile_dropped(lf), failed);
	/* Drops began within the first 65 s; one report a minute after. */
	assert_true(reports >= 4 && reports <= 6);
	/* Nothing new: nothing to say, however late. */
	logfile_report(lf, now + LOGFILE_REPORT_MS, msg, sizeof(msg));
	assert_int_equal(logfile_report(lf, now + 10 * LOGFILE_REPORT_MS,
	    msg, sizeof(msg)), 0);
	logfile_close(lf);
	/* The file holds whole lines. */
	s = slurp(path, &len);
	assert_int_equal(len % 100, 0);
	free(s);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* LOGFILE_BENCH=N: N lines of 100 bytes, three ways, in BENCH_DIR. */
static int
bench(long n)
{
	const char *where = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : ".";
	char line[101], err[256];
	struct logfile *lf;
	double t0, plain, lfw, rot;
	long i;
	int fd;

	memset(line, 'b', 100);
	line[100] = '\n';
	snprintf(path, sizeof(path), "%s/bench-plain.log", where);
	unlink(path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	t0 = seconds();
	for (i = 0; i < n; i++)
		if (write(fd, line, sizeof(line)) != sizeof(line))
			return 1;
	plain = seconds() - t0;
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "%s/bench-logfile.log", where);
	unlink(path);
	if ((lf = logfile_open(path, 0, 0, err, sizeof(err))) == NULL)
		return fprintf(stderr, "%s\n", err), 1;
	t0 = seconds();
	for (i = 0; i < n; i++)
		if (logfile_write(lf, line, 100) == -1)
			return 1;
	lfw = seconds() - t0;
	logfile_close(lf);
	unlink(path);

	/* Rotating every 10 MB (about 100,000 lines), 2 backups. */
	if ((lf = logfile_open(path, 10000000, 2, err, sizeof(err))) == NULL)
		return fprintf(stderr, "%s\n", err), 1;
	t0 = seconds();
	for (i = 0; i < n; i++)
		if (logfile_write(lf, line, 100) == -1)
			return 1;
	rot = seconds() - t0;
	logfile_close(lf);
	unlink(path);
	unlink(numbered(1));
	unlink(numbered(2));

	printf("%ld lines of 100 bytes in %s\n", n, where);
	printf("write(2) per line        %10.0f lines/s\n", n / plain);
	printf("logfile_write, no rotate %10.0f lines/s (%.2fx)\n", n / lfw,
	    plain / lfw);
	printf("logfile_write, 10 MB     %10.0f lines/s (%.2fx)\n", n / rot,
	    plain / rot);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_create_mode),
		T(test_symlink_refused),
		T(test_directory_refused),
		T(test_fifo_refused),
		T(test_missing_directory),
		T(test_rotation),
		T(test_backups_two),
		T(test_backups_zero),
		T(test_long_line),
		T(test_reopen_after_logrotate),
		T(test_binary),
		T(test_rotation_fails),
		T(test_disk_full),
#undef T
	};

	if (getenv("LOGFILE_BENCH") != NULL)
		return bench(atol(getenv("LOGFILE_BENCH")));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
