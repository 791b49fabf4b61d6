#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# -*- coding: utf-8 -*-
"""Regenerate the maillog corpus of t/check_maillog.c.

NOT a test: `make check` does not run this file (its name has no NN-
prefix).  It is the tool that wrote t/data/maillog-postfix-3.7.txt and
t/data/maillog-rfc3339.txt; run it as root on a machine with Postfix
installed, then review the diff and fix the hand-counted tallies in
t/check_maillog.c:

    /usr/bin/python3 t/integ/capture-maillog.py [--out-dir t/data]

It starts a private Postfix (no policy service) through harness.py and
provokes every kind of line lib/maillog.c classifies:

  connect / disconnect      every session; XCLIENT from IPv4 and IPv6
                            clients, plus plain connections from 127.0.0.x
  RCPT rejects              unknown local users (550 5.1.1), relay denied,
                            a 450 from check_recipient_access, a client
                            reject (check_client_access ... REJECT go away,
                            evaluated at RCPT because of smtpd_delay_reject)
                            and a milter reject at RCPT
  DATA / END-OF-MESSAGE     smtpd_data_restrictions and
                            smtpd_end_of_data_restrictions rejects, a
                            pipelining reject at DATA, a milter reject at
                            end of message (logged by cleanup, not smtpd)
  drops                     lost connection after CONNECT, RCPT and DATA;
                            too many errors (smtpd_hard_error_limit=2 on
                            the "submission" service); timeout
                            (smtpd_timeout=2s on the "postfix-out"
                            service, a multi-instance style syslog_name)
  things to skip            a header_checks reject, master/qmgr/cleanup/
                            discard lines, an aborted AUTH

The harness cannot run SASL, so the SASL failure lines are written by hand
in Postfix 3.7.11's format (smtpd_sasl_glue.c: "%s: SASL %.100s
authentication failed: %s, sasl_username=%.100s", the ", sasl_username="
part new in 3.7.8) under a "# hand-written" comment.

The milter is a minimal Sendmail milter protocol (version 6) server in
this file: it continues on everything, refuses RCPT TO:<miltered@...> and
rejects every message at end of data.

The RFC 3339 copy holds the same lines at the same instants, written the
way rsyslog's RSYSLOG_FileFormat does ("2026-11-23T10:36:51.000123+01:00"),
in the zone given by --offset.  The microseconds are made up (the line
number), since Postfix's own log file has whole seconds.
"""

import argparse
import calendar
import os
import re
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

DOM = 'test.example'


# ---------------------------------------------------------------------------
# A minimal milter (Sendmail milter protocol version 6)
# ---------------------------------------------------------------------------

class Milter(object):
    """Milter on 127.0.0.1:port: 550 for RCPT TO:<miltered@...>, 550 at
    end of every message, "continue" for everything else."""

    RCPT_REPLY = b'550 5.7.1 recipient refused by test milter\0'
    EOM_REPLY = b'550 5.7.1 message refused by test milter\0'

    def __init__(self):
        self.port = h.free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', self.port))
        self.sock.listen(8)
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    @staticmethod
    def _recv(c, n):
        buf = b''
        while len(buf) < n:
            d = c.recv(n - len(buf))
            if not d:
                raise EOFError
            buf += d
        return buf

    @staticmethod
    def _send(c, cmd, data=b''):
        c.sendall(struct.pack('>I', len(data) + 1) + cmd + data)

    def _serve(self, c):
        try:
            while True:
                (n,) = struct.unpack('>I', self._recv(c, 4))
                pkt = self._recv(c, n)
                cmd, data = pkt[:1], pkt[1:]
                if cmd == b'O':
                    # version 6, no actions, no protocol steps skipped
                    self._send(c, b'O', struct.pack('>III', 6, 0, 0))
                elif cmd in (b'D', b'A', b'K'):
                    pass                    # macros, abort: no reply
                elif cmd == b'Q':
                    return
                elif cmd == b'R' and data.lower().startswith(b'<miltered@'):
                    self._send(c, b'y', self.RCPT_REPLY)
                elif cmd == b'E':
                    self._send(c, b'y', self.EOM_REPLY)
                else:
                    self._send(c, b'c')
        except (EOFError, OSError):
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------------

