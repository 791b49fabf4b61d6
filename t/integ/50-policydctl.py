#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The helpdesk's view with a real Postfix (issue 7): policydctl show,
explain of a ref taken from the SMTP reply, unblock, a manual block with
its reason as the reply, --json, Prometheus metrics (promtext) over the
control socket and HTTP, bad commands, the socket's group, and a daemon
that survives garbage on the control socket."""
import json
import os
import re
import socket
import stat
import subprocess
import sys
import urllib.request
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402
import promtext  # noqa: E402

CTL = os.path.join(h.TOP, 'build/bin/policydctl')
if pdtest.POLICYD != os.path.join(h.TOP, 'build/bin/policyd'):
    CTL = os.path.join(os.path.dirname(pdtest.POLICYD), 'policydctl')

CONF = """
user = nobody
metrics_listen = 127.0.0.1:%d
rule connections {
	event = connection
	limit = 3 per 1m
	release = quiet 1m
	reply = 451 4.7.1 Too many connections from ${client_address} (${ref})
}
"""
IP = '203.0.113.9'
REASON = 'Blocked after a spam complaint, call support'


def ctl(pd, *args, user=None):
    cmd = [CTL, '-s', pd.control_path] + list(args)
    if user:
        cmd = ['setpriv', '--reuid=' + user[0], '--regid=' + user[1],
               '--clear-groups'] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def raw(path, data, shut=True):
    """Send data to the control socket; the answer, or None."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    try:
        s.sendall(data)
        if not shut:
            return None
        s.shutdown(socket.SHUT_WR)
        return s.recv(65536)
    except OSError:
        return None
    finally:
        s.close()


