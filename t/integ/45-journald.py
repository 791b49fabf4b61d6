#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A real Postfix logs through syslog(3) into a real systemd-journald, and
policyd, with maillog = journal, blocks a dictionary attack from it
(issue 16).

systemd-journald runs without systemd as PID 1: it makes its own
sockets.  So that nothing of the machine's is touched, the test runs
in a mount namespace of its own (unshare -m) with /run/systemd
and /run/log (journald's sockets and its runtime journal) under a
tmpfs /run, and a /dev
of its own whose "log" is journald's dev-log.  Without systemd the
entries carry no _SYSTEMD_UNIT, so maillog_unit is empty here.
"""
import os
import subprocess
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

JOURNALD = '/lib/systemd/systemd-journald'
ADDR = '198.51.100.41'
CONF = """
allow local {
	client = 127.0.0.0/8
}
rule dict_block {
	event = rcpt_rejected
	limit = 4 per 1h
	block = 1h
	reply = 451 4.7.1 Too many invalid recipients from ${client_address}
}
"""
DEV = ('null', 'zero', 'full', 'random', 'urandom', 'tty')


def sh(*argv):
    subprocess.run(argv, check=True)


def private_mounts():
    """Only in this namespace: journald's directories, our own /dev."""
    sh('mount', '--make-rprivate', '/')
    # A /run of our own: no directory is made on the machine's.
    sh('mount', '-t', 'tmpfs', 'tmpfs', '/run')
    for d in ('/run/systemd', '/run/log'):
        os.makedirs(d)
    old = '/run/log/dev'
    os.makedirs(old)
    sh('mount', '--bind', '/dev', old)
    sh('mount', '-t', 'tmpfs', 'tmpfs', '/dev')
    for n in DEV:
        open('/dev/' + n, 'w').close()
        sh('mount', '--bind', os.path.join(old, n), '/dev/' + n)
    for n in ('pts', 'shm'):
        os.mkdir('/dev/' + n)
        sh('mount', '--bind', os.path.join(old, n), '/dev/' + n)
    os.symlink('/run/systemd/journal/dev-log', '/dev/log')


def start_journald():
    p = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while not os.path.exists('/run/systemd/journal/dev-log'):
        if time.time() > deadline or p.poll() is not None:
            raise RuntimeError('systemd-journald did not start')
        time.sleep(0.05)
    return p


def main():
    h.require_root()
    if os.environ.get('PD_TEST_MOUNT_NS') != '1':
        # Again, in a mount namespace of our own.
        env = dict(os.environ, PD_TEST_MOUNT_NS='1')
        return subprocess.run(['unshare', '-m', sys.executable,
                               os.path.abspath(__file__)], env=env).returncode
    t = h.TAP()
    t.ok(os.access(JOURNALD, os.X_OK), 'systemd-journald is installed')
    private_mounts()
    jd = start_journald()
    try:
        blocked(t)
    finally:
        jd.terminate()
        jd.wait(10)
    return t.done()


def blocked(t):
    pf = h.Postfix(restrictions={'recipient': ['{policy}']},
                   policy_port=h.free_port(), main={'maillog_file': ''})
    pd = pdtest.Policyd(CONF, port=pf.policy_port, extra_args=[
        '-o', 'user=', '-o', 'maillog=journal', '-o', 'maillog_unit='])
    pf.start()
    pd.start()
    # A dictionary attack: five unknown recipients, rejected by Postfix.
    tr = h.smtp_session(pf.port, client_addr=ADDR, data=False,
                        rcpts=['nobody%d@test.example' % i
                               for i in range(5)])
    t.is_(tr.rcpt_codes, [550] * 5, 'Postfix rejects the five recipients')
    n = pd.wait_stat('policyd_maillog_events_total', 5, timeout=30)
    t.ok(n >= 5, 'policyd read the rejects from the journal: %d events' % n)
    line = pd.wait_log(r'action=defer rule=dict_block client=%s '
                       r'source=maillog count=5 limit=4/1h'
                       % ADDR.replace('.', r'\.'))
    t.ok(line, 'dict_block blocks the client', pd.log())
    tr = h.smtp_session(pf.port, client_addr=ADDR, data=False)
    t.like(' '.join('%s %s' % (r.code, r.text) for r in tr.rcpt_replies),
           r'451 4\.7\.1 .*Too many invalid recipients from %s'
           % ADDR.replace('.', r'\.'),
           'its next recipient gets the block\'s reply')
    st = subprocess.run([pdtest.POLICYDCTL, '-s', pd.control_path, 'status'],
                        stdout=subprocess.PIPE, universal_newlines=True)
    t.like(st.stdout, r'(?m)^journal\s+readable$', 'status: readable')
    t.is_(pd.stop(), 0, 'policyd: clean exit')
    pf.stop()


if __name__ == '__main__':
    sys.exit(h.run(main) or 0)
