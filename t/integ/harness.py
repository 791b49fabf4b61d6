# SPDX-License-Identifier: ISC
# -*- coding: utf-8 -*-
"""End-to-end test harness for policyd (Python 3 stdlib only).

Used by every t/integ/NN-name.py test.  Public API (see the docstrings below):

  free_port(host='127.0.0.1') -> int
  policy_service(port, host='127.0.0.1', **opts) -> str
  class Postfix(name='pf', port=None, policy_port=None, restrictions=None,
                delay_reject=True, mynetworks=None, local_users=('user',),
                domains=('test.example',), main=None, smtpd_args=None,
                start_method='postfix', keep=None, base_dir=None,
                myhostname='mx.test.example', sasl=None)
      .add_smtpd(name, overrides=None, port=None) -> port
      .start(timeout=30) / .stop(timeout=10) / .reload() / .running()
      .maillog(since=0) / .log_mark() / .wait_log(regex, timeout=10, since=0)
      .log_lines(regex=None, since=0) / .postconf(*args)
      .port .ports .master_pid .dir .config_dir .queue_dir .data_dir
      .maillog_path .start_time
  smtp_session(port, client_addr=None, client_name=None,
               helo='mail.example.com', helo_via_xclient=None,
               mail_from='sender@example.org', rcpts=('user@test.example',),
               data=True, port_src=None, timeout=30, host='127.0.0.1',
               xclient=None, messages=None, pre_helo='harness.localhost',
               quit=True) -> Transcript
  class SMTPClient(port, host, timeout)   lower-level client (connect, ehlo,
                                          xclient, mail, rcpt, data, rset,
                                          quit, cmd)
  class Transcript / Reply(cmd, code, text) / RcptReply(rcpt, code, text)
  xtext(value), default_message(mail_from, rcpts)
  class Proc(argv, name=None, log_path=None, env=None, cwd=None)
      .start(ready=None, timeout=10) / .stop(timeout=5, sig=SIGTERM)
      .signal(sig) / .hup() / .wait(timeout) / .running()
      .output(since=0) / .output_mark() / .wait_output(regex, timeout, since)
      .pid .returncode .log_path
  class CyrusSasl(users)   real Cyrus SASL (sasldb, PLAIN LOGIN) for a
                           Postfix(sasl=...): .main_cf() / .add_user(u, pw)
                           / .install(config_dir) / CyrusSasl.plain(u, pw)
  class PolicyServer(responder=None, port=None, host='127.0.0.1')
      .start() / .stop() / .wait_requests(n, timeout) / .requests
      .raw_requests / .connections / PolicyServer.DROP
  class TAP  .ok(cond, desc, diag) .is_(got, exp, desc) .like(text, rx,
             desc) .unlike(...) .skip(desc, why) .diag(msg) .done() -> rc
  run(main)       wrapper for "if __name__ == '__main__'" (cleanup, signals)
  require_root()  prints "1..0 # SKIP" and exits unless root + postfix
  cleanup_all()   stop everything started by this process (also atexit)
  keep_temp()     env POLICYD_TEST_KEEP=1 keeps temp dirs / logs

Test convention: t/integ/NN-name.py, run with /usr/bin/python3, prints TAP
(also runnable with `prove -e /usr/bin/python3 t/integ/`):

    import os, sys
    sys.dont_write_bytecode = True      # no __pycache__ in t/integ
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import harness as h
    import pdtest                       # policyd itself: see pdtest.py

    def main():
        h.require_root()
        t = h.TAP()
        pd = pdtest.Policyd(CONF).start()   # build/bin/policyd -f, own port
        pf = h.Postfix(policy_port=pd.port,
                       restrictions={'recipient': ['{policy}']}).start()
        tr = h.smtp_session(pf.port, client_addr='192.0.2.66')
        t.is_(tr.rcpt_codes, [451], 'listed', tr.text())
        t.is_(pd.stop(), 0, 'policyd exits 0')
        return t.done()

    if __name__ == '__main__':
        h.run(main)

Environment: POLICYD_TEST_KEEP=1 (keep temp dirs and logs),
POLICYD_TEST_TMPDIR (where to create them, default /tmp), HARNESS_DEBUG=1
(log harness actions to stderr).

FINDINGS (Postfix 3.7.11, Debian 12 package; established by experiment)
========================================================================

Private instance
----------------
* `postfix -c DIR start` works as root for an arbitrary DIR.  No
  `alternate_config_directories` / `multi_instance_*` setting is needed
  (apparently only enforced for set-gid callers such as postdrop;
  /etc/postfix/main.cf does not even exist on this machine).  The child daemons get the config
  directory via the MAIL_CONFIG environment variable set by master.
* `postfix start` runs `postfix-script check-fatal` which runs
  `post-install create-missing`: it creates queue_directory/{active,bounce,
  ..., pid, private, public, maildrop} with the right owners (postfix,
  postdrop) by itself.  We only create config_directory, queue_directory
  (root, 0755) and data_directory (owned by mail_owner=postfix).  The temp
  base directory must be chmod 0755 (mkdtemp makes 0700) so that the
  unprivileged daemons can traverse it.
* `postfix start` takes ~1.5-3 s (check-warn runs several `find`s and
  `postsuper`).  Starting `master -c DIR -w` directly after a one-time
  `post-install create-missing` is much faster (~0.1 s);
  Postfix(start_method='master') does that.  Both ways `master -w` only
  returns after master's sockets are bound, so the SMTP port is listening
  as soon as the start command returns.
* The master pid is in QUEUE_DIR/pid/master.pid (space padded decimal) and
  also in DATA_DIR/master.lock.  master runs as a session leader
  (pgid == pid); on SIGTERM it signals its whole process group and exits.
  master is re-parented to pid 1 (it daemonizes), so we cannot waitpid()
  it: stop() polls /proc/PID until it is gone or a zombie ('Z').  pid 1 in
  this VM reaps zombies lazily, so briefly-visible <defunct> processes are
  normal.
* Logging to a plain file: `maillog_file = DIR/maillog`,
  `maillog_file_prefixes = DIR` (the default `/var, /dev/stdout` refuses a
  /tmp path) and the `postlog unix-dgram n - n - 1 postlogd` service in
  master.cf.  postlogd writes asynchronously (datagrams), so always use
  wait_log() rather than reading the file right after an SMTP reply.
  The syslog "host" column is the first label of myhostname ("mx").
* The parameter is `smtpd_authorized_xclient_hosts` (not
  `authorized_xclient_hosts`; postconf warns "unused parameter").
* DNS: smtpd itself does no DNS unless reject_unknown_* / RBL restrictions
  are used; the only lookup is the peer name (getnameinfo via
  /etc/hosts), disabled with `smtpd_peername_lookup = no` (3.7 has it).
  XCLIENT NAME= still sets client_name.  Without NAME= in the XCLIENT
  command the name becomes "unknown" (logged as unknown[198.51.100.7]).
  For the (unused) SMTP/LMTP clients: `smtp_dns_support_level = disabled`,
  `smtp_host_lookup = native`, `lmtp_host_lookup = native`
  (`disable_dns_lookups` still exists in 3.7 but is deprecated).
* Unknown local user -> "550 5.1.1 <x@test.example>: Recipient address
  rejected: User unknown in local recipient table" with
  `mydestination = test.example`, `local_recipient_maps = inline:{...}`
  (both "user" and "user@test.example" keys), `alias_maps =` (empty).
  Delivery: `local_transport = discard:` and `default_transport = discard:`.
* in_flow_delay (default 1s) and smtpd_error_sleep_time (1s) are set to 0.
* XCLIENT: after "220 ..." (the re-sent greeting) the client must EHLO
  again, and that EHLO *replaces* the HELO= value given in XCLIENT.  So
  smtp_session(helo=None, helo_via_xclient='x') skips the second EHLO and
  sends PROTO=ESMTP in XCLIENT instead, keeping the XCLIENT HELO.
* The `check_policy_service { inet:127.0.0.1:PORT, policy_context=bulk,
  default_action=DUNNO }` form is accepted by 3.7 in main.cf.  In master.cf
  values with spaces must not be given to -o directly; the harness writes
  such values into main.cf as `harness_<svc>_<param>` and passes
  `-o param=$harness_<svc>_<param>`.

Policy delegation protocol as seen in 3.7.11 (see t/data/postfix-3.7-requests.txt)
-------------------------------------------------------------------------------
Attributes sent by smtpd in 3.7.11, always in this order, every request
(empty values are sent as "name="), terminated by an empty line:
  request=smtpd_access_policy, protocol_state, protocol_name, client_address,
  client_name, client_port, reverse_client_name, server_address,
  server_port, helo_name, sender, recipient, recipient_count, queue_id,
  instance, size, etrn_domain, stress, sasl_method, sasl_username,
  sasl_sender, ccert_subject, ccert_issuer, ccert_fingerprint,
  ccert_pubkey_fingerprint, encryption_protocol, encryption_cipher,
  encryption_keysize, policy_context
* So YES: client_port, server_address, server_port, policy_context,
  instance and protocol_state are all sent.  NOT sent by 3.7:
  compatibility_level and mail_version (those are 3.8+).
* policy_context is always present; empty unless set with
  `smtpd_policy_service_policy_context` (e.g. -o in master.cf) or per
  service: check_policy_service { inet:H:P, policy_context=bulk }.
* XCLIENT mapping: ADDR -> client_address (IPV6:2001:db8::1 ->
  client_address=2001:db8::1; needs inet_protocols=all, with
  inet_protocols=ipv4 smtpd answers "501 5.5.4 Bad ADDR syntax"),
  NAME -> client_name AND reverse_client_name (unless REVERSE_NAME= is
  given; without NAME both are "unknown"), PORT -> client_port (YES,
  XCLIENT PORT sets client_port; without it client_port is the real TCP
  source port of the loopback connection), HELO -> helo_name (but a later
  EHLO overrides it), LOGIN -> sasl_method=XCLIENT + sasl_username,
  DESTADDR/DESTPORT -> server_address/server_port (otherwise they are
  127.0.0.1 and the smtpd listener port).
* protocol_state: with smtpd_delay_reject=yes (default) client, helo and
  sender restrictions are evaluated at RCPT time, so ALL their policy
  requests have protocol_state=RCPT - a policy service listed in two stages
  is asked twice per RCPT with identical requests.  With
  smtpd_delay_reject=no and policy in every stage the sequence of one
  XCLIENT session is: CONNECT (client_address=127.0.0.1, the real peer!),
  EHLO (pre-XCLIENT, still 127.0.0.1), XCLIENT (new client, helo_name
  empty), EHLO, MAIL, RCPT..., DATA, END-OF-MESSAGE.  A reject at CONNECT
  with delay_reject=no is sent *instead of the 220 greeting*.
* instance looks like hex(smtpd pid) . hex(seconds) . hex(microseconds) .
  hex(per-session transaction counter), e.g. 1b43.6b040633.87a34.0 (the
  pid matched smtpd[6979]; the timestamp is taken per transaction).  Empty
  in CONNECT/EHLO/HELO/XCLIENT/MAIL requests and set from the first RCPT
  on; identical for all RCPT/DATA/END-OF-MESSAGE requests of one
  transaction (also after a rejected RCPT); every new MAIL FROM in the same
  session (after a completed DATA or after RSET) gets a new value whose
  last field counts up .0, .1, .2 ...; the counter restarts at .0 in the
  next session, even in the same smtpd process (same pid prefix).
* queue_id is empty until the first RCPT has been *accepted* (the queue
  file is created then), i.e. empty in the request for the first RCPT and
  set in later ones; recipient_count is 0 in RCPT requests and the number
  of accepted recipients in DATA / END-OF-MESSAGE; recipient is empty there
  if more than one recipient was accepted; size is 0 unless the client sent
  MAIL FROM ... SIZE=, and the real size in END-OF-MESSAGE.
* Restriction order: the policy server is asked BEFORE local_recipient_maps
  is checked, so it also sees RCPTs that Postfix then rejects with
  550 5.1.1 User unknown.
* Reply text: an action "451 4.7.1 test text from policy" reaches the
  client as "451 4.7.1 <user@test.example>: Recipient address rejected:
  test text from policy" (recipient stage) or "451 4.7.1
  <name[addr]:port>: Client host rejected: test text from policy" (client
  stage, evaluated at RCPT with delay_reject) - match with a regex, not
  equality.  Maillog: "NOQUEUE: reject: RCPT from name[addr]:port: 451
  4.7.1 <rcpt>: Recipient address rejected: test text from policy;
  from=<...> to=<...> proto=ESMTP helo=<...>" (with ":port" because the
  harness sets smtpd_client_port_logging=yes; the queue id replaces NOQUEUE
  once a recipient of the transaction was accepted).
* smtpd keeps the policy connection open across requests and sessions
  (one connection per smtpd process; max_idle 300s, max_ttl 1000s).
* Policy server down (nothing listening): smtpd logs twice "warning:
  connect to 127.0.0.1:P: Connection refused" / "warning: problem talking
  to server 127.0.0.1:P: Connection refused" and answers the RCPT with
  "451 4.3.5 <rcpt>: Recipient address rejected: Server configuration
  problem" after ~1.0 s (smtpd_policy_service_try_limit=2,
  retry_delay=1s); the session continues, no 421.  See 00-harness.py.
* Policy server that accepts but never answers: with
  smtpd_policy_service_timeout=2s smtpd logs twice "warning: problem
  talking to server 127.0.0.1:P: Connection timed out" and answers 451
  4.3.5 after ~5 s (2 s + 1 s retry delay + 2 s).  The default timeout is
  100s (=> ~201 s per lookup), so tests of a hanging policyd must pass
  main={'smtpd_policy_service_timeout': '2s'} or similar.
* A policy action "421 4.7.0 go away" makes smtpd answer 421 and drop the
  connection (Transcript.closed=True, final_code=421).

Other gotchas
-------------
* main.cf/master.cf must be older than ~1 s or every Postfix program
  sleeps in 0.3 s steps "to let the file cool down" (dict_load_file);
  write_config() backdates them with os.utime - without that,
  `postfix start` took 3 s instead of 1 s.
* Postfix "host" in log lines is "mx" (from myhostname mx.test.example).
* With smtpd_peername_lookup=no, a non-XCLIENT connection is logged as
  unknown[127.0.0.1].
* smtpd counts XCLIENT as failed in the disconnect line ("xclient=0/1")
  because its reply is 220, not 250.  That is normal.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import namedtuple

__all__ = [
    'free_port', 'policy_service', 'Postfix', 'smtp_session', 'SMTPClient',
    'Transcript', 'Reply', 'RcptReply', 'Proc', 'PolicyServer', 'CyrusSasl',
    'TAP', 'run',
    'cleanup_all', 'TOP', 'INTEG_DIR', 'keep_temp',
]

INTEG_DIR = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(INTEG_DIR))

POSTFIX = '/usr/sbin/postfix'
POSTCONF = '/usr/sbin/postconf'
SASLPASSWD2 = '/usr/sbin/saslpasswd2'
DAEMON_DIR = '/usr/lib/postfix/sbin'
MAIL_OWNER = 'postfix'

DEBUG = bool(os.environ.get('HARNESS_DEBUG'))


def keep_temp():
    """True if temp dirs should be kept (env POLICYD_TEST_KEEP=1)."""
    return os.environ.get('POLICYD_TEST_KEEP', '') not in ('', '0', 'no')


def _dbg(msg):
    if DEBUG:
        sys.stderr.write('# [harness] %s\n' % msg)


# ---------------------------------------------------------------------------
# cleanup registry: only things this process started
# ---------------------------------------------------------------------------

_live = []          # objects with a _cleanup() method, in start order
_live_lock = threading.Lock()


def _register(obj):
    with _live_lock:
        if obj not in _live:
            _live.append(obj)


def _unregister(obj):
    with _live_lock:
        if obj in _live:
            _live.remove(obj)


def cleanup_all():
    """Stop everything (Proc, Postfix, PolicyServer) this process started,
    newest first.  Safe to call several times; registered with atexit."""
    while True:
        with _live_lock:
            if not _live:
                return
            obj = _live.pop()
        try:
            obj._cleanup()
        except Exception as e:  # never let cleanup abort cleanup
            sys.stderr.write('# cleanup of %r failed: %s\n' % (obj, e))


atexit.register(cleanup_all)

_temp_files = []    # Proc log files created by us; removed at exit


def _remove_temp_files():
    if keep_temp():
        for fn in _temp_files:
            if os.path.exists(fn):
                sys.stderr.write('# kept %s\n' % fn)
        return
    while _temp_files:
        try:
            os.unlink(_temp_files.pop())
        except OSError:
            pass


atexit.register(_remove_temp_files)


# ---------------------------------------------------------------------------
# small process helpers (by pid only)
# ---------------------------------------------------------------------------

def _proc_state(pid):
    """Return the /proc state letter of pid, or None if it does not exist."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except (IOError, OSError):
        return None
    # "pid (comm) S ppid pgrp ..." - comm may contain spaces/parens
    rest = data[data.rfind(')') + 2:].split()
    return rest[0] if rest else None


