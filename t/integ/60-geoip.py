#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""GeoIP and ASN with a real Postfix (issue "GeoIP and ASN"): a deny list
by country answers with its own text (IPv4 and IPv6), a rule counting
per AS number blocks every address of that AS together and no other,
decision log lines carry country= and asn=, policydctl show / list
blocks / status / explain name them, a reload (policydctl or SIGHUP)
with a damaged database (replaced by rename, as geoipupdate does) keeps
the databases in use and a good one is taken, an AS block survives a
restart through the state file, and a missing database or a key = asn
without geoip_asn_db stops policyd with a message naming the file.

The databases come from t/gen-mmdb.pl (documentation networks only):
country 192.0.2.0/24 DE, 198.51.100.0/24 CN, 203.0.113.0/25 US,
203.0.113.128/25 FR (registered_country only), 2001:db8:1::/48 DE,
2001:db8:2::/48 CN; asn 192.0.2.0/25 and
192.0.2.128/25 AS64500, 198.51.100.0/24 AS64501, 203.0.113.0/24
AS64502, 2001:db8:1::/48 AS64500, 2001:db8:2::/48 AS64501; 10.0.0.0/8
in neither."""
import atexit
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402
import promtext  # noqa: E402

CTL = os.path.join(h.TOP, 'build/bin/policydctl')
if pdtest.POLICYD != os.path.join(h.TOP, 'build/bin/policyd'):
    CTL = os.path.join(os.path.dirname(pdtest.POLICYD), 'policydctl')
GEN = os.path.join(h.TOP, 't/gen-mmdb.pl')
VALGRIND = os.environ.get('PD_VALGRIND') == '1'

# @DB@ is the directory of the databases.  Runs as nobody, as in
# production: a reload opens the databases again without root.
CONF = """user = nobody
geoip_country_db = @DB@/country.mmdb
geoip_asn_db = @DB@/asn.mmdb
allow local {
	client = 127.0.0.0/8
}
deny cn {
	country = CN
	reply = 554 5.7.1 Mail from ${country} (AS${asn}) is not accepted (${ref})
}
rule asn_conn {
	event = connection
	key = asn
	limit = 3 per 1h
	block = 1h
	reply = 451 4.7.1 Too many connections from network ${key}
}
"""
PREFIX = '<user@test.example>: Recipient address rejected: '
CN_TEXT = (r'554 5\.7\.1 ' + re.escape(PREFIX) + r'Mail from CN \(AS64501\) '
           r'is not accepted \(PD-[0-9A-F]{6}\)$')
ASN_TEXT = '451 4.7.1 ' + PREFIX + 'Too many connections from network AS64500'
TYPE = r'\(%s built 2026-11-22T00:00:00Z\)'


def ctl(pd, *args):
    return ctl_at(pd.control_path, *args)


def ctl_at(sock, *args):
    r = subprocess.run([CTL, '-s', sock] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def policyd(*args, timeout=60):
    """policyd with args (under valgrind with PD_VALGRIND=1): exit code,
    output and seconds taken."""
    argv = [pdtest.POLICYD] + list(args)
    if VALGRIND:
        argv = pdtest.VALGRIND + argv
    t0 = time.time()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=timeout)
    return r.returncode, r.stdout, time.time() - t0


def rcpt(tr):
    """The reply to the (only) RCPT as 'CODE TEXT', '' if none."""
    if not tr.rcpt_replies:
        return ''
    r = tr.rcpt_replies[0]
    return '%s %s' % (r.code, r.text)


def session(pf, addr):
    return h.smtp_session(pf.port, client_addr=addr)


def replace(path, data):
    """Put data at path by rename, as geoipupdate does: a mapped file
    must never be rewritten in place."""
    tmp = path + '.new'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def field(out, name):
    """A top-level 'name   value' line of policydctl's text output."""
    m = re.search(r'^%s +(\S.*)$' % re.escape(name), out or '', re.M)
    return m.group(1) if m else None


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return {}


