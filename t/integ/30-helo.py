#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Cases C and D with a real Postfix and a real DNS server: the HELO
checks' texts in the SMTP transcript, with policyd in the HELO and in
the recipient restrictions; names that resolve pass; a failing and a
silent DNS server are logged and skipped within reply_timeout; lookups
are cached and merged (issue 5)."""
import os
import resource
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402


def conf(dns_port):
    """The HELO rules exactly as etc/policyd.conf ships them."""
    with open(os.path.join(h.TOP, 'etc/policyd.conf')) as f:
        text = f.read()
    start = text.index('rule helo_our_address {')
    end = text.index('# A client without reverse DNS')
    return ("""
allow local {
	client = 127.0.0.0/8
}
local_addresses = 192.0.2.25
dns_forward = 127.0.0.1@%d
reply_timeout = 2s
max_clients = 2000
""" % dns_port) + text[start:end]


# The shipped replies end with the reference (SPEC 15).
REF = r'\(PD-[0-9A-F]{6}\)$'
SEEDS = [
    # (HELO, regex for the RCPT reply when checked in helo restrictions)
    ('[192.0.2.1]', r'554 5\.7\.1 <\[192\.0\.2\.1\]>: Helo command rejected: '
     r'bogus helo ' + REF),
    ('192.0.2.25', r'554 5\.7\.1 <192\.0\.2\.25>: Helo command rejected: '
     r'bogus helo 192\.0\.2\.25 ' + REF),
    ('test.example', r'554 5\.7\.1 <test\.example>: Helo command rejected: '
     r'bogus helo matches rcpt ' + REF),
    ('senderdomain.local', r'554 5\.7\.1 <senderdomain\.local>: Helo '
     r'command rejected: Go away, bad guy \(\.local\) ' + REF),
    ('mailserver.mydomain.com', r'450 4\.7\.1 <mailserver\.mydomain\.com>: '
     r'Helo command rejected: Host not found ' + REF),
]


def rcpt_line(tr):
    for r in tr:
        if r.cmd.startswith('RCPT'):
            return '%d %s' % (r.code, r.text)
    return tr.text()


def ask(port, helo, i):
    return ('request=smtpd_access_policy\nprotocol_state=RCPT\n'
            'client_address=198.51.100.%d\nclient_port=%d\n'
            'helo_name=%s\ninstance=x.%d\nrecipient=u@test.example\n\n'
            % (i % 250 + 1, 10000 + i, helo, i)).encode()


def burst(port, names, n):
    """n requests on n connections at once; returns the replies."""
    socks = []
    for i in range(n):
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        socks.append(s)
    for i, s in enumerate(socks):
        s.sendall(ask(port, names[i % len(names)], i))
    replies = []
    for s in socks:
        buf = b''
        while not buf.endswith(b'\n\n'):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        replies.append(buf.decode())
        s.close()
    return replies


def main():
    h.require_root()
    t = h.TAP()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096),
                                                max(hard, 4096)))
    names = ['mx%d.example.net' % i for i in range(100)]
    dns = pdtest.Unbound(
        zones={'example.net': 'static', 'mydomain.com': 'static'},
        data=['mx.example.net. 300 IN A 192.0.2.10',
              'v6only.example.net. 300 IN AAAA 2001:db8::10'] +
             ['%s. 3 IN A 192.0.2.%d' % (n, i + 1)
              for i, n in enumerate(names)],
        refuse=['refused.example.org'], slow=['slow.example.org']).start()
    pd = pdtest.Policyd(conf(dns.port)).start()
    pf = h.Postfix(policy_port=pd.port,
                   restrictions={'helo': ['{policy}']})
    rcpt_port = pf.add_smtpd('rcpt', {'smtpd_helo_restrictions': '',
                                      'smtpd_recipient_restrictions':
                                      '{policy}'})
    pf.start()

    for helo, rx in SEEDS:
        tr = h.smtp_session(pf.port, client_addr='203.0.113.5', helo=helo)
        t.like(rcpt_line(tr), rx, 'helo restrictions: %s' % helo)
        tr = h.smtp_session(rcpt_port, client_addr='203.0.113.5', helo=helo)
        t.like(rcpt_line(tr), rx.replace('Helo command rejected',
                                         'Recipient address rejected')
               .replace(r'<%s>' % helo.replace('.', r'\.')
                        .replace('[', r'\[').replace(']', r'\]'),
                        r'<user@test\.example>'),
               'recipient restrictions: %s' % helo)

    for helo in ('mx.example.net', 'v6only.example.net'):
        tr = h.smtp_session(pf.port, client_addr='203.0.113.5', helo=helo)
        t.is_(tr.rcpt_codes, [250], '%s resolves: accepted' % helo,
              tr.text())
    tr = h.smtp_session(pf.port, client_addr='203.0.113.5',
                        helo='mx.example.net', xclient={'LOGIN': 'bob'})
    t.is_(tr.rcpt_codes, [250], 'authenticated client: not checked')

    # 1000 requests at once (before the failing lookups below, whose
    # retries would add to unbound's count) over 100 names: at most 100 queries.
    before = dns.queries()
    replies = burst(pd.port, names, 1000)
    t.is_(sum(r == 'action=DUNNO\n\n' for r in replies), 1000,
          '1000 concurrent requests answered')
    asked = dns.queries() - before
    t.ok(0 < asked <= 100, '1000 requests over 100 names: %d upstream '
         'queries' % asked)
    replies = burst(pd.port, names, 300)
    t.is_(dns.queries() - before, asked, 'cached answers cause no query')
    # Time itself: the names' 3 s TTL must run out.
    time.sleep(4)
    burst(pd.port, names[:10], 10)
    t.ok(dns.queries() - before > asked, 'after the 3s TTL the names are '
         'asked again')

    for helo, what in (('mx.refused.example.org', 'failed'),
                       ('mx.slow.example.org', 'timed out')):
        mark = pd.mark()
        start = time.time()
        tr = h.smtp_session(pf.port, client_addr='203.0.113.6', helo=helo)
        took = time.time() - start
        t.is_(tr.rcpt_codes, [250], '%s: DNS %s, accepted' % (helo, what),
              tr.text())
        t.ok(pd.wait_log(r'helo=%s client=203\.0\.113\.6: DNS lookup %s; '
                         r'HELO DNS check skipped' % (helo.replace('.', r'\.'),
                                                      what), since=mark),
             '%s: logged as %s' % (helo, what), pd.log(mark))
        t.ok(took < 2.0 + 1.5, '%s: session took %.2fs (reply_timeout 2s)'
             % (helo, took))

    t.is_(pd.stop(), 0, 'policyd exits 0')
    dns.stop()
    return t.done()


if __name__ == '__main__':
    h.run(main)
