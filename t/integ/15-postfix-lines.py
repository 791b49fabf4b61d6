#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""README's Postfix lines, read from README, in a real Postfix with the
shipped policyd.conf (issue 15): the field reports' texts come out word
for word with the reference after them, at the stage README says; a
client blocked by auth_flood (real SASL failures) or conn_flood cannot
AUTH any more, on port 25 or submission; of two blocks the longer one
answers; submission skips the HELO checks, the bulk relay the
connection limit only; policydctl unblock lifts a block."""
import os
import re
import socket
import subprocess
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

REF = r' \(PD-[0-9A-F]{6}\)'
DEFAULT_PORT = 'inet:127.0.0.1:12540'


def readme_blocks():
    """The indented literal blocks of README's Postfix section."""
    with open(os.path.join(h.TOP, 'README')) as f:
        text = f.read()
    sec = text[text.index('Postfix\n-------\n'):
               text.index('Configuration\n-------------\n')]
    blocks, cur = [], []
    for line in sec.split('\n'):
        if line.startswith('    ') and not line.startswith('      ') \
                or (cur and line.startswith('      ')):
            cur.append(line[4:])
        elif cur and line.strip() == '':
            blocks.append(cur)
            cur = []
        elif cur:
            blocks.append(cur)
            cur = []
    return blocks


def main_cf(lines):
    """name = value lines, continued by indented lines."""
    out = []
    for l in lines:
        if l.startswith(' '):
            out[-1][1] += ' ' + l.strip()
        else:
            k, _, v = l.partition('=')
            out.append([k.strip(), v.strip()])
    return [(k, v) for k, v in out]


def master_cf(lines):
    """The service's name and its -o settings."""
    opts = {}
    for l in lines[1:]:
        k, _, v = l.strip()[3:].partition('=')
        opts[k] = v
    return lines[0].split()[0], opts


def find(blocks, first):
    got = [b for b in blocks if b[0].startswith(first)]
    assert len(got) == 1, 'README: no single block starting %r' % first
    return got[0]


def shipped_conf(dns_port):
    """etc/policyd.conf with its texts, smaller limits, no tarpit."""
    with open(os.path.join(h.TOP, 'etc/policyd.conf')) as f:
        text = f.read()
    for rule, old, new in (('connections', '1000 per 1h', '3 per 1h'),
                           ('dict_tarpit', '1 per 1h', '1000 per 1h'),
                           ('dict_block', '4 per 1h', '1 per 1h'),
                           ('rcpt_flood', '50 per 1h', '2 per 1h'),
                           ('auth_flood', '10 per 1h', '2 per 1h'),
                           ('conn_flood', '30 per 1h', '2 per 1h')):
        i = text.index('rule %s {' % rule)
        j = text.index('limit = ' + old, i)
        assert j < text.index('}', i), rule
        text = text[:j] + 'limit = ' + new + text[j + 8 + len(old):]
    return text + '\ndns_forward = 127.0.0.1@%d\nreply_timeout = 2s\n' \
        % dns_port


def session(port, addr, helo='mx.example.net', auth=None, rcpts=None,
            drop=False):
    """XCLIENT as addr, EHLO, [AUTH], MAIL, RCPTs; the SMTPClient."""
    c = h.SMTPClient(port)
    c.connect()
    c.ehlo('harness.localhost')
    c.xclient(ADDR=addr, NAME=None)
    c.ehlo(helo)
    if auth:
        c.cmd('AUTH PLAIN ' + h.CyrusSasl.plain(*auth))
    c.mail('sender@example.org')
    for r in rcpts or ['user@test.example']:
        c.rcpt(r)
    if drop:
        c.sock.shutdown(socket.SHUT_RDWR)
    else:
        c.quit()
    c.close()
    return c.t


def reply(tr, prefix):
    r = tr.by_cmd(prefix)
    return '%d %s' % (r[0].code, r[0].text) if r else '(no %s)' % prefix


