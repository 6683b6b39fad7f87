/*
 * logfile.h — one program log file (stdout_logfile, stderr_logfile):
 * whole lines appended to a regular file, rotated by size between lines
 * (FILE.1 newest … FILE.N oldest), reopened by path for logrotate.
 *
 * Nothing here blocks beyond a write(2) to a regular file: no fsync, no
 * retry loop.  A line that cannot be written (ENOSPC, EIO, EDQUOT, …) is
 * dropped and counted; logfile_report() tells the caller, at most once a
 * minute, what to log about it.  Single-threaded, like the rest of mwsupd.
 */
#ifndef MWSUP_LOGFILE_H
#define MWSUP_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

/* The longest line the output path hands over (longer ones are cut). */
#define LOGFILE_LINE_MAX	4096
/* logfile_report() speaks at most once per this many milliseconds. */
#define LOGFILE_REPORT_MS	60000

struct logfile;

/*
 * Open PATH for appending; create it, mode 0640 whatever the umask, when
 * missing (an existing file keeps its mode).  Refused, with a message in
 * ERR naming PATH: a symbolic link at PATH (never followed), anything but
 * a regular file (a directory, a FIFO with or without a reader: refused at
 * once, never waited on), a missing or unwritable directory (strerror).
 * MAXBYTES: rotate before the file would grow past it (0: never).
 * BACKUPS: rotated files kept, FILE.1 … FILE.BACKUPS (0: the file is
 * truncated instead).  Returns NULL on error; the descriptor is CLOEXEC.
 */
struct logfile	*logfile_open(const char *path, uint64_t maxbytes,
		    int backups, char *err, size_t len);

/*
 * Append one line: the LEN bytes at LINE *without* its newline, which
 * logfile_write() adds (a line cut at LOGFILE_LINE_MAX by the caller thus
 * goes on the next line).  Any byte, NUL included, is written as it is.
 * Rotates first when the file is not empty and the line would take it past
 * maxbytes; a line longer than maxbytes therefore gets a file of its own.
 * Returns 0, or -1 with errno set when the line was dropped (write error:
 * counted in logfile_dropped(); the file is cut back to whole lines).
 * A failed rotation never drops the line: it goes to the current file.
 */
int		 logfile_write(struct logfile *lf, const char *line,
		    size_t len);

/*
 * Close and open the file again by path, creating it when missing (after
 * logrotate moved it away: `mwsupctl reopen`, SIGUSR2).  Same checks as
 * logfile_open(); on error the old file stays in use and ERR says why.
 * Also resumes rotation after a failed one.  Returns 0 or -1.
 */
int		 logfile_reopen(struct logfile *lf, char *err, size_t len);

/*
 * The report to log about trouble, at most once per LOGFILE_REPORT_MS of
 * NOW (CLOCK_MONOTONIC milliseconds; a parameter so that tests drive it):
 * lines dropped since the last report, or a rotation that failed.  Returns
 * 1 with the message (naming the file, the count and the error) in MSG,
 * 0 when there is nothing to say yet.  Call it after a failed
 * logfile_write() and from a timer (every LOGFILE_REPORT_MS will do) so
 * that the last drops are reported too.
 */
int		 logfile_report(struct logfile *lf, uint64_t now, char *msg,
		    size_t len);

/* Lines dropped since logfile_open(). */
uint64_t	 logfile_dropped(const struct logfile *lf);
/* The path given to logfile_open(), owned by LF. */
const char	*logfile_path(const struct logfile *lf);
/* Close the file and free LF (NULL is fine). */
void		 logfile_close(struct logfile *lf);

#endif /* MWSUP_LOGFILE_H */
