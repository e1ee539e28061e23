#!/usr/bin/env python3
"""contract-docs.py [--check | --update] FILE...

The Markdown tables of include/uapi/rcu_unload.h's lists (strategies, flavors, parameters, record
keys, the expediter's parameters and counters), made by expanding the header with the C
preprocessor, so that no table in the docs is written by hand. In FILE, a table stands between
`<!-- contract:NAME -->` and `<!-- /contract:NAME -->`. --check exits 1 naming every table that
differs from the header (make unit runs it on README.md and docs/interfaces.md); --update rewrites
them; without either, prints every table.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

HEADER = Path(__file__).resolve().parent.parent / 'include' / 'uapi' / 'rcu_unload.h'

# NAME: (list macro, the X macro's parameters, Markdown header, row template)
TABLES = {
    'strategies': ('RU_STRATEGY_LIST', 'ident, name, help',
                   '| strategy | what the exit path does |\n| --- | --- |', '| `{name}` | {help} |'),
    'flavors': ('RU_FLAVOR_LIST', 'ident, name, help',
                '| flavor | callbacks queued with |\n| --- | --- |', '| `{name}` | {help} |'),
    'parameters': ('RU_PARAM_LIST', 'name, type, def, min, max, desc',
                   '| parameter | type | default | range | meaning |\n| --- | --- | ---: | --- | --- |',
                   '| `{name}` | {type} | {def} | {min}..{max} | {desc} |'),
    'force-steps': ('RU_FORCE_STEP_LIST', 'ident, bit, help',
                    '| `force_steps` bit | ingredient |\n| ---: | --- |', '| {bit} | {help} |'),
    'init-record': ('RU_INIT_RECORD', 'key, type, help',
                    '| init key | type | meaning |\n| --- | --- | --- |', '| `{key}` | {type} | {help} |'),
    'exit-record': ('RU_EXIT_RECORD', 'key, type, help',
                    '| exit key | type | meaning |\n| --- | --- | --- |', '| `{key}` | {type} | {help} |'),
    'expediter-parameters': ('RU_EXPEDITER_PARAM_LIST', 'name, type, def, min, max, desc',
                             '| expediter parameter | type | default | range | meaning |\n'
                             '| --- | --- | ---: | --- | --- |',
                             '| `{name}` | {type} | {def} | {min}..{max} | {desc} |'),
    'expediter-stats': ('RU_EXPEDITER_STATS', 'key, type, help',
                        '| `stats` key | type | meaning |\n| --- | --- | --- |', '| `{key}` | {type} | {help} |'),
}

STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def field(text):
    """A macro argument as the docs show it: adjacent string literals joined, else the token."""
    text = text.strip()
    strings = STRING.findall(text)
    return ''.join(strings) if strings else text


def rows(list_macro, params):
    names = [p.strip() for p in params.split(',')]
    marks = ' @@F '.join(names)
    source = f'#include "{HEADER.name}"\n#define ROW({params}) @@ROW {marks} @@END\n{list_macro}(ROW)\n'
    out = subprocess.run(['cpp', '-P', '-I', str(HEADER.parent), '-'], input=source, text=True,
                         capture_output=True, check=True).stdout
    for row in re.findall(r'@@ROW(.*?)@@END', out, re.S):
        yield dict(zip(names, (field(f) for f in row.split('@@F'))))


def table(name):
    list_macro, params, head, template = TABLES[name]
    return '\n'.join([head] + [template.format(**r) for r in rows(list_macro, params)])


def blocks(text):
    return re.finditer(r'(<!-- contract:([a-z-]+) -->\n)(.*?)(<!-- /contract:\2 -->)', text, re.S)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[1])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--check', action='store_true')
    mode.add_argument('--update', action='store_true')
    parser.add_argument('files', nargs='*')
    args = parser.parse_args()
    if not (args.check or args.update):
        for name in TABLES:
            print(f'<!-- contract:{name} -->\n{table(name)}\n<!-- /contract:{name} -->\n')
        return 0
    stale = []
    for path in map(Path, args.files):
        text = path.read_text()
        for block in blocks(text):
            if block.group(2) not in TABLES:
                stale.append(f'{path}: unknown table {block.group(2)}')
            elif block.group(3) != table(block.group(2)) + '\n':
                stale.append(f'{path}: table {block.group(2)} differs from {HEADER.name}')
        if args.update:
            path.write_text(re.sub(r'(<!-- contract:([a-z-]+) -->\n)(.*?)(<!-- /contract:\2 -->)',
                                   lambda m: m.group(1) + table(m.group(2)) + '\n' + m.group(4), text,
                                   flags=re.S))
    if args.check and stale:
        print('\n'.join(stale) + '\n(scripts/contract-docs.py --update FILE rewrites them)', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
