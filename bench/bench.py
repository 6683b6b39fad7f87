#!/usr/bin/env python3
"""bench.py — mwsupd against the floor and supervisord, in one run.

Started by bench/run.sh, which builds the helpers and passes their paths.
Every process it starts is killed by pid on the way out (also on Ctrl-C);
everything lives in one temporary directory.

Timestamps are CLOCK_MONOTONIC (system-wide on Linux): the children write
their start (and, in crash mode, death) times to a FIFO the bench reads in
a thread; the bench takes its own kill times from the same clock.
"""
import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time

MONO = time.CLOCK_MONOTONIC


def mono():
    return time.clock_gettime_ns(MONO)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# ------------------------------------------------------------ records

class Records:
    """Reads "S|D NUM PID NS" lines from the FIFO in a thread."""

    def __init__(self, path):
        os.mkfifo(path, 0o600)
        self.path = path
        self.fd = os.open(path, os.O_RDWR)  # never EOF, never blocks writers
        self.cv = threading.Condition()
        self.reset()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def reset(self):
        with self.cv:
            self.starts = []        # (ns, num, pid)
            self.deaths = []
            self.first = {}         # num -> ns of first start
            self.latest = {}        # num -> (pid, ns)

    def _run(self):
        buf = b""
        while True:
            data = os.read(self.fd, 1 << 16)
            buf += data
            lines = buf.split(b"\n")
            buf = lines.pop()
            with self.cv:
                for line in lines:
                    f = line.split()
                    if f[0] == b"Q":
                        self.cv.notify_all()
                        return
                    num, pid, ns = int(f[1]), int(f[2]), int(f[3])
                    if f[0] == b"S":
                        self.starts.append((ns, num, pid))
                        self.first.setdefault(num, ns)
                        self.latest[num] = (pid, ns)
                    else:
                        self.deaths.append((ns, num, pid))
                self.cv.notify_all()

    def wait(self, pred, timeout, alive=None):
        """Wait until pred() (called with the lock held); False on timeout
        or when alive() says the supervisor died."""
        end = time.monotonic() + timeout
        with self.cv:
            while not pred():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                if alive is not None and not alive():
                    return pred()
                self.cv.wait(min(left, 0.5))
            return True

    def close(self):
        os.write(self.fd, b"Q 0 0 0\n")
        self.thread.join(2)
        os.close(self.fd)


# ------------------------------------------------------------ /proc

