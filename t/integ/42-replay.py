#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""policyd replay decides what the live daemon decides: the same
generated maillog (formats of Postfix 3.7) is followed live and replayed
with the shipped rules; the keys, rules and counts that trigger must be
the same (issue 6).  Each decision says what caused it, and the near
misses are listed: on the real lines of t/data/maillog-postfix-3.7.txt
both are checked against the lines themselves (issue 14)."""
import atexit
import collections
import ipaddress
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


CAUSE = re.compile(r'^    caused by: (.*)$')
REASON = re.compile(r'(\d+) x (?:"([^"]*)"(?: \((\d{3})\))?|\(([^)]*)\))')
NEAR = re.compile(r'^# near miss: rule=(\S+) key=(\S+) peak=(\d+) '
                  r'limit=(\d+)/1h at=\d{4}-(\d\d-\d\d)T(\S+)Z$', re.M)
MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split()


def decisions(text):
    return {m.groups() for m in DECISION.finditer(text)}


def causes(text):
    """[(decision line, [(n, reason, code)])]: each decision and the
    line after it; reason '' for "(other reasons)" and the like."""
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not DECISION.search(line):
            continue
        m = CAUSE.match(lines[i + 1]) if i + 1 < len(lines) else None
        got = [] if m is None else [(int(n), r, c) for n, r, c, _ in
                                    REASON.findall(m.group(1))]
        out.append((line, got))
    return out


def check_causes_add_up(t, text, what):
    """Every decision is followed by its causes, as many as it counted."""
    bad = [line for line, got in causes(text)
           if sum(n for n, _, _ in got) !=
           int(re.search(r' count=(\d+)', line).group(1))]
    t.is_(bad, [], '%s: each decision\'s causes add up to its count' % what)


RCPT_REJECT = re.compile(r'^(\w{3}) +(\d+) (\S+) .*reject: RCPT from '
                         r'[^\[]*\[([^\]]+)\]:\d+: (\d{3}) (\d\.\d+\.\d+) ')
# What policyd.conf(5) says a rejected recipient is, by default: Postfix
# refused the recipient itself (not the client, its HELO or its sender),
# with a 5xx reply or 454 4.7.1 (relay access), and the server was not
# at fault (4.3.x) and did not greylist.
REFUSED = re.compile(r'Recipient address rejected:|Relay access denied|'
                     r'milter-reject: RCPT')


def counted(line, code, status):
    if not REFUSED.search(line) or re.search(r'(?i)gr[ae]ylist', line):
        return False
    if status.startswith('4.3.'):
        return False
    return code.startswith('5') or (code, status) == ('454', '4.7.1')
REAL_CONF = """
rule errs {
	event = rcpt_rejected
	limit = 1 per 1h
	block = 1h
	reply = 554 5.7.1 errors
}
rule near {
	event = rcpt_rejected
	limit = 3 per 1h
	block = 1h
	reply = 554 5.7.1 errors
}
"""


def key_of(addr):
    """A client_address key as policyd prints it: IPv6 by its /64."""
    if ':' in addr:
        return str(ipaddress.ip_network(addr + '/64', strict=False))
    return addr


def real_maillog(t, d):
    """Causes and near misses of the real lines, from the lines."""
    data = os.path.join(h.TOP, 't/data/maillog-postfix-3.7.txt')
    conf = os.path.join(d, 'real.conf')
    with open(conf, 'w') as f:
        f.write(REAL_CONF)
    r = subprocess.run([pdtest.POLICYD, '-c', conf, '-o', 'user=', 'replay',
                        data],
                       stdout=subprocess.PIPE, universal_newlines=True)
    t.is_(r.returncode, 0, 'real maillog: exit 0')
    out = r.stdout
    t.diag(out)
    # What the lines say, client by client, in order.
    rejects = collections.defaultdict(list)
    with open(data) as f:
        for line in f:
            m = RCPT_REJECT.match(line)
            if m and counted(line, m.group(5), m.group(6)):
                mon, day, hms, addr, code, _ = m.groups()
                stamp = '%02d-%02d' % (MONTHS.index(mon) + 1, int(day))
                rejects[key_of(addr)].append((line, code, stamp, hms))
    t.ok(len(rejects) >= 5, 'real maillog: %d clients with RCPT rejects'
         % len(rejects))
    got = {}
    for line, reasons in causes(out):
        m = re.search(r'rule=(\S+) client=(\S+) (?:key=(\S+) )?', line)
        got[(m.group(1), m.group(3) or m.group(2))] = reasons
    # errs fires on a client's second reject: caused by its first two.
    want_fired = sorted(k for k, v in rejects.items() if len(v) >= 2)
    t.is_(sorted(k for rule, k in got if rule == 'errs'), want_fired,
          'errs decides for each client with two rejects')
    t.ok(len(want_fired) >= 3, '%d of them' % len(want_fired))
    for key in want_fired:
        lines = rejects[key][:2]
        reasons = got.get(('errs', key), [])
        t.is_(sum(n for n, _, _ in reasons), 2,
              'errs %s: caused by two lines' % key)
        for n, reason, code in reasons:
            have = sum(1 for line, c, _, _ in lines
                       if reason and ' %s;' % reason in line and c == code)
            t.is_(have, n, 'errs %s: %d x "%s" (%s), as the lines say'
                  % (key, n, reason, code))
    # Near misses: 80% of the limit or more, never passed, and more than
    # one line (so errs, with its limit of 1, has none).
    want_near = []
    for key, lines in rejects.items():
        for rule, limit in (('errs', 1), ('near', 3)):
            if 2 <= len(lines) <= limit and len(lines) * 100 >= limit * 80:
                _, _, stamp, hms = lines[-1]
                want_near.append((rule, key, str(len(lines)), str(limit),
                                  stamp, hms))
    t.ok({w[0] for w in want_near} == {'near'} and
         any(len(v) == 1 for v in rejects.values()),
         'real maillog: near misses expected for "near", keys of one line')
    t.is_(sorted(NEAR.findall(out)), sorted(want_near),
          'near misses: rule, key, peak, limit, when')
    t.like(out, r'(?m)^# near misses: %d \(' % len(want_near),
           'near misses: the count')


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
    check_causes_add_up(t, r.stdout, 'generated maillog')
    real_maillog(t, d)
    return t.done()


if __name__ == '__main__':
    h.run(main)
