#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# -*- coding: utf-8 -*-
"""Self-test of t/integ/harness.py (no policyd involved).

  A. private Postfix without policy service: XCLIENT sessions as
     198.51.100.7 (HELO mx.example.net) to a known user (250, delivered via
     discard) and to an unknown user (550 5.1.1 + NOQUEUE reject line in the
     maillog), plus an IPv6 XCLIENT address; its Cyrus SASL
     (harness.CyrusSasl): AUTH PLAIN and LOGIN, a wrong password, a user
     added while it runs; Proc helper.
  B. second private Postfix with check_policy_service -> a tiny threaded
     Python policy server (harness.PolicyServer) that answers
     "action=451 4.7.1 test text from policy" for 192.0.2.66 and DUNNO
     otherwise; plus a "bulk" smtpd service using the
     check_policy_service { inet:..., policy_context=bulk,
     default_action=DUNNO } form.  With PD_RECORD_REQUESTS=FILE the raw
     requests are written to FILE; t/data/postfix-3.7-requests.txt is
     the frozen copy the unit tests use.
  C. the same Postfix with the policy server stopped.

FINDING (C), Postfix 3.7.11 with default smtpd_policy_service_* settings
(try_limit=2, retry_delay=1s, default_action=451 4.3.5 Server configuration
problem):
  * nothing listening on the policy port: the RCPT is answered
    "451 4.3.5 <user@test.example>: Recipient address rejected: Server
    configuration problem" after ~1.0 s (connect refused, sleep
    retry_delay=1s, connect refused again, give up).  The maillog shows
    twice "warning: connect to 127.0.0.1:PORT: Connection refused" +
    "warning: problem talking to server 127.0.0.1:PORT: Connection refused"
    and then the "NOQUEUE: reject: RCPT ... 451 4.3.5" line.
  * if smtpd had a cached connection to the policy server from an earlier
    session and the server closed it while smtpd was idle, smtpd notices
    that right away (the idle connection is watched) and simply reconnects:
    same log lines, same result, same ~1.0 s.
  * every policy lookup pays this delay: a restriction list that queries
    the policy server in two stages (e.g. client + recipient with
    smtpd_delay_reject=yes) costs ~2 s per RCPT.
  * a 421/disconnect does not happen; the session goes on normally.
"""

import base64
import grp
import os
import re
import stat
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

# The frozen copy the unit tests use is t/data/postfix-3.7-requests.txt;
# set PD_RECORD_REQUESTS=FILE to record a fresh one.
RECORD = os.environ.get('PD_RECORD_REQUESTS')

BAD = '192.0.2.66'
GOOD = '192.0.2.1'
POLICY_TEXT = '451 4.7.1 test text from policy'


def responder(attrs):
    if attrs.get('client_address') == BAD:
        return POLICY_TEXT
    return 'DUNNO'


def auth(pf, *lines):
    """XCLIENT as 198.51.100.8, EHLO, the AUTH lines; the replies."""
    c = h.SMTPClient(pf.port)
    c.connect()
    c.ehlo('harness.localhost')
    c.xclient(ADDR='198.51.100.8', NAME=None)
    ehlo = c.ehlo('client.example.net')
    got = [c.cmd(line) for line in lines]
    c.quit()
    c.close()
    return ehlo, ['%s %s' % (r.code, r.text) if r else None for r in got]


