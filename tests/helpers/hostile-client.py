#!/usr/bin/env python3
"""hostile-client.py - abuse mwsupd's control socket at a bounded rate.

usage: hostile-client.py SOCKET [options]
  --garbage R     R connections a second that send a malformed frame or
                  random bytes (default 5)
  --half R        R connections a second that send part of a frame and
                  then nothing, held --hold seconds (default 2)
  --hold S        how long a half frame is held (default 5)
  --connect N     connect floods: N connections opened and closed at once
                  (default 100) ...
  --every S       ... every S seconds (default 5)
  --idle N        N connections kept open without a request, reopened when
                  mwsupd drops them (default 16)
  --pipeline R    R `status` requests a second written back to back on one
                  connection that never reads a reply (default 10; 0 off)
  --session S     the pipelining connection is replaced every S seconds
                  (default 30)
  --stats FILE    on exit, write the counters there ("key value" lines)

Runs until SIGTERM or SIGINT.  Every connection is non-blocking, so
nothing here waits on mwsupd; a rate is a budget per 20 ms tick, never a
busy loop.  The counters say what happened: how many of each were sent,
how many connects found the listen queue full (EAGAIN), how often mwsupd
closed a pipelining or idle connection, how many requests the pipelining
client could not even write because mwsupd had stopped reading (which is
what a bounded daemon does).  Frames follow doc/PROTOCOL.md section 1.
"""
import argparse
import errno
import os
import random
import signal
import socket
import struct
import sys
import time

TICK = 0.02


def frame(fields, kind=1, version=1, nfields=None):
    body = struct.pack('>BBH', version, kind,
                       len(fields) if nfields is None else nfields)
    for k, v in fields:
        body += struct.pack('>H', len(k)) + k + struct.pack('>H', len(v)) + v
    return struct.pack('>I', len(body)) + body


STATUS = frame([(b'cmd', b'status')])


def malformed():
    """One bad input, chosen at random among the decoder's error paths."""
    case = random.randrange(10)
    if case == 0:			# random bytes
        return os.urandom(random.randint(1, 2048))
    if case == 1:			# length beyond PROTO_FRAME_MAX
        return b'\xff\xff\xff\xff' + STATUS[4:]
    if case == 2:			# length below the header
        return b'\x00\x00\x00\x02\x01\x01'
    if case == 3:			# unknown version
        return frame([(b'cmd', b'status')], version=random.choice((0, 7)))
    if case == 4:			# a reply frame sent as a request
        return frame([(b'cmd', b'status')], kind=random.choice((2, 3, 9)))
    if case == 5:			# a field past the end
        return frame([(b'cmd', b'status')], nfields=2)
    if case == 6:			# trailing bytes
        body = STATUS[4:] + b'xyz'
        return struct.pack('>I', len(body)) + body
    if case == 7:			# NUL in a value, empty key
        return frame([(b'cmd', b'sta\x00tus'), (b'', b'x')])
    if case == 8:			# an unknown command, then random bytes
        return frame([(b'cmd', b'frobnicate')]) + os.urandom(64)
    # a full-size frame of garbage
    return struct.pack('>I', 65536) + os.urandom(65536)


