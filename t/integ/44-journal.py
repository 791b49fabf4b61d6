#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""maillog = journal: Postfix's lines from real journal files, written by
systemd-journal-remote from the export format of the real Postfix 3.7
lines of t/data/maillog-postfix-3.7.txt (issue 16).

- Cases B and E trigger from the journal exactly as from the same lines
  in a file, live, and as replay of the lines says.
- A journal file that appears while policyd runs is followed.
- A restart in the middle counts no entry twice and loses none: the
  entries written while policyd was down are read, and the decisions of
  the two runs are those of one run.
- A saved cursor whose entry was vacuumed is logged as a gap and counted
  in policyd_journal_gaps_total.
- policyd replay --journal decides what replay of the lines as text does.
- An unreadable journal directory: policyd starts, warns once, naming
  the group, and policydctl status says so.
"""
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

REMOTE = '/lib/systemd/systemd-journal-remote'
EXPORT = os.path.join(h.TOP, 't/journal-export.py')
DATA = os.path.join(h.TOP, 't/data/maillog-postfix-3.7.txt')
# Case B (tarpit, then a block) and case E (a block per kind of abuse),
# with limits the real lines reach when they come three times.  Blocks
# outlast the test, so that when each line is counted (read now from a
# file, at its own time from the journal) changes nothing.
CONF = """
rule dict_tarpit {
	event = rcpt_rejected
	limit = 1 per 1h
	delay = 5s step
	max_delay = 30s
}
rule dict_block {
	event = rcpt_rejected
	limit = 2 per 1h
	block = 1h
	reply = 451 4.7.1 Too many invalid recipients from ${client_address}
}
rule rcpt_flood {
	event = rcpt_rejected
	limit = 3 per 1h
	block = 48h
	reply = 554 5.7.1 excessive rejected recipients
}
rule auth_flood {
	event = auth_failed
	limit = 1 per 1h
	block = 24h
	reply = 554 5.7.1 excessive authentication failures
}
rule conn_flood {
	event = dropped
	limit = 1 per 1h
	block = 12h
	reply = 554 5.7.1 flooding
}
rule data_flood {
	event = data_rejected
	limit = 1 per 1h
	block = 24h
	reply = 554 5.7.1 excessive rejected messages
}
"""
DECISION = re.compile(r'action=(\w+) rule=(\S+) client=(\S+) (?:key=(\S+) )?'
                      r'source=maillog count=(\d+)')
PARTS = 3


def decisions(text):
    return sorted(m.groups() for m in DECISION.finditer(text))


def by_rule(ds):
    return {d[1] for d in ds}


def part(d, k, end, name=None, noise=True):
    """The real lines once, the last at epoch end: as text (returned)
    and, unless name is None, as journal file d/name.journal."""
    text = os.path.join(d, 'part%d.txt' % k)
    exp = os.path.join(d, 'part%d.export' % k)
    args = ['/usr/bin/python3', EXPORT, '--end', str(end), '--text', text]
    subprocess.run(args + (['--noise'] if noise else []) + [DATA, exp],
                   check=True)
    if name is not None:
        with open(exp) as f:
            subprocess.run([REMOTE, '-o', os.path.join(d, 'journal',
                                                       name + '.journal'),
                            '-'], stdin=f, check=True,
                           stderr=subprocess.DEVNULL)
    with open(text) as f:
        return f.read()


def events_per_part():
    r = subprocess.run([pdtest.POLICYD, '-c', '/dev/null', 'replay', DATA],
                       stdout=subprocess.PIPE, universal_newlines=True,
                       check=True)
    return int(re.search(r'# \d+ lines, (\d+) events', r.stdout).group(1))


def journal_pd(d, conf, state=True, extra=()):
    return pdtest.Policyd(conf, state=state, extra_args=[
        '-o', 'user=', '-o', 'maillog=journal:' + os.path.join(d, 'journal')]
        + list(extra))


def live_file(t, texts, n):
    """The same lines from a file, followed live."""
    log = tempfile.mktemp(prefix='pdtest-maillog.')
    open(log, 'w').close()
    pd = pdtest.Policyd(CONF, extra_args=['-o', 'user=', '-o',
                                          'maillog=' + log])
    pd.start()
    with open(log, 'a') as f:
        f.write(''.join(texts))
    pd.wait_stat('policyd_maillog_events_total', n, timeout=30)
    t.is_(pd.stop(), 0, 'file: clean exit')
    os.unlink(log)
    return decisions(pd.log())


def replay(args):
    r = subprocess.run([pdtest.POLICYD, '-c', args[0], '-o', 'user=',
                        'replay'] + args[1:], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return r.returncode, r.stdout, r.stderr


def main():
    h.require_root()
    t = h.TAP()
    if not os.path.exists(REMOTE):
        t.ok(False, 'systemd-journal-remote is installed '
             '(build-aux/deps check)')
        return t.done()
    d = tempfile.mkdtemp(prefix='pdtest-journal.')
    if not h.keep_temp():
        import atexit
        atexit.register(shutil.rmtree, d, True)
    os.mkdir(os.path.join(d, 'journal'))
    per = events_per_part()
    now = int(time.time())
    # Three copies of the real lines, 30 s apart, the last a minute ago.
    ends = [now - 120 + 30 * k for k in range(PARTS)]

    # One run, the first part there at start, the second appearing while
    # policyd runs (a new journal file), the third while it is down.
    texts = [part(d, 0, ends[0], 'a')]
    pd = journal_pd(d, CONF)
    pd.start()
    pd.wait_stat('policyd_maillog_events_total', per, timeout=30)
    texts.append(part(d, 1, ends[1], 'b'))
    got = pd.wait_stat('policyd_maillog_events_total', 2 * per, timeout=30)
    t.is_(got, 2 * per, 'a journal file written while policyd runs is '
          'followed: %d events' % got)
    st = subprocess.run([pdtest.POLICYDCTL, '-s', pd.control_path, 'status'],
                        stdout=subprocess.PIPE, universal_newlines=True)
    t.like(st.stdout, r'(?m)^journal\s+readable$', 'status: readable')
    t.is_(pd.stop(), 0, 'run 1: clean exit')
    run1 = decisions(pd.log())
    t.ok(os.path.exists(pd.state_path + '.journal'),
         'the cursor is kept beside the state file')
    texts.append(part(d, 2, ends[2], 'c'))
    pd2 = journal_pd(d, CONF, state=False, extra=['-o', 'state_file=' + pd.state_path])
    pd2.start()
    got = pd2.wait_stat('policyd_maillog_events_total', per, timeout=30)
    # What would be read twice comes right after: no counter can say
    # that nothing more comes, so give it longer than policyd's 1 s look.
    time.sleep(1.5)
    t.is_(pd2.stat('policyd_maillog_events_total'), per,
          'after a restart only the entries written meanwhile are read '
          '(%d events, none twice)' % per)
    t.is_(pd2.stat('policyd_journal_gaps_total'), 0, 'no gap')
    t.is_(pd2.stop(), 0, 'run 2: clean exit')
    run2 = decisions(pd2.log())
    journal = sorted(run1 + run2)

    # The same lines from a file, and replayed as text and as journal.
    file_live = live_file(t, texts, PARTS * per)
    t.ok(len(file_live) >= 20, 'file: %d decisions' % len(file_live))
    t.ok({'dict_tarpit', 'dict_block'} <= by_rule(file_live),
         'case B triggers from the file')
    t.ok({'rcpt_flood', 'auth_flood', 'conn_flood', 'data_flood'} <=
         by_rule(file_live), 'case E triggers from the file')
    t.is_(journal, file_live, 'the journal, across a restart, decides '
          'exactly what the file does')
    text = os.path.join(d, 'all.txt')
    with open(text, 'w') as f:
        f.write(''.join(texts))
    rc, out_text, _ = replay([pd.conf_path, text])
    rc2, out_journal, err = replay([pd.conf_path, '--journal',
                                    os.path.join(d, 'journal')])
    t.is_((rc, rc2), (0, 0), 'replay: exit 0 for text and --journal', err)
    t.is_(decisions(out_journal), decisions(out_text),
          'replay --journal decides what replay of the text does')
    strip = re.compile(r' in [0-9.]+s$', re.M)
    t.is_(strip.sub('', out_journal), strip.sub('', out_text),
          'replay --journal: the same report, line for line')
    t.is_(decisions(out_text), file_live, 'and what the file did live')
    rc3, out_file, _ = replay([pd.conf_path, '--journal',
                               os.path.join(d, 'journal', 'b.journal')])
    t.is_(rc3, 0, 'replay --journal FILE: exit 0')
    t.like(out_file, r'# \d+ lines, %d events' % per,
           'replay --journal FILE: that file\'s events')

    # Vacuum: every file goes, a new one comes; the saved entry is gone.
    for name in ('a', 'b', 'c'):
        os.unlink(os.path.join(d, 'journal', name + '.journal'))
    part(d, 3, now - 30, 'd')
    pd3 = journal_pd(d, CONF, state=False, extra=['-o', 'state_file=' + pd.state_path])
    pd3.start()
    got = pd3.wait_stat('policyd_maillog_events_total', per, timeout=30)
    t.is_(got, per, 'after the gap every entry of the new file is read')
    t.is_(pd3.stat('policyd_journal_gaps_total'), 1, 'the gap is counted')
    t.like(pd3.log(), r'the last entry read before is gone',
           'the gap is logged')
    t.is_(pd3.stop(), 0, 'run 3: clean exit')

    unreadable(t, d)
    return t.done()


def unreadable(t, d):
    """A journal directory policyd's user may not read."""
    j = os.path.join(d, 'journal')
    os.chmod(j, 0o700)
    pd = pdtest.Policyd(CONF, extra_args=[
        '-o', 'user=nobody', '-o', 'maillog=journal:' + j])
    pd.start()
    line = pd.wait_log(r'journal %s: .*group systemd-journal' % re.escape(j))
    t.ok(line, 'unreadable: policyd starts and says which group to add')
    st = subprocess.run([pdtest.POLICYDCTL, '-s', pd.control_path, 'status'],
                        stdout=subprocess.PIPE, universal_newlines=True)
    t.like(st.stdout, r'(?m)^journal\s+.*as user nobody: add it to the '
           r'group systemd-journal$', 'unreadable: policydctl status says so')
    # policyd tries again every 5 s; the warning is not repeated.
    time.sleep(6)
    t.is_(len(re.findall(r'group systemd-journal', pd.log())), 1,
          'unreadable: warned once')
    t.is_(pd.stop(), 0, 'unreadable: clean exit')
    os.chmod(j, 0o755)


if __name__ == '__main__':
    h.run(main)