def part_sasl(t, pf, sasl):
    ehlo, _ = auth(pf)
    t.ok(ehlo and 'AUTH PLAIN LOGIN' in ehlo.text.split('\n'),
         'SASL: EHLO offers PLAIN and LOGIN only (smtpd.conf read)',
         ehlo and ehlo.text)
    st = os.stat(sasl.db_path)
    t.is_((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
          (0, grp.getgrnam(h.MAIL_OWNER).gr_gid, 0o640),
          'SASL: the sasldb is root:%s 0640' % h.MAIL_OWNER)
    ok = '235 2.7.0 Authentication successful'
    bad = '535 5.7.8 Error: authentication failed: authentication failure'
    b64 = [base64.b64encode(s.encode()).decode()
           for s in ('alice@example.test', 'secret')]
    mark = pf.log_mark()
    _, got = auth(pf, 'AUTH PLAIN ' + sasl.plain('alice@example.test',
                                                 'secret'))
    t.is_(got, [ok], 'SASL: AUTH PLAIN with the right password')
    _, got = auth(pf, 'AUTH LOGIN', *b64)
    t.is_(got[-1:], [ok], 'SASL: AUTH LOGIN with the right password')
    _, got = auth(pf, 'AUTH PLAIN ' + sasl.plain('alice@example.test',
                                                 'wrong'))
    t.is_(got, [bad], 'SASL: a wrong password')
    t.ok(pf.wait_log(r'warning: unknown\[198\.51\.100\.8\]:\d+: SASL PLAIN '
                     r'authentication failed: authentication failure, '
                     r'sasl_username=alice@example\.test$', 5, since=mark,
                     flags=re.M),
         'SASL: smtpd logs the failure with the user',
         lambda: pf.maillog(mark))
    t.is_(len(pf.log_lines('SASL .* authentication failed', since=mark)), 1,
          'SASL: only the wrong password failed')
    sasl.add_user('bob@example.test', 'pw2')
    _, got = auth(pf, 'AUTH PLAIN ' + sasl.plain('bob@example.test', 'pw2'))
    t.is_(got, [ok], 'SASL: a user added while smtpd runs')


def part_a(t):
    sasl = h.CyrusSasl({'alice@example.test': 'secret'})
    pf = h.Postfix(name='plain', sasl=sasl)
    pf.start()
    t.ok(pf.running(), 'A: private postfix started (master pid %s, %.2fs)'
         % (pf.master_pid, pf.start_time))
    t.ok(pf.wait_log(r'postfix/master\[%d\]: daemon started' %
                     pf.master_pid, 5),
         'A: maillog file has the "daemon started" line',
         lambda: pf.maillog())
    t.ok(pf.maillog_path.startswith(pf.dir), 'A: maillog is in the temp dir')

    # known local user
    tr = h.smtp_session(pf.port, client_addr='198.51.100.7',
                        client_name='mx.example.net',
                        helo='mx.example.net',
                        helo_via_xclient='mx.example.net',
                        rcpts=['user@test.example'])
    t.is_(tr.xclient_reply.code if tr.xclient_reply else None, 220,
          'A: XCLIENT answered with a new 220 greeting', tr.text)
    t.is_(tr.rcpt_codes, [250], 'A: RCPT to known user -> 250', tr.text)
    t.is_(tr.final_code, 250, 'A: message accepted after DATA', tr.text)
    qid = tr.queue_ids[0] if tr.queue_ids else 'NONE'
    t.ok(pf.wait_log(r'%s: client=mx\.example\.net\[198\.51\.100\.7\]'
                     % qid, 5),
         'A: maillog shows the XCLIENT client for %s' % qid, pf.maillog)
    t.ok(pf.wait_log(r'%s: to=<user@test\.example>, relay=none.*'
                     r'status=sent' % qid, 10),
         'A: message delivered by discard', pf.maillog)

    # unknown local user
    mark = pf.log_mark()
    tr = h.smtp_session(pf.port, client_addr='198.51.100.7',
                        helo='mx.example.net',
                        helo_via_xclient='mx.example.net',
                        rcpts=['nobody@test.example'])
    r = tr.rcpt_replies[0] if tr.rcpt_replies else None
    t.ok(r and r.code == 550 and r.text.startswith('5.1.1 ') and
         'User unknown' in r.text,
         'A: RCPT to unknown user -> 550 5.1.1 User unknown', tr.text)
    t.is_(tr.final_code, 550, 'A: final code 550 (no DATA)', tr.text)
    t.ok(tr.data_reply is None, 'A: no DATA without accepted recipient')
    t.ok(pf.wait_log(r'NOQUEUE: reject: RCPT from unknown\[198\.51\.100\.7\]'
                     r'(:\d+)?: 550 5\.1\.1 <nobody@test\.example>: Recipient '
                     r'address rejected: User unknown.*helo=<mx\.example\.net>',
                     10, since=mark),
         'A: maillog has the NOQUEUE reject line naming 198.51.100.7',
         lambda: pf.maillog(mark))

    # IPv6 client via XCLIENT, HELO only from XCLIENT, client port
    mark = pf.log_mark()
    tr = h.smtp_session(pf.port, client_addr='2001:db8::1', helo=None,
                        helo_via_xclient='v6.example.net', port_src=4711,
                        rcpts=['nobody@test.example'])
    t.is_(tr.rcpt_codes, [550], 'A: IPv6 XCLIENT session gets to RCPT',
          tr.text)
    t.ok(pf.wait_log(r'NOQUEUE: reject: RCPT from unknown\[2001:db8::1\]'
                     r':4711: 550 .*helo=<v6\.example\.net>', 10, since=mark),
         'A: maillog shows [2001:db8::1]:4711 and the XCLIENT HELO',
         lambda: pf.maillog(mark))

    part_sasl(t, pf, sasl)

    pid, d = pf.master_pid, pf.dir
    pf.stop()
    t.ok(not h._pid_alive(pid), 'A: master pid %d gone after stop()' % pid)
    t.ok(not h._pids_in_group(pid), 'A: no processes of its group left')
    t.ok(h.keep_temp() or not os.path.exists(d), 'A: temp dir removed')


PROC_SCRIPT = r'''
import signal, sys, time
def hup(s, f):
    print('got HUP', flush=True)
signal.signal(signal.SIGHUP, hup)
if len(sys.argv) > 1:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print('daemon ready', flush=True)
sys.stderr.write('to stderr\n')
while True:
    time.sleep(0.1)
'''


def part_proc(t):
    p = h.Proc([sys.executable, '-c', PROC_SCRIPT], name='dummy')
    p.start(ready=r'daemon ready', timeout=10)
    t.ok(p.running(), 'Proc: started, ready line seen (pid %d)' % p.pid)
    t.ok(p.wait_output('to stderr', 5), 'Proc: stderr goes to the log too')
    mark = p.output_mark()
    p.hup()
    t.ok(p.wait_output(r'got HUP', 5, since=mark), 'Proc: SIGHUP delivered')
    t.is_(p.stop(), -15, 'Proc: stop() -> terminated by SIGTERM')

    p = h.Proc([sys.executable, '-c', PROC_SCRIPT, 'ignore-term'],
               name='stubborn')
    p.start(ready=r'daemon ready', timeout=10)
    t0 = time.time()
    rc = p.stop(timeout=0.5)
    t.ok(rc == -9 and time.time() - t0 < 5,
         'Proc: SIGKILL after the stop timeout (rc=%s)' % rc)

    failed = False
    try:
        h.Proc([sys.executable, '-c', 'print("no")'], name='quitter').start(
            ready='never', timeout=5)
    except RuntimeError:
        failed = True
    t.ok(failed, 'Proc: start(ready=...) raises if the process exits')


def fmt_requests(title, raws):
    out = ['#' * 72, '# ' + title, '#' * 72]
    for i, raw in enumerate(raws):
        out.append('# --- request %d (%d bytes) ---' % (i + 1, len(raw)))
        out.append(raw.decode('utf-8', 'replace').rstrip('\n'))
        out.append('')
    return '\n'.join(out) + '\n'


def part_bc(t):
    ps = h.PolicyServer(responder).start()
    pf = h.Postfix(name='policy', policy_port=ps.port,
                   restrictions={'recipient': ['reject_unauth_destination',
                                               '{policy}']})
    bulk = pf.add_smtpd('bulk', {
        'smtpd_recipient_restrictions':
            ['reject_unauth_destination', '{policy_bulk}']})
    full = pf.add_smtpd('full', dict(
        [('smtpd_delay_reject', 'no')] +
        [('smtpd_%s_restrictions' % st, '{policy}') for st in
         ('client', 'helo', 'sender', 'data', 'end_of_data')] +
        [('smtpd_recipient_restrictions',
          'reject_unauth_destination, {policy}')]))
    pf.start()
    t.ok(pf.running(), 'B: postfix with check_policy_service started')
    record = []

    # --- the rejected client ----------------------------------------------
    n0 = len(ps.raw_requests)
    mark = pf.log_mark()
    tr = h.smtp_session(pf.port, client_addr=BAD, client_name='bad.example',
                        helo='mx.example.net', port_src=4711,
                        rcpts=['user@test.example'])
    r = tr.rcpt_replies[0] if tr.rcpt_replies else None
    t.ok(r is not None and r.code == 451 and r.text.startswith('4.7.1 ')
         and r.text.endswith('test text from policy'),
         'B: %s gets "451 4.7.1 ... test text from policy" at RCPT' % BAD,
         tr.text)
    t.like(r and r.text, r'^4\.7\.1 <user@test\.example>: Recipient address '
           r'rejected: test text from policy$',
           'B: exact reply text (Postfix prefixes <rcpt>: Recipient address '
           'rejected:)')
    t.ok(pf.wait_log(r'NOQUEUE: reject: RCPT from bad\.example\[192\.0\.2\.66'
                     r'\]:4711: 451 4\.7\.1 <user@test\.example>: Recipient '
                     r'address rejected: test text from policy;', 10,
                     since=mark),
         'B: maillog has the policy reject line', lambda: pf.maillog(mark))
    reqs = ps.requests[n0:]
    raws = ps.raw_requests[n0:]
    record.append(fmt_requests(
        'session 1: XCLIENT ADDR=%s NAME=bad.example PORT=4711, EHLO '
        'mx.example.net, 1 RCPT (answered: %s)' % (BAD, POLICY_TEXT), raws))
    t.is_(len(reqs), 1, 'B: exactly one policy request for one RCPT')
    q = reqs[0] if reqs else {}
    t.is_(raws[0][-2:] if raws else None, b'\n\n',
          'B: request ends with an empty line')
    t.is_((q.get('request'), q.get('protocol_state'),
           q.get('protocol_name')),
          ('smtpd_access_policy', 'RCPT', 'ESMTP'),
          'B: request/protocol_state/protocol_name')
    t.is_((q.get('client_address'), q.get('client_name'),
           q.get('reverse_client_name'), q.get('helo_name')),
          (BAD, 'bad.example', 'bad.example', 'mx.example.net'),
          'B: client attributes come from XCLIENT / EHLO')
    t.is_(q.get('client_port'), '4711', 'B: XCLIENT PORT sets client_port')
    t.is_((q.get('server_address'), q.get('server_port')),
          ('127.0.0.1', str(pf.port)),
          'B: server_address/server_port = the smtpd listener')
    t.is_(q.get('policy_context'), '',
          'B: policy_context sent, empty by default')
    t.like(q.get('instance'), r'^[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+\.0$',
           'B: instance looks like pid.sec.usec.seq')
    t.is_((q.get('sender'), q.get('recipient'), q.get('recipient_count'),
           q.get('queue_id')),
          ('sender@example.org', 'user@test.example', '0', ''),
          'B: sender/recipient/recipient_count/queue_id at first RCPT')
    missing = [a for a in ('compatibility_level', 'mail_version')
               if a not in q]
    t.diag('attributes not sent by this Postfix: %s' % ', '.join(missing))

    # --- instance across RCPTs and messages ---------------------------------
    n0 = len(ps.raw_requests)
    tr = h.smtp_session(pf.port, client_addr=GOOD, client_name='good.example',
                        helo='mx.example.net', messages=[
                            {'rcpts': ['user@test.example',
                                       'user@test.example']},
                            {'rcpts': ['user@test.example']}])
    t.is_(tr.rcpt_codes, [250, 250, 250], 'B: DUNNO client accepted',
          tr.text)
    t.is_(len(tr.queue_ids), 2, 'B: two messages queued in one session',
          tr.text)
    reqs = ps.requests[n0:]
    record.append(fmt_requests(
        'session 2: XCLIENT ADDR=%s NAME=good.example (no PORT), message 1 '
        'with 2 RCPTs, message 2 with 1 RCPT, all answered DUNNO' % GOOD,
        ps.raw_requests[n0:]))
    inst = [q.get('instance') for q in reqs]
    t.ok(len(inst) == 3 and inst[0] == inst[1] and inst[1] != inst[2],
         'B: instance same for RCPTs of a message, new for next message',
         repr(inst))
    t.ok(len(inst) == 3 and inst[0].endswith('.0') and inst[2].endswith('.1')
         and inst[0].split('.')[0] == inst[2].split('.')[0],
         'B: instance = same pid prefix, per-session counter .0 -> .1',
         repr(inst))
    t.ok(len(reqs) == 3 and reqs[0]['queue_id'] == '' and
         reqs[1]['queue_id'] == tr.queue_ids[0],
         'B: queue_id empty at first RCPT, set from the second RCPT on',
         lambda: repr([q.get('queue_id') for q in reqs]))
    t.ok(len(reqs) == 3 and reqs[0]['client_port'].isdigit() and
         reqs[0]['client_port'] != '4711',
         'B: without XCLIENT PORT client_port is the real TCP port')

    # --- the bulk service with the { inet:..., policy_context=bulk } form --
    n0 = len(ps.raw_requests)
    mark = pf.log_mark()
    tr = h.smtp_session(bulk, client_addr=BAD, helo='mx.example.net')
    reqs = ps.requests[n0:]
    record.append(fmt_requests(
        'session 3: "bulk" smtpd service (check_policy_service { inet:..., '
        'policy_context=bulk, default_action=DUNNO }), XCLIENT ADDR=%s only'
        % BAD, ps.raw_requests[n0:]))
    t.is_(tr.rcpt_codes, [451], 'B: bulk service also asks the policy server',
          tr.text)
    t.is_([q.get('policy_context') for q in reqs], ['bulk'],
          'B: bulk service sends policy_context=bulk')
    t.is_(reqs[0].get('server_port') if reqs else None, str(bulk),
          'B: server_port is the bulk port')
    t.is_(reqs[0].get('client_name') if reqs else None, 'unknown',
          'B: XCLIENT without NAME -> client_name=unknown')
    t.ok(pf.wait_log(r'postfix/bulk/smtpd\[\d+\]: NOQUEUE: reject: RCPT', 10,
                     since=mark),
         'B: bulk service logs as postfix/bulk/smtpd', lambda: pf.maillog(mark))

    # --- every stage, smtpd_delay_reject=no ---------------------------------
    n0 = len(ps.raw_requests)
    tr = h.smtp_session(full, client_addr=GOOD, client_name='good.example',
                        helo='mx.example.net', port_src=4712,
                        xclient={'LOGIN': 'bob', 'DESTADDR': '203.0.113.25',
                                 'DESTPORT': '587',
                                 'REVERSE_NAME': 'rev.example'},
                        rcpts=['user@test.example', 'nobody@test.example'])
    reqs = ps.requests[n0:]
    record.append(fmt_requests(
        'session 4: "full" smtpd service: smtpd_delay_reject=no and check_policy_service '
        'in client, helo, sender, recipient, data and end_of_data '
        'restrictions.  EHLO harness.localhost, XCLIENT ADDR=%s '
        'NAME=good.example PORT=4712 LOGIN=bob DESTADDR=203.0.113.25 '
        'DESTPORT=587 REVERSE_NAME=rev.example, EHLO mx.example.net, '
        'MAIL, RCPT user (250), RCPT nobody (550 by local_recipient_maps, '
        'after the policy check), DATA' % GOOD, ps.raw_requests[n0:]))
    t.is_(tr.final_code, 250, 'B: full-stage session delivered', tr.text)
    states = [q.get('protocol_state') for q in reqs]
    t.is_(states, ['CONNECT', 'EHLO', 'XCLIENT', 'EHLO', 'MAIL', 'RCPT',
                   'RCPT', 'DATA', 'END-OF-MESSAGE'],
          'B: protocol_state sequence with delay_reject=no and XCLIENT')
    t.is_([q.get('client_address') for q in reqs[:3]],
          ['127.0.0.1', '127.0.0.1', GOOD],
          'B: CONNECT/first EHLO carry the real client, XCLIENT the new one')
    q = reqs[-1] if reqs else {}
    t.is_((q.get('sasl_method'), q.get('sasl_username'),
           q.get('server_address'), q.get('server_port'),
           q.get('reverse_client_name'), q.get('client_port')),
          ('XCLIENT', 'bob', '203.0.113.25', '587', 'rev.example', '4712'),
          'B: XCLIENT LOGIN/DESTADDR/DESTPORT/REVERSE_NAME/PORT mapping')
    t.ok(q.get('recipient_count') == '1' and int(q.get('size', 0)) > 0
         and q.get('queue_id') == (tr.queue_ids or [''])[0],
         'B: END-OF-MESSAGE has recipient_count, size and queue_id',
         repr(q))
    inst = [q.get('instance') for q in reqs]
    t.ok(inst[:5] == [''] * 5 and len(set(inst[5:])) == 1 and inst[5],
         'B: instance empty before RCPT, then constant for the message',
         repr(inst))

    if not RECORD:
        return
    with open(RECORD, 'w') as f:
        f.write('# Raw Postfix policy delegation requests, recorded by '
                't/integ/00-harness.py\n# %s, %s\n# Each request ends with '
                'an empty line; values differ between runs (instance, ports,'
                ' queue ids).\n\n' % (
                    'Postfix ' + pf.postconf('-h', 'mail_version').strip(),
                    time.strftime('%Y-%m-%d')))
        f.write('\n'.join(record))
    t.ok(os.path.getsize(RECORD) > 0, 'B: wrote %s' % RECORD)

    # --- C: policy server down -------------------------------------------
    ps.stop()
    time.sleep(0.2)
    for what in ('cached connection closed by server', 'nothing listening'):
        mark = pf.log_mark()
        t0 = time.time()
        tr = h.smtp_session(pf.port, client_addr=BAD, helo='mx.example.net',
                            rcpts=['user@test.example'])
        dt = time.time() - t0
        r = tr.rcpt_replies[0] if tr.rcpt_replies else None
        t.ok(r is not None and r.code == 451 and
             r.text == '4.3.5 <user@test.example>: Recipient address '
             'rejected: Server configuration problem',
             'C (%s): RCPT -> 451 4.3.5 Server configuration problem'
             % what, tr.text)
        t.ok(0.5 < dt < 10, 'C (%s): took %.2fs (expected ~1s: try_limit=2,'
             ' retry_delay=1s)' % (what, dt))
        t.ok(pf.wait_log(r'warning: problem talking to server '
                         r'127\.0\.0\.1:%d' % ps.port, 5, since=mark),
             'C (%s): maillog warns "problem talking to server"' % what,
             lambda: pf.maillog(mark))
        t.ok(pf.wait_log(r'NOQUEUE: reject: RCPT from unknown\[192\.0\.2\.66'
                         r'\]:\d+: 451 4\.3\.5 ', 5, since=mark),
             'C (%s): maillog has the 451 4.3.5 reject line' % what)
        t.ok(not tr.closed and tr.final_code == 451,
             'C (%s): session continues normally (no 421)' % what)
        t.diag('policy server down (%s): %.2fs; log:\n%s' % (
            what, dt, '\n'.join(l.split(': ', 1)[1] for l in
                               pf.log_lines(r'smtpd\[', since=mark))))
    pf.stop()


def main():
    h.require_root()
    t = h.TAP()
    t0 = time.time()
    part_a(t)
    part_proc(t)
    part_bc(t)
    el = time.time() - t0
    t.ok(el < 60, 'whole self-test took %.1fs (< 60s)' % el)
    return t.done()


if __name__ == '__main__':
    h.run(main)
