#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Case E with a real Postfix: each automatic block with its own text,
its expiry, and a new block when the behaviour resumes.  Rejected
recipients, rejects at DATA and connections dropped by the server are
provoked for real; authentication failures are in 40-maillog.py
(issue 6)."""
import os
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

RULES = {
    'rcpt_flood': ('rcpt_rejected', '554 5.7.1 Your IP is sending excessive '
                   'rejected recipients. Please contact support.'),
    'conn_flood': ('dropped', '554 5.7.1 Your IP address is flooding our '
                   'SMTP server with abusive requests, please contact '
                   'support.'),
    'data_flood': ('data_rejected', '554 5.7.1 Your IP is sending excessive '
                   'rejected messages. Please contact support.'),
}
CONF = 'allow local {\n\tclient = 127.0.0.0/8\n}\n' + ''.join(
    'rule %s {\n\tevent = %s\n\tlimit = 2 per 1h\n\tblock = 4s\n'
    '\treply = %s\n}\n' % (name, ev, text)
    for name, (ev, text) in RULES.items())

# What each client does to provoke its rule, three times.
RCPT_ADDR, DROP_ADDR, DATA_ADDR = '198.51.100.21', '198.51.100.22', \
    '198.51.100.23'


def provoke(pf, rule):
    if rule == 'rcpt_flood':
        h.smtp_session(pf.port, client_addr=RCPT_ADDR,
                       rcpts=['x1@test.example', 'x2@test.example',
                              'x3@test.example'], data=False)
    elif rule == 'data_flood':
        for _ in range(3):
            h.smtp_session(pf.port, client_addr=DATA_ADDR)
    else:
        for _ in range(3):
            c = h.SMTPClient(pf.port)
            c.connect()
            c.ehlo('harness.localhost')
            c.xclient(ADDR=DROP_ADDR)
            c.ehlo('mx.example.net')
            c.mail('sender@example.org')
            c.rcpt('user@test.example')
            c.sock.shutdown(socket.SHUT_RDWR)	# lost connection after RCPT
            c.close()


ADDR = {'rcpt_flood': RCPT_ADDR, 'conn_flood': DROP_ADDR,
        'data_flood': DATA_ADDR}


def main():
    h.require_root()
    t = h.TAP()
    pf = h.Postfix(restrictions={
        'recipient': ['{policy}'],
        'data': ['check_client_access inline:{ { %s = REJECT no data } }'
                 % DATA_ADDR]}, policy_port=h.free_port())
    pd = pdtest.Policyd(CONF, port=pf.policy_port,
                        extra_args=['-o', 'maillog=' + pf.maillog_path])
    pf.start()
    pd.start()
    for rule in ('rcpt_flood', 'data_flood', 'conn_flood'):
        addr = ADDR[rule]
        text = RULES[rule][1]
        provoke(pf, rule)
        line = pd.wait_log(r'action=reject rule=%s client=%s source=maillog '
                           r'count=3 limit=2/1h expires=\S+Z ref='
                           % (rule, addr.replace('.', r'\.')))
        t.ok(line, '%s: the block is logged with its expiry' % rule,
             pd.log())
        tr = h.smtp_session(pf.port, client_addr=addr)
        t.like(tr.text(), r'554 5\.7\.1 <user@test\.example>: Recipient '
               r'address rejected: ' + text[10:].replace('.', r'\.'),
               '%s: the exact text' % rule)
        # Time itself: the 4 s block must run out.
        time.sleep(4.5)
        tr = h.smtp_session(pf.port, client_addr=addr,
                            data=(rule != 'data_flood'))
        t.is_(tr.rcpt_codes, [250], '%s: the block ends on its own' % rule,
              tr.text())
        mark = pd.mark()
        provoke(pf, rule)
        t.ok(pd.wait_log(r'action=reject rule=%s client=%s source=maillog '
                         r'count=3' % (rule, addr.replace('.', r'\.')),
                         since=mark),
             '%s: blocked again when the behaviour resumes' % rule)
        tr = h.smtp_session(pf.port, client_addr=addr)
        t.is_(tr.rcpt_codes, [554], '%s: and refused again' % rule)
    t.is_(pd.stop(), 0, 'SIGTERM exits 0')
    return t.done()


if __name__ == '__main__':
    h.run(main)
