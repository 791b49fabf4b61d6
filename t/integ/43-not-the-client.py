#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Only the client's own errors count (issue 14), with a real Postfix:
(a) while policyd is down for 20 s, Postfix answers a client's 50
recipients itself with 451 4.3.5 Server configuration problem until
smtpd_hard_error_limit drops it ("too many errors"); after the restart
neither that client nor its /24 is counted, delayed or blocked, and a
real dictionary attack from it right after is; (b) ten greylisting
replies of a check_recipient_access table (450 4.7.1 Greylisted) count
nothing; (c) ten header_checks REJECTs count as data_rejected."""
import os
import re
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

CONF = """
allow local {
	client = 127.0.0.0/8
}
rule dict_tarpit {
	event = rcpt_rejected
	limit = 1 per 1h
	delay = 1s step
	max_delay = 3s
}
rule dict_block {
	event = rcpt_rejected
	limit = 4 per 1h
	block = 1m
	reply = 451 4.7.1 Too many invalid recipients from ${client_address}
}
rule dict_segment {
	event = rcpt_rejected
	key = client_prefix
	limit = 4 per 1h
	block = 1h
	reply = 451 4.7.1 Too many invalid recipients from ${key}
}
rule conn_flood {
	event = dropped
	limit = 0 per 1h
	block = 1h
	reply = 554 5.7.1 Your IP address is flooding our SMTP server
}
rule data_flood {
	event = data_rejected
	limit = 9 per 1h
	block = 1h
	reply = 554 5.7.1 Your IP is sending excessive rejected messages
}
"""

EVENTS = 'policyd_maillog_events_total'
DOWN, GREY, CONTENT = '198.51.100.30', '203.0.113.40', '192.0.2.50'

# The maillog lines policyd turns into events (of the kinds this test
# provokes), so that it can wait until policyd has read them all.
EVENT_LINES = re.compile(
    r'postfix/(smtpd\[\d+\]: (connect from |\w+: reject: RCPT from |'
    r'too many errors after )|cleanup\[\d+\]: \w+: reject: header )')


def events(pf, since=0):
    return len([line for line in pf.maillog(since).splitlines()
                if EVENT_LINES.search(line)])


def session(port, addr, rcpts, data=None):
    """One session from addr; returns [(code, seconds)] per RCPT, stopping
    when Postfix hangs up, and the end-of-data code (or None)."""
    c = h.SMTPClient(port)
    c.connect()
    c.ehlo('harness.localhost')
    c.xclient(ADDR=addr)
    c.ehlo('mx.example.net')
    c.mail('sender@example.org')
    out, eod = [], None
    for r in rcpts:
        start = time.time()
        rep = c.rcpt(r)
        if rep is None or rep.code is None:
            break
        out.append((rep.code, time.time() - start))
        if rep.code == 421:
            break
    if data and out and out[-1][0] == 250:
        rep = c.data(data)
        eod = rep.code if rep else None
    if not c.dead:
        c.quit()
    c.close()
    return out, eod


def main():
    h.require_root()
    t = h.TAP()
    port = h.free_port()
    # try_limit=1: a policy service that is down answers at once.
    pf = h.Postfix(restrictions={'recipient': [
        'check_recipient_access inline:{ { user@test.example = 450 4.7.1 '
        'Greylisted, see https://grey.test.example/ } }',
        h.policy_service(port, try_limit=1)]},
        local_users=('user', 'list'), policy_port=port,
        main={'smtpd_hard_error_limit': '20'})
    checks = os.path.join(pf.dir, 'header_checks')
    with open(checks, 'w') as f:
        f.write('/^Subject: reject me/ REJECT header says no\n')
    pf.main_extra['header_checks'] = 'regexp:' + checks
    pd = pdtest.Policyd(CONF, port=port, state=True, extra_args=[
        '-o', 'maillog=' + pf.maillog_path])
    pf.start()
    pd.start()
    run(t, pf, pd)
    return t.done()


def run(t, pf, pd):
    # (a) policyd down: Postfix answers itself.
    pd.wait_stat(EVENTS, events(pf))
    t.is_(pd.stop(), 0, 'policyd stops')
    down = time.time()
    mark = pf.log_mark()
    res, _ = session(pf.port, DOWN, ['r%d@test.example' % i
                                     for i in range(50)])
    codes = [c for c, _ in res]
    t.is_(codes, [451] * 20 + [421], 'Postfix defers 20 recipients itself, '
          'then drops the client for too many errors', repr(res))
    text = pf.maillog(mark)
    t.is_(len(re.findall(r'reject: RCPT from unknown\[198\.51\.100\.30\]:\d+: '
                         r'451 4\.3\.5 <r\d+@test\.example>: Recipient '
                         r'address rejected: Server configuration problem;',
                         text)), 20, 'logged as 451 4.3.5 Server '
          'configuration problem', text)
    t.like(text, r'too many errors after RCPT from unknown\[198\.51\.100\.30\]',
           'and the drop is logged')
    # The outage itself must last: 20 s of it.
    time.sleep(max(0, 20 - (time.time() - down)))
    pd.start()
    pd.wait_stat(EVENTS, events(pf, mark))
    t.unlike(pd.log(), r'client=198\.51\.100\.', 'no rule fired for the '
             'client or its /24', pd.log())
    t.ok(pd.stat('policyd_maillog_server_defers_total') >= 20,
         'the metrics count the 20 deferrals as the server\'s',
         repr(pd.stat('policyd_maillog_server_defers_total')))
    t.ok(pd.stat('policyd_maillog_drops_forgiven_total') >= 1,
         'and the drop they caused as forgiven')
    for addr in (DOWN, '198.51.100.31'):
        res, _ = session(pf.port, addr, ['list@test.example'])
        t.ok(res and res[0][0] == 250 and res[0][1] < 0.5, '%s is neither '
             'delayed nor blocked' % addr, repr(res))
    n = pd.stat(EVENTS) + 2
    pd.wait_stat(EVENTS, n)

    # A real dictionary attack from it, right after, is counted.
    got = []
    for i in range(6):
        res, _ = session(pf.port, DOWN, ['nobody%d@test.example' % i])
        got.append((res[0][0], round(res[0][1])))
        n += 2
        pd.wait_stat(EVENTS, n)
    t.is_(got, [(550, 0), (550, 0), (550, 1), (550, 2), (550, 3), (451, 0)],
          'a dictionary attack right after: tarpit, then blocked')
    t.like(pd.log(), r'action=defer rule=dict_block client=198\.51\.100\.30 '
           r'source=maillog count=5', 'the block is logged')

    # (b) Greylisting: ten deferrals count nothing.
    mark = pf.log_mark()
    codes = [session(pf.port, GREY, ['user@test.example'])[0][0][0]
             for _ in range(10)]
    t.is_(codes, [450] * 10, 'the table greylists ten times')
    n += 20
    pd.wait_stat(EVENTS, n)
    t.is_(len(re.findall(r'450 4\.7\.1 <user@test\.example>: Recipient '
                         r'address rejected: Greylisted', pf.maillog(mark))),
          10, 'Postfix logged ten greylisting rejects')
    res, _ = session(pf.port, GREY, ['list@test.example'])
    t.ok(res and res[0][0] == 250 and res[0][1] < 0.5, 'the greylisted '
         'client is neither delayed nor blocked', repr(res))
    t.unlike(pd.log(), r'client=203\.0\.113\.', 'no rule fired for it')
    n += 1
    pd.wait_stat(EVENTS, n)

    # (c) Ten header_checks REJECTs: data_rejected, the tenth blocks.
    msg = h.default_message('sender@example.org', ['list@test.example'],
                            subject='reject me')
    eods = []
    for _ in range(10):
        _, eod = session(pf.port, CONTENT, ['list@test.example'], data=msg)
        eods.append(eod)
    t.is_(eods, [550] * 10, 'header_checks rejects ten messages')
    t.ok(pd.wait_log(r'action=reject rule=data_flood client=192\.0\.2\.50 '
                     r'source=maillog count=10 limit=9/1h'),
         'ten content rejects are ten data_rejected', pd.log())
    res, _ = session(pf.port, CONTENT, ['list@test.example'])
    t.is_([c for c, _ in res], [554], 'and the client is blocked')
    t.is_(pd.stop(), 0, 'SIGTERM exits 0')


if __name__ == '__main__':
    h.run(main)