def _proc_pgrp(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except (IOError, OSError):
        return None
    rest = data[data.rfind(')') + 2:].split()
    try:
        return int(rest[2])
    except (IndexError, ValueError):
        return None


def _pid_alive(pid):
    st = _proc_state(pid)
    return st is not None and st not in ('Z', 'X')


def _wait_pid_gone(pid, timeout):
    """Poll until pid is gone or a zombie. True if it went away."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.02)
    return not _pid_alive(pid)


def _pids_in_group(pgrp):
    """Live processes whose process group is pgrp (i.e. children of a
    master that we started and that became session leader)."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        pid = int(d)
        if _proc_pgrp(pid) == pgrp and _pid_alive(pid):
            out.append(pid)
    return out


def free_port(host='127.0.0.1'):
    """Return a TCP port on host that is free right now.  Ports handed out
    earlier by this process are not returned again."""
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    for _ in range(200):
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.bind((host, 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if port not in free_port._given:
            free_port._given.add(port)
            return port
    raise RuntimeError('no free port found')


free_port._given = set()


def _port_listening(port, host='127.0.0.1'):
    """Check /proc/net/tcp{,6} for a LISTEN socket on port (no connect, so
    no 'connect from' noise in the maillog)."""
    want = '%04X' % port
    for fn in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(fn) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) > 3 and parts[3] == '0A' \
                            and parts[1].rsplit(':', 1)[1] == want:
                        return True
        except (IOError, OSError):
            pass
    return False


def _wait_listening(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if _port_listening(port):
            return True
        time.sleep(0.02)
    return False


# ---------------------------------------------------------------------------
# log-file helpers shared by Postfix and Proc
# ---------------------------------------------------------------------------

def _read_text(path, since=0):
    try:
        with open(path, 'rb') as f:
            if since:
                f.seek(since)
            return f.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return ''


def _file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _wait_file_regex(path, regex, timeout, since=0, flags=0):
    """Wait until a line of path (from byte offset since) matches regex.
    Returns the re.Match of the first matching line, or None on timeout."""
    rx = re.compile(regex, flags) if isinstance(regex, str) else regex
    deadline = time.time() + timeout
    while True:
        for line in _read_text(path, since).splitlines():
            m = rx.search(line)
            if m:
                return m
        if time.time() >= deadline:
            return None
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# Postfix
# ---------------------------------------------------------------------------

def policy_service(port, host='127.0.0.1', **opts):
    """Return a check_policy_service restriction string.

    policy_service(9999) -> 'check_policy_service inet:127.0.0.1:9999'
    policy_service(9999, policy_context='bulk', default_action='DUNNO')
      -> 'check_policy_service { inet:127.0.0.1:9999, policy_context=bulk,
          default_action=DUNNO }'
    Per-service options known to 3.7: timeout, default_action, max_idle,
    max_ttl, request_limit, retry_delay, try_limit, policy_context.
    Values with spaces (e.g. default_action=451 4.3.5 foo) are wrapped in
    { } as Postfix requires."""
    ep = 'inet:[%s]:%d' % (host, port) if ':' in host else \
        'inet:%s:%d' % (host, port)
    if not opts:
        return 'check_policy_service ' + ep
    items = [ep]
    for k, v in opts.items():
        v = str(v)
        if re.search(r'[\s,]', v):
            items.append('{ %s = %s }' % (k, v))
        else:
            items.append('%s=%s' % (k, v))
    return 'check_policy_service { %s }' % ', '.join(items)


_STAGES = {
    'client': 'smtpd_client_restrictions',
    'helo': 'smtpd_helo_restrictions',
    'sender': 'smtpd_sender_restrictions',
    'recipient': 'smtpd_recipient_restrictions',
    'relay': 'smtpd_relay_restrictions',
    'data': 'smtpd_data_restrictions',
    'end_of_data': 'smtpd_end_of_data_restrictions',
    'etrn': 'smtpd_etrn_restrictions',
}


class Postfix(object):
    """A private Postfix instance in a temp dir, running as root.

    pf = Postfix(restrictions={'recipient': ['{policy}']}, policy_port=P)
    bulk_port = pf.add_smtpd('bulk', {'smtpd_recipient_restrictions':
                                      '{policy_bulk}'})
    pf.start(); ...; pf.stop()        (or: with Postfix(...) as pf: ...)

    Arguments:
      name          label used in temp dir names / messages
      port          SMTP port of the main smtpd (default: free_port())
      policy_port   port substituted for {policy}/{policy_bulk}/{policy_port}
      restrictions  dict stage -> str or list of str.  Stages: client, helo,
                    sender, recipient, relay, data, end_of_data, etrn (or a
                    full parameter name).  Placeholders (plain substring
                    replacement, braces elsewhere are left alone):
                      {policy}      check_policy_service inet:127.0.0.1:P
                      {policy_bulk} check_policy_service { inet:127.0.0.1:P,
                                    policy_context=bulk, default_action=DUNNO }
                      {policy_port} P
                    Default: {'recipient': 'reject_unauth_destination'}.
      delay_reject  smtpd_delay_reject (bool)
      mynetworks    None -> empty (XCLIENT clients are NOT in mynetworks);
                    e.g. '127.0.0.0/8' if a test wants it
      local_users   local parts accepted in mydestination (others: 550 5.1.1)
      domains       mydestination list (first one is also mydomain/myorigin)
      main          dict of extra/overriding main.cf parameters (value None
                    removes a harness default)
      smtpd_args    dict of -o overrides for the main smtpd service
      start_method  'postfix' (postfix -c DIR start, default) or 'master'
                    (post-install create-missing once, then master -w;
                    faster)
      keep          keep the temp dir after stop (default: env
                    POLICYD_TEST_KEEP)
      base_dir      where to create the temp dir (default env
                    POLICYD_TEST_TMPDIR or /tmp)
      sasl          a CyrusSasl: installed into config_dir/sasl by
                    write_config(); its main_cf() comes before main
    """

    def __init__(self, name='pf', port=None, policy_port=None,
                 restrictions=None, delay_reject=True, mynetworks=None,
                 local_users=('user',), domains=('test.example',),
                 main=None, smtpd_args=None, start_method='postfix',
                 keep=None, base_dir=None, myhostname='mx.test.example',
                 sasl=None):
        self.name = name
        self.sasl = sasl
        self.port = port or free_port()
        self.policy_port = policy_port
        self.restrictions = dict(restrictions) if restrictions is not None \
            else {'recipient': 'reject_unauth_destination'}
        self.delay_reject = delay_reject
        self.mynetworks = mynetworks
        self.local_users = list(local_users)
        self.domains = list(domains)
        self.main_extra = dict(main or {})
        self.myhostname = myhostname
        self.start_method = start_method
        self.keep = keep_temp() if keep is None else keep
        self.services = [('smtpd', self.port, dict(smtpd_args or {}))]
        self.master_pid = None
        self.started = False
        base = base_dir or os.environ.get('POLICYD_TEST_TMPDIR') or '/tmp'
        self.dir = tempfile.mkdtemp(prefix='policyd-%s-' % name, dir=base)
        os.chmod(self.dir, 0o755)
        self.config_dir = os.path.join(self.dir, 'conf')
        self.queue_dir = os.path.join(self.dir, 'queue')
        self.data_dir = os.path.join(self.dir, 'data')
        self.maillog_path = os.path.join(self.dir, 'maillog')
        self.start_output = ''
        _register(self)

    # -- configuration ---------------------------------------------------
    @property
    def ports(self):
        """dict service name -> port ('smtpd' is the main one)."""
        return dict((n, p) for (n, p, _) in self.services)

    def add_smtpd(self, name, overrides=None, port=None):
        """Add another inet smtpd service (e.g. a 'bulk' relay) with its own
        -o overrides (dict; values may use the {policy...} placeholders and
        contain spaces).  syslog_name defaults to postfix/NAME so its log
        lines read 'postfix/NAME/smtpd[..]'.  Returns its port.  Must be
        called before start() (or call write_config()+reload())."""
        if not re.match(r'^[A-Za-z0-9_]+$', name):
            raise ValueError('service name must be [A-Za-z0-9_]+')
        port = port or free_port()
        ov = {'syslog_name': 'postfix/' + name}
        ov.update(overrides or {})
        self.services.append((name, port, ov))
        return port

    def _subst(self, value):
        if isinstance(value, (list, tuple)):
            value = ',\n    '.join(value)
        value = str(value)
        if '{policy' in value:
            if self.policy_port is None:
                raise ValueError('restriction uses {policy} but no '
                                 'policy_port was given')
            value = value.replace('{policy_bulk}', policy_service(
                self.policy_port, policy_context='bulk',
                default_action='DUNNO'))
            value = value.replace('{policy_port}', str(self.policy_port))
            value = value.replace('{policy}',
                                  policy_service(self.policy_port))
        return value

    def main_cf(self):
        """The main.cf parameters as an ordered list of (name, value)."""
        d = self.dir
        users = []
        for u in self.local_users:
            users.append('%s=ok' % u)
            for dom in self.domains:
                users.append('%s@%s=ok' % (u, dom))
        p = [
            ('compatibility_level', '3.6'),
            ('config_directory', self.config_dir),
            ('queue_directory', self.queue_dir),
            ('data_directory', self.data_dir),
            ('mail_owner', MAIL_OWNER),
            ('setgid_group', 'postdrop'),
            ('myhostname', self.myhostname),
            ('mydomain', self.domains[0]),
            ('myorigin', self.domains[0]),
            ('mydestination', ', '.join(self.domains)),
            ('inet_interfaces', '127.0.0.1'),
            ('inet_protocols', 'all'),
            ('mynetworks', self.mynetworks or ''),
            ('maillog_file', self.maillog_path),
            ('maillog_file_prefixes', d),
            ('alias_maps', ''),
            ('alias_database', ''),
            ('local_recipient_maps', 'inline:{ %s }' % ', '.join(users)),
            ('unknown_local_recipient_reject_code', '550'),
            ('local_transport', 'discard:'),
            ('default_transport', 'discard:'),
            ('relay_transport', 'discard:'),
            ('smtpd_authorized_xclient_hosts', '127.0.0.0/8'),
            ('smtpd_peername_lookup', 'no'),
            ('smtpd_delay_reject', 'yes' if self.delay_reject else 'no'),
            ('smtpd_banner', '$myhostname ESMTP Postfix'),
            ('smtpd_timeout', '30s'),
            ('smtpd_error_sleep_time', '0'),
            ('smtpd_soft_error_limit', '100'),
            ('smtpd_hard_error_limit', '200'),
            ('smtpd_junk_command_limit', '1000'),
            ('smtpd_client_port_logging', 'yes'),
            ('in_flow_delay', '0'),
            ('smtp_dns_support_level', 'disabled'),
            ('smtp_host_lookup', 'native'),
            ('lmtp_host_lookup', 'native'),
            ('biff', 'no'),
            ('append_dot_mydomain', 'no'),
            ('delay_warning_time', '0'),
            ('smtputf8_enable', 'no'),
            ('smtpd_tls_security_level', 'none'),
            ('smtp_tls_security_level', 'none'),
            ('notify_classes', ''),
            ('daemon_timeout', '600s'),
        ]
        for stage, val in self.restrictions.items():
            pname = _STAGES.get(stage, stage)
            p.append((pname, self._subst(val)))
        # indirect values for -o overrides that contain spaces/braces
        for (sname, _, ov) in self.services:
            for k, v in ov.items():
                v = self._subst(v)
                if re.search(r'[\s{},$]', v):
                    p.append(('harness_%s_%s' % (sname, k), v))
        # overrides from the test
        names = [k for k, _ in p]
        extra = dict(self.sasl.main_cf()) if self.sasl else {}
        extra.update(self.main_extra)
        for k, v in extra.items():
            v = None if v is None else self._subst(v)
            if k in names:
                i = names.index(k)
                if v is None:
                    del p[i]
                    del names[i]
                else:
                    p[i] = (k, v)
            elif v is not None:
                p.append((k, v))
                names.append(k)
        return p

    def master_cf(self):
        lines = []
        for (sname, port, ov) in self.services:
            args = []
            for k, v in ov.items():
                v = self._subst(v)
                if re.search(r'[\s{},$]', v):
                    args.append('-o %s=$harness_%s_%s' % (k, sname, k))
                else:
                    args.append('-o %s=%s' % (k, v))
            lines.append('127.0.0.1:%d inet n - n - - smtpd %s'
                         % (port, ' '.join(args)))
        lines += [
            'pickup    unix  n - n 60 1 pickup',
            'cleanup   unix  n - n -  0 cleanup',
            'qmgr      unix  n - n 300 1 qmgr',
            'rewrite   unix  - - n -  - trivial-rewrite',
            'bounce    unix  - - n -  0 bounce',
            'defer     unix  - - n -  0 bounce',
            'trace     unix  - - n -  0 bounce',
            'verify    unix  - - n -  1 verify',
            'flush     unix  n - n 1000? 0 flush',
            'proxymap  unix  - - n -  - proxymap',
            'proxywrite unix - - n -  1 proxymap',
            'smtp      unix  - - n -  - smtp',
            'relay     unix  - - n -  - smtp',
            'showq     unix  n - n -  - showq',
            'error     unix  - - n -  - error',
            'retry     unix  - - n -  - error',
            'discard   unix  - - n -  - discard',
            'local     unix  - n n -  - local',
            'anvil     unix  - - n -  1 anvil',
            'scache    unix  - - n -  1 scache',
            'postlog   unix-dgram n - n - 1 postlogd',
        ]
        return '\n'.join(lines) + '\n'

    def write_config(self):
        for dd in (self.config_dir, self.queue_dir):
            if not os.path.isdir(dd):
                os.mkdir(dd, 0o755)
        if not os.path.isdir(self.data_dir):
            os.mkdir(self.data_dir, 0o700)
            shutil.chown(self.data_dir, MAIL_OWNER)
        with open(os.path.join(self.config_dir, 'main.cf'), 'w') as f:
            f.write('# written by t/integ/harness.py\n')
            for k, v in self.main_cf():
                f.write('%s = %s\n' % (k, v.replace('\n', '\n ')
                                       if '\n' in v else v))
        with open(os.path.join(self.config_dir, 'master.cf'), 'w') as f:
            f.write('# written by t/integ/harness.py\n')
            f.write(self.master_cf())
        if self.sasl:
            self.sasl.install(self.config_dir)
        # Postfix programs refuse to read a main.cf/master.cf modified less
        # than ~2 s ago (they sleep in 0.3 s steps until it is old enough);
        # backdate the files so start/reload do not wait.
        old = time.time() - 60
        for fn in ('main.cf', 'master.cf'):
            os.utime(os.path.join(self.config_dir, fn), (old, old))

    # -- running -----------------------------------------------------------
    def _env(self):
        env = dict(os.environ)
        env['MAIL_CONFIG'] = self.config_dir
        return env

    def _run(self, argv, timeout=60, check=True):
        _dbg('run: %s' % ' '.join(argv))
        r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=self._env(), timeout=timeout)
        out = r.stdout.decode('utf-8', 'replace')
        if check and r.returncode != 0:
            raise RuntimeError('%s failed (rc=%d):\n%s'
                               % (' '.join(argv), r.returncode, out))
        return out

    def postconf(self, *args):
        """Run postconf -c CONFDIR ARGS... and return its output."""
        return self._run([POSTCONF, '-c', self.config_dir] + list(args))

    def _read_master_pid(self):
        for fn in (os.path.join(self.queue_dir, 'pid', 'master.pid'),
                   os.path.join(self.data_dir, 'master.lock')):
            try:
                with open(fn) as f:
                    return int(f.read().strip())
            except (IOError, OSError, ValueError):
                pass
        return None

    def start(self, timeout=30):
        """Write the config, start the instance and wait until the master
        is up and all smtpd ports are listening.  Returns self."""
        if self.started:
            return self
        self.write_config()
        t0 = time.time()
        if self.start_method == 'master':
            # what 'postfix start' -> postfix-script check-fatal does,
            # minus the slow checks: post-install wants its parameters on
            # the command line (normally exported by the postfix command).
            names = ('command_directory daemon_directory data_directory '
                     'html_directory mail_owner mailq_path '
                     'manpage_directory newaliases_path queue_directory '
                     'readme_directory sample_directory sendmail_path '
                     'setgid_group shlib_directory meta_directory').split()
            args = ['config_directory=' + self.config_dir]
            for line in self.postconf('-x', *names).splitlines():
                k, _, v = line.partition(' = ')
                if k in names:
                    args.append('%s=%s' % (k, v))
            self.start_output = self._run(
                ['/bin/sh', os.path.join(DAEMON_DIR, 'post-install')] +
                args + ['create-missing'], timeout=timeout)
            self.start_output += self._run(
                [os.path.join(DAEMON_DIR, 'master'), '-c', self.config_dir,
                 '-w'], timeout=timeout)
        else:
            self.start_output = self._run(
                [POSTFIX, '-c', self.config_dir, 'start'], timeout=timeout)
        pid = None
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid = self._read_master_pid()
            if pid and _pid_alive(pid):
                break
            time.sleep(0.02)
        if not pid or not _pid_alive(pid):
            raise RuntimeError('postfix master did not start:\n%s\n%s'
                               % (self.start_output, self.maillog()))
        self.master_pid = pid
        self.started = True
        for (sname, port, _) in self.services:
            if not _wait_listening(port, max(1, deadline - time.time())):
                raise RuntimeError('service %s port %d not listening'
                                   % (sname, port))
        self.start_time = time.time() - t0
        _dbg('postfix %s started pid=%d in %.2fs' % (self.name, pid,
                                                      self.start_time))
        return self

    def reload(self):
        """postfix -c DIR reload (rewrites the config files first)."""
        self.write_config()
        return self._run([POSTFIX, '-c', self.config_dir, 'reload'])

    def running(self):
        return bool(self.master_pid) and _pid_alive(self.master_pid)

    def stop(self, timeout=10):
        """Kill the recorded master pid (SIGTERM, SIGKILL after timeout),
        wait for it and for any leftover processes of its process group,
        then remove the temp dir (unless keep)."""
        pid = self.master_pid
        if pid and _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not _wait_pid_gone(pid, timeout):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _wait_pid_gone(pid, 5)
        if pid:
            # children of *our* master (same process group); normally they
            # exit on master's SIGTERM to the group.
            deadline = time.time() + 3
            left = _pids_in_group(pid)
            while left and time.time() < deadline:
                time.sleep(0.05)
                left = _pids_in_group(pid)
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.master_pid = None
        self.started = False
        _unregister(self)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            sys.stderr.write('# kept postfix dir %s\n' % self.dir)

    _cleanup = stop

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- maillog -----------------------------------------------------------
    def maillog(self, since=0):
        """Text of the maillog file (from byte offset since)."""
        return _read_text(self.maillog_path, since)

    def log_mark(self):
        """Current size of the maillog; pass as since= to only look at lines
        logged afterwards."""
        return _file_size(self.maillog_path)

    def wait_log(self, regex, timeout=10, since=0, flags=0):
        """Wait for a maillog line matching regex (re.search).  Returns the
        re.Match (use .string for the whole line) or None on timeout."""
        return _wait_file_regex(self.maillog_path, regex, timeout, since,
                                flags)

    def log_lines(self, regex=None, since=0):
        """All maillog lines (matching regex, if given)."""
        lines = self.maillog(since).splitlines()
        if regex is None:
            return lines
        rx = re.compile(regex)
        return [l for l in lines if rx.search(l)]

    def __repr__(self):
        return '<Postfix %s port=%s pid=%s dir=%s>' % (
            self.name, self.port, self.master_pid, self.dir)


# ---------------------------------------------------------------------------
# SMTP client
# ---------------------------------------------------------------------------

Reply = namedtuple('Reply', 'cmd code text')
"""cmd: the command line sent ('<connect>' for the greeting, '<data-end>' for
the reply to the final '.', '<eof>'/'<timeout>'/'<error>' pseudo entries);
code: int or None; text: reply text without the codes, lines joined by \\n."""

RcptReply = namedtuple('RcptReply', 'rcpt code text')


class Transcript(object):
    """What happened in an SMTP session.  Iterating / indexing / len() work
    on .entries.

    .entries       list of Reply(cmd, code, text)
    .text()        human readable rendering
    .greeting      Reply of the (first) 220 greeting
    .xclient_reply Reply to XCLIENT (None if not sent)
    .mail_reply    Reply to the first MAIL FROM
    .mail_replies  all MAIL FROM Replies
    .rcpt_replies  list of RcptReply(rcpt, code, text) (all messages)
    .rcpt_codes    list of their codes
    .data_reply    Reply to DATA (354...) of the first message, or None
    .eod_reply     Reply to the final '.' of the first message, or None
    .eod_replies   all end-of-data Replies
    .queue_ids     queue ids from '250 ... queued as ID'
    .final_code / .final_text   code/text of the last reply before QUIT
    .closed        True if the server closed the connection / sent 421 /
                   timed out before our QUIT
    .codes         all codes in order
    """

    def __init__(self):
        self.entries = []
        self.closed = False
        self.rcpt_replies = []

    # behaves like the list of Reply(cmd, code, text) tuples
    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)

    def __getitem__(self, i):
        return self.entries[i]

    def add(self, cmd, code, text):
        r = Reply(cmd, code, text)
        self.entries.append(r)
        return r

    def _find(self, prefix):
        return [e for e in self.entries if e.cmd.upper().startswith(prefix)]

    def by_cmd(self, prefix):
        """All Replies whose command starts with prefix (case-insensitive)."""
        return self._find(prefix.upper())

    @property
    def greeting(self):
        l = self._find('<CONNECT>')
        return l[0] if l else None

    @property
    def xclient_reply(self):
        l = self._find('XCLIENT')
        return l[0] if l else None

    @property
    def mail_replies(self):
        return self._find('MAIL FROM')

    @property
    def mail_reply(self):
        l = self.mail_replies
        return l[0] if l else None

    @property
    def rcpt_codes(self):
        return [r.code for r in self.rcpt_replies]

    @property
    def data_reply(self):
        l = [e for e in self.entries if e.cmd.upper() == 'DATA']
        return l[0] if l else None

    @property
    def eod_replies(self):
        return self._find('<DATA-END>')

    @property
    def eod_reply(self):
        l = self.eod_replies
        return l[0] if l else None

    @property
    def queue_ids(self):
        out = []
        for e in self.eod_replies:
            m = re.search(r'queued as (\S+)', e.text or '')
            if m:
                out.append(m.group(1))
        return out

    @property
    def codes(self):
        return [e.code for e in self.entries]

    def _final(self):
        for e in reversed(self.entries):
            if e.cmd.upper() == 'QUIT':
                continue
            if e.code is None and e.cmd in ('<eof>',):
                continue
            return e
        return None

    @property
    def final_code(self):
        e = self._final()
        return e.code if e else None

    @property
    def final_text(self):
        e = self._final()
        return e.text if e else None

    def text(self):
        out = []
        for e in self.entries:
            if not e.cmd.startswith('<'):
                out.append('-> ' + e.cmd)
            elif e.cmd != '<connect>':
                out.append('   ' + e.cmd)
            if e.code is None:
                out.append('<- (%s)' % e.text)
                continue
            lines = (e.text or '').split('\n')
            for i, l in enumerate(lines):
                sep = ' ' if i == len(lines) - 1 else '-'
                out.append('<- %d%s%s' % (e.code, sep, l))
        return '\n'.join(out)

    def __str__(self):
        return self.text()

    def __repr__(self):
        return '<Transcript %s>' % self.codes


def xtext(value):
    """RFC 3461 xtext encoding (used for XCLIENT attribute values)."""
    out = []
    for ch in str(value).encode('utf-8'):
        if ch < 33 or ch > 126 or ch in (ord('+'), ord('=')):
            out.append('+%02X' % ch)
        else:
            out.append(chr(ch))
    return ''.join(out)


class SMTPClient(object):
    """Minimal line-by-line SMTP client that records everything in a
    Transcript.  Every command method returns the Reply; after the
    connection is lost, commands are not sent and return None."""

    def __init__(self, port, host='127.0.0.1', timeout=30, transcript=None):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.t = transcript or Transcript()
        self.sock = None
        self.rfile = None
        self.dead = False

    def connect(self):
        fam = socket.AF_INET6 if ':' in self.host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        try:
            self.sock.connect((self.host, self.port))
        except OSError as e:
            self.dead = True
            self.t.closed = True
            return self.t.add('<connect>', None, 'connect failed: %s' % e)
        self.rfile = self.sock.makefile('rb')
        return self._reply('<connect>')

    def _die(self, what, text):
        self.dead = True
        self.t.closed = True
        self.close()
        return self.t.add(what, None, text)

    def _reply(self, cmd):
        code = None
        lines = []
        try:
            while True:
                raw = self.rfile.readline(65536)
                if not raw:
                    if lines:
                        self.t.add(cmd, code, '\n'.join(lines))
                    return self._die('<eof>' if lines else cmd,
                                     'connection closed by server')
                line = raw.decode('utf-8', 'replace').rstrip('\r\n')
                m = re.match(r'^(\d{3})([ -]?)(.*)$', line)
                if not m:
                    lines.append(line)
                    code = code or 0
                    break
                code = int(m.group(1))
                lines.append(m.group(3))
                if m.group(2) != '-':
                    break
        except socket.timeout:
            return self._die(cmd, 'timeout waiting for reply')
        except OSError as e:
            return self._die(cmd, 'error: %s' % e)
        r = self.t.add(cmd, code, '\n'.join(lines))
        if code == 421:
            # server is closing the connection
            self.dead = True
            self.t.closed = True
            self.close()
        return r

    def send_raw(self, data):
        if self.dead:
            return False
        try:
            self.sock.sendall(data)
            return True
        except OSError as e:
            self._die('<error>', 'send failed: %s' % e)
            return False

    def cmd(self, line):
        """Send one command line, return its Reply (or None if dead)."""
        if self.dead:
            return None
        if not self.send_raw(line.encode('utf-8') + b'\r\n'):
            return None
        return self._reply(line)

    def ehlo(self, name):
        return self.cmd('EHLO ' + name)

    def helo(self, name):
        return self.cmd('HELO ' + name)

    def xclient(self, **attrs):
        """XCLIENT NAME=value ... (attribute names upper-cased, values
        xtext-encoded; value None -> '[UNAVAILABLE]')."""
        parts = []
        for k, v in attrs.items():
            v = '[UNAVAILABLE]' if v is None else xtext(v)
            parts.append('%s=%s' % (k.upper(), v))
        return self.cmd('XCLIENT ' + ' '.join(parts))

    def mail(self, sender, params=''):
        return self.cmd('MAIL FROM:<%s>%s' % (sender,
                                             ' ' + params if params else ''))

    def rcpt(self, rcpt, params=''):
        r = self.cmd('RCPT TO:<%s>%s' % (rcpt, ' ' + params if params else ''))
        if r is not None:
            self.t.rcpt_replies.append(RcptReply(rcpt, r.code, r.text))
        return r

    def data(self, message):
        """DATA + message + '.'; returns the end-of-data Reply, or the DATA
        Reply if that was not 354."""
        r = self.cmd('DATA')
        if r is None or r.code != 354:
            return r
        if isinstance(message, str):
            message = message.encode('utf-8')
        lines = message.replace(b'\r\n', b'\n').split(b'\n')
        if lines and lines[-1] == b'':
            lines.pop()
        body = b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n'
                        for l in lines)
        if not self.send_raw(body + b'.\r\n'):
            return None
        return self._reply('<data-end>')

    def rset(self):
        return self.cmd('RSET')

    def quit(self):
        r = self.cmd('QUIT')
        self.close()
        return r

    def close(self):
        for o in (self.rfile, self.sock):
            try:
                if o is not None:
                    o.close()
            except OSError:
                pass
        self.rfile = self.sock = None


