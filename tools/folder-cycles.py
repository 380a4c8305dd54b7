#!/usr/bin/env python3
"""Pairs of src/Meridian.Gateway folders that depend on each other (issue 18, "folder import cycles").

A folder A depends on a folder B when a C# file under A
  - imports B's namespace (`using Meridian.Gateway.B;`, or a sub-namespace of it), or
  - names it qualified (`Meridian.Gateway.B.Type`, or `B.Type` relative to the Meridian.Gateway namespace), or
  - with --types: uses a type declared only in B (a type name declared once in all of src/).
Prints each folder's dependencies, then every pair A <-> B, and the count on the last line.

    tools/folder-cycles.py [--types] [--root src/Meridian.Gateway]
"""
import argparse
import collections
import os
import re
import sys

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "Meridian.Gateway"))
parser.add_argument("--types", action="store_true", help="also count uses of types declared only in another folder")
args = parser.parse_args()

root = os.path.normpath(args.root)
src = os.path.dirname(root)
folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and d not in ("bin", "obj"))


def sources(top):
    for base, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in ("bin", "obj")]
        for name in files:
            if name.endswith(".cs"):
                yield os.path.join(base, name)


def strip(text):
    """The code without comments and string literals, so names in prose do not count."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r'@?\$*"(?:[^"\\\n]|\\.)*"', '""', text)


declared = collections.defaultdict(set)  # type name -> folders (or other projects) declaring it
for path in sources(src):
    rel = os.path.relpath(path, root)
    owner = rel.split(os.sep)[0] if not rel.startswith("..") and os.sep in rel else "(elsewhere)"
    for name in re.findall(r"\b(?:class|record|struct|interface|enum)\s+([A-Z]\w*)", strip(open(path, encoding="utf-8").read())):
        declared[name].add(owner)
unique = {name: next(iter(owners)) for name, owners in declared.items() if len(owners) == 1 and next(iter(owners)) in folders}

depends = {f: set() for f in folders}
for folder in folders:
    for path in sources(os.path.join(root, folder)):
        code = strip(open(path, encoding="utf-8").read())
        for other in folders:
            if other == folder:
                continue
            if re.search(rf"\busing\s+(?:static\s+)?(?:\w+\s*=\s*)?Meridian\.Gateway\.{other}\b", code) \
                    or re.search(rf"\bMeridian\.Gateway\.{other}\.", code) \
                    or re.search(rf"(?<![\w.]){other}\.[A-Z]", code):
                depends[folder].add(other)
        if args.types:
            for word in set(re.findall(r"\b[A-Z]\w*\b", code)):
                if word in unique and unique[word] != folder:
                    depends[folder].add(unique[word])

for folder in folders:
    print(f"{folder:12} -> {', '.join(sorted(depends[folder])) or '-'}")
pairs = sorted((a, b) for a in folders for b in depends[a] if a < b and a in depends[b])
print()
for a, b in pairs:
    print(f"cycle: {a} <-> {b}")
print(f"{len(pairs)} pairs of gateway folders depend on each other ({'imports, qualified names and types' if args.types else 'imports and qualified names'})")
sys.exit(0)
