#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""What an operator loads into Prometheus and Grafana (issue 15): the
alert rules in etc/ pass "promtool check rules", the live /metrics of
policyd with the shipped policyd.conf passes "promtool check metrics"
and has build info, process metrics and the maillog's lag, and every
query of the dashboard in etc/ (and of the alert rules) names metrics
that this policyd exports."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import pdtest  # noqa: E402

ALERTS = os.path.join(h.TOP, 'etc/policyd-alerts.yml')
DASHBOARD = os.path.join(h.TOP, 'etc/policyd-dashboard.json')
# The state-save alerts' metrics.
STATE = {'policyd_state_saves_total',
         'policyd_state_last_save_timestamp_seconds'}
# PromQL words that look like metric names.
WORDS = {'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
         'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan'}


def metric_names(expr):
    """The metric names a PromQL expression (or a Grafana label_values()
    query) selects: identifiers that are not functions, label names,
    keywords, durations or Grafana variables."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)       # strings
    e = re.sub(r'\{[^}]*\}', '', e)                      # label matchers
    e = re.sub(r'\[[^\]]*\]', '', e)                     # ranges
    e = re.sub(r'\$\{?\w+\}?', '', e)                    # Grafana variables
    e = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*'
               r'\([^)]*\)', ' ', e)
    e = re.sub(r'label_values\(\s*([A-Za-z_:][\w:]*)\s*,[^)]*\)', r'\1', e)
    names = set()
    for m in re.finditer(r'(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?', e):
        if m.group(2) or m.group(1).lower() in WORDS:
            continue
        names.add(m.group(1))
    return names


def exported(text):
    """Sample names in a Prometheus text exposition."""
    return {l.split('{')[0].split(' ')[0] for l in text.splitlines()
            if l and not l.startswith('#')}


def dashboard_queries(d):
    out = []
    for p in d['panels']:
        out += [(p['title'], t['expr']) for t in p.get('targets', [])]
    for v in d['templating']['list']:
        q = v.get('query')
        if isinstance(q, dict):
            out.append(('variable ' + v['name'], q['query']))
    return out


def alert_exprs():
    """expr: lines of the rule file (folded >- blocks included)."""
    out, cur, name = [], None, None
    with open(ALERTS) as f:
        for line in f:
            m = re.match(r'\s*- alert: (\S+)', line)
            if m:
                name = m.group(1)
            m = re.match(r'(\s*)expr: (.*)$', line)
            if m:
                cur = (len(m.group(1)), [] if m.group(2) == '>-' else
                       [m.group(2)])
                out.append((name, cur[1]))
                continue
            if cur and line.strip() and \
                    len(line) - len(line.lstrip()) > cur[0]:
                cur[1].append(line.strip())
            else:
                cur = None
    return [(n, ' '.join(parts)) for n, parts in out]


def version():
    with open(os.path.join(h.TOP, 'lib/daemon/daemon.h')) as f:
        return re.search(r'#define PD_VERSION "([^"]+)"', f.read()).group(1)


def main():
    t = h.TAP()
    if shutil.which('promtool') is None:
        if os.environ.get('PD_NEED_PROMTOOL') == '1':
            t.ok(False, 'promtool (Debian package prometheus) is installed')
            return t.done()
        t.skip('promtool', 'promtool (Debian package prometheus) is not '
               'installed; build-aux/deps ci installs it')
        return t.done()
    r = subprocess.run(['promtool', 'check', 'rules', ALERTS],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    t.ok(r.returncode == 0 and 'SUCCESS: 6 rules found' in r.stdout,
         'promtool check rules accepts etc/policyd-alerts.yml', r.stdout)

    # The extractor itself, so that a dashboard test cannot pass blind.
    t.is_(metric_names('histogram_quantile(0.99, sum by (le) (rate('
                       'x_bucket{instance=~"$instance"}[$__rate_interval]'
                       '))) and on (job) y > 0 or time() - z_seconds'),
          {'x_bucket', 'y', 'z_seconds'}, 'the query parser finds names')

    d = tempfile.mkdtemp(prefix='pdtest-ops.')
    maillog = os.path.join(d, 'maillog')
    open(maillog, 'w').close()
    mport = h.free_port()
    with open(os.path.join(h.TOP, 'etc/policyd.conf')) as f:
        conf = f.read()
    pd = pdtest.Policyd(conf, extra_args=[
        '-o', 'user=', '-o', 'state_file=', '-o', 'maillog=' + maillog,
        '-o', 'metrics_listen=127.0.0.1:%d' % mport]).start()
    # A few requests, so that labelled families have samples.
    c = socket.create_connection(('127.0.0.1', pd.port), timeout=10)
    for i in range(3):
        c.sendall(('request=smtpd_access_policy\nprotocol_state=RCPT\n'
                   'client_address=203.0.113.%d\nclient_port=%d\n'
                   'helo_name=box.local\ninstance=a.%d\n\n'
                   % (i + 1, 4000 + i, i)).encode())
        buf = b''
        while not buf.endswith(b'\n\n'):
            buf += c.recv(4096)
    c.close()
    # A line Postfix logged 7 seconds ago, read now.
    with open(maillog, 'a') as f:
        f.write(time.strftime('%b %e %H:%M:%S', time.localtime(
            time.time() - 7)) + ' mx postfix/smtpd[42]: connect from '
            'unknown[198.51.100.4]\n')
    pd.wait_stat('policyd_maillog_lines_total', 1)
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % mport,
                                timeout=10) as resp:
        text = resp.read().decode()
    r = subprocess.run(['promtool', 'check', 'metrics'], input=text,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    t.is_(r.returncode, 0, 'promtool check metrics accepts /metrics',
          r.stdout)
    have = exported(text)
    t.like(text, r'(?m)^policyd_build_info\{version="%s"\} 1$'
           % re.escape(version()), 'build info with the version')
    for name in ('process_start_time_seconds', 'process_resident_memory_bytes',
                 'process_open_fds', 'process_max_fds',
                 'process_cpu_seconds_total'):
        m = re.search(r'(?m)^%s (\S+)$' % name, text)
        t.ok(m and float(m.group(1)) > 0, '%s: %s' % (
            name, m.group(1) if m else 'missing'))
    m = re.search(r'(?m)^process_start_time_seconds (\S+)$', text)
    t.ok(m and abs(float(m.group(1)) - time.time()) < 120,
         'the start time is now-ish')
    m = re.search(r'(?m)^policyd_maillog_lag_seconds (\S+)$', text)
    t.ok(m and 6 <= float(m.group(1)) <= 30, 'a line stamped 7s ago was '
         'read %ss late' % (m.group(1) if m else '?'))
    t.like(text, r'(?m)^policyd_maillog_following 1$', 'maillog followed')

    with open(DASHBOARD) as f:
        dash = json.load(f)
    queries = dashboard_queries(dash)
    t.ok(len(queries) >= 20, 'the dashboard has %d queries' % len(queries))
    missing = sorted({(title, n) for title, q in queries
                      for n in metric_names(q) if n not in have})
    t.is_(missing, [], 'every dashboard query names exported metrics')
    used = set()
    for _, q in queries:
        used |= metric_names(q)
    t.ok({'policyd_build_info', 'process_resident_memory_bytes',
          'policyd_maillog_lag_seconds', 'policyd_blocks_active'} <= used,
         'the dashboard shows version, memory, maillog lag, blocks')

    exprs = alert_exprs()
    t.is_(len(exprs), 6, 'six alert expressions read')
    names = set()
    for _, e in exprs:
        names |= metric_names(e)
    t.ok(STATE <= names and STATE <= have,
         'alerts on state saves use the names policyd exports')
    t.is_(sorted(names - have - {'up'}), [],
          'every alert expression names exported metrics')
    t.is_(pd.stop(), 0, 'policyd exits 0')
    shutil.rmtree(d, True)
    return t.done()


if __name__ == '__main__':
    h.run(main)
