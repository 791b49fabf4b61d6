#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""journal-export.py [options] MAILLOG OUT - a maillog as journal entries.

Writes the journal export format (systemd's "Journal Export Format"):
one entry per Postfix line, with the fields journald gives a syslog(3)
message of postfix@-.service (_SYSTEMD_UNIT, SYSLOG_IDENTIFIER,
SYSLOG_PID, _HOSTNAME, MESSAGE) and __REALTIME_TIMESTAMP from the
line's stamp.  systemd-journal-remote turns it into a real journal file:

    journal-export.py t/data/maillog-postfix-3.7.txt - |
        /lib/systemd/systemd-journal-remote -o DIR/a.journal -

Options:
  --year Y       year of traditional stamps (default 2026); UTC
  --shift S      add S seconds to every stamp (a negative S too)
  --end T        shift so that the last line is at epoch T
  --unit U       _SYSTEMD_UNIT (default postfix@-.service)
  --noise        after each Postfix line, an entry of another unit
                 that looks like Postfix's and one of another program
                 in the unit: neither must be counted
  --text FILE    also write the lines, with the shifted stamps, as a
                 maillog in RFC 3339 (the same lines a file follower
                 would read)
Lines starting with '#' and lines that do not parse are skipped.
"""
import calendar
import re
import sys

BOOT = '2f0c8a7e4b6d4e1f9a3c5b7d9e1f2a3b'
LINE = re.compile(r'^(?:(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)|'
                  r'(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?'
                  r'(Z|[+-]\d\d:\d\d)) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: (.*)$')
MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split()


def parse(line, year):
    """(usec, host, ident, pid, message) or None."""
    m = LINE.match(line)
    if not m:
        return None
    g = m.groups()
    if g[0]:
        t = calendar.timegm((year, MONTHS.index(g[0]) + 1, int(g[1]),
                             int(g[2]), int(g[3]), int(g[4])))
        usec = t * 1000000
    else:
        t = calendar.timegm(tuple(int(x) for x in g[5:11]))
        usec = t * 1000000 + int(float(g[11] or 0) * 1000000)
        if g[12] != 'Z':
            off = int(g[12][1:3]) * 3600 + int(g[12][4:6]) * 60
            usec -= (off if g[12][0] == '+' else -off) * 1000000
    return usec, g[13], g[14], g[15], g[16]


def entry(out, usec, host, unit, ident, pid, msg):
    out.write('__REALTIME_TIMESTAMP=%d\n' % usec)
    # journal-remote wants a monotonic time of the boot, as journald has.
    out.write('__MONOTONIC_TIMESTAMP=%d\n' % (usec % 10 ** 12 + 1))
    out.write('_BOOT_ID=%s\n' % BOOT)
    out.write('_HOSTNAME=%s\n_TRANSPORT=syslog\nPRIORITY=6\n'
              'SYSLOG_FACILITY=2\n' % host)
    if unit:
        out.write('_SYSTEMD_UNIT=%s\n' % unit)
    out.write('SYSLOG_IDENTIFIER=%s\n' % ident)
    if pid:
        out.write('SYSLOG_PID=%s\n_PID=%s\n' % (pid, pid))
    out.write('MESSAGE=%s\n\n' % msg)


def stamp(usec):
    t = usec // 1000000
    return '%s.%06dZ' % (
        __import__('time').strftime('%Y-%m-%dT%H:%M:%S',
                                    __import__('time').gmtime(t)),
        usec % 1000000)


def main(argv):
    opts = {'year': 2026, 'shift': 0, 'end': None, 'unit': 'postfix@-.service',
            'noise': False, 'text': None}
    while argv and argv[0].startswith('--'):
        name = argv.pop(0)[2:]
        opts[name] = True if name == 'noise' else argv.pop(0)
    src, dst = argv
    with (sys.stdin if src == '-' else open(src)) as f:
        entries = [e for e in (parse(line.rstrip('\n'), int(opts['year']))
                               for line in f if not line.startswith('#'))
                   if e]
    shift = int(opts['shift']) * 1000000
    if opts['end'] is not None and entries:
        shift = int(opts['end']) * 1000000 - entries[-1][0]
    out = sys.stdout if dst == '-' else open(dst, 'w')
    text = open(opts['text'], 'w') if opts['text'] else None
    for usec, host, ident, pid, msg in entries:
        usec += shift
        entry(out, usec, host, opts['unit'], ident, pid, msg)
        if text:
            text.write('%s %s %s%s: %s\n' % (stamp(usec), host, ident,
                                              '[%s]' % pid if pid else '',
                                              msg))
        if opts['noise']:
            entry(out, usec, host, 'cron.service', ident, pid, msg)
            entry(out, usec, host, opts['unit'], 'CRON', pid, msg)
    out.close()
    if text:
        text.close()


if __name__ == '__main__':
    main(sys.argv[1:])