class BoundClient(h.SMTPClient):
    """SMTPClient that connects from a chosen 127.0.0.x source address, so
    the "connect from" line shows something other than 127.0.0.1."""

    def __init__(self, port, source, **kw):
        h.SMTPClient.__init__(self, port, **kw)
        self.source = source

    def connect(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.bind((self.source, 0))
        self.sock.connect((self.host, self.port))
        self.rfile = self.sock.makefile('rb')
        return self._reply('<connect>')


def xclient_open(port, addr, name=None, helo='mail.example.com',
                 cls=h.SMTPClient, **kw):
    """Connect, EHLO, XCLIENT ADDR=addr, EHLO helo; returns the client."""
    c = cls(port, **kw)
    c.connect()
    c.ehlo('harness.localhost')
    a = {'ADDR': ('IPV6:' + addr) if ':' in addr else addr}
    if name:
        a['NAME'] = name
    c.xclient(**a)
    c.ehlo(helo)
    return c


def wait_disconnect(pf, addr, since, timeout=15):
    """Wait until smtpd has logged the end of the session of addr."""
    rx = r'disconnect from .*\[%s\]' % re.escape(addr)
    if not pf.wait_log(rx, timeout, since):
        raise RuntimeError('no disconnect line for %s:\n%s'
                           % (addr, pf.maillog(since)))


def sessions(pf, milter_port, sub_port, out_port):
    def run(addr, fn):
        mark = pf.log_mark()
        fn()
        wait_disconnect(pf, addr, mark)

    # 1. a clean delivery, IPv4 with a name, and one from IPv6
    run('198.51.100.7', lambda: h.smtp_session(
        pf.port, client_addr='198.51.100.7', client_name='mail.example.net',
        helo='mail.example.net'))
    run('2001:db8::25', lambda: h.smtp_session(
        pf.port, client_addr='2001:db8::25', client_name='host.example',
        helo='host.example'))

    # 2. unknown local users: NOQUEUE before the first accepted recipient,
    #    the queue id after it
    run('192.0.2.10', lambda: h.smtp_session(
        pf.port, client_addr='192.0.2.10', helo='dict.example.org',
        rcpts=['alice@' + DOM, 'user@' + DOM, 'bob@' + DOM]))
    run('2001:db8:0:1::7', lambda: h.smtp_session(
        pf.port, client_addr='2001:db8:0:1::7', helo='v6.example.org',
        rcpts=['carol@' + DOM, 'dave@' + DOM], data=False))
    # with a client port (XCLIENT PORT=) and several messages in one session
    run('203.0.113.9', lambda: h.smtp_session(
        pf.port, client_addr='203.0.113.9', port_src=4711,
        helo='multi.example.org', messages=[
            {'rcpts': ['user@' + DOM]},
            {'rcpts': ['erin@' + DOM, 'frank@' + DOM]},
            {'rcpts': ['user@' + DOM, 'grace@' + DOM]}]))

    # 3. relay denied, a 4xx from an access table, a client reject
    run('192.0.2.20', lambda: h.smtp_session(
        pf.port, client_addr='192.0.2.20', helo='relay.example.org',
        rcpts=['someone@elsewhere.example', 'tempfail@' + DOM]))
    run('192.0.2.66', lambda: h.smtp_session(
        pf.port, client_addr='192.0.2.66', port_src=4712,
        helo='bad.example.org', rcpts=['user@' + DOM, 'alice@' + DOM]))

    # 4. rejects at DATA and at END-OF-MESSAGE
    run('192.0.2.77', lambda: h.smtp_session(
        pf.port, client_addr='192.0.2.77', helo='nodata.example.org'))
    run('192.0.2.88', lambda: h.smtp_session(
        pf.port, client_addr='192.0.2.88', helo='nomsg.example.org'))

    # 5. improper pipelining: XCLIENT PROTO=SMTP (a HELO client, no
    #    PIPELINING offered; a HELO after EHLO would not downgrade), then
    #    MAIL, RCPT and DATA in one write -> reject_unauth_pipelining at DATA
    def pipelining():
        c = h.SMTPClient(pf.port)
        c.connect()
        c.ehlo('harness.localhost')
        c.xclient(ADDR='192.0.2.99', HELO='pipe.example.org', PROTO='SMTP')
        c.send_raw(b'MAIL FROM:<p@example.org>\r\nRCPT TO:<user@'
                   + DOM.encode() + b'>\r\nDATA\r\n')
        for cmd in ('MAIL', 'RCPT', 'DATA'):
            r = c._reply(cmd)
            if r is not None and r.code == 354:
                c.send_raw(b'.\r\n')
                c._reply('<data-end>')
        c.quit()
    run('192.0.2.99', pipelining)

    # 6. milter: a refused recipient (smtpd logs it) and a refused message
    #    (cleanup logs it)
    mp = pf.ports['milter']
    run('198.51.100.23', lambda: h.smtp_session(
        mp, client_addr='198.51.100.23', client_name='spammy.example.com',
        helo='spammy.example.com',
        rcpts=['miltered@' + DOM, 'user@' + DOM]))

    # 7. lost connections: after CONNECT (no XCLIENT, from 127.0.0.5),
    #    after RCPT, in the middle of DATA
    def lost_connect():
        c = BoundClient(pf.port, '127.0.0.5')
        c.connect()
        c.close()
    run('127.0.0.5', lost_connect)

    def lost_rcpt():
        c = xclient_open(pf.port, '192.0.2.30', name='gone.example.net')
        c.mail('x@example.org')
        c.rcpt('user@' + DOM)
        c.close()
    run('192.0.2.30', lost_rcpt)

    def lost_data():
        c = xclient_open(pf.port, '2001:db8::31')
        c.mail('x@example.org')
        c.rcpt('user@' + DOM)
        c.cmd('DATA')
        c.send_raw(b'Subject: half a message\r\n\r\nand then\r\n')
        time.sleep(0.3)
        c.close()
    run('2001:db8::31', lost_data)

    # 8. too many errors (smtpd_hard_error_limit=2 on "submission")
    def errors():
        c = xclient_open(sub_port, '192.0.2.40')
        c.cmd('FOO')
        c.cmd('BAR')
        c.cmd('BAZ')
        c.close()
    run('192.0.2.40', errors)

    # 9. timeouts (smtpd_timeout=2s on "postfix-out"): idle after EHLO,
    #    and idle in the middle of DATA
    def idle():
        c = xclient_open(out_port, '192.0.2.50')
        time.sleep(3)
        c.close()
    run('192.0.2.50', idle)

    def idle_data():
        c = xclient_open(out_port, '192.0.2.51')
        c.mail('x@example.org')
        c.rcpt('user@' + DOM)
        c.cmd('DATA')
        c.send_raw(b'Subject: slow\r\n\r\n')
        time.sleep(3)
        c.close()
    run('192.0.2.51', idle_data)

    # 10. AUTH without SASL (auth=0/1 in the summary), a header_checks
    #     reject (cleanup logs the client after the header text), QUIT
    #     right after the greeting from another loopback address
    def auth():
        c = xclient_open(sub_port, '192.0.2.60')
        c.cmd('AUTH LOGIN')
        c.quit()
    run('192.0.2.60', auth)
    run('192.0.2.61', lambda: h.smtp_session(
        pf.port, client_addr='192.0.2.61', helo='content.example.org',
        data='Subject: please reject me\r\n\r\nbody\r\n'))

    def quick_quit():
        c = BoundClient(pf.port, '127.0.0.6')
        c.connect()
        c.quit()
    run('127.0.0.6', quick_quit)


# ---------------------------------------------------------------------------
# corpus files
# ---------------------------------------------------------------------------

SASL_LINES = [
    # the LOGIN challenge "Password:" is what Cyrus leaves in the reply
    # when the password is wrong
    'warning: unknown[192.0.2.5]:50122: SASL LOGIN authentication failed: '
    'UGFzc3dvcmQ6, sasl_username=(unavailable)',
    'warning: unknown[192.0.2.5]:50124: SASL LOGIN authentication failed: '
    'UGFzc3dvcmQ6, sasl_username=admin',
    'warning: mail.example.net[198.51.100.7]:41002: SASL PLAIN '
    'authentication failed: authentication failure, '
    'sasl_username=user@test.example',
    'warning: host.example[2001:db8::25]:41010: SASL PLAIN authentication '
    'failed: (reason unavailable), sasl_username=(unavailable)',
]

STAMP = re.compile(r'^([A-Z][a-z]{2}) ([ 0-9]\d) (\d\d):(\d\d):(\d\d) ')
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
          'Oct', 'Nov', 'Dec']


