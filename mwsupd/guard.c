/*
 * guard.c — the guard process and its table (see guard.h).
 *
 * Why a process and not PR_SET_PDEATHSIG alone: the kernel clears the
 * parent-death signal on every credential change, and cgroups are not
 * always there.  Why a pipe: its read end returns end of file when the
 * last writer is gone, however mwsupd died (SIGKILL, a crash, the OOM
 * killer); only mwsupd holds the write end (close-on-exec, so no program
 * inherits it).  Why a shared table and not a message per spawn: a spawn
 * costs no extra system call, and the child records itself before exec,
 * so no window is left between exec and the parent learning the pid: a
 * child that records itself after the guard's last look finds mwsupd
 * already gone (getppid() changed, or its parent-death signal, still set
 * before exec, kills it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "log.h"
#include "loop.h"
#include "reap.h"
#include "timer.h"
#include "xalloc.h"

/* Linux's PID_MAX_LIMIT: there can never be more processes than this.
   MAP_NORESERVE and untouched pages make the unused slots free. */
#define GUARD_SLOTS	(4 * 1024 * 1024)
#define GUARD_RETRY_MS	1000
#define GUARD_EXIT_WAIT_MS 2000

/*
 * Slot values: 0 free, PID a process to kill alone, -PID a process whose
 * group is killed too.  USED only grows: the guard looks at [0, USED).
 */
struct guard_table {
	uint32_t	used;
	int32_t		slot[];
};

static struct guard_table	*table;
static int			*free_slots;	/* a stack of given-back slots */
static size_t			 nfree, free_cap;
static int			 wfd = -1;	/* the pipe's write end */
static pid_t			 gpid;
static struct reap_child	 gchild;
static struct timer		 retry_timer;

static int	guard_fork(void);

/* ------------------------------------------------------ in the guard */

/* mwsupd is gone: kill whatever it started that is still listed. */
static void
guard_kill_all(void)
{
	uint32_t n = __atomic_load_n(&table->used, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++) {
		int32_t v = __atomic_load_n(&table->slot[i], __ATOMIC_ACQUIRE);

		if (v < 0) {
			(void)kill(v, SIGKILL);		/* the group */
			(void)kill(-v, SIGKILL);	/* it, if it left it */
		} else if (v > 0)
			(void)kill(v, SIGKILL);
	}
}

static void __attribute__((noreturn))
guard_main(int rfd)
{
	static const int ignored[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
	    SIGUSR1, SIGUSR2, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	struct sigaction sa;
	sigset_t all;
	ssize_t n;
	char c;

	/* Nothing but the pipe: no socket, pidfile lock or program pipe of
	   mwsupd's may be kept open by the guard. */
	if (rfd != 0 && dup2(rfd, 0) == -1)
		_exit(1);
	if (syscall(SYS_close_range, 1U, ~0U, 0U) == -1) {
		long max = sysconf(_SC_OPEN_MAX);
		for (int fd = 1; fd < (max > 0 ? max : 65536); fd++)
			(void)close(fd);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		(void)sigaction(ignored[i], &sa, NULL);
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	/* Its own group: a kill of mwsupd's process group spares it. */
	(void)setpgid(0, 0);
	(void)chdir("/");
	(void)prctl(PR_SET_NAME, "mwsupd-guard");

	do
		n = read(0, &c, 1);
	while (n > 0 || (n == -1 && errno == EINTR));
	guard_kill_all();
	_exit(0);
}

/* ------------------------------------------------------- in mwsupd */

static void
guard_retry(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (gpid == 0 && guard_fork() == -1) {
		log_warn("cannot start the guard process; trying again");
		(void)timer_set(&retry_timer, now_ms() + GUARD_RETRY_MS);
	}
}

static void
guard_exited(struct reap_child *c, int status)
{
	(void)c;
	if (WIFSIGNALED(status))
		log_warnx("the guard process (pid %ld) was killed by signal "
		    "%d; starting a new one", (long)gpid, WTERMSIG(status));
	else
		log_warnx("the guard process (pid %ld) exited with status "
		    "%d; starting a new one", (long)gpid, WEXITSTATUS(status));
	gpid = 0;
	guard_retry(NULL, NULL);
}

static int
guard_fork(void)
{
	int p[2], saved;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		saved = errno;
		close(p[0]);
		close(p[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0)
		guard_main(p[0]);
	close(p[0]);
	if (wfd != -1)
		close(wfd);
	wfd = p[1];
	gpid = pid;
	gchild.pid = pid;
	gchild.exited = guard_exited;
	reap_watch(&gchild);
	log_debug("guard process started (pid %ld)", (long)pid);
	return 0;
}

/*
 * On mwsupd's orderly exit every process has been reaped and the table is
 * empty: end the guard and collect it, so that nothing mwsupd started
 * outlives it.  A stopped guard is not waited for more than a moment.
 */
static void
guard_stop(void)
{
	struct timespec ms = { 0, 1000000 };
	pid_t pid = gpid;

	if (pid <= 0 || getpid() == pid)
		return;
	close(wfd);
	wfd = -1;
	gpid = 0;
	for (int i = 0; i < GUARD_EXIT_WAIT_MS; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return;
		nanosleep(&ms, NULL);
	}
}

int
guard_start(void)
{
	void *m = mmap(NULL, sizeof(struct guard_table) +
	    GUARD_SLOTS * sizeof(int32_t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED)
		return -1;
	table = m;
	timer_init(&retry_timer, guard_retry, NULL);
	if (atexit(guard_stop) != 0)
		return -1;
	guard_retry(NULL, NULL);
	return 0;
}

pid_t
guard_pid(void)
{
	return gpid;
}

int
guard_slot_take(void)
{
	uint32_t n;

	if (table == NULL)
		return -1;
	if (nfree > 0)
		return free_slots[--nfree];
	n = table->used;
	if (n == GUARD_SLOTS)
		return -1;
	/* Room to give every slot back without allocating then. */
	if ((size_t)n + 1 > free_cap) {
		free_cap = free_cap == 0 ? 64 : 2 * free_cap;
		free_slots = xreallocarray(free_slots, free_cap,
		    sizeof(*free_slots));
	}
	__atomic_store_n(&table->used, n + 1, __ATOMIC_RELEASE);
	return (int)n;
}

void
guard_slot_give(int slot)
{
	if (slot < 0 || table == NULL)
		return;
	guard_slot_clear(slot);
	free_slots[nfree++] = slot;
}

void
guard_slot_set(int slot, pid_t pid, bool group)
{
	if (slot < 0 || table == NULL)
		return;
	__atomic_store_n(&table->slot[slot], group ? -(int32_t)pid :
	    (int32_t)pid, __ATOMIC_RELEASE);
}

void
guard_slot_clear(int slot)
{
	if (slot < 0 || table == NULL)
		return;
	__atomic_store_n(&table->slot[slot], 0, __ATOMIC_RELEASE);
}