def default_message(mail_from, rcpts, subject='harness test message'):
    return ('From: <%s>\r\nTo: %s\r\nSubject: %s\r\n'
            'Date: %s\r\nMessage-ID: <%s.%d@harness.test>\r\n\r\n'
            'This is a test message from t/integ/harness.py.\r\n'
            % (mail_from, ', '.join('<%s>' % r for r in rcpts), subject,
               time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime()),
               '%x' % int(time.time() * 1e6), os.getpid()))


def _ok(r):
    return r is not None and r.code is not None and 200 <= r.code < 400


def smtp_session(port, client_addr=None, client_name=None,
                 helo='mail.example.com', helo_via_xclient=None,
                 mail_from='sender@example.org', rcpts=('user@test.example',),
                 data=True, port_src=None, timeout=30, host='127.0.0.1',
                 xclient=None, messages=None, pre_helo='harness.localhost',
                 quit=True):
    """Run one SMTP session against host:port and return a Transcript.

    Sequence: connect, EHLO pre_helo, [XCLIENT ...; 220], [EHLO helo],
    then per message MAIL FROM / RCPT TO (each recipient individually,
    rejections do not stop the others) / DATA (only if >= 1 recipient was
    accepted) and finally QUIT.  Stops early on a 4xx/5xx reply to MAIL
    (that message only), on 421, on connection loss or timeout.

    XCLIENT is sent if any of client_addr, client_name, helo_via_xclient,
    port_src, xclient is given:
      client_addr       ADDR=  ('2001:db8::1' is sent as IPV6:2001:db8::1)
      client_name       NAME=
      helo_via_xclient  HELO=
      port_src          PORT=  (the client's source port as Postfix sees it)
      xclient           dict of further attributes (PROTO, LOGIN, DESTADDR,
                        DESTPORT, REVERSE_NAME, ...); a value None is sent
                        as [UNAVAILABLE]
    helo: the EHLO name sent after XCLIENT (that EHLO overrides an XCLIENT
      HELO=).  helo=None with helo_via_xclient: no second EHLO, and
      PROTO=ESMTP is added to XCLIENT so the XCLIENT HELO stays in effect.
    data: True -> a small default message, str/bytes -> that message,
      False -> no DATA.
    messages: list of dicts {mail_from, rcpts, data} for several messages
      in one session (overrides mail_from/rcpts/data).  Between messages
      RSET is sent only if the previous transaction did not complete.
    quit: send QUIT at the end (False: just close the socket).
    """
    if isinstance(rcpts, str):
        rcpts = [rcpts]
    c = SMTPClient(port, host=host, timeout=timeout)
    try:
        _session_body(c, client_addr, client_name, helo, helo_via_xclient,
                      mail_from, rcpts, data, port_src, xclient, messages,
                      pre_helo)
        # QUIT also after an early stop (e.g. a 4xx/5xx greeting), like a
        # real client; not after 421 / connection loss.
        if quit and not c.dead:
            c.quit()
    finally:
        c.close()
    return c.t


