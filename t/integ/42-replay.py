#!/usr/bin/python3
"""policyd replay decides what the live daemon decides: the same
generated maillog (formats of Postfix 3.7) is followed live and replayed
with the shipped rules; the keys, rules and counts that trigger must be
the same (issue 6)."""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

LINES = 20000
DECISION = re.compile(r'action=\w+ rule=(\S+) client=(\S+) (?:key=(\S+) )?'
                      r'source=maillog count=(\d+)')


def decisions(text):
    return {m.groups() for m in DECISION.finditer(text)}


def main():
    t = h.TAP()
    with open(os.path.join(h.TOP, 'etc/policyd.conf')) as f:
        conf = f.read()
    d = tempfile.mkdtemp(prefix='pdtest-replay.')
    if not h.keep_temp():
        atexit.register(shutil.rmtree, d, True)
    log = os.path.join(d, 'maillog')
    gen = os.path.join(d, 'generated')
    open(log, 'w').close()
    pd = pdtest.Policyd(conf, extra_args=['-o', 'user=', '-o',
                                          'maillog=' + log])
    # Stamps from an hour ago on: this year, in the past, one window.
    subprocess.run(['/usr/bin/python3', os.path.join(h.TOP,
                    't/bench/gen-maillog.py'), str(LINES), gen,
                    str(int(time.time()) - 3600)], check=True)
    pd.start()
    with open(gen) as src, open(log, 'a') as dst:
        dst.write(src.read())
    # Until policyd has read it all (it started at the empty file's end).
    pd.wait_stat('policyd_maillog_lines_total', LINES, timeout=60)
    t.is_(pd.stop(), 0, 'live: clean exit')
    live = decisions(pd.log())
    r = subprocess.run([pdtest.POLICYD, '-c', pd.conf_path, '-o', 'user=',
                        'replay', gen], stdout=subprocess.PIPE,
                       universal_newlines=True)
    t.is_(r.returncode, 0, 'replay: exit 0')
    replayed = decisions(r.stdout)
    t.like(r.stdout, r'# %d lines, \d+ events, \d+ decisions' % LINES,
           'replay: the summary line')
    t.ok(len(live) > 10, 'live: %d decisions from the maillog' % len(live))
    t.is_(sorted(replayed - live), [], 'replay decides nothing live did not')
    t.is_(sorted(live - replayed), [], 'live decides nothing replay does not')
    return t.done()


if __name__ == '__main__':
    h.run(main)
