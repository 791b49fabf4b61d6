#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Self-test of t/integ/promtext.py, the Prometheus text checker the
metrics tests use instead of promtool: a page in policyd's shape
passes, and each broken page is caught for its own reason.  When
promtool happens to be installed, it must accept the good page too."""
import os
import shutil
import subprocess
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import promtext  # noqa: E402

GOOD = """# HELP policyd_requests_total Policy requests answered.
# TYPE policyd_requests_total counter
policyd_requests_total{protocol_state="RCPT",action="defer"} 2
policyd_requests_total{protocol_state="RCPT",action="dunno"} 1.5e+01
# HELP policyd_keys_tracked Keys with a counter.
# TYPE policyd_keys_tracked gauge
policyd_keys_tracked 0
# HELP policyd_blocks_active Blocks now.
# TYPE policyd_blocks_active gauge
policyd_blocks_active{rule="a \\"b\\" \\\\ c\\nd",kind="manual"} 1
# HELP policyd_reply_latency_seconds Time to reply.
# TYPE policyd_reply_latency_seconds histogram
policyd_reply_latency_seconds_bucket{le="0.001"} 1
policyd_reply_latency_seconds_bucket{le="0.01"} 3
policyd_reply_latency_seconds_bucket{le="+Inf"} 3
policyd_reply_latency_seconds_sum 0.0042
policyd_reply_latency_seconds_count 3
"""

# (what is broken, the replacement in GOOD, a word of the problem)
BROKEN = [
    ('a counter without _total',
     ('policyd_requests_total', 'policyd_requests'), 'counter'),
    ('a value that is no number', ('action="defer"} 2', 'action="defer"} x'),
     'bad value'),
    ('a label value with a raw quote',
     ('action="defer"', 'action="de"fer"'), 'label'),
    ('a reserved label name', ('protocol_state=', '__state='), 'reserved'),
    ('a series twice', ('action="dunno"', 'action="defer"'), 'twice'),
    ('a second TYPE line',
     ('# TYPE policyd_keys_tracked gauge\n',
      '# TYPE policyd_keys_tracked gauge\n# TYPE policyd_keys_tracked gauge\n'),
     'second TYPE'),
    ('an unknown type', ('keys_tracked gauge', 'keys_tracked meter'),
     'unknown type'),
    ('a family without HELP',
     ('# HELP policyd_keys_tracked Keys with a counter.\n', ''), 'no HELP'),
    ('buckets whose counts fall',
     ('{le="0.01"} 3', '{le="0.01"} 0'), 'falling'),
    ('no +Inf bucket',
     ('policyd_reply_latency_seconds_bucket{le="+Inf"} 3\n', ''), '+Inf'),
    ('_count unlike the +Inf bucket',
     ('seconds_count 3', 'seconds_count 4'), '_count'),
    ('a family split in two',
     ('policyd_keys_tracked 0\n',
      'policyd_keys_tracked 0\npolicyd_requests_total{action="x"} 1\n'),
     'together'),
    ('no newline at the end', ('_count 3\n', '_count 3'), 'newline'),
]


def promtool(text):
    r = subprocess.run(['promtool', 'check', 'metrics'], input=text,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=60)
    return r.returncode


def main():
    t = h.TAP()
    have_promtool = shutil.which('promtool') is not None
    t.is_(promtext.problems(GOOD), [], 'a page in policyd\'s shape passes')
    if have_promtool:
        t.is_(promtool(GOOD), 0, 'promtool agrees')
    for what, (old, new), word in BROKEN:
        assert old in GOOD, old
        page = GOOD.replace(old, new)
        got = promtext.problems(page)
        t.ok(any(word in p for p in got), what + ' is caught', got)
    return t.done()


if __name__ == '__main__':
    sys.exit(main())