def _session_body(c, client_addr, client_name, helo, helo_via_xclient,
                  mail_from, rcpts, data, port_src, xclient, messages,
                  pre_helo):
    g = c.connect()
    if not _ok(g):
        return
    attrs = {}
    if client_addr is not None:
        a = client_addr
        if ':' in a and not a.upper().startswith('IPV6:'):
            a = 'IPV6:' + a
        attrs['ADDR'] = a
    if client_name is not None:
        attrs['NAME'] = client_name
    if port_src is not None:
        attrs['PORT'] = str(port_src)
    if helo_via_xclient is not None:
        attrs['HELO'] = helo_via_xclient
        if helo is None:
            attrs['PROTO'] = 'ESMTP'
    for k, v in (xclient or {}).items():
        attrs[k.upper()] = v
    if attrs:
        if not _ok(c.ehlo(pre_helo)):
            return
        if not _ok(c.xclient(**attrs)):
            return
    if helo is not None:
        if not _ok(c.ehlo(helo)):
            return
    if messages is None:
        messages = [{'mail_from': mail_from, 'rcpts': rcpts, 'data': data}]
    need_rset = False
    for msg in messages:
        if c.dead:
            break
        if need_rset:
            c.rset()
        need_rset = True
        mf = msg.get('mail_from', mail_from)
        rl = msg.get('rcpts', rcpts)
        if isinstance(rl, str):
            rl = [rl]
        dt = msg.get('data', data)
        if not _ok(c.mail(mf)):
            continue
        accepted = []
        for rc in rl:
            r = c.rcpt(rc)
            if r is None:
                break
            if _ok(r):
                accepted.append(rc)
        if c.dead or not dt or not accepted:
            continue
        body = default_message(mf, accepted) if dt is True else dt
        r = c.data(body)
        if r is not None and r.cmd == '<data-end>':
            need_rset = False


