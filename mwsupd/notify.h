/*
 * notify.h — mwsupd's end of the systemd notification protocol
 * (sd_notify(3)) for `ready = notify` processes.
 *
 * One datagram socket, bound at a filesystem path, in the event loop.
 * Each datagram is a list of VAR=VALUE assignments separated by newlines;
 * the kernel tells who sent it (SO_PASSCRED: pid, uid, gid), and that is
 * the only authentication: anybody may send, only datagrams the owner
 * lookup recognises are acted upon.  mwsupd understands READY=1,
 * STATUS=TEXT, WATCHDOG=1 and WATCHDOG=trigger; every other assignment is
 * ignored.  Nothing a sender does can block mwsupd, grow it, or leave a
 * descriptor in it: a bounded buffer, a bounded number of datagrams per
 * wake-up, descriptors passed with SCM_RIGHTS closed at once.
 *
 * The module knows nothing of processes: the daemon installs two hooks,
 * one that maps a sender to its owner (a supervised process) and one that
 * receives what the owner said.
 */
#ifndef MWSUP_NOTIFY_H
#define MWSUP_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest datagram read; longer ones are ignored whole (and counted). */
#define NOTIFY_DATAGRAM_MAX	4096
/* STATUS= text kept, NUL included; longer text is cut (on a character). */
#define NOTIFY_STATUS_MAX	256
/* Datagrams read per wake-up; the rest wait for the next loop turn. */
#define NOTIFY_BATCH		32

/* What one datagram said, and who sent it. */
struct notify_msg {
	pid_t	 pid;		/* sender, from SCM_CREDENTIALS */
	uid_t	 uid;
	gid_t	 gid;
	bool	 ready;		/* READY=1 */
	bool	 watchdog;	/* WATCHDOG=1: the process is alive */
	bool	 watchdog_trigger; /* WATCHDOG=trigger: restart me */
	bool	 has_status;	/* STATUS= was given; "" clears the text */
	char	 status[NOTIFY_STATUS_MAX]; /* control characters removed,
					   invalid UTF-8 bytes shown as '?' */
};

/*
 * Parse the LEN bytes at BUF (not NUL-terminated) into OUT, which is
 * cleared first (the sender fields too).  Assignments are separated by
 * '\n' (or '\r'); a missing final newline is fine; when STATUS= comes
 * more than once the last one counts.  Returns how many assignments were
 * understood (0: nothing for mwsupd), or -1 when BUF is not a
 * notification at all (it contains a NUL byte), OUT then says nothing.
 * Pure: no allocation, no system call.
 */
int	notify_parse(const char *buf, size_t len, struct notify_msg *out);

/*
 * LOOKUP(PID, UID, GID) returns the owner of a datagram sent by process
 * PID running as UID/GID, or NULL to ignore it.  It should match PID
 * against the main pids of `ready = notify` processes only, and accept
 * the sender's UID only when it is 0 or the process's own user (a process
 * of another user can join the process group of yours, see below).
 *
 * Who may speak for a process: the process itself or any process of its
 * process group.  The module does the group part: it calls LOOKUP with
 * the sender's pid first, and when that gives NULL, once more with the
 * sender's process group id (getpgid(2); mwsupd makes every process the
 * leader of its own group, so that id is the main pid).  A sender that
 * has already exited cannot be placed in a group and is ignored, unless
 * it was the main process itself (its pid stays known until reaped).
 *
 * MESSAGE(OWNER, MSG) is then called for a datagram that said something
 * mwsupd understands; MSG is valid during the call only.
 * Either hook NULL: every datagram is read and ignored.
 */
typedef void	*(*notify_lookup_cb)(pid_t pid, uid_t uid, gid_t gid);
typedef void	 (*notify_message_cb)(void *owner,
		    const struct notify_msg *msg);
void	notify_set_hooks(notify_lookup_cb lookup, notify_message_cb message);

/*
 * Bind the notification socket at PATH (a filesystem path: an abstract
 * name, starting with '@' or NUL, is refused) and watch it in the event
 * loop (loop_init() first).  A socket file left at PATH by a dead mwsupd
 * is replaced; anything else there (a live socket, a symbolic link, any
 * other file) is refused.  Returns 0, or -1 with a message naming PATH in
 * ERR (LEN bytes): the path does not fit a socket address, exists, or the
 * socket cannot be made.  One socket per mwsupd: a second call without
 * notify_close() fails.
 */
int	notify_open(const char *path, char *err, size_t len);
/* Stop watching, close and unlink the socket.  Harmless when not open. */
void	notify_close(void);
/* The bound path, or NULL when the socket is not open. */
const char *notify_path(void);

/* What was read since notify_open(), for tests and diagnostics. */
struct notify_stats {
	uint64_t	received;	/* datagrams read */
	uint64_t	delivered;	/* given to the MESSAGE hook */
	uint64_t	unknown;	/* no owner: LOOKUP said NULL */
	uint64_t	truncated;	/* longer than NOTIFY_DATAGRAM_MAX */
	uint64_t	malformed;	/* not text: NUL bytes */
	uint64_t	unused;		/* no assignment mwsupd understands */
	uint64_t	no_credentials;	/* no SCM_CREDENTIALS: cannot happen
					   with SO_PASSCRED, checked anyway */
	uint64_t	fds_closed;	/* descriptors received and closed */
	uint64_t	wakeups;	/* calls of the read handler */
};
void	notify_get_stats(struct notify_stats *out);

/*
 * The environment of a `ready = notify` process: NOTIFY_SOCKET, and with
 * a watchdog WATCHDOG_USEC and WATCHDOG_PID.  Built before the spawn,
 * like the rest of the environment; the strings live in the struct, so
 * it must not move (embed it where the environment array lives) while
 * VARS is in use.  WATCHDOG_PID must be the process's own pid, known only
 * after the clone: the child fills the slot with notify_env_set_pid()
 * before execve.
 */
#define NOTIFY_PID_DIGITS	10	/* a pid_t in decimal, at most */
struct notify_env {
	char	 socket[sizeof("NOTIFY_SOCKET=") + 108];   /* 108: sun_path */
	char	 usec[sizeof("WATCHDOG_USEC=") + 20];
	char	 pid[sizeof("WATCHDOG_PID=") + NOTIFY_PID_DIGITS];
	char	*vars[4];	/* what to add to the environment, NULL-ended */
};

/*
 * Fill ENV for the socket at PATH and a watchdog of WATCHDOG_USEC
 * microseconds (0: no watchdog, so no WATCHDOG_* variable).  Until
 * notify_env_set_pid() the WATCHDOG_PID slot holds "0", which
 * sd_watchdog_enabled(3) takes as "not for you".  -1 if PATH is longer
 * than a socket address allows.
 */
int	notify_env_init(struct notify_env *env, const char *path,
	    uint64_t watchdog_usec);
/*
 * Write PID into ENV's WATCHDOG_PID slot, in place (the pointer in VARS,
 * hence in the environment array, does not change).  Async-signal-safe:
 * for the child between clone and execve, which knows its own pid
 * (getpid() there, not a value computed by the parent).
 */
void	notify_env_set_pid(struct notify_env *env, pid_t pid);
/*
 * True for an assignment of mwsupd's own environment that no child may
 * inherit: NOTIFY_SOCKET (systemd's socket, when mwsupd runs under
 * systemd), WATCHDOG_USEC and WATCHDOG_PID (systemd's watchdog of
 * mwsupd).  KV is "NAME=VALUE".
 */
bool	notify_env_reserved(const char *kv);

#endif /* MWSUP_NOTIFY_H */
