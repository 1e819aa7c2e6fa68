#!/usr/bin/python3
"""Run one unittest module and report each test case as a TAP line."""
import importlib.util
import os
import sys
import traceback
import unittest


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, ok, test, extra=None):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {test.id()}", flush=True)
        if extra:
            for line in extra.rstrip().splitlines():
                print(f"# {line}", flush=True)

    def addSuccess(self, test):
        self._line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(False, test, "".join(traceback.format_exception(*err)))

    def addError(self, test, err):
        super().addError(test, err)
        self._line(False, test, "".join(traceback.format_exception(*err)))

    def addSubTest(self, test, subtest, err):
        # A failing subTest fails its test, but unittest then calls
        # neither addSuccess nor addFailure for the test itself.
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._sub_failures.setdefault(test.id(), []).append(
                f"{subtest}: " + "".join(traceback.format_exception(*err)))

    def startTest(self, test):
        super().startTest(test)
        self._sub_failures = getattr(self, "_sub_failures", {})

    def stopTest(self, test):
        failures = self._sub_failures.pop(test.id(), None)
        if failures:
            self._line(False, test, "\n".join(failures))
        super().stopTest(test)

    def addSkip(self, test, reason):
        self.n += 1
        # One line: a multi-line reason would break the TAP stream.
        reason = " ".join(str(reason).split())
        print(f"ok {self.n} - {test.id()} # SKIP {reason}", flush=True)


def main():
    path = sys.argv[1]
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(path))[0], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
    total = suite.countTestCases()
    print("TAP version 13")
    print(f"1..{total}", flush=True)
    result = TapResult()
    suite.run(result)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