def main():
    h.require_root()
    t = h.TAP()
    db = tempfile.mkdtemp(prefix='pdtest-geo.')
    if not h.keep_temp():
        atexit.register(shutil.rmtree, db, True)
    os.chmod(db, 0o755)
    subprocess.check_call(['perl', GEN, '--dbip', db])
    good = {n: read(os.path.join(db, n + '.mmdb')) for n in
            ('country', 'asn', 'dbip-country', 'dbip-asn')}
    country_db = os.path.join(db, 'country.mmdb')
    asn_db = os.path.join(db, 'asn.mmdb')
    conf = CONF.replace('@DB@', db)

    pf = h.Postfix(restrictions={'recipient': ['{policy}']},
                   policy_port=h.free_port())
    pd = pdtest.Policyd(conf, port=pf.policy_port, state=True)
    # nobody reads the config at reload and writes the state file.
    os.chmod(pd.dir, 0o755)
    pw = pwd.getpwnam('nobody')
    os.chown(pd.dir, pw.pw_uid, pw.pw_gid)
    pf.start()
    pd.start()
    t.ok(pd.wait_log(r'geoip: country database %s: GeoLite2-Country built'
                     % re.escape(country_db), timeout=1) and
         pd.wait_log(r'geoip: asn database %s: GeoLite2-ASN built'
                     % re.escape(asn_db), timeout=1),
         'the start logs both databases and their types', pd.log())

    # 1. A country on the deny list gets the list's text, rendered.
    mark = pd.mark()
    tr = session(pf, '198.51.100.7')
    t.like(rcpt(tr), CN_TEXT, 'CN (IPv4): the deny text with ${country} '
           'and ${asn} rendered', tr.text())
    cn_ref = pdtest.ref_of(rcpt(tr))
    t.ok(pd.wait_log(r'action=reject rule=cn client=198\.51\.100\.7 '
                     r'country=CN asn=64501 helo=\S+ state=RCPT '
                     r'ref=PD-[0-9A-F]{6}$', since=mark),
         'its log line: client=, then country= and asn=, no key=',
         pd.log(mark))
    mark = pd.mark()
    tr = session(pf, '2001:db8:2::7')
    ipv6 = tr.xclient_reply is not None and tr.xclient_reply.code == 220
    if ipv6:
        t.like(rcpt(tr), CN_TEXT, 'CN (IPv6 2001:db8:2::7): the same text',
               tr.text())
        t.ok(pd.wait_log(r'action=reject rule=cn client=2001:db8:2::7 '
                         r'country=CN asn=64501 helo=\S+ state=RCPT ',
                         since=mark),
             'the IPv6 log line has country= and asn=', pd.log(mark))
    else:
        t.diag('Postfix refused XCLIENT ADDR=IPV6:...: %s' % tr.text())
        for what in ('CN (IPv6): the same text', 'IPv6 log line'):
            t.skip(what, 'this Postfix takes no IPv6 XCLIENT')
    tr = session(pf, '192.0.2.10')
    t.is_(tr.rcpt_codes, [250], 'DE is not on the deny list', tr.text())

    # 2. Per-AS counting: three connections from AS64500, from three
    # addresses, two of them not even in the same /24, then every address
    # of the AS is blocked.  The first session above counts already.
    mark = pd.mark()
    third = '2001:db8:1::10' if ipv6 else '192.0.2.10'
    codes = [session(pf, a).rcpt_codes for a in ('192.0.2.200', third)]
    t.is_(codes, [[250], [250]], 'the second and third connection from '
          'AS64500 (192.0.2.200, %s) pass' % third)
    tr = session(pf, '192.0.2.10')
    t.is_(rcpt(tr), ASN_TEXT, 'the fourth (192.0.2.10) is refused with '
          'the AS in the text', tr.text())
    t.ok(pd.wait_log(r'action=defer rule=asn_conn client=192\.0\.2\.10 '
                     r'country=DE asn=64500 key=AS64500 helo=\S+ '
                     r'state=RCPT count=4 limit=3/1h expires=\S+Z ref=PD-',
                     since=mark),
         'logged with country=DE asn=64500 key=AS64500', pd.log(mark))
    others = ['192.0.2.200'] + (['2001:db8:1::10'] if ipv6 else [])
    for a in others:
        mark = pd.mark()
        tr = session(pf, a)
        t.is_(rcpt(tr), ASN_TEXT, 'the block holds for %s too' % a,
              tr.text())
        t.ok(pd.wait_log(r'action=defer rule=asn_conn client=%s country=DE '
                         r'asn=64500 key=AS64500 helo=\S+ state=RCPT '
                         % re.escape(a), since=mark),
             'and is logged with key=AS64500 for %s' % a, pd.log(mark))
    tr = session(pf, '203.0.113.5')
    t.is_(tr.rcpt_codes, [250], 'another AS (203.0.113.5, AS64502) still '
          'passes', tr.text())
    # Without an AS there is no key: 10.0.0.5 is never counted.
    codes = [session(pf, '10.0.0.5').rcpt_codes for _ in range(5)]
    t.is_(codes, [[250]] * 5, 'an address in no AS is not counted (5 '
          'connections pass)')

    # 3. What is unknown is left out of the log line.
    # A /8 is wider than policydctl takes without --force.
    rc, out, err = ctl(pd, 'block', '10.0.0.0/8', '--for', '1h', '--reason',
                       'test block', '--force')
    t.is_(rc, 0, 'a manual block of 10.0.0.0/8', err)
    rc, out, err = ctl(pd, 'block', '203.0.113.128/25', '--for', '1h',
                       '--reason', 'test block')
    t.is_(rc, 0, 'a manual block of 203.0.113.128/25', err)
    mark = pd.mark()
    tr = session(pf, '10.0.0.5')
    t.is_(tr.rcpt_codes, [451], 'the manual block refuses 10.0.0.5',
          tr.text())
    t.ok(pd.wait_log(r'action=defer rule=manual client=10\.0\.0\.5 '
                     r'key=10\.0\.0\.0/8 helo=\S+ state=RCPT reason=',
                     since=mark),
         'its log line has neither country= nor asn=', pd.log(mark))
    mark = pd.mark()
    tr = session(pf, '203.0.113.200')
    t.is_(tr.rcpt_codes, [451], 'and 203.0.113.200', tr.text())
    t.ok(pd.wait_log(r'action=defer rule=manual client=203\.0\.113\.200 '
                     r'country=FR asn=64502 key=203\.0\.113\.128/25 helo=',
                     since=mark),
         'its line: country= (the registered country) and asn= before key=',
         pd.log(mark))

    # 4. policydctl.
    rc, out, err = ctl(pd, 'show', '192.0.2.10')
    t.is_(rc, 0, 'show exits 0', err)
    t.is_((field(out, 'country'), field(out, 'asn')), ('DE', '64500'),
          'show: country DE, asn 64500', out)
    t.like(out, r'^  key=AS64500 rule=asn_conn kind=block state=blocked '
           r'count=4 limit=3/1h first=\S+Z last=\S+Z since=\S+Z '
           r'expires=\S+Z$', 'show lists the AS64500 block', out, re.M)
    rc, out, err = ctl(pd, '--json', 'show', '192.0.2.10')
    j = parse_json(out)
    t.is_((j.get('country'), j.get('asn')), ('DE', 64500),
          'show --json: "country": "DE", "asn": 64500', out)
    t.ok([c for c in j.get('counters') or [] if c.get('key') == 'AS64500' and
          c.get('rule') == 'asn_conn' and c.get('state') == 'blocked'],
         'show --json lists the AS64500 counter', out)
    if ipv6:
        rc, out, err = ctl(pd, 'show', '2001:db8:1::10')
        t.ok(field(out, 'country') == 'DE' and field(out, 'asn') == '64500'
             and re.search(r'key=AS64500 rule=asn_conn kind=block', out),
             'show 2001:db8:1::10: DE, 64500 and the same block', out + err)
    else:
        t.skip('show of an IPv6 address', 'no IPv6 XCLIENT')
    rc, out, err = ctl(pd, 'show', '203.0.113.200')
    t.is_((field(out, 'country'), field(out, 'asn')), ('FR', '64502'),
          'show 203.0.113.200: country FR (registered), asn 64502',
          out + err)
    t.unlike(out, r'AS64500', 'and not the block of AS64500', out)
    rc, out, err = ctl(pd, 'show', '10.0.0.5')
    t.is_((rc, field(out, 'country'), field(out, 'asn')), (0, None, None),
          'show 10.0.0.5: neither country nor asn', out + err)
    rc, out, err = ctl(pd, 'explain', cn_ref or 'PD-000000')
    t.ok(rc == 0 and field(out, 'rule') == 'cn' and
         field(out, 'country') == 'CN' and field(out, 'asn') == '64501',
         'explain of the CN ref: rule cn, country CN, asn 64501', out + err)
    rc, out, err = ctl(pd, 'list', 'blocks')
    t.like(out, r'^  key=AS64500 rule=asn_conn kind=block state=blocked ',
           'list blocks lists the AS64500 block', out + err, re.M)
    rc, out, err = ctl(pd, '--json', 'list', 'blocks')
    t.ok([b for b in parse_json(out).get('blocks') or []
          if b.get('key') == 'AS64500' and b.get('rule') == 'asn_conn'],
         'list blocks --json too', out)
    rc, out, err = ctl(pd, 'status')
    t.is_(rc, 0, 'status exits 0', err)
    t.like(field(out, 'geoip_country_db'), '^' + re.escape(country_db) +
           ' ' + TYPE % 'GeoLite2-Country' + '$',
           'status: geoip_country_db, its path and type', out)
    t.like(field(out, 'geoip_asn_db'), '^' + re.escape(asn_db) + ' ' +
           TYPE % 'GeoLite2-ASN' + '$', 'status: geoip_asn_db, its path '
           'and type', out)

    # 5. A damaged download is refused at reload; what runs stays.
    def lookups_work(when):
        mark = pd.mark()
        tr = session(pf, '198.51.100.7')
        t.like(rcpt(tr), CN_TEXT, '%s: the deny list still answers for CN'
               % when, tr.text())
        tr = session(pf, '192.0.2.200')
        t.is_(rcpt(tr), ASN_TEXT, '%s: AS64500 is still blocked' % when,
              tr.text())
        t.ok(pd.wait_log(r'action=reject rule=cn client=198\.51\.100\.7 '
                         r'country=CN asn=64501 ', since=mark) and
             pd.wait_log(r'rule=asn_conn client=192\.0\.2\.200 country=DE '
                         r'asn=64500 key=AS64500 ', since=mark),
             '%s: new log lines have country= and asn=' % when,
             pd.log(mark))

    half = good['asn'][:len(good['asn']) // 2]
    replace(asn_db, half)
    mark = pd.mark()
    rc, out, err = ctl(pd, 'reload')
    t.is_(rc, 1, 'reload with half an ASN database exits 1', out + err)
    t.like(err, re.escape(asn_db), 'and names the file', err)
    t.ok(pd.wait_log(r'error: reload: %s: .*; keeping the running '
                     r'configuration and databases$' % re.escape(asn_db),
                     since=mark), 'the log says the databases are kept',
         pd.log(mark))
    lookups_work('after the failed reload')
    rc, out, err = ctl(pd, 'status')
    t.like(field(out, 'geoip_asn_db'), TYPE % 'GeoLite2-ASN',
           'status still shows the ASN database in use', out)

    # Garbage as the country database, by SIGHUP this time.
    replace(asn_db, good['asn'])
    replace(country_db, bytes(range(256)) * 8)
    mark = pd.mark()
    pd.proc.hup()
    t.ok(pd.wait_log(r'error: reload: %s: .*; keeping the running '
                     r'configuration and databases$'
                     % re.escape(country_db), since=mark, timeout=30),
         'SIGHUP with garbage as the country database: refused, kept',
         pd.log(mark))
    lookups_work('after SIGHUP')

    # Metadata intact, search tree damaged: found at open, not at lookup.
    tree = bytearray(good['country'])
    tree[0:8] = b'\xff' * 8
    replace(country_db, bytes(tree))
    rc, out, err = ctl(pd, 'reload')
    t.is_(rc, 1, 'reload with a damaged search tree exits 1', out + err)
    t.like(err, re.escape(country_db) + r'.*search tree',
           'and says where', err)
    # The ASN file where the country one belongs.
    replace(country_db, good['asn'])
    rc, out, err = ctl(pd, 'reload')
    t.is_(rc, 1, 'reload with the ASN file as country database exits 1',
          out + err)
    t.like(err, re.escape(country_db) + r'.*not a country database',
           'and says so', err)
    lookups_work('after three failed reloads')

    # A good download (DB-IP, to see the change) is taken.
    replace(country_db, good['dbip-country'])
    replace(asn_db, good['dbip-asn'])
    mark = pd.mark()
    rc, out, err = ctl(pd, 'reload')
    t.is_(rc, 0, 'reload with good databases exits 0', out + err)
    t.ok(pd.wait_log(r'geoip: country database %s: DBIP-Country-Lite built'
                     % re.escape(country_db), since=mark),
         'the new country database is logged', pd.log(mark))
    rc, out, err = ctl(pd, 'status')
    t.ok(re.search(TYPE % 'DBIP-Country-Lite', field(out, 'geoip_country_db')
                   or '') and re.search(TYPE % 'DBIP-ASN-Lite',
                                        field(out, 'geoip_asn_db') or ''),
         'status shows the new databases', out)
    lookups_work('with the new databases')
    rc, out, err = ctl(pd, 'stats', '--prometheus')
    t.ok(re.search(r'^policyd_config_reloads_total\{result="failed"\} 4$',
                   out, re.M) and
         re.search(r'^policyd_config_reloads_total\{result="ok"\} 1$',
                   out, re.M) and
         re.search(r'^policyd_geoip_errors_total 0$', out, re.M),
         'metrics: 4 failed reloads, 1 good one, no lookup errors',
         out + err)
    t.ok(re.search(r'^policyd_geoip_build_time_seconds\{database="country"\} '
                   r'1795305600$', out, re.M) and
         re.search(r'^policyd_geoip_build_time_seconds\{database="asn"\} '
                   r'1795305600$', out, re.M),
         'metrics: the build time of each database in use', out)
    t.is_(promtext.problems(out), [], 'the Prometheus text format checks',
          out)
    t.is_(pd.stop(), 0, 'SIGTERM exits 0' + (' (valgrind: no errors)'
                                              if VALGRIND else ''))
    # The AS key is saved in the state file and read back.
    pd.start()      # a new process, with a new log
    t.ok(pd.wait_log(r'state: loaded [1-9]\d* counters'),
         'restarted with the state file', pd.log())
    tr = session(pf, '2001:db8:1::77' if ipv6 else '192.0.2.77')
    t.is_(rcpt(tr), ASN_TEXT, 'the AS64500 block survives a restart, for '
          'an address not seen before', tr.text())
    t.is_(pd.stop(), 0, 'SIGTERM exits 0 again')

    # 6. A missing database stops the start, naming the file.
    missing = os.path.join(db, 'GeoLite2-ASN.mmdb')
    bad = os.path.join(db, 'missing.conf')
    with open(bad, 'w') as f:
        f.write(conf.replace(asn_db, missing))
    sock = os.path.join(db, 'missing.sock')
    rc, out, secs = policyd('-f', '-c', bad, '-o', 'listen=inet:127.0.0.1:%d'
                            % h.free_port(), '-o', 'control_socket=' + sock)
    t.is_(rc, 1, 'policyd -f with a missing database exits 1', out)
    t.like(out, re.escape(missing) + r': No such file or directory',
           'and names the file', out)
    t.ok(secs < (30 if VALGRIND else 5), 'at once (%.1fs)' % secs)
    # In the background: it must fail before it forks, and say why on
    # the terminal, not only in syslog.
    rc, out, secs = policyd('-c', bad, '-o', 'listen=inet:127.0.0.1:%d'
                            % h.free_port(), '-o', 'control_socket=' + sock)
    if rc == 0:     # it went into the background: stop what we started
        pid = field(ctl_at(sock, 'status')[1], 'pid')
        if pid:
            os.kill(int(pid), signal.SIGTERM)
    t.is_(rc, 1, 'policyd without -f exits 1 too, before forking', out)
    t.like(out, re.escape(missing) + r': No such file or directory',
           'and names the file on its standard error output', out)
    rc, out, secs = policyd('-t', '-c', bad)
    t.is_(rc, 1, 'policyd -t exits 1', out)
    t.like(out, re.escape(missing) + r': No such file or directory',
           'policyd -t names the missing file', out)

    # key = asn needs geoip_asn_db, said with the file and line.
    noasn = os.path.join(db, 'noasn.conf')
    text = '\n'.join(l for l in conf.split('\n')
                     if not l.startswith('geoip_asn_db'))
    with open(noasn, 'w') as f:
        f.write(text)
    lineno = text.split('\n').index('rule asn_conn {') + 1
    rc, out, secs = policyd('-t', '-c', noasn)
    t.is_(rc, 1, 'policyd -t: key = asn without geoip_asn_db exits 1', out)
    t.like(out, r'%s:%d: rule asn_conn: asn needs geoip_asn_db'
           % (re.escape(noasn), lineno), 'and says so with file:line', out)
    rc, out, secs = policyd('-t', '-c', os.path.join(pd.dir, 'policyd.conf'))
    t.is_((rc, out.strip()), (0, 'configuration OK'),
          'policyd -t with both databases: configuration OK', out)
    return t.done()


if __name__ == '__main__':
    h.run(main)
