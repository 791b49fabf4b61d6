# SPDX-License-Identifier: ISC
"""promtext - a strict reader of the Prometheus text format (0.0.4).

problems(text) lists what is wrong with a /metrics page, [] when it is
fine: the grammar of each line, and what "promtool check metrics" also
lints (HELP and TYPE once per family and before its samples, a family's
samples together, no series twice, counters named *_total, histograms
with ascending buckets ending at +Inf equal to _count); on the last
four, and on reserved label names, it is stricter than promtool 2.42.
The tests use it instead of promtool, so "make check" needs no
Prometheus server package.  t/integ/05-promtext.py tests it on good
and broken pages.
"""
import math
import re

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')
SAMPLE = re.compile(r'(%s)(\{(.*)\})? (\S+)( -?[0-9]+)?$' % NAME)
PAIR = re.compile(r'(%s)="((?:[^"\\\n]|\\[\\"n])*)"' % LABEL)
SUFFIXES = {'histogram': ('_bucket', '_sum', '_count'),
            'summary': ('', '_sum', '_count'), 'counter': ('',),
            'gauge': ('',), 'untyped': ('',)}


def value(s):
    """The sample value as a float, or None when it is none."""
    if s in ('+Inf', 'Inf'):
        return math.inf
    if s == '-Inf':
        return -math.inf
    if s == 'NaN':
        return math.nan
    if not re.fullmatch(r'[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?',
                        s):
        return None
    return float(s)


def labels(body, where, out):
    """The label pairs of one sample, in order; problems go to out."""
    pairs, pos = [], 0
    while pos < len(body):
        m = PAIR.match(body, pos)
        if not m:
            out.append('%s: bad label text at "%s"' % (where, body[pos:]))
            return pairs
        if m.group(1).startswith('__'):
            out.append('%s: label %s is reserved' % (where, m.group(1)))
        pairs.append((m.group(1), m.group(2)))
        pos = m.end()
        if pos < len(body):
            if body[pos] != ',':
                out.append('%s: expected "," after a label' % where)
                return pairs
            pos += 1
    names = [n for n, _ in pairs]
    if len(set(names)) != len(names):
        out.append('%s: a label twice' % where)
    return pairs


def family_of(name, types):
    """The family a sample name belongs to, by the TYPE lines seen."""
    for suffix in ('_bucket', '_sum', '_count'):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ('histogram',
                                                          'summary'):
            return base
    return name


def check_histogram(fam, samples, out):
    """Buckets per label set: ascending le, counts that never drop,
    +Inf last and equal to _count."""
    groups = {}
    for name, pairs, v in samples:
        rest = tuple(p for p in pairs if p[0] != 'le')
        g = groups.setdefault(rest, {'buckets': [], 'count': None})
        if name == fam + '_bucket':
            le = dict(pairs).get('le')
            if le is None or value(le) is None:
                out.append('%s: a bucket without a valid le' % fam)
                continue
            g['buckets'].append((value(le), v))
        elif name == fam + '_count':
            g['count'] = v
    for rest, g in groups.items():
        b = g['buckets']
        if not b or b[-1][0] != math.inf:
            out.append('%s%s: no +Inf bucket last' % (fam, list(rest)))
            continue
        if any(b[i][0] >= b[i + 1][0] or b[i][1] > b[i + 1][1]
               for i in range(len(b) - 1)):
            out.append('%s: buckets out of order or counts falling' % fam)
        if g['count'] is None or g['count'] != b[-1][1]:
            out.append('%s: _count is not the +Inf bucket' % fam)


def problems(text):
    out, helps, types, done = [], {}, {}, set()
    samples, series, current = {}, set(), None
    if text and not text.endswith('\n'):
        out.append('the last line has no newline')
    for n, line in enumerate(text.split('\n')[:-1], 1):
        where = 'line %d' % n
        if line.startswith('#'):
            m = re.match(r'# (HELP|TYPE) (%s)(?: (.*))?$' % NAME, line)
            if not m:
                if re.match(r'#\s*(HELP|TYPE)\b', line):
                    out.append('%s: bad %s line' % (where, line[2:6]))
                continue
            kind, fam, rest = m.group(1), m.group(2), m.group(3) or ''
            seen = helps if kind == 'HELP' else types
            if fam in seen:
                out.append('%s: second %s for %s' % (where, kind, fam))
            if fam in samples:
                out.append('%s: %s for %s after its samples' %
                           (where, kind, fam))
            if kind == 'TYPE' and rest not in TYPES:
                out.append('%s: unknown type "%s"' % (where, rest))
            if kind == 'HELP' and rest == '':
                out.append('%s: %s has an empty HELP' % (where, fam))
            seen[fam] = rest
            continue
        if line == '':
            continue
        m = SAMPLE.match(line)
        if not m:
            out.append('%s: not a sample: %s' % (where, line))
            continue
        name, pairs = m.group(1), labels(m.group(3) or '', where, out)
        v = value(m.group(4))
        if v is None:
            out.append('%s: bad value "%s"' % (where, m.group(4)))
            continue
        fam = family_of(name, types)
        typ = types.get(fam, 'untyped')
        if name[len(fam):] not in SUFFIXES.get(typ, ('',)):
            out.append('%s: %s is no sample name of %s %s' %
                       (where, name, typ, fam))
        if fam != current and fam in done:
            out.append('%s: samples of %s are not together' % (where, fam))
        if current is not None and fam != current:
            done.add(current)
        current = fam
        key = (name, tuple(sorted(pairs)))
        if key in series:
            out.append('%s: %s%s twice' % (where, name, dict(pairs)))
        series.add(key)
        samples.setdefault(fam, []).append((name, pairs, v))
    for fam, typ in types.items():
        if fam not in helps:
            out.append('%s: no HELP' % fam)
        if typ == 'counter' and not fam.endswith('_total'):
            out.append('%s: a counter should be named *_total' % fam)
        if typ != 'counter' and fam.endswith('_total'):
            out.append('%s: only counters should be named *_total' % fam)
        if typ == 'histogram' and fam in samples:
            check_histogram(fam, samples[fam], out)
    for fam in samples:
        if fam not in types:
            out.append('%s: no TYPE' % fam)
    return out
