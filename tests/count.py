#!/usr/bin/python3
"""Count test cases from meson's testlog.json: each TAP line is one case
(cmocka and the integration runner speak TAP); other tests count once."""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def count_log(path):
    passed = failed = 0
    for line in open(path, encoding="utf-8"):
        t = json.loads(line)
        p = f = 0
        for out in (t.get("stdout") or "").splitlines():
            m = TAP.match(out)
            if not m:
                continue
            if m.group(1) == "ok":
                p += 1
            else:
                f += 1
        if p + f == 0:
            p, f = (1, 0) if t["result"] in ("OK", "EXPECTEDFAIL") else (0, 1)
        elif t["result"] not in ("OK", "EXPECTEDFAIL") and f == 0:
            f = 1  # crashed or timed out after its last TAP line
        passed += p
        failed += f
    return passed, failed


def main():
    if sys.argv[1] == "--total":
        tp = tf = 0
        for line in open(sys.argv[2]):
            m = re.search(r"(\d+) passed, (\d+) failed", line)
            if m:
                tp += int(m.group(1))
                tf += int(m.group(2))
        print(f"{tp} passed, {tf} failed")
        return
    p, f = count_log(sys.argv[1])
    print(f"{sys.argv[2]}: {p} passed, {f} failed")


main()
