#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""gen-maillog.py N FILE [START] - write N lines of Postfix 3.7 maillog.

The line formats are those of t/data/maillog-postfix-3.7.txt (captured
from a real Postfix); the traffic is made up and the same for the same
arguments: a few thousand ordinary clients, and a few dozen abusers
that send invalid recipients, fail authentication, or get dropped.
Stamps start at START (epoch seconds, default 2026-11-22T00:00:00Z)
and advance one second every 100 lines.
"""
import random
import sys
import time


def main():
    n = int(sys.argv[1])
    out = open(sys.argv[2], 'w')
    start = int(sys.argv[3]) if len(sys.argv) > 3 else 1795305600
    rnd = random.Random(4711)
    good = ['10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255 or 1)
            for i in range(1, 5001)]
    bad = ['203.0.113.%d' % i for i in range(1, 41)] + \
          ['2001:db8:%x::%x' % (i, i) for i in range(1, 11)]
    pid = 4000
    for i in range(n):
        t = time.gmtime(start + i // 100)
        stamp = time.strftime('%b %d %H:%M:%S', t)
        head = '%s mx postfix/smtpd[%d]: ' % (stamp, pid + i % 50)
        r = rnd.random()
        if r < 0.15:
            ip = rnd.choice(bad)
            line = ('NOQUEUE: reject: RCPT from unknown[%s]:%d: 550 5.1.1 '
                    '<u%d@test.example>: Recipient address rejected: User '
                    'unknown in local recipient table; from=<s@example.org> '
                    'to=<u%d@test.example> proto=ESMTP helo=<mx.example.net>'
                    % (ip, 1024 + i % 60000, i, i))
        elif r < 0.18:
            line = ('warning: unknown[%s]: SASL LOGIN authentication '
                    'failed: UGFzc3dvcmQ6' % rnd.choice(bad))
        elif r < 0.20:
            line = ('lost connection after RCPT from unknown[%s]:%d'
                    % (rnd.choice(bad), 1024 + i % 60000))
        elif r < 0.60:
            line = 'connect from unknown[%s]:%d' % (rnd.choice(good),
                                                   1024 + i % 60000)
        elif r < 0.90:
            line = ('disconnect from unknown[%s]:%d ehlo=1 mail=1 rcpt=1 '
                    'data=1 quit=1 commands=5' % (rnd.choice(good),
                                                  1024 + i % 60000))
        else:
            head = '%s mx postfix/qmgr[3999]: ' % stamp
            line = ('%05X%06X: from=<s@example.org>, size=411, nrcpt=1 '
                    '(queue active)' % (i & 0xfffff, i))
        out.write(head + line + '\n')
    out.close()


if __name__ == '__main__':
    main()
