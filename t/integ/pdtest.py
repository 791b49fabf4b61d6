# -*- coding: utf-8 -*-
"""Helpers shared by the policyd e2e tests, on top of harness.py.

start_policyd(conf_text, ...) writes the config into a temp dir, starts
policyd -f on a free loopback port and waits for its "ready" line.
Under PD_VALGRIND=1 policyd runs inside valgrind, which must report no
error (checked when it stops).
"""
import atexit
import os
import re
import shutil
import tempfile

import harness as h

POLICYD = os.environ.get('POLICYD') or os.path.join(h.TOP, 'build/bin/policyd')
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
        self.write_conf(conf)
        args = [POLICYD, '-f', '-c', self.conf_path,
                '-o', 'listen=inet:127.0.0.1:%d' % self.port]
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


def ref_of(text):
    m = re.search(r'PD-[0-9A-F]{6}', text or '')
    return m.group(0) if m else None
