#!/usr/bin/python3
"""Count test cases from meson's testlog.json: each TAP line is one case
(cmocka and the integration runner speak TAP); other tests count once.
TAP lines with a SKIP directive count as skipped, not passed."""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")
SKIP = re.compile(r"#\s*SKIP\b", re.IGNORECASE)
LINE = re.compile(r"(\d+) passed, (\d+) failed(?:, (\d+) skipped)?")


def count_test(t):
    p = f = s = 0
    for out in (t.get("stdout") or "").splitlines():
        m = TAP.match(out)
        if not m:
            continue
        if m.group(1) == "not ok":
            f += 1
        elif SKIP.search(m.group(2)):
            s += 1
        else:
            p += 1
    result = t["result"]
    if p + f + s == 0:
        if result == "SKIP":
            return 0, 0, 1
        return (1, 0, 0) if result in ("OK", "EXPECTEDFAIL") else (0, 1, 0)
    if result not in ("OK", "EXPECTEDFAIL", "SKIP") and f == 0:
        f = 1  # crashed or timed out after its last TAP line
    return p, f, s


def summary(p, f, s):
    return f"{p} passed, {f} failed" + (f", {s} skipped" if s else "")


def main():
    if sys.argv[1] == "--total":
        tot = [0, 0, 0]
        for line in open(sys.argv[2]):
            m = LINE.search(line)
            if m:
                tot[0] += int(m.group(1))
                tot[1] += int(m.group(2))
                tot[2] += int(m.group(3) or 0)
        print(summary(*tot))
        return
    tot = [0, 0, 0]
    for line in open(sys.argv[1], encoding="utf-8"):
        for i, v in enumerate(count_test(json.loads(line))):
            tot[i] += v
    print(f"{sys.argv[2]}: {summary(*tot)}")


main()