def main():
    h.require_root()
    t = h.TAP()
    blocks = readme_blocks()
    mx = main_cf(find(blocks, 'smtpd_delay_reject'))
    bulk_main = main_cf(find(blocks, 'policyd_bulk'))
    sub_name, sub_opts = master_cf(find(blocks, 'submission'))
    bulk_name, bulk_opts = master_cf(find(blocks, '2525'))
    t.is_(sub_name, 'submission', 'README: the submission service')
    t.ok(any(k == 'smtpd_helo_restrictions' for k, _ in mx),
         'README: main.cf lines with the HELO stage')

    dns = pdtest.Unbound(zones={'example.net': 'static',
                                'mydomain.com': 'static'},
                         data=['mx.example.net. 300 IN A 192.0.2.10']).start()
    sasl = h.CyrusSasl({'alice@example.test': 'secret'})
    port = h.free_port()

    def cf(pairs):
        return {k: v.replace(DEFAULT_PORT, 'inet:127.0.0.1:%d' % port)
                for k, v in pairs}
    main = cf(mx + bulk_main)
    main['smtpd_sasl_auth_enable'] = 'no'     # port 25: as Debian ships
    pf = h.Postfix(policy_port=port, restrictions={}, mynetworks='127.0.0.0/8',
                   main=main, sasl=sasl)
    sub_port = pf.add_smtpd('submission', cf(sub_opts.items()))
    bulk_port = pf.add_smtpd('bulk', cf(bulk_opts.items()))
    pd = pdtest.Policyd(shipped_conf(dns.port), port=port, extra_args=[
        '-o', 'user=', '-o', 'state_file=',
        '-o', 'maillog=' + pf.maillog_path])
    pf.start()
    pd.start()

    # Cases C and D at EHLO, word for word, then no mail without HELO.
    for i, (helo, text) in enumerate((('senderdomain.local', '554 5.7.1 <senderdomain.local>: '
                        'Helo command rejected: Go away, bad guy (.local)'),
                       ('mailserver.mydomain.com', '450 4.7.1 '
                        '<mailserver.mydomain.com>: Helo command rejected: '
                        'Host not found'),
                       ('[192.0.2.1]', '554 5.7.1 <[192.0.2.1]>: Helo command '
                        'rejected: bogus helo'))):
        tr = session(pf.port, '198.51.100.%d' % (12 + i), helo=helo)
        t.like(reply(tr, 'EHLO ' + helo), '^' + re.escape(text) + REF + '$',
               'EHLO %s: the field text and the ref' % helo)
        t.is_(reply(tr, 'MAIL'), '503 5.5.1 Error: send HELO/EHLO first',
              'EHLO %s: no mail without a HELO' % helo)
    # (Another address: the limit of 3 connections an hour holds here.)
    tr = session(pf.port, '198.51.100.11')
    t.is_(tr.rcpt_codes, [250], 'a good HELO passes', tr.text())

    # Case A at connect: the fourth session of the hour (limit 3 here).
    for i in range(3):
        session(pf.port, '198.51.100.40')
    tr = session(pf.port, '198.51.100.40')
    t.like(reply(tr, 'XCLIENT'), r'^451 4\.7\.1 <unknown\[198\.51\.100\.40\]'
           r':\d+>: Client host rejected: Too many connections received this '
           r'hour from 198\.51\.100\.40' + REF + '$', 'case A: the field text '
           'and the ref, at connect')
    # The bulk relay has no connection limit, and the HELO checks.
    codes = [session(bulk_port, '198.51.100.41').rcpt_codes for _ in range(5)]
    t.is_(codes, [[250]] * 5, 'bulk: five sessions, no connection limit')
    tr = session(bulk_port, '198.51.100.41', helo='senderdomain.local')
    t.like(reply(tr, 'EHLO senderdomain'), r'^554 5\.7\.1 <senderdomain\.'
           r'local>: Helo command rejected: Go away, bad guy \(\.local\)'
           + REF + '$', 'bulk: the HELO checks apply')

    # Submission: the right password logs in (Cyrus sasldb), and smtpd
    # names the user in the maillog once a recipient is accepted.
    mark = pf.log_mark()
    tr = session(sub_port, '198.51.100.32', auth=('alice@example.test',
                                                  'secret'))
    t.is_([reply(tr, c) for c in ('AUTH', 'RCPT')],
          ['235 2.7.0 Authentication successful', '250 2.1.5 Ok'],
          'submission: alice logs in and may send', tr.text())
    t.ok(pf.wait_log(r'client=unknown\[198\.51\.100\.32\]:\d+, sasl_method='
                     r'PLAIN, sasl_username=alice@example\.test$', since=mark,
                     flags=re.M),
         'submission: the maillog names the SASL user', pf.maillog(mark))

    # Case E, auth_flood: real failed logins on submission (limit 2).
    mark = pf.log_mark()
    tr = h.SMTPClient(sub_port)
    tr.connect()
    tr.ehlo('harness.localhost')
    tr.xclient(ADDR='198.51.100.30', NAME=None)
    tr.ehlo('laptop.local')
    for _ in range(3):
        tr.cmd('AUTH PLAIN ' + sasl.plain('alice@example.test', 'wrong'))
    tr.quit()
    t.is_(['%d %s' % (r.code, r.text) for r in tr.t.by_cmd('AUTH')],
          ['535 5.7.8 Error: authentication failed: authentication failure']
          * 3, 'submission: laptop.local may try to log in (no HELO check)',
          tr.t.text())
    t.ok(pf.wait_log(r'disconnect from unknown\[198\.51\.100\.30\]:\d+ .*'
                     r'\bauth=0/3\b', since=mark),
         'submission: three failed AUTHs in the disconnect line')
    failed = r'unknown\[198\.51\.100\.30\]:\d+: SASL PLAIN authentication ' \
        r'failed: authentication failure, sasl_username=alice@example\.test'
    t.is_(len(pf.log_lines(failed, since=mark)), 3,
          'submission: smtpd logged three SASL PLAIN failures',
          pf.maillog(mark))
    t.ok(pd.wait_log(r'action=reject rule=auth_flood client=198\.51\.100\.30 '
                     r'source=maillog count=3 limit=2/1h'),
         'auth_flood: blocked from the maillog', pf.maillog()[-2000:])
    auth_text = ('554 5.7.1 Your IP is generating excessive authentication '
                 'failures. Please contact support.')
    mark = pf.log_mark()
    for name, p in (('submission', sub_port), ('port 25', pf.port)):
        since = pf.log_mark()
        tr = session(p, '198.51.100.30', auth=('alice@example.test',
                                               'secret'))
        t.like(reply(tr, 'XCLIENT'), r'^554 5\.7\.1 <unknown\[198\.51\.100\.'
               r'30\]:\d+>: Client host rejected: ' + re.escape(auth_text[10:])
               + REF + '$', '%s: auth_flood text and ref at connect' % name)
        t.like(reply(tr, 'AUTH'), r'^503 5\.7\.0 Error: access denied for ',
               '%s: no AUTH for a client blocked by auth_flood' % name)
        t.ok(pf.wait_log(r'disconnect from unknown\[198\.51\.100\.30\]:\d+ '
                         r'.*\bauth=0/1\b', since=since),
             '%s: the AUTH failed, says the disconnect line' % name,
             pf.maillog(since))
    t.is_(pf.log_lines(r'198\.51\.100\.30\]:\d+(: SASL |, sasl_method=)',
                       since=mark), [],
          'no password reached Cyrus SASL after the block')

    # conn_flood: three lost connections (limit 2), then refused first.
    for _ in range(3):
        session(pf.port, '198.51.100.31', drop=True)
    t.ok(pd.wait_log(r'action=reject rule=conn_flood client=198\.51\.100\.31 '
                     r'source=maillog'), 'conn_flood: blocked')
    tr = session(sub_port, '198.51.100.31', auth=('alice@example.test',
                                                  'secret'))
    t.like(reply(tr, 'XCLIENT'), r'^554 5\.7\.1 <unknown\[198\.51\.100\.31\]:'
           r'\d+>: Client host rejected: Your IP address is flooding our SMTP '
           r'server with abusive requests, please contact support\.' + REF
           + '$', 'conn_flood: the field text and the ref')
    t.like(reply(tr, 'AUTH'), r'^503 5\.7\.0 ', 'conn_flood: no AUTH')

    # Two blocks: dict_block (2m) and rcpt_flood (48h); the 48h answers.
    session(pf.port, '198.51.100.50', rcpts=['x1@test.example',
                                             'x2@test.example',
                                             'x3@test.example'])
    t.ok(pd.wait_log(r'action=reject rule=rcpt_flood client=198\.51\.100\.50 '
                     r'source=maillog count=3'), 'rcpt_flood: blocked')
    t.like(pd.log(), r'rule=dict_block client=198\.51\.100\.50 source=maillog',
           'dict_block holds too')
    tr = session(pf.port, '198.51.100.50')
    t.like(reply(tr, 'XCLIENT'), r'^554 5\.7\.1 <unknown\[198\.51\.100\.50\]:'
           r'\d+>: Client host rejected: Your IP is sending excessive rejected '
           r'recipients\. Please contact support\.' + REF + '$',
           'two blocks: the one that ends last (48h) answers')
    ref = pdtest.ref_of(reply(tr, 'XCLIENT'))
    r = subprocess.run([pdtest.POLICYDCTL, '-s', pd.control_path, 'explain',
                        ref], stdout=subprocess.PIPE, universal_newlines=True)
    t.like(r.stdout, r'rcpt_flood', 'policydctl explain finds the ref %s'
           % ref, r.stdout)
    r = subprocess.run([pdtest.POLICYDCTL, '-s', pd.control_path, 'unblock',
                        '198.51.100.50'], stdout=subprocess.PIPE,
                       universal_newlines=True)
    t.is_(r.returncode, 0, 'policydctl unblock', r.stdout)
    tr = session(pf.port, '198.51.100.50')
    t.is_(tr.rcpt_codes, [250], 'after unblock the client may send',
          tr.text())

    # policyd down: Postfix defers at connect, as README says.
    t.is_(pd.stop(), 0, 'policyd exits 0')
    tr = session(pf.port, '198.51.100.60')
    t.like(reply(tr, 'XCLIENT'), r'^451 4\.3\.5 <unknown\[198\.51\.100\.60\]:'
           r'\d+>: Client host rejected: Server configuration problem$',
           'policyd down: 451 4.3.5 at connect')
    dns.stop()
    return t.done()


if __name__ == '__main__':
    h.run(main)
