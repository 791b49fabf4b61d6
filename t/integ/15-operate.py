#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Operating policyd (issue 15): policyd -t checks what start needs of
the system (the user, dns_forward, the state directory as the user),
comments after a value are errors with file:line, -V, -n and -N, a
second policyd with the same control socket refuses to start while the
first still answers, and under systemd's journal each line is written
once, with its priority."""
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

VALGRIND = os.environ.get('PD_VALGRIND') == '1'
RULE = """rule connections {
	event = connection
	limit = 10 per 1m
	block = 1m
	reply = 451 4.7.1 Too many connections
}
"""


def policyd(*args, timeout=60, env=None):
    """policyd with args: exit code, stdout, stderr."""
    argv = [pdtest.POLICYD] + list(args)
    if VALGRIND:
        argv = pdtest.VALGRIND + argv
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=timeout, env=env)
    return r.returncode, r.stdout, r.stderr


def version():
    with open(os.path.join(h.TOP, 'configure.ac')) as f:
        return re.search(r'AC_INIT\(\[policyd\], \[([^]]+)\]', f.read()).group(1)


def main():
    h.require_root()
    t = h.TAP()
    top = tempfile.mkdtemp(prefix='pdtest-operate.')
    if not h.keep_temp():
        import atexit
        atexit.register(shutil.rmtree, top, True)
    # Readable by everyone on the way, as /etc/policyd is.
    os.chmod(top, 0o755)

    def conf(name, text):
        path = os.path.join(top, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    # -V and --version.
    for opt in ('-V', '--version'):
        rc, out, err = policyd(opt)
        t.is_((rc, out), (0, 'policyd %s\n' % version()),
              'policyd %s prints the version of configure.ac' % opt, err)

    # -n: what differs from the defaults, as lines that parse back; -N: all.
    f = conf('n.conf', '# ours\nrequest_timeout = 10s\nuser = nobody\n'
             'idle_timeout = 600s\n' + RULE)
    rc, out, err = policyd('-n', '-c', f)
    t.is_((rc, err), (0, ''), 'policyd -n exits 0', err)
    t.is_(out, 'user = nobody\nrequest_timeout = 10s\n\n' + RULE,
          'policyd -n: the settings that are not defaults, then the blocks',
          out)
    back = conf('n-back.conf', out)
    t.is_(policyd('-n', '-c', back)[1], out, 'what -n prints parses back to '
          'the same')
    rc, out, err = policyd('-N', '-c', f)
    t.is_(rc, 0, 'policyd -N exits 0', err)
    t.like(out, r'(?m)^idle_timeout = 10m$', '-N shows the defaults too', out)
    t.like(out, r'(?m)^control_socket = \S+$', 'every option', out)
    nopts = len(re.findall(r'(?m)^\w+ =', out))
    t.ok(nopts >= 30, '-N lists %d options' % nopts)
    back = conf('N-back.conf', out)
    t.is_(policyd('-N', '-c', back)[1], out, 'what -N prints parses back')
    t.is_(policyd('-n', '-t', '-c', f)[0], 2, '-n with -t is a usage error')

    # Comments after a value: errors with file:line; in a reply a warning.
    f = conf('comment.conf', RULE.replace('event = connection',
                                          'event = connection   # per client'))
    rc, out, err = policyd('-t', '-c', f)
    t.is_(rc, 1, 'policyd -t: a comment after event = exits 1', err)
    t.is_(err, 'policyd: %s:2: event: comments go on a line of their own '
          '("# per client")\n' % f, 'with one error that says so', err)
    f = conf('reply.conf', RULE.replace('connections\n}',
                                        'connections # ask us\n}'))
    rc, out, err = policyd('-t', '-c', f)
    t.is_((rc, out), (0, 'configuration OK\n'),
          'policyd -t: a "#" in a reply text is allowed', err)
    t.is_(err, 'policyd: warning: %s:5: reply: "# ask us" is part of the '
          'reply text that SMTP clients see; comments go on a line of their '
          'own\n' % f, 'and warned about', err)

    # What start needs of the system.
    f = conf('nouser.conf', 'user = pd-no-such-user\n' + RULE)
    rc, out, err = policyd('-t', '-c', f)
    t.is_(rc, 1, 'policyd -t with a user that does not exist exits 1', out)
    t.like(err, r'user pd-no-such-user: no such user', 'and says so', err)
    f = conf('fwd.conf', 'dns_forward = 127.0.0.1:5601\n' + RULE)
    rc, out, err = policyd('-t', '-c', f)
    t.is_(rc, 1, 'policyd -t with dns_forward = 127.0.0.1:5601 exits 1', out)
    t.like(err, r'%s: dns_forward: "127\.0\.0\.1:5601" is not ADDRESS or '
           r'ADDRESS@PORT .*127\.0\.0\.1@5353' % re.escape(f),
           'and shows the syntax', err)
    t.is_(policyd('-t', '-c', f, '-o', 'dns_forward=127.0.0.1@5601')[0], 0,
          'dns_forward = 127.0.0.1@5601 is OK')
    state = os.path.join(top, 'state')
    os.mkdir(state, 0o755)
    f = conf('state.conf', 'user = nobody\nstate_file = %s/policyd.state\n'
             % state + RULE)
    rc, out, err = policyd('-t', '-c', f)
    t.is_(rc, 1, 'policyd -t: a state directory nobody may not write in '
          'exits 1', out + err)
    t.is_(err, 'policyd: state_file: directory %s: user nobody cannot write '
          'in it: Permission denied (owner root:root, mode 0755)\n' % state,
          'and says who cannot do what where', err)
    os.chown(state, 65534, -1)
    rc, out, err = policyd('-t', '-c', f)
    t.is_((rc, out, err), (0, 'configuration OK\n', ''),
          'once the directory is the user\'s: configuration OK', err)
    private = os.path.join(top, 'private')
    os.mkdir(private, 0o700)
    log = os.path.join(private, 'mail.log')
    open(log, 'w').close()
    rc, out, err = policyd('-t', '-c', f, '-o', 'maillog=' + log)
    t.is_(rc, 1, 'policyd -t: a maillog the user cannot reach exits 1', err)
    t.like(err, r'maillog %s: user nobody cannot enter directory %s '
           r'\(owner root:root, mode 0700\)' % (re.escape(log),
                                                re.escape(private)),
           'naming the directory in the way', err)

    # A second policyd with the same control socket: refused, by name.
    pd = pdtest.Policyd(RULE).start()
    rc, out, err = policyd('-f', '-c', pd.conf_path, '-o',
                           'listen=inet:127.0.0.1:%d' % h.free_port(),
                           '-o', 'control_socket=' + pd.control_path,
                           timeout=30)
    t.is_(rc, 1, 'a second policyd with the same control socket exits 1',
          err)
    t.like(err, r'control_socket unix:%s: another process listens on it'
           % re.escape(pd.control_path), 'naming the socket', err)
    r = subprocess.run([pdtest.POLICYDCTL, '-s', pd.control_path, 'status'],
                       stdout=subprocess.PIPE, universal_newlines=True)
    t.like(r.stdout, r'(?m)^pid\s+%d$' % pd.proc.popen.pid
           if not VALGRIND else r'(?m)^pid\s+\d+$',
           'the first still answers on it', r.stdout)
    t.ok(stat.S_ISSOCK(os.stat(pd.control_path).st_mode),
         'and its socket is still there')
    t.is_(pd.stop(), 0, 'the first stops cleanly')

    # The journal's stream: one line per event, with its priority.
    out = os.path.join(top, 'journal')
    sock = os.path.join(top, 'journal.sock')
    with open(out, 'w') as fh:
        st = os.fstat(fh.fileno())
        env = dict(os.environ, JOURNAL_STREAM='%d:%d' % (st.st_dev,
                                                         st.st_ino))
        argv = [pdtest.POLICYD, '-f', '-c', pd.conf_path, '-o',
                'listen=inet:127.0.0.1:%d' % h.free_port(), '-o',
                'control_socket=' + sock]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh,
                             stderr=fh, env=env)
        deadline = time.time() + 20
        while time.time() < deadline and 'ready:' not in open(out).read():
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    text = open(out).read()
    t.like(text, r'(?m)^<6>ready: 1 rules, listening on inet:',
           'under the journal: "<6>" gives the priority, no name', text)
    t.like(text, r'(?m)^<6>stopped$', 'each line once', text)
    t.unlike(text, r'(?m)^policyd: ', 'and no line in the terminal form',
             text)
    return t.done()


if __name__ == '__main__':
    h.run(main)