def proc_cpu_ns(pid):
    """CPU time of all threads of PID, ns (schedstat), and utime+stime ns."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError):
            pass
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    tick = 1e9 / os.sysconf("SC_CLK_TCK")
    return total, (int(st[11]) + int(st[12])) * tick


def proc_ctxt(pid):
    vol = invol = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol += int(line.split()[1])
        except OSError:
            pass
    return vol, invol


def proc_mem_kib(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Pss", "Rss"):
                out[k] = int(v.split()[0])
    return out["Pss"], out["Rss"]


# ------------------------------------------------------------ supervisors

class Sup:
    name = "?"
    status_json = True

    def __init__(self, b):
        self.b = b
        self.proc = None
        self.dir = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid

    def child_argv(self, mode, num, ms):
        a = [self.b.child, mode, self.b.records.path, num]
        if ms is not None:
            a.append(str(ms))
        return a

    def spawn(self, argv, env=None):
        self.errpath = os.path.join(self.dir, "stderr")
        err = open(self.errpath, "wb")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
            env=env, close_fds=True)
        err.close()
        self.b.started.append(self.proc)

    def stderr_tail(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read()[-800:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout):
        """SIGTERM, wait for the supervisor to exit; seconds or None."""
        t = mono()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        return (mono() - t) / 1e9


class Floor(Sup):
    name = "floor"

    def start(self, mode, n, ms=None):
        self.sock = os.path.join(self.dir, "floor.sock")
        self.spawn([self.b.floor, "-n", str(n), "-l", self.sock, "--"] +
                   self.child_argv(mode, "%N", ms))

    def status_argv(self, js):
        return [self.b.floor, "-C", self.sock] + (["json"] if js else [])


class Mwsupd(Sup):
    name = "mwsupd"

    def start(self, mode, n, ms=None):
        self.sock = os.path.join(self.dir, "mwsup.sock")
        conf = os.path.join(self.dir, "mwsup.conf")
        cmd = " ".join(self.child_argv(mode, "%(process_num)d", ms))
        with open(conf, "w") as f:
            f.write(f'''socket = "{self.sock}"
pidfile = "{self.dir}/mwsupd.pid"
log_target = syslog
program w {{
    command = "{cmd}"
    numprocs = {n}
    startsecs = 0
    autorestart = true
    stopwaitsecs = 2
}}
''')
        env = dict(os.environ, MWSUP_SYSLOG_SOCKET=self.b.syslog_sink)
        self.spawn([self.b.mwsupd, "-n", "-c", conf], env=env)

    def status_argv(self, js):
        return [self.b.mwsupctl, "-s", self.sock] + \
            (["--json"] if js else []) + ["status"]


class Supervisord(Sup):
    name = "supervisord"
    status_json = False

    def start(self, mode, n, ms=None):
        self.conf = os.path.join(self.dir, "supervisord.conf")
        d = self.dir
        cmd = " ".join(self.child_argv(mode, "%(process_num)d", ms))
        with open(self.conf, "w") as f:
            f.write(f'''[supervisord]
nodaemon = true
logfile = {d}/supervisord.log
logfile_maxbytes = 0
loglevel = info
pidfile = {d}/supervisord.pid
childlogdir = {d}
minfds = {min(max(1024, 4 * n + 256), self.b.nofile)}
minprocs = {max(200, 2 * n + 256)}

[unix_http_server]
file = {d}/supervisor.sock

[supervisorctl]
serverurl = unix://{d}/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:w]
command = {cmd}
process_name = %(program_name)s_%(process_num)d
numprocs = {n}
startsecs = 0
autorestart = true
stopwaitsecs = 2
stdout_logfile = NONE
stderr_logfile = NONE
''')
        self.spawn([self.b.supervisord, "-n", "-c", self.conf])

    def status_argv(self, js):
        if js:
            return None
        return [self.b.supervisorctl, "-c", self.conf, "status"]


# ------------------------------------------------------------ bench

def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class Bench:
    def __init__(self, a):
        self.a = a
        self.tmp = a.tmp
        self.child = a.child
        self.floor = a.floor
        self.timeit = a.timeit
        self.mwsupd = a.mwsupd
        self.mwsupctl = a.mwsupctl
        self.supervisord = a.supervisord
        self.supervisorctl = a.supervisorctl
        self.started = []
        self.sink = None
        self.res = {}           # (metric, sup) -> value
        self.notes = []
        self.records = Records(os.path.join(self.tmp, "records.fifo"))
        self.syslog_sink = os.path.join(self.tmp, "syslog.sock")
        q = a.quick
        self.ns = [1, 100, 1000] if q else [1, 100, 1000, 10000]
        if a.ns:
            self.ns = [int(x) for x in a.ns.split(",")]
        self.idle_s = 2 if q else 10
        self.respawn_k = 15 if q else 60
        self.respawn_k_slow = 3 if q else 12
        self.crash_k = 60 if q else 300
        self.crash_k_slow = 3 if q else 12
        self.churn_s = 3 if q else 10
        self.status_reps = {1: 10 if q else 30, 1000: 10 if q else 20}
        self.status_reps_slow = {1: 3 if q else 10, 1000: 3 if q else 5}
        self.sd_max_n = 100 if q else a.sd_max_n
        self.sd_launch_timeout = a.sd_timeout

    # -- bookkeeping

    def put(self, metric, sup, value):
        self.res[(metric, sup)] = value

    def note(self, s):
        log("  note: " + s)
        self.notes.append(s)

    def our_children(self):
        """Pids of every live process running our child binary."""
        me = os.path.realpath(self.child)
        sink = self.sink.pid if self.sink is not None else None
        pids = []
        for p in os.listdir("/proc"):
            if not p.isdigit() or int(p) == sink:
                continue
            try:
                if os.readlink(f"/proc/{p}/exe") in (me, me + " (deleted)"):
                    pids.append(int(p))
            except OSError:
                pass
        return pids

    def kill_leftovers(self, who=None, grace=0.0):
        """Kill, by pid, every process still running our child binary
        GRACE seconds from now (dying ones get that long to go)."""
        end = time.monotonic() + grace
        while True:
            pids = self.our_children()
            if not pids or time.monotonic() >= end:
                break
            time.sleep(0.02)
        desc = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    mode = f.read().split(b"\0")[1].decode()
                desc.append(f"{pid} {mode} state {st[0]} ppid {st[1]}")
            except (OSError, IndexError):
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if pids and who:
            self.note(f"{who}: {len(pids)} children were still running "
                      f"{grace:.1f} s after it exited; killed "
                      f"({'; '.join(desc[:5])})")
        return len(pids)

    def cleanup(self):
        for p in self.started:
            if p.poll() is None:
                try:
                    p.kill()
                    p.wait(5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        self.sink = None
        self.kill_leftovers()

    # -- building blocks

    def new_sup(self, cls, tag):
        s = cls(self)
        s.dir = os.path.join(self.tmp, f"{cls.name}-{tag}")
        os.makedirs(s.dir, exist_ok=True)
        return s

    def launch(self, s, mode, n, ms=None, timeout=60):
        """Start S with N children; seconds until all N ran, or None."""
        self.records.reset()
        self.kill_leftovers("before launch")
        t0 = mono()
        s.start(mode, n, ms)
        r = self.records
        end = time.monotonic() + timeout
        last, ok = -1, False
        while time.monotonic() < end and s.alive():
            # Give up early once nothing new has started for 15 s.
            ok = r.wait(lambda: len(r.first) >= n, min(15, timeout),
                        s.alive)
            with r.cv:
                got = len(r.first)
            if ok or got == last:
                break
            last = got
        if not ok:
            with r.cv:
                got = len(r.first)
            why = "died" if not s.alive() else "timeout"
            self.note(f"{s.name}: {got}/{n} processes ran before {why}"
                      + (": " + s.stderr_tail() if why == "died" else ""))
            return None
        with r.cv:
            return (max(r.first.values()) - t0) / 1e9

    def finish(self, s, n, record_stop=True):
        if not s.alive():
            self.kill_leftovers()
            return
        t = self.stop(s, 60 if n >= 1000 else 15, f"{n} processes")
        # The children of a stopped supervisor must be gone.
        self.kill_leftovers(f"{s.name} ({n} processes)", grace=1.0)
        if record_stop:
            self.put(f"stop {n}", s.name, t)

    def explain_missing(self, s, n):
        """Say why processes did not run (mwsupd: from its status)."""
        if s.name != "mwsupd":
            return
        try:
            out = subprocess.run(s.status_argv(True), capture_output=True,
                                 timeout=20)
            bad = [p for p in json.loads(out.stdout)
                   if p.get("state") != "RUNNING"]
        except (subprocess.TimeoutExpired, ValueError, OSError):
            return
        for p in bad[:3]:
            self.note(f"mwsupd with {n}: {p.get('name')} "
                      f"{p.get('state')}: {p.get('reason')}")

    def stop(self, s, timeout, what):
        t = s.stop(timeout)
        if t is None:
            self.note(f"{s.name} ({what}) did not exit within {timeout} s "
                      "of SIGTERM: killed with SIGKILL")
        return t

    def time_status(self, s, n):
        for js in (False, True):
            argv = s.status_argv(js)
            if argv is None:
                continue
            metric = f"status {n}" + (" --json" if js else "")
            out = subprocess.run(argv, capture_output=True, timeout=120)
            if out.returncode not in (0, 3):
                self.note(f"{s.name} status failed ({out.returncode}): "
                          + out.stderr.decode(errors='replace')[:300])
                continue
            text = out.stdout.decode(errors="replace")
            got = len(json.loads(text)) if js else \
                len([x for x in text.splitlines() if x.strip()])
            if got != n:
                self.note(f"{s.name} {metric}: {got} entries, expected {n}")
            slow = s.name == "supervisord"
            reps = (self.status_reps_slow if slow else self.status_reps)[n]
            r = subprocess.run([self.timeit, str(reps)] + argv,
                               capture_output=True, timeout=600)
            if r.returncode != 0:
                self.note(f"{s.name} {metric}: timing failed: "
                          + r.stderr.decode(errors='replace')[:300])
                continue
            ts = [int(x) / 1e6 for x in r.stdout.split()]
            self.put(metric, s.name, statistics.median(ts))
            self.put(metric + " p95", s.name, pct(ts, 95))

    def respawn_kill(self, s):
        r = self.records
        k = self.respawn_k_slow if s.name == "supervisord" \
            else self.respawn_k
        lat = []
        for _ in range(k):
            with r.cv:
                pid, _ = r.latest[0]
            t = mono()
            os.kill(pid, signal.SIGKILL)
            if not r.wait(lambda: r.latest[0][0] != pid, 10, s.alive):
                self.note(f"{s.name}: no respawn after SIGKILL")
                break
            with r.cv:
                lat.append((r.latest[0][1] - t) / 1e6)
            time.sleep(0.03)
        if lat:
            self.put("respawn after SIGKILL", s.name, statistics.median(lat))
            self.put("respawn after SIGKILL p95", s.name, pct(lat, 95))

    def crash_loop(self, s):
        r = self.records
        k = self.crash_k_slow if s.name == "supervisord" else self.crash_k
        self.records.reset()
        self.kill_leftovers("before crash loop")
        s.start("crash", 1)
        ok = r.wait(lambda: len(r.deaths) > k + 1, 30 + 2 * k, s.alive)
        t = self.stop(s, 15, "crash loop")
        if not ok:
            self.note(f"{s.name}: crash loop stalled after "
                      f"{len(r.deaths)} deaths")
        with r.cv:
            starts = sorted(r.starts)
            deaths = sorted(r.deaths)
        lat = []
        si = 0
        for d in deaths[1:]:     # the first cycle warms the caches
            while si < len(starts) and starts[si][0] <= d[0]:
                si += 1
            if si < len(starts):
                lat.append((starts[si][0] - d[0]) / 1e6)
        self.kill_leftovers(f"{s.name} (crash loop)", grace=1.0)
        if lat:
            self.put("respawn in crash loop", s.name, statistics.median(lat))
            self.put("respawn in crash loop p95", s.name, pct(lat, 95))
        return t

    def churn(self, s, n=50, ms=20):
        r = self.records
        if self.launch(s, "churn", n, ms) is None:
            self.finish(s, n, record_stop=False)
            return
        time.sleep(1)
        pid = s.pid()
        c1, t1ticks = proc_cpu_ns(pid)
        w1 = mono()
        time.sleep(self.churn_s)
        c2, t2ticks = proc_cpu_ns(pid)
        w2 = mono()
        with r.cv:
            count = sum(1 for x in r.starts if w1 <= x[0] < w2)
        # Does it still answer while churning?
        argv = s.status_argv(False)
        t = mono()
        try:
            subprocess.run(argv, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
            self.put("churn status", s.name, (mono() - t) / 1e6)
        except subprocess.TimeoutExpired:
            self.put("churn status", s.name, "timeout")
            self.note(f"{s.name}: status under churn: no answer in 10 s")
        t = self.stop(s, 15, "churn")
        self.put("churn stop", s.name, t if t is not None else "timeout")
        self.kill_leftovers(f"{s.name} (churn)", grace=1.0)
        if count == 0:
            self.note(f"{s.name}: no restarts under churn")
            return
        self.put("churn restarts/s", s.name, count / ((w2 - w1) / 1e9))
        self.put("churn CPU/restart", s.name, (c2 - c1) / count / 1e3)
        self.put("churn CPU/restart (ticks)", s.name,
                 (t2ticks - t1ticks) / count / 1e3)

    def idle(self, s):
        pid = s.pid()
        time.sleep(1)
        v1, i1 = proc_ctxt(pid)
        c1, _ = proc_cpu_ns(pid)
        time.sleep(self.idle_s)
        v2, i2 = proc_ctxt(pid)
        c2, _ = proc_cpu_ns(pid)
        self.put("idle wake-ups", s.name, (v2 - v1) + (i2 - i1))
        self.put("idle CPU", s.name, (c2 - c1) / 1e6)
        out = os.path.join(s.dir, "strace.out")
        st = subprocess.Popen(["strace", "-q", "-c", "-f", "-o", out,
                               "-p", str(pid)],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        self.started.append(st)
        time.sleep(0.3)             # let it attach
        time.sleep(self.idle_s)
        st.send_signal(signal.SIGINT)
        st.wait(10)
        calls, detail = parse_strace(out)
        self.put("idle syscalls", s.name, calls)
        if detail:
            self.put("idle syscalls detail", s.name, detail)

    # -- the run

    def run_n(self, cls, n):
        name = cls.name
        slow = name == "supervisord"
        if slow and n > self.sd_max_n:
            return
        # Pipe fds per process: mwsupd 2 (stdout, stderr), supervisord
        # 3 pairs' worth of its own ends plus more; the floor none.
        need = {"floor": 0, "mwsupd": 2, "supervisord": 4}[name] * n + 64
        if need > self.nofile:
            self.note(f"{name} with {n} processes needs about {need} file "
                      f"descriptors; RLIMIT_NOFILE is {self.nofile} here "
                      "(raising it needs CAP_SYS_RESOURCE)")
            if slow:
                self.put(f"launch {n}", name, "fd limit")
                return
        s = self.new_sup(cls, f"n{n}")
        to = (self.sd_launch_timeout if slow else 60)
        log(f"== {name}: {n} processes: launch")
        t = self.launch(s, "sleep", n, timeout=to)
        if t is None:
            with self.records.cv:
                got = len(self.records.first)
            if not s.alive() or got < 0.9 * n:
                self.put(f"launch {n}", name,
                         f"timeout: {got} ran in {to:.0f} s" if s.alive()
                         else "failed")
                self.finish(s, n, record_stop=False)
                return
            # Most ran: still show what memory it takes.
            self.put(f"launch {n}", name, f"only {got} ran")
            self.explain_missing(s, n)
        else:
            self.put(f"launch {n}", name, t)
        time.sleep(0.5)
        pss, rss = proc_mem_kib(s.pid())
        self.put(f"PSS {n}", name, pss / 1024)
        self.put(f"RSS {n}", name, rss / 1024)
        if n in (1, 1000):
            log(f"== {name}: {n} processes: status")
            self.time_status(s, n)
        if n == 1:
            log(f"== {name}: respawn after SIGKILL")
            self.respawn_kill(s)
        if n == 100:
            log(f"== {name}: idle {self.idle_s} s, twice (counters, "
                "then strace)")
            self.idle(s)
        log(f"== {name}: {n} processes: stop")
        self.finish(s, n)

    def run(self):
        self.sink = subprocess.Popen([self.child, "sink", self.syslog_sink])
        self.started.append(self.sink)
        t = time.monotonic()
        while not os.path.exists(self.syslog_sink):
            if time.monotonic() - t > 5:
                raise BenchError("syslog sink did not start")
            time.sleep(0.01)
        sups = [Floor, Mwsupd]
        if self.supervisord:
            sups.append(Supervisord)
        if self.a.only:
            sups = [c for c in sups if c.name in self.a.only.split(",")]
        self.t0 = time.monotonic()
        self.load = [os.getloadavg()[0]]
        # Each test runs for every supervisor back to back, so that a
        # change in the machine's load skews the ratios as little as it can.
        for n in self.ns:
            for cls in sups:
                self.run_n(cls, n)
        for cls in sups:
            log(f"== {cls.name}: crash loop")
            self.crash_loop(self.new_sup(cls, "crash"))
        for cls in sups:
            log(f"== {cls.name}: churn (50 processes living 20 ms, "
                f"{self.churn_s} s)")
            self.churn(self.new_sup(cls, "churn"))
        self.load.append(os.getloadavg()[0])
        self.elapsed = time.monotonic() - self.t0


def parse_strace(path):
    """Total calls and a short per-syscall summary from strace -c."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None, ""
    total = 0
    detail = []
    for line in lines:
        f = line.split()
        if len(f) < 5 or not f[0][0].isdigit():
            continue
        # % time, seconds, usecs/call, calls, [errors], syscall
        name = f[-1]
        calls = int(f[3])
        if name == "total":
            continue
        detail.append(f"{name} {calls}")
        # restart_syscall is strace's own doing: attaching interrupts
        # the sleeping call, which the kernel then restarts.
        if name != "restart_syscall":
            total += calls
    return total, ", ".join(detail)