def main():
    h.require_root()
    t = h.TAP()
    mport = h.free_port()
    pd = pdtest.Policyd(CONF % mport)
    # The daemon runs as nobody: it must reach its own socket's directory.
    os.chmod(pd.dir, 0o755)
    pd.start()
    pf = h.Postfix(policy_port=pd.port,
                   restrictions={'recipient': ['{policy}']})
    pf.start()

    st = os.stat(pd.control_path)
    t.is_(oct(stat.S_IMODE(st.st_mode)), oct(0o660),
          'the control socket has mode 0660')
    t.is_((st.st_uid, st.st_gid), (0, int(subprocess.check_output(
        ['id', '-g', 'nobody']))), "owner root, group of the daemon's user")

    codes = [h.smtp_session(pf.port, client_addr=IP).rcpt_codes[0]
             for _ in range(3)]
    t.is_(codes, [250] * 3, 'three sessions within the limit')
    tr = h.smtp_session(pf.port, client_addr=IP)
    t.is_(tr.rcpt_codes, [451], 'the fourth is refused', tr.text())
    ref = pdtest.ref_of(tr.text())
    t.ok(ref, 'the SMTP reply carries a ref', tr.text())

    rc, out, err = ctl(pd, 'show', IP)
    t.is_(rc, 0, 'show exits 0', err)
    t.like(out, r'key=203\.0\.113\.9 rule=connections kind=listing '
           r'state=listed count=4 limit=3/1m first=\S+Z last=\S+Z '
           r'since=\S+Z expires=\S+Z', 'show: rule, count, limit, first, '
           'last and expiry', out)
    t.like(out, r'ref=%s' % ref, 'show lists the decision', out)

    rc, out, err = ctl(pd, 'explain', ref)
    t.is_(rc, 0, 'explain exits 0', err)
    t.like(out, r'action\s+defer\n', 'explain: the action', out)
    t.like(out, r'rule\s+connections\n', 'explain: the rule', out)
    t.like(out, r'client\s+203\.0\.113\.9\n', 'explain: the client', out)
    t.like(out, r'reply\s+451 4\.7\.1 Too many connections from '
           r'203\.0\.113\.9 \(%s\)\n' % ref, 'explain: the reply sent', out)

    rc, out, err = ctl(pd, '--json', 'explain', ref)
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    t.is_((j.get('ref'), j.get('rule'), j.get('action')),
          (ref, 'connections', 'defer'), 'explain --json parses', out)
    rc, out, err = ctl(pd, 'show', IP, '--json')
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    c = (j.get('counters') or [{}])[0]
    t.is_((c.get('rule'), c.get('count'), c.get('limit'), c.get('state')),
          ('connections', 4, '3/1m', 'listed'), 'show --json parses', out)

    rc, out, err = ctl(pd, 'unblock', IP)
    t.is_(rc, 0, 'unblock exits 0', err)
    t.like(out, r'key=203\.0\.113\.9 rule=connections lifted=listing',
           'unblock says what it lifted', out)
    t.is_(h.smtp_session(pf.port, client_addr=IP).rcpt_codes, [250],
          'the next session after unblock passes')
    rc, out, err = ctl(pd, 'unblock', IP)
    t.is_((rc, err.strip()), (1, 'policydctl: nothing blocks 203.0.113.9'),
          'unblocking again: exit 1 and why')

    # Guard rails: the whole Internet needs --force, either way.
    for args, what in ((['block', '0.0.0.0/0', '--for', '1h'], 'refuses'),
                       (['block', '2001:db8::/31', '--for', '1h'], 'refuses'),
                       (['unblock', '0.0.0.0/0'], 'lifts')):
        rc, out, err = ctl(pd, *args)
        t.is_(rc, 2, 'policydctl %s without --force exits 2'
              % ' '.join(args), err)
        t.like(err, r'a network wider than /(16|32) %s .*give --force' % what,
               'and says why', err)
    t.is_(ctl(pd, 'list', 'blocks')[1].count('rule=manual'), 0,
          'and nothing is blocked')
    rc, out, err = ctl(pd, 'block', '10.0.0.0/8', '--for', '1h', '--force')
    t.is_(rc, 0, 'block 10.0.0.0/8 --force exits 0', err)
    rc, out, err = ctl(pd, 'unblock', '10.0.0.0/8', '--force')
    t.is_(rc, 0, 'and unblock 10.0.0.0/8 --force lifts it', err)

    rc, out, err = ctl(pd, 'block', '198.51.100.0/24', '--for', '1h',
                       '--reason', REASON)
    t.is_(rc, 0, 'a manual block exits 0', err)
    until = re.search(r'expires\s+(\S+)', out)
    until = until and until.group(1)
    rc, out, err = ctl(pd, 'block', '198.51.100.0/24', '--for', '10m',
                       '--reason', REASON)
    t.is_((rc, re.search(r'expires\s+(\S+)', out).group(1)), (0, until),
          'blocking again for less keeps the longer block', out + err)
    t.like(out, r'note\s+kept the block that ends later; --replace '
           r'shortens it', 'and says so', out)
    tr = h.smtp_session(pf.port, client_addr='198.51.100.7')
    t.like(tr.text(), r'451 4\.7\.1 <user@test\.example>: Recipient address '
           r'rejected: %s \(PD-[0-9A-F]{6}\)' % REASON,
           'a client in the blocked network gets the reason', tr.text())
    rc, out, err = ctl(pd, 'list', 'blocks', '--json')
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    b = (j.get('blocks') or [{}])[0]
    t.is_((b.get('key'), b.get('rule'), b.get('reason')),
          ('198.51.100.0/24', 'manual', REASON), 'list blocks --json', out)

    # Metrics: the same text over the socket and over HTTP.
    rc, prom, err = ctl(pd, 'stats', '--prometheus')
    t.is_(rc, 0, 'stats --prometheus exits 0', err)
    for metric in (r'policyd_requests_total\{protocol_state="RCPT",'
                   r'action="defer"\} 2', r'policyd_decisions_total\{rule='
                   r'"connections",action="defer"\} 1',
                   r'policyd_blocks_active\{rule="manual",kind="manual"\} 1',
                   r'policyd_keys_tracked \d', r'policyd_dns_lookups_total 0',
                   r'policyd_maillog_lines_total 0',
                   r'policyd_reply_latency_seconds_count \d'):
        t.like(prom, metric, 'metrics: ' + metric.replace('\\', ''), prom)
    t.is_(promtext.problems(prom), [], 'the Prometheus text format checks',
          prom)
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % mport,
                                timeout=10) as r:
        http = r.read().decode()
        ctype = r.headers.get('Content-Type')
    t.is_(ctype, 'text/plain; version=0.0.4; charset=utf-8',
          'HTTP: the exposition content type')
    t.like(http, r'# TYPE policyd_reply_latency_seconds histogram',
           'HTTP serves the metrics', http)
    t.is_(promtext.problems(http), [], 'the HTTP output checks too', http)
    try:
        urllib.request.urlopen('http://127.0.0.1:%d/' % mport, timeout=10)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    t.is_(code, 404, 'HTTP: anything but /metrics is 404')

    # Bad commands: a message and a non-zero exit.
    for args, want, rx in ((['frob'], 2, r'unknown command "frob"'),
                           (['show'], 2, r'show: give an address'),
                           (['show', '300.1.2.3'], 2, r'300\.1\.2\.3'),
                           (['block', IP], 2, r'--for'),
                           (['block', IP, '--for', 'soon'], 2, r'soon'),
                           (['explain', 'PD-12'], 2, r'not a reference id'),
                           (['explain', 'PD-000000'], 1,
                            r'not among the last 20000 decisions'),
                           (['list', 'everything'], 2, r'blocks or listings')):
        rc, out, err = ctl(pd, *args)
        t.is_(rc, want, 'policydctl %s exits %d' % (' '.join(args), want),
              err)
        t.like(err, rx, 'policydctl %s says why' % ' '.join(args), err)
    r = subprocess.run([CTL, '-s', pd.dir + '/nothing.sock', 'status'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    t.is_(r.returncode, 3, 'no daemon: exit 3', r.stderr)

    # Only root and the daemon user's group may use the socket.
    rc, out, err = ctl(pd, 'status', user=('postfix', 'postfix'))
    t.is_(rc, 3, 'a user outside the group cannot connect', err)
    t.like(err, r'permission denied', 'and is told so', err)
    rc, out, err = ctl(pd, 'status', user=('nobody', 'nogroup'))
    t.is_(rc, 0, "a member of the daemon user's group can", err)

    # Garbage and half commands do not hurt the daemon.
    mark = pd.mark()
    answers = [raw(pd.control_path, b'\x00\xff\xfe garbage\n\n'),
               raw(pd.control_path, b'show\n203.0', shut=False),
               raw(pd.control_path, b'A' * 100000),
               raw(pd.control_path, b'status\n')]
    t.like((answers[0] or b'').decode('latin-1'), r'^2 ',
           'garbage gets a usage error', repr(answers))
    rc, out, err = ctl(pd, 'status')
    t.is_(rc, 0, 'policyd still answers after garbage and hang-ups', err)
    t.like(out, r'requests\s+\d+', 'status shows the request count', out)
    t.is_(h.smtp_session(pf.port, client_addr='192.0.2.1').rcpt_codes, [250],
          'and still serves Postfix')
    t.ok(pd.wait_log(r'control: bad command', since=mark),
         'bad commands are logged', pd.log(mark))

    # A broken file: its errors with file:line, on stderr, and exit 1.
    broken = CONF % mport + ('rule broken {\n\tevent = connection   # c\n'
                             '\tlimit = 5 per 1m\n\tblock = 1m\n'
                             '\treply = 451 4.7.1 no\n}\nmax_key = 1\n')
    lines = broken.split('\n')
    pd.write_conf(broken)
    rc, out, err = ctl(pd, 'reload')
    t.is_(rc, 1, 'reload of a broken config exits 1', out + err)
    t.like(err, r'(?m)^%s:%d: event: comments go on a line of their own '
           r'\("# c"\)$' % (re.escape(pd.conf_path),
                             lines.index('\tevent = connection   # c') + 1),
           'policydctl reload prints the first error with file:line', err)
    t.like(err, r'(?m)^%s:%d: unknown option "max_key"$'
           % (re.escape(pd.conf_path), lines.index('max_key = 1') + 1),
           'and the next one', err)
    t.like(err, r'has errors; the running configuration is kept',
           'and says the running one is kept', err)
    t.is_(out, '', 'and nothing on stdout', out)
    pd.write_conf(CONF % mport)
    rc, out, err = ctl(pd, 'reload')
    t.is_(rc, 0, 'reload of a good config exits 0', err)
    t.is_(ctl(pd, 'show', '198.51.100.9')[1].count('rule=manual'), 1,
          'the manual block survives the reload')
    t.is_(pd.stop(), 0, 'SIGTERM exits 0')
    return t.done()


if __name__ == '__main__':
    h.run(main)
