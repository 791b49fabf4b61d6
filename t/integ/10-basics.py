#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""policyd answers a real Postfix: deny and allow lists, the decision log
line with its reference, reload with a broken file, SIGTERM, and what
Postfix does when policyd is not running (issue 3)."""
import os
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
deny spammers {
	client = 198.51.100.0/24
	reply = 554 5.7.1 Access denied for ${client_address} (${ref})
}
"""


def main():
    h.require_root()
    t = h.TAP()
    pd = pdtest.Policyd(CONF).start()
    pf = h.Postfix(policy_port=pd.port,
                   restrictions={'recipient': ['{policy}']}).start()

    mark = pd.mark()
    tr = h.smtp_session(pf.port, client_addr='198.51.100.7',
                        helo='mx.example.net')
    t.is_(tr.rcpt_codes, [554], 'deny-listed client is rejected', tr.text())
    t.like(tr.text(), r'554 5\.7\.1 <user@test\.example>: Recipient address '
           r'rejected: Access denied for 198\.51\.100\.7 \(PD-[0-9A-F]{6}\)',
           'the configured text reaches the SMTP client')
    ref = pdtest.ref_of(tr.text())
    line = pd.wait_log(r'action=reject rule=spammers client=198\.51\.100\.7'
                       r' .*ref=' + str(ref), since=mark)
    t.ok(line, 'policyd logs the decision with the same ref ' + str(ref),
         pd.log(mark))
    t.ok(pf.wait_log(r'NOQUEUE: reject: RCPT from unknown\[198\.51\.100\.7\]'
                     r'.*Access denied for 198\.51\.100\.7 \(' + str(ref)),
         'the maillog has the reject with the text and ref')

    tr = h.smtp_session(pf.port, client_addr='192.0.2.10')
    t.is_(tr.rcpt_codes, [250], 'another client is accepted', tr.text())

    # A broken config on SIGHUP: the old rules keep serving.
    pd.write_conf(CONF + 'rule broken {\n\tevent = nonsense\n}\n')
    mark = pd.mark()
    pd.proc.hup()
    t.ok(pd.wait_log(r'keeping the running configuration', since=mark),
         'SIGHUP with a broken file is refused and logged')
    t.like(pd.log(mark), r'policyd\.conf:\d+: event: unknown event',
           'the log names file:line of the error')
    tr = h.smtp_session(pf.port, client_addr='198.51.100.8')
    t.is_(tr.rcpt_codes, [554], 'old deny list still answers after the '
          'failed reload', tr.text())

    # A good config on SIGHUP takes effect without a restart.
    pd.write_conf(CONF.replace('198.51.100.0/24', '203.0.113.0/24'))
    mark = pd.mark()
    pd.proc.hup()
    t.ok(pd.wait_log(r'reloaded .*policyd\.conf', since=mark),
         'SIGHUP with a good file reloads')
    tr = h.smtp_session(pf.port, client_addr='198.51.100.8')
    t.is_(tr.rcpt_codes, [250], 'old range no longer denied', tr.text())
    tr = h.smtp_session(pf.port, client_addr='203.0.113.5')
    t.is_(tr.rcpt_codes, [554], 'new range denied', tr.text())

    # SIGTERM: a clean exit.
    t.is_(pd.stop(), 0, 'SIGTERM: policyd exits 0')

    # Started as root with "user", policyd serves as that user.
    low = pdtest.Policyd(CONF, extra_args=['-o', 'user=nobody']).start()
    with open('/proc/%d/status' % low.proc.pid) as f:
        uids = [l.split()[1:] for l in f if l.startswith(('Uid:', 'Gid:'))]
    import pwd
    nobody = pwd.getpwnam('nobody')
    t.is_(uids, [[str(nobody.pw_uid)] * 4, [str(nobody.pw_gid)] * 4],
          'user = nobody: policyd runs as nobody after binding')
    t.is_(low.stop(), 0, 'user = nobody: clean exit')

    # With policyd gone Postfix fails closed with a temporary error.
    start = time.time()
    tr = h.smtp_session(pf.port, client_addr='192.0.2.10')
    took = time.time() - start
    t.is_(tr.rcpt_codes, [451], 'policyd down: Postfix defers the RCPT',
          tr.text())
    t.like(tr.text(), r'451 4\.3\.5 .*Server configuration problem',
           'policyd down: "451 4.3.5 Server configuration problem"')
    t.ok(took < 10, 'policyd down: the answer came in %.1fs' % took)
    t.ok(pf.wait_log(r'warning: connect to 127\.0\.0\.1:%d: Connection '
                     r'refused' % pd.port),
         'policyd down: Postfix logs the refused connection')
    return t.done()


if __name__ == '__main__':
    h.run(main)
