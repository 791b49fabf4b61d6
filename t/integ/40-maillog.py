#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Cases B and E from Postfix's own maillog: a dictionary attack against
a real Postfix that rejects unknown local users is delayed by a growing
tarpit, then blocked; its /24 neighbour is blocked by the segment rule;
an allow-listed address is never delayed; authentication failures
(real-format lines appended to the followed log, as the harness has no
SASL) block with case E's text, which ends and comes back (issue 6)."""
import os
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

CONF = """
allow trusted {
	client = 127.0.0.0/8, 198.51.100.200
}
rule dict_tarpit {
	event = rcpt_rejected
	limit = 1 per 1h
	delay = 1s step
	max_delay = 5s
}
rule dict_block {
	event = rcpt_rejected
	limit = 4 per 1h
	block = 1m
	reply = 451 4.7.1 Too many invalid recipients from ${client_address}, try again later
}
rule dict_segment {
	event = rcpt_rejected
	key = client_prefix
	limit = 4 per 1h
	block = 1h
	reply = 451 4.7.1 Too many invalid recipients from ${key}, try again later
}
rule auth_flood {
	event = auth_failed
	limit = 2 per 1h
	block = 3s
	reply = 554 5.7.1 Your IP is generating excessive authentication failures. Please contact support.
}
"""


EVENTS = 'policyd_maillog_events_total'


def timed_rcpts(pd, port, addr, rcpts, events):
    """One session, RCPT by RCPT; returns [(code, seconds), ...] and the
    maillog events by then.  Postfix logs the connection and each reject,
    and each is an event: policyd must have read the reject before the
    next RCPT is sent, or the delays would not grow one by one."""
    c = h.SMTPClient(port)
    c.connect()
    events += 1
    c.ehlo('harness.localhost')
    c.xclient(ADDR=addr)
    c.ehlo('mx.example.net')
    c.mail('sender@example.org')
    out = []
    for r in rcpts:
        start = time.time()
        rep = c.rcpt(r)
        out.append((rep.code if rep else None, time.time() - start))
        if rep and rep.code >= 400:
            events += 1
            pd.wait_stat(EVENTS, events)
    c.quit()
    c.close()
    return out, events


def sasl_failures(pf, addr, n, method):
    """Append n of Postfix's SASL failure lines for addr to the maillog."""
    with open(pf.maillog_path, 'a') as f:
        for i in range(n):
            f.write(time.strftime('%b %e %H:%M:%S') + ' mx postfix/smtpd'
                    '[4242]: warning: unknown[%s]: SASL %s authentication '
                    'failed: %s\n' % (addr, method, 'UGFzc3dvcmQ6' if method
                                       == 'LOGIN' else
                                       'authentication failure'))


def main():
    h.require_root()
    t = h.TAP()
    pf = h.Postfix(restrictions={'recipient': ['{policy}']},
                   policy_port=h.free_port())
    pd = pdtest.Policyd(CONF, port=pf.policy_port, extra_args=[
        '-o', 'maillog=' + pf.maillog_path], state=True)
    pf.start()
    pd.start()

    bad = ['nobody%d@test.example' % i for i in range(7)]
    res, events = timed_rcpts(pd, pf.port, '198.51.100.7', bad, 0)
    codes = [c for c, _ in res]
    delays = [round(s) for _, s in res]
    t.is_(codes[:5], [550] * 5, 'unknown users are rejected by Postfix',
          repr(res))
    t.is_(delays[:5], [0, 0, 1, 2, 3], 'from the second error on each '
          'reply is delayed one step more', repr(res))
    t.like(pd.log(), r'action=sleep rule=dict_tarpit client=198\.51\.100\.7 '
           r'source=maillog count=2 limit=1/1h', 'the tarpit start is logged')
    t.is_(codes[5:], [451, 451], 'after the fifth error: blocked',
          repr(res))
    # Both its blocks hold: the segment's (1h) ends after its own (1m)
    # and answers.
    t.like(pd.log(), r'action=defer rule=dict_block client=198\.51\.100\.7 '
           r'source=maillog count=5 limit=4/1h', 'the address is blocked')
    tr = h.smtp_session(pf.port, client_addr='198.51.100.7')
    t.like(tr.text(), r'451 4\.7\.1 <user@test\.example>: Recipient address '
           r'rejected: Too many invalid recipients from 198\.51\.100\.0/24, '
           r'try again later', 'its next session gets the text of the block '
           'that ends last')
    tr = h.smtp_session(pf.port, client_addr='198.51.100.8')
    t.like(tr.text(), r'451 4\.7\.1 .*Too many invalid recipients from '
           r'198\.51\.100\.0/24', 'a second address of the /24 is blocked '
           'by the segment rule')
    # Both sessions read (connection and reject), so that the next run
    # waits for its own lines.
    events += 4
    pd.wait_stat(EVENTS, events)
    res, events = timed_rcpts(pd, pf.port, '198.51.100.200', bad[:4], events)
    t.ok(all(c == 550 and s < 0.5 for c, s in res),
         'an allow-listed address is never delayed', repr(res))

    # Case E: authentication failures, from lines in Postfix's format.
    sasl_failures(pf, '203.0.113.50', 3, 'LOGIN')
    events += 3
    pd.wait_stat(EVENTS, events)
    tr = h.smtp_session(pf.port, client_addr='203.0.113.50')
    t.like(tr.text(), r'554 5\.7\.1 <user@test\.example>: Recipient address '
           r'rejected: Your IP is generating excessive authentication '
           r'failures\. Please contact support\.', 'case E: the auth '
           'failure block text')
    t.like(pd.log(), r'action=reject rule=auth_flood client=203\.0\.113\.50 '
           r'source=maillog count=3 limit=2/1h expires=', 'case E: logged '
           'with its expiry')
    events += 2		# that session's connection and reject
    # Time itself: the 3 s block must run out.
    time.sleep(3.5)
    t.is_(h.smtp_session(pf.port, client_addr='203.0.113.50').rcpt_codes,
          [250], 'case E: the block ends on its own')
    sasl_failures(pf, '203.0.113.50', 3, 'PLAIN')
    events += 1 + 3		# the last session's connection, the 3 lines
    pd.wait_stat(EVENTS, events)
    t.is_(h.smtp_session(pf.port, client_addr='203.0.113.50').rcpt_codes,
          [554], 'case E: blocked again when the behaviour resumes')

    # Restart: the position is kept, no line is counted twice.
    t.is_(pd.stop(), 0, 'SIGTERM exits 0')
    t.ok(os.path.exists(pd.state_path + '.maillog'), 'the maillog position '
         'is saved with the state')
    # Written while policyd was down: read after the restart, and only it.
    sasl_failures(pf, '203.0.113.60', 3, 'LOGIN')
    pd.start()
    t.ok(pd.wait_log(r'action=reject rule=auth_flood client=203\.0\.113\.60 '
                     r'source=maillog count=3'), 'lines written while '
         'policyd was down are counted after the restart', pd.log())
    t.unlike(pd.log(), r'client=(198\.51\.100\.7|203\.0\.113\.50) ',
             'lines read before the restart are not counted again')
    t.is_(pd.stop(), 0, 'SIGTERM exits 0')
    return t.done()


if __name__ == '__main__':
    h.run(main)