def sasl_block(lines):
    """The hand-written SASL lines, stamped like the last real line from
    the submission service."""
    sub = [l for l in lines if 'postfix/submission/smtpd[' in l]
    ref = sub[-1] if sub else lines[-1]
    m = re.match(r'^(\S+ +\S+ \S+) (\S+) postfix/submission/smtpd\[(\d+)\]',
                 ref)
    stamp, host, pid = (m.group(1), m.group(2), m.group(3)) if m else \
        (ref[:15], 'mx', '1')
    out = ['# hand-written in Postfix\'s format (no SASL in the harness)']
    for l in SASL_LINES:
        out.append('%s %s postfix/submission/smtpd[%s]: %s'
                   % (stamp, host, pid, l))
    return out


def to_rfc3339(line, n, year, offset_min):
    """Rewrite a traditional stamp as RFC 3339 in the zone offset_min
    (minutes east of UTC), keeping the instant (the capture ran in the
    machine's local zone)."""
    m = STAMP.match(line)
    if not m:
        return line
    mon = MONTHS.index(m.group(1)) + 1
    local = (year, mon, int(m.group(2)), int(m.group(3)), int(m.group(4)),
             int(m.group(5)), 0, 0, -1)
    t = time.mktime(local) + offset_min * 60
    tm = time.gmtime(t)
    if offset_min == 0:
        zone = 'Z'
    else:
        sign = '+' if offset_min > 0 else '-'
        zone = '%s%02d:%02d' % (sign, abs(offset_min) // 60,
                                abs(offset_min) % 60)
    return '%s.%06d%s %s' % (time.strftime('%Y-%m-%dT%H:%M:%S', tm),
                             (n * 7919) % 1000000, zone, line[m.end():])


