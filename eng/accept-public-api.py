#!/usr/bin/env python3
"""Reads `dotnet build` output on stdin and records the public API it reports (RS0016 new symbols, RS0017 removed
symbols) in each project's PublicAPI.Unshipped.txt. Review the diff before committing: the API is a promise.

    dotnet build HumanInLoop.sln -c Release -f net10.0 2>&1 | eng/accept-public-api.py
"""
import os, re, sys

added, removed = {}, {}
pattern = re.compile(r"error (RS001[67]): Symbol '(.+?)' is .*\[(.+?\.csproj)")
for line in sys.stdin:
    m = pattern.search(line)
    if not m:
        continue
    code, symbol, project = m.group(1), m.group(2), m.group(3).split("::")[0]
    folder = os.path.dirname(project)
    (added if code == "RS0016" else removed).setdefault(folder, set()).add(symbol)

for folder in sorted(set(added) | set(removed)):
    unshipped = os.path.join(folder, "PublicAPI.Unshipped.txt")
    shipped = os.path.join(folder, "PublicAPI.Shipped.txt")
    lines = open(unshipped).read().splitlines() if os.path.exists(unshipped) else ["#nullable enable"]
    shipped_lines = set(open(shipped).read().splitlines()) if os.path.exists(shipped) else set()
    for symbol in removed.get(folder, ()):
        if symbol in lines:
            lines.remove(symbol)
        elif symbol in shipped_lines and "*REMOVED*" + symbol not in lines:
            lines.append("*REMOVED*" + symbol)
    for symbol in added.get(folder, ()):
        if symbol not in lines:
            lines.append(symbol)
    header = [l for l in lines if l.startswith("#")]
    body = sorted(set(l for l in lines if l and not l.startswith("#")))
    open(unshipped, "w").write("\n".join(header + body) + "\n")
    print(f"{unshipped}: +{len(added.get(folder, ()))} -{len(removed.get(folder, ()))}")