class Hostile:
    def __init__(self, a):
        self.a = a
        self.n = dict.fromkeys((
            'garbage', 'half', 'connect', 'connect_eagain', 'connect_error',
            'idle_opened', 'idle_dropped', 'pipeline_sent',
            'pipeline_unwritten', 'pipeline_sessions',
            'pipeline_closed_by_mwsupd'), 0)
        self.half = []		# (socket, deadline)
        self.idle = []
        self.pipe = None
        self.pipe_since = 0.0
        self.pipe_pending = b''
        self.pipe_bytes = 0
        self.budget = {'garbage': 0.0, 'half': 0.0, 'pipeline': 0.0}
        self.next_flood = time.monotonic() + a.every

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(self.a.socket)
            return s
        except OSError as e:
            s.close()
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                self.n['connect_eagain'] += 1
            else:
                self.n['connect_error'] += 1
            return None

    @staticmethod
    def send(s, data):
        try:
            return s.send(data)
        except OSError:
            return -1

    def do_garbage(self):
        s = self.connect()
        if s is None:
            return
        self.send(s, malformed())
        self.n['garbage'] += 1
        s.close()		# mostly without reading the error reply

    def do_half(self, now):
        s = self.connect()
        if s is None:
            return
        req = STATUS if random.randrange(2) else frame(
            [(b'cmd', b'status'), (b'name', b'x' * 3000)])
        self.send(s, req[:random.randint(1, len(req) - 1)])
        self.half.append((s, now + self.a.hold))
        self.n['half'] += 1

    def connect_flood(self):
        socks = []
        for _ in range(self.a.connect):
            s = self.connect()
            if s is not None:
                socks.append(s)
                self.n['connect'] += 1
        for s in socks:
            s.close()

    def keep_idle(self):
        alive = []
        for s in self.idle:
            try:
                d = s.recv(4096)
            except BlockingIOError:
                alive.append(s)
                continue
            except OSError:
                d = b''
            if d:		# mwsupd said something before closing
                alive.append(s)
                continue
            s.close()
            self.n['idle_dropped'] += 1
        self.idle = alive
        while len(self.idle) < self.a.idle:
            s = self.connect()
            if s is None:
                break
            self.idle.append(s)
            self.n['idle_opened'] += 1

    def pipeline(self, now, count):
        if self.pipe is not None and now - self.pipe_since > self.a.session:
            self.pipe.close()
            self.pipe = None
        if self.pipe is None:
            self.pipe = self.connect()
            if self.pipe is None:
                return
            self.pipe.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            self.pipe_since = now
            self.pipe_pending = b''
            self.n['pipeline_sessions'] += 1
        if self.pipe_pending:	# mwsupd is not reading: add nothing
            self.n['pipeline_unwritten'] += count
        else:
            self.pipe_pending = STATUS * count
        try:
            n = self.pipe.send(self.pipe_pending)
        except BlockingIOError:
            n = 0
        except OSError:
            self.n['pipeline_closed_by_mwsupd'] += 1
            self.pipe.close()
            self.pipe = None
            return
        self.pipe_bytes += n
        self.n['pipeline_sent'] = self.pipe_bytes // len(STATUS)
        self.pipe_pending = self.pipe_pending[n:]

    def tick(self, now):
        a = self.a
        self.budget['garbage'] += a.garbage * TICK
        self.budget['half'] += a.half * TICK
        self.budget['pipeline'] += a.pipeline * TICK
        while self.budget['garbage'] >= 1:
            self.budget['garbage'] -= 1
            self.do_garbage()
        while self.budget['half'] >= 1:
            self.budget['half'] -= 1
            self.do_half(now)
        keep = []
        for s, deadline in self.half:
            if now >= deadline:
                s.close()
            else:
                keep.append((s, deadline))
        self.half = keep
        if a.connect and now >= self.next_flood:
            self.next_flood = now + a.every
            self.connect_flood()
        self.keep_idle()
        if a.pipeline > 0 and self.budget['pipeline'] >= 1:
            count = int(self.budget['pipeline'])
            self.budget['pipeline'] -= count
            self.pipeline(now, count)

    def write_stats(self):
        if not self.a.stats:
            return
        with open(self.a.stats + '.tmp', 'w') as f:
            for k, v in self.n.items():
                f.write('%s %d\n' % (k, v))
        os.rename(self.a.stats + '.tmp', self.a.stats)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('socket')
    p.add_argument('--garbage', type=float, default=5)
    p.add_argument('--half', type=float, default=2)
    p.add_argument('--hold', type=float, default=5)
    p.add_argument('--connect', type=int, default=100)
    p.add_argument('--every', type=float, default=5)
    p.add_argument('--idle', type=int, default=16)
    p.add_argument('--pipeline', type=float, default=10)
    p.add_argument('--session', type=float, default=30)
    p.add_argument('--stats')
    a = p.parse_args()

    h = Hostile(a)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    next_tick = time.monotonic()
    last_stats = 0.0
    while not done:
        now = time.monotonic()
        h.tick(now)
        if now - last_stats > 5:
            h.write_stats()
            last_stats = now
        next_tick += TICK
        delay = next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_tick = time.monotonic()	# fell behind: do not catch up
    h.write_stats()
    return 0


if __name__ == '__main__':
    sys.exit(main())
