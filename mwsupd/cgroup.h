/*
 * cgroup.h — one cgroup v2 group per supervised process (killmode = cgroup)
 * and its resource limits.
 *
 * Layout.  mwsupd works below its own cgroup, OWN (the "0::" line of
 * /proc/self/cgroup), in the cgroup v2 hierarchy found in
 * /proc/self/mountinfo (/sys/fs/cgroup on a pure v2 host,
 * /sys/fs/cgroup/unified on a hybrid one):
 *
 *	OWN/			the base: no process of its own
 *	OWN/mwsupd		mwsupd itself (a leaf)
 *	OWN/PROGRAM@N		one group per process PROGRAM:N
 *
 * cgroup v2 forbids "internal processes": a group that enables controllers
 * for its children (cgroup.subtree_control) may hold no process itself.
 * mwsupd starts inside OWN, so cgroup_init() moves it into the leaf
 * OWN/mwsupd and only then enables, in OWN's cgroup.subtree_control, the
 * controllers limits need (cpu, memory, pids) among those OWN offers
 * (cgroup.controllers).  When OWN is the root of the hierarchy (no
 * delegation: a container without a cgroup namespace, a test host), the
 * base is a new group ROOT/mwsupd.PID instead, so that two daemons never
 * share groups; cgroup_shutdown() removes it again.
 *
 * Groups are named after the process with ':' replaced by '@'
 * (queue:1 -> queue@1): no '.', so never confused with an interface file
 * such as memory.max, and never "mwsupd", the daemon's leaf.
 *
 * Without a writable hierarchy, cgroup_init() fails with the reason and
 * the daemon runs those programs with killmode = group.  Killing and
 * emptiness need no controller; a limit whose controller is not enabled
 * is an error (cgroup_create() fails, the process goes FATAL).
 */
#ifndef MWSUP_CGROUP_H
#define MWSUP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Controllers limits need, as a mask. */
#define CGROUP_CPU	0x1u
#define CGROUP_MEMORY	0x2u
#define CGROUP_PIDS	0x4u

/* Limits of one group; 0 means "no limit" for every field. */
struct cgroup_limits {
	uint64_t	memory_max;	/* bytes: memory.max */
	uint64_t	memory_high;	/* bytes: memory.high */
	unsigned	cpu_percent;	/* 150 = 1.5 CPUs: cpu.max */
	uint64_t	pids_max;	/* tasks: pids.max */
};

/*
 * Find the hierarchy, move mwsupd into its leaf and enable the
 * controllers.  Once; later calls return the first result.  0, or -1 with
 * the reason in ERR ("no cgroup2 file system mounted", ...).
 */
int		cgroup_init(char *err, size_t len);
/* Undo cgroup_init(): mwsupd back into OWN, its leaf (and a base it
 * created) removed.  Groups still holding processes are left alone. */
void		cgroup_shutdown(void);
bool		cgroup_available(void);
/* The controllers enabled for the groups (CGROUP_* mask). */
unsigned	cgroup_controllers(void);
/* The base directory in the file system ("/sys/fs/cgroup/unified/x"). */
const char     *cgroup_base(void);

/* The group name of process NAME into OUT: -1 when it cannot be one. */
int		cgroup_name(const char *name, char *out, size_t len);
/* Can LIM be enforced with the controllers AVAIL?  -1 with the reason. */
int		cgroup_check_limits(const struct cgroup_limits *lim,
		    unsigned avail, char *err, size_t len);
/* cpu.max for PERCENT into OUT: 150 -> "150000 100000", 0 -> "max 100000". */
void		cgroup_cpu_max(unsigned percent, char *out, size_t len);

/*
 * Create (or reuse, when a previous run left it empty) the group of
 * process NAME with limits LIM; *DIRFD_OUT is an O_PATH|O_DIRECTORY
 * descriptor of it (close-on-exec), usable with clone3(CLONE_INTO_CGROUP).
 * -1 with the reason.
 */
int		cgroup_create(const char *name, const struct cgroup_limits *lim,
		    int *dirfd_out, char *err, size_t len);
/* Does the kernel have clone3(CLONE_INTO_CGROUP) (Linux 5.7)? */
bool		cgroup_spawn_supported(void);
/* fork() straight into the group DIRFD: 0 in the child, the pid in the
 * parent, -1 with errno.  The child may only do async-signal-safe work
 * and must not use pthread calls or raise(): glibc did not see the raw
 * clone3 and still holds the parent's thread id. */
pid_t		cgroup_fork_into(int dirfd);
/* Move PID into the group (the fallback without clone3).  -1 with errno. */
int		cgroup_attach(int dirfd, pid_t pid);
/*
 * SIGKILL everything in the group: cgroup.kill (Linux 5.14), else freeze
 * it and kill each pid of cgroup.procs until none is left.  0, or -1 with
 * errno.  The group is empty once cgroup_populated() says 0.
 */
int		cgroup_kill(int dirfd);
/* The fallback of cgroup_kill() (exported for its test): freeze the group
 * (Linux 5.2) and SIGKILL each pid of cgroup.procs until it lists none.
 * Frozen processes cannot fork meanwhile; SIGKILL still ends them.
 * Synchronous: at most 1000 rounds 1 ms apart. */
int		cgroup_kill_each(int dirfd);
/* 1 when a process is in the group, 0 when empty, -1 with errno. */
int		cgroup_populated(int dirfd);
/* rmdir the group of process NAME: -1 with errno (EBUSY: not empty). */
int		cgroup_remove(const char *name);
/* CPU time used (µs, descendants included) and memory.current (bytes;
 * -1 without the memory controller).  -1 with errno. */
int		cgroup_usage(int dirfd, uint64_t *cpu_usec, int64_t *mem_bytes);
/* OOM kills in the group (memory.events oom_kill); -1 when unknown. */
int64_t		cgroup_oom_kills(int dirfd);
/* The group's path as /proc/PID/cgroup shows it ("/x/queue@1"). */
const char     *cgroup_path(const char *name, char *out, size_t len);

#endif
