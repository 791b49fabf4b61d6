#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Case A with a real Postfix and small numbers: 5 connections per 10s,
released after 6 quiet seconds; a bulk relay without the limit; a rule
in warn mode; the listing survives a restart; damaged state files are
moved aside (issue 4)."""
import glob
import os
import struct
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

TEXT = 'Too many connections received this hour from ${client_address}'
CONF = """
allow local {
	client = 127.0.0.0/8
}
rule connections {
	event = connection
	key = client_address
	limit = 5 per 30s
	release = quiet 6s
	reply = 451 4.7.1 %s
}
rule helo_watch {
	event = helo
	limit = 2 per 10s
	mode = warn
	reply = 451 4.7.1 would limit HELO from ${client_address}
}
profile bulk {
	policy_context = bulk
	rules =
}
""" % TEXT

IP = '203.0.113.9'


def session(pf, addr, port=None):
    return h.smtp_session(port or pf.port, client_addr=addr,
                          helo='mx.example.net')


def main():
    h.require_root()
    t = h.TAP()
    pd = pdtest.Policyd(CONF, state=True).start()
    pf = h.Postfix(policy_port=pd.port,
                   restrictions={'recipient': ['{policy}']})
    bulk = pf.add_smtpd('bulk', {'smtpd_recipient_restrictions':
                                 '{policy_bulk}'})
    pf.start()

    codes = [session(pf, IP).rcpt_codes[0] for _ in range(5)]
    t.is_(codes, [250] * 5, 'five connections within the limit pass')
    mark = pd.mark()
    tr = session(pf, IP)
    t.is_(tr.rcpt_codes, [451], 'the sixth connection is refused', tr.text())
    t.like(tr.text(), r'451 4\.7\.1 <user@test\.example>: Recipient address '
           r'rejected: Too many connections received this hour from '
           r'203\.0\.113\.9\n', 'with the case A text, exactly')
    t.ok(pd.wait_log(r'action=defer rule=connections client=203\.0\.113\.9 '
                     r'.*count=6 limit=5/30s .*ref=PD-', since=mark),
         'policyd logs the listing with count, limit and ref', pd.log(mark))
    t.ok(pf.wait_log(r'NOQUEUE: reject: RCPT from unknown\[203\.0\.113\.9\]'
                     r':\d+: 451 4\.7\.1 .*Too many connections received '
                     r'this hour from 203\.0\.113\.9;'),
         'the maillog has Postfix\'s reject line with the text')
    t.ok(pd.wait_log(r'action=warn would=defer rule=helo_watch '
                     r'client=203\.0\.113\.9'),
         'the warn-mode rule logs what it would do')

    t.is_(session(pf, '203.0.113.10').rcpt_codes, [250],
          'another address is unaffected')
    t.is_(session(pf, IP, port=bulk).rcpt_codes, [250],
          'the listed address passes through the bulk relay')

    # Retrying every second keeps it listed (quiet period 6 s): the
    # sleeps are the retry interval, time that must pass.
    listed = []
    for _ in range(8):
        time.sleep(1)
        listed.append(session(pf, IP).rcpt_codes[0])
    t.is_(listed, [451] * 8, 'retries within the quiet period stay listed')

    # SIGTERM while listed, start again: still listed.
    t.is_(pd.stop(), 0, 'SIGTERM exits 0')
    t.ok(os.path.exists(pd.state_path), 'the state file was written')
    pd.start()
    tr = session(pf, IP)
    t.is_(tr.rcpt_codes, [451], 'after a restart the address is still '
          'listed', tr.text())

    # Time itself: 6 quiet seconds must pass.
    time.sleep(6.5)
    t.is_(session(pf, IP).rcpt_codes, [250],
          'after 6 quiet seconds the address is accepted again')
    t.is_(pd.stop(), 0, 'SIGTERM exits 0')

    # Damaged state files: policyd starts empty and moves them aside.
    # A snapshot of a newer policyd is moved aside the same way, by name.
    with open(pd.state_path, 'rb') as f:
        good = f.read()
    cases = (('truncated', good[:len(good) // 2], r'checksum'),
             ('garbage', b'\x00garbage\n', r'not a policyd state file'),
             ('future', good[:8] + struct.pack('<I', 99) + good[12:],
              r'state version 99 is newer than this policyd reads'))
    for name, data, why in cases:
        with open(pd.state_path, 'wb') as f:
            f.write(data)
        pd.start()
        t.ok(pd.wait_log(r'state: .*policyd\.state: .*%s.*; moved it to '
                         r'.*policyd\.state\.bad-' % why),
             '%s state file: logged and moved aside' % name, pd.log())
        t.ok(glob.glob(pd.state_path + '.bad-*'),
             '%s state file: the damaged copy is kept' % name)
        t.is_(session(pf, IP).rcpt_codes, [250],
              '%s state file: policyd serves with empty counters' % name)
        t.is_(pd.stop(), 0, '%s state file: clean exit' % name)
        for f in glob.glob(pd.state_path + '.bad-*'):
            os.unlink(f)
    return t.done()


if __name__ == '__main__':
    h.run(main)