# ------------------------------------------------------------ report

ROWS = [
    # key, label, unit, format
    ("respawn after SIGKILL", "respawn after SIGKILL, median", "ms", "%.2f"),
    ("respawn after SIGKILL p95", "respawn after SIGKILL, p95", "ms", "%.2f"),
    ("respawn in crash loop", "respawn in crash loop, median", "ms", "%.2f"),
    ("respawn in crash loop p95", "respawn in crash loop, p95", "ms", "%.2f"),
]
for _n in (1, 100, 1000, 10000):
    ROWS.append((f"launch {_n}", f"launch until {_n} run", "s", "%.3f"))
for _n in (1, 100, 1000, 10000):
    ROWS.append((f"stop {_n}", f"stop of {_n}", "s", "%.3f"))
for _n in (1, 100, 1000, 10000):
    ROWS.append((f"PSS {_n}", f"PSS with {_n}", "MiB", "%.2f"))
for _n in (1, 100, 1000, 10000):
    ROWS.append((f"RSS {_n}", f"RSS with {_n}", "MiB", "%.2f"))
ROWS += [
    ("idle syscalls", "syscalls in idle window (100 procs)", "", "%d"),
    ("idle wake-ups", "wake-ups (ctxt switches) in idle window", "", "%d"),
    ("idle CPU", "CPU in idle window", "ms", "%.2f"),
]
for _n in (1, 1000):
    for _j in ("", " --json"):
        ROWS.append((f"status {_n}{_j}", f"status{_j} of {_n}, median",
                     "ms", "%.2f"))
        ROWS.append((f"status {_n}{_j} p95", f"status{_j} of {_n}, p95",
                     "ms", "%.2f"))