def parse_offset(s):
    if s in ('Z', 'z'):
        return 0
    m = re.match(r'^([+-])(\d\d):?(\d\d)$', s)
    if not m:
        raise SystemExit('bad --offset %r (want +01:00 or Z)' % s)
    v = int(m.group(2)) * 60 + int(m.group(3))
    return v if m.group(1) == '+' else -v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out-dir', default=os.path.join(h.TOP, 't', 'data'))
    ap.add_argument('--offset', default='+01:00',
                    help='zone of the RFC 3339 copy (default +01:00)')
    args = ap.parse_args()
    offset = parse_offset(args.offset)
    h.require_root()

    milter = Milter()
    sub_port = h.free_port()
    out_port = h.free_port()
    pf = h.Postfix(
        name='capture', start_method='master',
        local_users=('user', 'miltered'),
        restrictions={
            'client': 'check_client_access inline:{ { 192.0.2.66 = '
                      'REJECT go away } }',
            'recipient': ['check_recipient_access inline:{ { tempfail@%s '
                          '= 450 4.2.0 try again later } }' % DOM,
                          'reject_unauth_destination'],
            'data': ['check_client_access inline:{ { 192.0.2.77 = '
                     'REJECT no data from you } }',
                     'reject_unauth_pipelining'],
            'end_of_data': 'check_client_access inline:{ { 192.0.2.88 = '
                           'REJECT no message from you } }',
        },
        main={'header_checks': 'regexp:{ { /^Subject: please reject me/ '
                               'REJECT header says no } }'})
    pf.add_smtpd('submission', {'smtpd_hard_error_limit': '2'},
                 port=sub_port)
    pf.add_smtpd('out', {'syslog_name': 'postfix-out',
                         'smtpd_timeout': '2s'}, port=out_port)
    pf.add_smtpd('milter', {'smtpd_milters': 'inet:127.0.0.1:%d'
                            % milter.port,
                            'milter_default_action': 'accept'})
    pf.start()
    try:
        sessions(pf, milter.port, sub_port, out_port)
        # let qmgr/discard finish their lines
        time.sleep(1.5)
        lines = pf.maillog().splitlines()
    finally:
        pf.stop()
        milter.stop()

    year = time.localtime().tm_year
    hdr = [
        '# Postfix 3.7.11 (Debian 12) maillog, captured by '
        't/integ/capture-maillog.py',
        '# on %s; real lines except the SASL block marked below.'
        % time.strftime('%Y-%m-%d'),
        '# Traditional stamps from Postfix\'s own maillog_file (postlogd '
        'writes "Nov 03",',
        '# zero-padded, where syslogd writes "Nov  3"); machine zone %s, '
        'year %d.' % (time.strftime('%Z'), year),
    ]
    body = lines + sasl_block(lines)
    trad = os.path.join(args.out_dir, 'maillog-postfix-3.7.txt')
    with open(trad, 'w') as f:
        f.write('\n'.join(hdr + body) + '\n')
    hdr3339 = [
        '# The lines of maillog-postfix-3.7.txt with RFC 3339 stamps '
        '(t/integ/capture-maillog.py):',
        '# same instants, written in zone %s; the microseconds are made '
        'up from the line number.' % args.offset,
    ]
    out = []
    n = 0
    for l in body:
        if l.startswith('#'):
            out.append(l)
            continue
        n += 1
        out.append(to_rfc3339(l, n, year, offset))
    r3339 = os.path.join(args.out_dir, 'maillog-rfc3339.txt')
    with open(r3339, 'w') as f:
        f.write('\n'.join(hdr3339 + out) + '\n')
    sys.stdout.write('wrote %s and %s (%d lines each)\n'
                     % (trad, r3339, len(body)))
    return 0


if __name__ == '__main__':
    h.run(main)
