# SPDX-License-Identifier: ISC
# -*- coding: utf-8 -*-
"""Helpers shared by the policyd e2e tests, on top of harness.py.

Policyd(conf_text, ...).start() writes the config into a temp dir, starts
policyd -f on a free loopback port and waits for its "ready" line.
Under PD_VALGRIND=1 policyd runs inside valgrind, which must report no
error (checked when it stops).

Wait for policyd's own counters, not for the clock: after Postfix logs
something, pd.wait_stat('policyd_maillog_events_total', n) returns once
policyd has counted n maillog events (it reads the maillog every 0.5 s,
and far slower under valgrind).  A fixed sleep stays only where time
itself must pass (a block expiring, a TTL running out), with a comment.
"""
import atexit
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness as h

POLICYD = os.environ.get('POLICYD') or os.path.join(h.TOP, 'build/bin/policyd')
POLICYDCTL = os.path.join(os.path.dirname(POLICYD), 'policydctl')
VALGRIND = ['valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
            '--errors-for-leak-kinds=definite,indirect',
            '--show-leak-kinds=definite,indirect']


class Policyd(object):
    """policyd in the foreground, with its config in a temp dir."""

    def __init__(self, conf, port=None, extra_args=(), state=False):
        self.dir = tempfile.mkdtemp(prefix='pdtest.')
        if not h.keep_temp():
            atexit.register(shutil.rmtree, self.dir, True)
        self.port = port or h.free_port()
        self.conf_path = os.path.join(self.dir, 'policyd.conf')
        self.state_path = os.path.join(self.dir, 'policyd.state')
        self.control_path = os.path.join(self.dir, 'control.sock')
        self.write_conf(conf)
        args = [POLICYD, '-f', '-c', self.conf_path,
                '-o', 'listen=inet:127.0.0.1:%d' % self.port,
                '-o', 'control_socket=' + self.control_path]
        if state:
            args += ['-o', 'state_file=' + self.state_path]
        args += list(extra_args)
        if os.environ.get('PD_VALGRIND') == '1':
            args = VALGRIND + args
        self.args = args
        self.proc = None

    def write_conf(self, text):
        with open(self.conf_path, 'w') as f:
            f.write(text)

    def start(self, timeout=30):
        self.proc = h.Proc(self.args, name='policyd')
        self.proc.start(ready=r'ready: ', timeout=timeout)
        return self

    def stop(self):
        """SIGTERM; returns the exit code (valgrind errors make it 99)."""
        return self.proc.stop(timeout=30)

    def log(self, since=0):
        return self.proc.output(since)

    def mark(self):
        return self.proc.output_mark()

    def wait_log(self, regex, timeout=10, since=0):
        return self.proc.wait_output(regex, timeout=timeout, since=since)

    def stat(self, name):
        """The value of one of policyd's metrics (policydctl stats), or
        None when policyd does not answer or has no such metric."""
        try:
            r = subprocess.run([POLICYDCTL, '-s', self.control_path, 'stats',
                                '--prometheus'], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL,
                               universal_newlines=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None
        m = re.search(r'^%s (\S+)$' % re.escape(name), r.stdout, re.M)
        return int(float(m.group(1))) if r.returncode == 0 and m else None

    def wait_stat(self, name, n, timeout=10):
        """Poll policyd's metric name until it is at least n; returns its
        value.  Raises AssertionError, saying how far it got, when that
        takes more than timeout seconds (three times that under
        valgrind)."""
        if os.environ.get('PD_VALGRIND') == '1':
            timeout *= 3
        deadline = time.time() + timeout
        while True:
            got = self.stat(name)
            if got is not None and got >= n:
                return got
            if time.time() >= deadline or not self.proc.running():
                raise AssertionError(
                    'policyd: %s is %s after %gs, want >= %d (policyd %s)'
                    % (name, got, timeout, n, 'running' if
                       self.proc.running() else 'exited'))
            time.sleep(0.05)


def ref_of(text):
    m = re.search(r'PD-[0-9A-F]{6}', text or '')
    return m.group(0) if m else None


class Unbound(object):
    """A private unbound on a loopback port serving test zones.

    zones: {zone: type} for local-zone lines; data: list of local-data
    RRs; refuse: zones answered REFUSED (policyd sees a failure); slow:
    zones forwarded to a UDP port that never answers.  queries() reads
    unbound's own counter through unbound-control.
    """

    def __init__(self, zones=None, data=(), refuse=(), slow=()):
        self.dir = tempfile.mkdtemp(prefix='pdtest-unbound.')
        os.chmod(self.dir, 0o755)
        if not h.keep_temp():
            atexit.register(shutil.rmtree, self.dir, True)
        self.port = h.free_port()
        self.conf = os.path.join(self.dir, 'unbound.conf')
        self.ctl = os.path.join(self.dir, 'unbound.ctl')
        self.blackhole = None
        lines = ['server:',
                 '  interface: 127.0.0.1@%d' % self.port,
                 '  port: %d' % self.port,
                 '  do-daemonize: no', '  username: ""', '  chroot: ""',
                 '  directory: "%s"' % self.dir, '  pidfile: ""',
                 '  use-syslog: no', '  verbosity: 1',
                 '  logfile: "%s/unbound.log"' % self.dir,
                 '  do-ip6: no', '  do-not-query-localhost: no',
                 '  access-control: 127.0.0.0/8 allow',
                 '  num-threads: 1', '  prefetch: no',
                 '  infra-host-ttl: 1', '  serve-expired: no']
        for z, kind in (zones or {}).items():
            lines.append('  local-zone: "%s." %s' % (z, kind))
        for z in refuse:
            lines.append('  local-zone: "%s." always_refuse' % z)
        for rr in data:
            lines.append('  local-data: "%s"' % rr)
        if slow:
            import socket
            self.blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.blackhole.bind(('127.0.0.1', 0))
            bport = self.blackhole.getsockname()[1]
            for z in slow:
                lines += ['forward-zone:', '  name: "%s."' % z,
                          '  forward-addr: 127.0.0.1@%d' % bport]
        lines += ['remote-control:', '  control-enable: yes',
                  '  control-interface: "%s"' % self.ctl,
                  '  control-use-cert: no']
        with open(self.conf, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        self.proc = None

    def start(self):
        self.proc = h.Proc(['unbound', '-d', '-c', self.conf], name='unbound')
        self.proc.start(timeout=20)
        # Ready when the control socket answers.
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.control('status') is not None:
                return self
            time.sleep(0.1)
        raise RuntimeError('unbound did not start: %s' % self.proc.output())

    def control(self, *args):
        import subprocess
        r = subprocess.run(['unbound-control', '-c', self.conf] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        return r.stdout if r.returncode == 0 else None

    def queries(self):
        out = self.control('stats_noreset') or ''
        m = re.search(r'^total\.num\.queries=(\d+)$', out, re.M)
        return int(m.group(1)) if m else -1

    def stop(self):
        if self.blackhole:
            self.blackhole.close()
        return self.proc.stop()