# ---------------------------------------------------------------------------
# Proc: an arbitrary daemon (e.g. policyd -f -c CONF)
# ---------------------------------------------------------------------------

class Proc(object):
    """Run a command in the foreground (it must not daemonize), output
    (stdout+stderr) to a file.

    p = Proc(['policyd/policyd', '-f', '-c', conf], name='policyd')
    p.start(ready=r'ready', timeout=10)
    p.hup(); p.wait_output(r'reloaded', since=mark)
    rc = p.stop()

    log_path: default a temp file (kept after stop() so output() still
    works; removed at interpreter exit unless POLICYD_TEST_KEEP=1).
    Only the recorded pid is ever signalled.  Processes still running at
    exit are stopped by cleanup_all() (atexit)."""

    def __init__(self, argv, name=None, log_path=None, env=None, cwd=None):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.env = env
        self.cwd = cwd
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix='policyd-%s-' % self.name,
                                            suffix='.log')
            os.close(fd)
            _temp_files.append(log_path)   # removed at exit, not at stop()
        self.log_path = log_path
        self.popen = None
        self.returncode = None

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def start(self, ready=None, timeout=10):
        """Start; if ready (regex) is given wait for it in the output.
        Raises RuntimeError (with the output) if the process exits or the
        regex does not show up in time."""
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self._logf = open(self.log_path, 'ab')
        _dbg('start %s: %s' % (self.name, ' '.join(self.argv)))
        self.popen = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=self._logf,
            stderr=subprocess.STDOUT, env=env, cwd=self.cwd,
            start_new_session=True)
        _register(self)
        if ready is not None:
            if not self.wait_output(ready, timeout):
                out = self.output()
                alive = self.running()
                self.stop()
                raise RuntimeError('%s: %s waiting for %r; output:\n%s'
                                   % (self.name,
                                      'timeout' if alive else 'exited',
                                      ready, out))
        return self

    def running(self):
        if self.popen is None:
            return False
        if self.popen.poll() is None:
            return True
        self.returncode = self.popen.returncode
        return False

    def output(self, since=0):
        return _read_text(self.log_path, since)

    def output_mark(self):
        return _file_size(self.log_path)

    def wait_output(self, regex, timeout=10, since=0, flags=0):
        """Wait for an output line matching regex; returns re.Match or None
        (also None as soon as the process has exited without it)."""
        rx = re.compile(regex, flags)
        deadline = time.time() + timeout
        while True:
            alive = self.running()
            for line in self.output(since).splitlines():
                m = rx.search(line)
                if m:
                    return m
            if not alive or time.time() >= deadline:
                return None
            time.sleep(0.05)

    def signal(self, sig):
        if self.running():
            os.kill(self.popen.pid, sig)
            return True
        return False

    def hup(self):
        return self.signal(signal.SIGHUP)

    def wait(self, timeout=10):
        """Wait for exit; returns the return code or None on timeout."""
        try:
            self.returncode = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, timeout=5, sig=None):
        """Send sig (default SIGTERM), wait up to timeout, then SIGKILL.
        Returns the exit code (negative = killed by that signal)."""
        if sig is None:
            sig = signal.SIGTERM
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                sys.stderr.write('# %s pid %d did not exit on signal %d, '
                                 'sending SIGKILL\n'
                                 % (self.name, self.popen.pid, sig))
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self.returncode = self.popen.returncode
        try:
            self._logf.close()
        except Exception:
            pass
        _unregister(self)
        return self.returncode

    def _cleanup(self):
        self.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._cleanup()
        return False

    def __repr__(self):
        return '<Proc %s pid=%s>' % (self.name, self.pid)


