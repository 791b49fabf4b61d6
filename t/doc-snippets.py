#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Every policyd.conf snippet in README and man/policyd.conf.5 parses.

A snippet is an indented block of README (lines indented by four
spaces, ended by a line that is not) or a ".Bd -literal" block of the
man page (mdoc escapes undone; blocks with macros in them are grammar,
not files), whose first line is "OPTION = ..." with OPTION one of
policyd's options (as policyd -N lists them) or "TYPE NAME {" with TYPE
rule, allow, deny or profile.  Postfix's main.cf and master.cf lines
are not policyd.conf and do not match.

Each snippet is parsed on its own by policyd -n, which must exit 0 and
print no warning.  The GeoIP databases are given with -o, because a
snippet that uses them follows the one that names them.

usage: t/doc-snippets.py POLICYD
"""
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r'^(rule|allow|deny|profile)\s+\S+\s*\{')


def options(policyd):
    out = subprocess.run([policyd, '-N', '-c', '/dev/null'],
                         stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout
    return set(re.findall(r'^(\w+) =', out, re.M))


def readme_blocks(path):
    block, start = [], 0
    with open(path) as f:
        lines = f.read().split('\n')
    for n, line in enumerate(lines + [''], 1):
        if line.startswith('    ') or (block and line == ''):
            if not block:
                start = n
            block.append(line[4:])
            continue
        if block:
            yield start, block
        block = []


def man_blocks(path):
    block, start = None, 0
    with open(path) as f:
        for n, line in enumerate(f.read().split('\n'), 1):
            if line.startswith('.Bd -literal'):
                block, start = [], n + 1
            elif line.startswith('.Ed') and block is not None:
                if not any(x.startswith('.') for x in block):
                    yield start, block
                block = None
            elif block is not None:
                block.append(line.replace('\\&', '').replace('\\e', '\\')
                             .replace('\\-', '-'))


def is_conf(block, opts):
    first = next((x.strip() for x in block
                  if x.strip() and not x.strip().startswith('#')), '')
    m = re.match(r'^(\w+)\s*=', first)
    return bool(BLOCK.match(first) or (m and m.group(1) in opts))


def main():
    policyd = sys.argv[1]
    opts = options(policyd)
    n, bad = 0, 0
    tmp = tempfile.mkdtemp(prefix='pd-snippets.')
    conf = os.path.join(tmp, 'policyd.conf')
    for doc, blocks in (('README', readme_blocks),
                        ('man/policyd.conf.5', man_blocks)):
        found = 0
        for line, block in blocks(os.path.join(TOP, doc)):
            if not is_conf(block, opts):
                continue
            found += 1
            n += 1
            with open(conf, 'w') as f:
                f.write('\n'.join(block).rstrip('\n') + '\n')
            r = subprocess.run(
                [policyd, '-n', '-c', conf,
                 '-o', 'geoip_country_db=/var/lib/GeoIP/Country.mmdb',
                 '-o', 'geoip_asn_db=/var/lib/GeoIP/ASN.mmdb'],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                universal_newlines=True)
            if r.returncode == 0 and not r.stderr:
                print('ok %d - %s:%d' % (n, doc, line))
            else:
                bad += 1
                print('not ok %d - %s:%d' % (n, doc, line))
                err = re.sub(re.escape(conf) + r':(\d+)',
                             lambda m: '%s:%d' % (doc, line - 1 +
                                                  int(m.group(1))),
                             r.stderr).replace(conf, doc)
                for x in err.rstrip('\n').split('\n'):
                    print('#   ' + x)
        # A recogniser that finds nothing would pass every document.
        n += 1
        print('%sok %d - %s has %d snippets' %
              ('' if found >= 3 else 'not ', n, doc, found))
        bad += found < 3
    os.unlink(conf) if os.path.exists(conf) else None
    os.rmdir(tmp)
    print('1..%d' % n)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