ROWS += [
    ("churn restarts/s", "churn: restarts per second", "/s", "%.0f"),
    ("churn CPU/restart", "churn: supervisor CPU per restart", "µs", "%.0f"),
    ("churn CPU/restart (ticks)", "churn: same, from utime+stime", "µs",
     "%.0f"),
    ("churn status", "churn: status of 50 while churning", "ms", "%.1f"),
    ("churn stop", "churn: stop of 50 while churning", "s", "%.3f"),
]


def fmt(v, f):
    if v is None:
        return "—"
    if isinstance(v, str):
        return "n/a (" + v + ")"
    return f % v


def ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return "—"
    if b == 0:
        return "—" if a == 0 else "∞"
    r = a / b
    return ("%.2f×" % r) if r >= 0.1 else ("%.2g×" % r)


def report(b, out):
    res = b.res
    sups = ["floor", "mwsupd", "supervisord"]
    lines = ["| metric | unit | floor | mwsupd | supervisord "
             "| mwsupd/floor | mwsupd/supervisord |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for key, label, unit, f in ROWS:
        vals = [res.get((key, s)) for s in sups]
        if all(v is None for v in vals):
            continue
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, unit, *(fmt(v, f) for v in vals),
            ratio(vals[1], vals[0]), ratio(vals[1], vals[2])))
    table = "\n".join(lines)

    def g(k, s="mwsupd"):
        v = res.get((k, s))
        return v if isinstance(v, (int, float)) else None

    checks = []

    def check(label, ok, detail):
        if ok is None:
            checks.append(f"- [ ] {label}: not measured ({detail})")
        else:
            checks.append(f"- {'MET' if ok else 'MISSED'} — {label}: {detail}")

    def vs_floor(label, key, limit):
        m, fl = g(key), g(key, "floor")
        if m is None or fl is None or fl == 0:
            check(label, None, "no figure")
        else:
            check(label, m / fl <= limit,
                  f"{m / fl:.2f}× floor (limit {limit}×)")

    vs_floor("respawn after SIGKILL ≤ 2× floor (median)",
             "respawn after SIGKILL", 2)
    vs_floor("respawn in crash loop ≤ 2× floor (median)",
             "respawn in crash loop", 2)
    vs_floor("launch of 1000 ≤ 1.5× floor", "launch 1000", 1.5)
    vs_floor("churn CPU per restart ≤ 1.5× floor", "churn CPU/restart", 1.5)
    p1k = g("PSS 1000")
    check("PSS with 1000 processes ≤ 4 MiB", None if p1k is None
          else p1k <= 4, "no figure" if p1k is None else f"{p1k:.2f} MiB")
    p100, p10k = g("PSS 100"), g("PSS 10000")
    l10k = res.get(("launch 10000", "mwsupd"))
    works = isinstance(l10k, (int, float))
    if p10k is None or p1k is None or p100 is None:
        check("10,000 processes work, PSS grows no more than linearly",
              None if l10k is None else False,
              "10,000 not run" if l10k is None else f"launch: {l10k}")
    else:
        m1 = (p1k - p100) / 900 * 1024
        m2 = (p10k - p1k) / 9000 * 1024
        check("10,000 processes work, PSS grows no more than linearly",
              works and p10k <= 10 * p1k and m2 <= 1.25 * m1 + 0.5,
              ("" if works else f"launch of 10,000: {l10k}; ") +
              f"{p10k:.2f} MiB at 10,000 = {p10k / p1k:.1f}× the 1000 "
              f"figure; {m1:.2f} KiB per process from 100 to 1000, "
              f"{m2:.2f} KiB from 1000 to 10,000")
    sc = g("idle syscalls")
    check("zero syscalls when idle", None if sc is None else sc == 0,
          "no figure" if sc is None else
          f"{sc} syscalls, {g('idle wake-ups')} wake-ups in "
          f"{b.idle_s} s" + (f" ({res.get(('idle syscalls detail', 'mwsupd'))})"
                             if sc else ""))
    for j in ("", " --json"):
        st = g(f"status 1000{j}")
        check(f"status{j} of 1000 ≤ 10 ms", None if st is None else st <= 10,
              "no figure" if st is None else f"{st:.2f} ms median")

    m = machine()
    text = [f"mwsup bench — {'quick' if b.a.quick else 'full'} run, "
            f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
            "", "Machine: " + m,
            "Load average (1 min) at start and end: " +
            " / ".join("%.2f" % x for x in getattr(b, "load", [])) +
            "; bench run time %.0f s" % getattr(b, "elapsed", 0),
            "", table, "", "Targets:", *checks]
    if b.notes:
        text += ["", "Notes:"] + ["- " + n for n in b.notes]
    for s in sups:
        d = res.get(("idle syscalls detail", s))
        if d:
            text.append(f"- idle syscalls of {s}: {d}")
    text = "\n".join(text)
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
        with open(out + ".json", "w") as f:
            json.dump({"machine": m, "quick": b.a.quick, "notes": b.notes,
                       "results": {f"{k[1]}|{k[0]}": v
                                   for k, v in res.items()}}, f, indent=1)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = "%.1f GiB" % (int(f.readline().split()[1]) / 1048576)
    except OSError:
        pass
    deb = ""
    try:
        with open("/etc/debian_version") as f:
            deb = ", Debian " + f.read().strip()
    except OSError:
        pass
    return (f"{os.cpu_count()} × {cpu}, {mem} RAM, Linux "
            f"{platform.release()}{deb}, Python {platform.python_version()}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--tmp", required=True)
    p.add_argument("--child", required=True)
    p.add_argument("--floor", required=True)
    p.add_argument("--timeit", required=True)
    p.add_argument("--mwsupd", required=True)
    p.add_argument("--mwsupctl", required=True)
    p.add_argument("--supervisord")
    p.add_argument("--supervisorctl")
    p.add_argument("--sd-max-n", type=int, default=10000)
    p.add_argument("--sd-timeout", type=float, default=90)
    p.add_argument("--out")
    p.add_argument("--ns", help="comma-separated process counts")
    p.add_argument("--only", help="comma-separated: floor,mwsupd,supervisord")
    a = p.parse_args()

    # 10,000 children: mwsupd holds 2 pipe fds each, supervisord more.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1048576 if os.geteuid() == 0 else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    def term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, term)

    b = Bench(a)
    b.nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    try:
        b.run()
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        b.cleanup()
        return 130
    finally:
        b.cleanup()
    b.records.close()
    report(b, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