# ---------------------------------------------------------------------------
# PolicyServer: a tiny fake policy service (for harness self-tests and for
# tests that need a controllable upstream)
# ---------------------------------------------------------------------------

class PolicyServer(object):
    """Threaded Postfix policy delegation server on 127.0.0.1:port.

    responder(attrs) -> str: the action text (without 'action='), e.g.
      'DUNNO' or '451 4.7.1 go away'.  Return None to send no answer at all
      (the connection is kept open until stop(): simulates a hung server),
      or PolicyServer.DROP to close the connection without answering.
    .requests      list of dicts (one per request, in arrival order)
    .raw_requests  list of bytes (exactly what Postfix sent, incl. the
                   terminating empty line)
    .connections   number of accepted connections
    """

    DROP = object()

    def __init__(self, responder=None, port=None, host='127.0.0.1'):
        self.responder = responder or (lambda attrs: 'DUNNO')
        self.host = host
        self.port = port or free_port(host)
        self.requests = []
        self.raw_requests = []
        self.connections = 0
        self._lock = threading.Lock()
        self._conns = set()
        self._lsock = None
        self._stopping = False

    def start(self):
        fam = socket.AF_INET6 if ':' in self.host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(64)
        self._lsock = s
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop,
                                        name='policy-accept', daemon=True)
        self._thread.start()
        _register(self)
        return self

    def _accept_loop(self):
        while not self._stopping:
            try:
                c, _ = self._lsock.accept()
            except OSError:
                break
            if self._stopping:
                c.close()
                break
            with self._lock:
                self._conns.add(c)
                self.connections += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True,
                             name='policy-conn').start()

    def _serve(self, c):
        buf = b''
        try:
            while not self._stopping:
                while b'\n\n' not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                raw, buf = buf.split(b'\n\n', 1)
                raw += b'\n\n'
                attrs = {}
                for line in raw.decode('utf-8', 'replace').split('\n'):
                    if '=' in line:
                        k, v = line.split('=', 1)
                        attrs[k] = v
                with self._lock:
                    self.raw_requests.append(raw)
                    self.requests.append(attrs)
                try:
                    action = self.responder(attrs)
                except Exception as e:
                    sys.stderr.write('# policy responder failed: %s\n' % e)
                    action = 'DUNNO'
                if action is self.DROP:
                    return
                if action is None:
                    while not self._stopping:
                        time.sleep(0.05)
                    return
                c.sendall(('action=%s\n\n' % action).encode('utf-8'))
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(c)
            try:
                c.close()
            except OSError:
                pass

    def wait_requests(self, n, timeout=10):
        """Wait until at least n requests have arrived; returns True/False."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.requests) >= n:
                return True
            time.sleep(0.02)
        return len(self.requests) >= n

    def stop(self):
        """Close the listening socket and all client connections."""
        self._stopping = True
        if self._lsock is not None:
            try:
                self._lsock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._lsock.close()
            self._lsock = None
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        _unregister(self)

    _cleanup = stop

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class CyrusSasl(object):
    """Real Cyrus SASL for a Postfix instance: a sasldb written by
    saslpasswd2 (sasl2-bin), checked by the auxprop plugin sasldb, with
    the mechanisms PLAIN and LOGIN (libsasl2-modules).

    sasl = CyrusSasl({'alice@example.test': 'secret'})
    pf = Postfix(sasl=sasl).start()
    c.cmd('AUTH PLAIN ' + CyrusSasl.plain('alice@example.test', 'secret'))

    Users are user@realm (saslpasswd2 -u realm user); Cyrus splits the
    name a client gives at its last '@'.  Postfix.write_config() calls
    install(config_dir), and main_cf() gives its defaults, which the
    Postfix's main= may override (e.g. smtpd_sasl_auth_enable=no on port
    25, yes on one service's -o).  What smtpd did shows only in the
    maillog and the SMTP replies: "warning: NAME[ADDR]:PORT: SASL PLAIN
    authentication failed: ..., sasl_username=USER" for a failure,
    "QUEUEID: client=NAME[ADDR]:PORT, sasl_method=PLAIN,
    sasl_username=USER" once a recipient of an authenticated session was
    accepted, and auth=N/M in the disconnect line.

    Debian's smtpd reads $config_directory/sasl/smtpd.conf (with
    cyrus_sasl_config_path empty, its default), so each instance has its
    own.  Without that file smtpd offers every installed mechanism and
    uses /etc/sasldb2: EHLO says "AUTH SCRAM-SHA-512 ... PLAIN LOGIN"
    and AUTH gets "454 4.7.0 Temporary authentication failure".  smtpd
    opens the sasldb when a client authenticates, as mail_owner, so it
    is root:postfix 0640: saslpasswd2 leaves it root:root 0640, and
    then smtpd logs "unable to open Berkeley db ...: Permission denied" and
    answers 454.  The harness's smtpd is not chrooted (master.cf chroot
    column "n"), so sasldb_path is the real path.
    """

    MECHS = ('PLAIN', 'LOGIN')

    def __init__(self, users):
        if not os.path.exists(SASLPASSWD2):
            raise RuntimeError('CyrusSasl needs sasl2-bin and '
                               'libsasl2-modules: build-aux/deps check')
        self.users = dict(users)
        for u in self.users:
            if '@' not in u:
                raise ValueError('CyrusSasl user %r: want user@realm' % u)
        self.dir = None

    def main_cf(self):
        """The main.cf parameters that make smtpd offer AUTH with it."""
        return {'smtpd_sasl_auth_enable': 'yes',
                'smtpd_sasl_type': 'cyrus',
                'smtpd_sasl_path': 'smtpd',
                'smtpd_sasl_security_options': 'noanonymous'}

    @property
    def db_path(self):
        return os.path.join(self.dir, 'sasldb2')

    def install(self, config_dir):
        """Write config_dir/sasl/smtpd.conf and its sasldb with the users
        (again, if called again: users added since are written too)."""
        self.dir = os.path.join(config_dir, 'sasl')
        if not os.path.isdir(self.dir):
            os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)       # smtpd (mail_owner) passes through
        conf = os.path.join(self.dir, 'smtpd.conf')
        with open(conf, 'w') as f:
            f.write('pwcheck_method: auxprop\n'
                    'auxprop_plugin: sasldb\n'
                    'sasldb_path: %s\n'
                    'mech_list: %s\n' % (self.db_path, ' '.join(self.MECHS)))
        os.chmod(conf, 0o644)
        for user, pw in self.users.items():
            self._saslpasswd(user, pw)

    def add_user(self, user, password):
        """A new user (or a new password); at once if installed."""
        if '@' not in user:
            raise ValueError('CyrusSasl user %r: want user@realm' % user)
        self.users[user] = password
        if self.dir is not None:
            self._saslpasswd(user, password)

    def _saslpasswd(self, user, password):
        """Add or change user in the sasldb, which smtpd may read."""
        name, _, realm = user.rpartition('@')
        r = subprocess.run([SASLPASSWD2, '-p', '-c', '-f', self.db_path,
                            '-u', realm, name], input=password.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError('saslpasswd2 %s failed (rc=%d): %s' % (
                user, r.returncode, r.stdout.decode('utf-8', 'replace')))
        shutil.chown(self.db_path, 'root', MAIL_OWNER)
        os.chmod(self.db_path, 0o640)

    @staticmethod
    def plain(user, password):
        """The AUTH PLAIN argument for user and password."""
        import base64
        return base64.b64encode(('\0%s\0%s' % (user, password))
                                .encode()).decode()


# ---------------------------------------------------------------------------
# TAP reporting
# ---------------------------------------------------------------------------

class TAP(object):
    """Minimal TAP producer.  Each check prints 'ok N - desc' or
    'not ok N - desc' (+ '# ' diagnostics); done() prints the plan '1..N'
    and returns the exit status (0 = all passed)."""

    current = None      # the last TAP created (used by run())

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.n = 0
        self.failed = 0
        self.finished = False
        TAP.current = self

    def _p(self, s):
        self.out.write(s + '\n')
        self.out.flush()

    def diag(self, msg):
        for l in str(msg).splitlines() or ['']:
            self._p('# ' + l)

    def ok(self, cond, desc, diag=None):
        self.n += 1
        desc = str(desc).replace('#', '\\#').replace('\n', ' ')
        if cond:
            self._p('ok %d - %s' % (self.n, desc))
        else:
            self.failed += 1
            self._p('not ok %d - %s' % (self.n, desc))
            if diag is not None:
                self.diag(diag() if callable(diag) else diag)
        return bool(cond)

    def is_(self, got, expected, desc, diag=None):
        ok = got == expected
        d = None
        if not ok:
            d = 'got:      %r\nexpected: %r' % (got, expected)
            if diag is not None:
                d += '\n' + (diag() if callable(diag) else str(diag))
        return self.ok(ok, desc, d)

    def like(self, text, regex, desc, diag=None, flags=0):
        ok = text is not None and re.search(regex, text, flags) is not None
        d = None
        if not ok:
            d = 'text:     %r\nno match: %r' % (text, regex)
            if diag is not None:
                d += '\n' + (diag() if callable(diag) else str(diag))
        return self.ok(ok, desc, d)

    def unlike(self, text, regex, desc, diag=None, flags=0):
        ok = text is None or re.search(regex, text, flags) is None
        d = None
        if not ok:
            d = 'text:     %r\nmatches:  %r' % (text, regex)
            if diag is not None:
                d += '\n' + (diag() if callable(diag) else str(diag))
        return self.ok(ok, desc, d)

    def skip(self, desc, reason):
        self.n += 1
        self._p('ok %d - %s # SKIP %s' % (self.n, desc, reason))

    def bail(self, reason):
        self._p('Bail out! %s' % reason)
        self.failed += 1

    def done(self):
        if not self.finished:
            self.finished = True
            self._p('1..%d' % self.n)
            if self.failed:
                self.diag('failed %d/%d tests' % (self.failed, self.n))
        return 1 if self.failed or self.n == 0 else 0


def require_root():
    """Print '1..0 # SKIP' and exit 0 if not root / no postfix installed."""
    why = None
    if os.geteuid() != 0:
        why = 'must run as root'
    elif not os.path.exists(POSTFIX):
        why = 'postfix not installed'
    if why:
        sys.stdout.write('1..0 # SKIP %s\n' % why)
        sys.exit(0)


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM/SIGINT inside run()."""


def _raise_exit(signum, frame):
    raise Terminated(signum)


def run(main):
    """Run a test's main() (which returns an exit status, normally
    TAP.done()), making sure cleanup happens on exceptions and on
    SIGTERM/SIGINT (reported as a failed test plus the plan).  Exits the
    process."""
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGINT, _raise_exit)
    rc = 1
    failure = None
    try:
        rc = main()
        rc = 0 if rc is None else int(rc)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except Terminated as e:
        failure = ('terminated by signal %d' % e.args[0], None)
        rc = 128 + e.args[0]
    except BaseException:
        failure = ('unhandled exception', traceback.format_exc())
        rc = 1
    finally:
        if failure is not None:
            t = TAP.current
            if t is None or t.finished:
                t = TAP()
            t.ok(False, failure[0], failure[1])
            t.done()
        try:
            cleanup_all()
        except Terminated:
            cleanup_all()
    sys.stdout.flush()
    sys.exit(rc)
