#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Every SMTP session counts once (issue 14): 1000 sessions from one
client address, its ports repeating as a NAT gateway's or a busy
client's do, count exactly 1000 connections, with check_policy_service
in smtpd_recipient_restrictions and in smtpd_client_restrictions
(smtpd_delay_reject = yes: asked at each RCPT).  Postfix sends no
CONNECT request there; the instance's seqno, 0 again in each new
session, is what tells."""
import os
import subprocess
import sys
import threading
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

N = 1000
THREADS = 4
PORTS = 5  # per thread: a port comes back every PORTS sessions
CONF = """
rule connections {
	event = connection
	key = client_address
	limit = %d per 1h
	reply = 451 4.7.1 Too many connections from ${client_address}
}
""" % N

PLACEMENTS = (
    ('recipient restrictions', '198.51.100.25',
     {'recipient': ['{policy}']}),
    ('client restrictions', '198.51.100.26',
     {'client': ['{policy}'], 'recipient': 'reject_unauth_destination'}),
)


def sessions(pf, addr, codes):
    """N sessions in THREADS threads; thread k uses its own PORTS ports,
    so no two sessions with the same port run at once (as on a real
    network), but each port serves N / THREADS / PORTS sessions."""
    def worker(k):
        for i in range(N // THREADS):
            port = 40000 + k * PORTS + i % PORTS
            tr = h.smtp_session(pf.port, client_addr=addr, port_src=port,
                                helo='mx.example.net', data=False)
            codes[k].extend(tr.rcpt_codes)
    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def show(pd, addr):
    r = subprocess.run([pdtest.POLICYDCTL, '-s', pd.control_path, 'show',
                        addr], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=30)
    return r.stdout


def run(t, name, addr, restrictions):
    pd = pdtest.Policyd(CONF).start()
    pf = h.Postfix(name='sess', policy_port=pd.port,
                   restrictions=restrictions,
                   main={'default_process_limit': '8'})
    pf.start()
    codes = [[] for _ in range(THREADS)]
    sessions(pf, addr, codes)
    got = [c for cs in codes for c in cs]
    t.is_((len(got), got.count(250)), (N, N),
          '%s: %d sessions from %d ports pass the limit of %d'
          % (name, N, THREADS * PORTS, N), str(sorted(set(got))))
    out = show(pd, addr)
    t.like(out, r'rule=connections .*count=%d limit=%d/1h' % (N, N),
           '%s: policydctl show counts %d connections' % (name, N), out)
    tr = h.smtp_session(pf.port, client_addr=addr, port_src=40000,
                        helo='mx.example.net', data=False)
    t.is_(tr.rcpt_codes, [451], '%s: session %d is over the limit'
          % (name, N + 1), tr.text())
    pf.stop()
    t.is_(pd.stop(), 0, '%s: policyd exits 0' % name)


def main():
    h.require_root()
    t = h.TAP()
    for name, addr, restrictions in PLACEMENTS:
        run(t, name, addr, restrictions)
    return t.done()


if __name__ == '__main__':
    h.run(main)
