"""Run one copy of python-prctl's test_prctl.py with unittest and print each test's outcome.

    python3 prctl_oracle_run.py TEST_FILE [REPO]

REPO, when given, goes first on sys.path (the copy whose imports were replaced by
``from ppy_py.compat import prctl, _prctl``). The last stdout line is
``ORACLE-RESULT {json}``: {"outcomes": {test: "pass"|"fail"|"error"|"skip"},
"details": {test: traceback}, "euid": its uid, "prctl": the prctl module's file}. Tests fork (seccomp,
no_new_privs, ptracer): only this process reports, a child that returns into the
runner exits at once.
"""
import importlib.util
import json
import os
import sys
import unittest

MAIN = os.getpid()


class Collector(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.outcomes, self.details = {}, {}

    def _set(self, test, outcome, err=None):
        self.outcomes[test.id().rsplit(".", 1)[-1]] = outcome
        if err is not None:
            self.details[test.id().rsplit(".", 1)[-1]] = self._exc_info_to_string(err, test)

    def addSuccess(self, test):
        self._set(test, "pass")

    def addFailure(self, test, err):
        self._set(test, "fail", err)

    def addError(self, test, err):
        self._set(test, "error", err)

    def addSkip(self, test, reason):
        self._set(test, "skip")


def main():
    path = sys.argv[1]
    if len(sys.argv) > 2:
        sys.path.insert(0, sys.argv[2])
    spec = importlib.util.spec_from_file_location("test_prctl", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = Collector()
    unittest.defaultTestLoader.loadTestsFromModule(module).run(result)
    if os.getpid() != MAIN:   # a forked test child that came back: say nothing
        os._exit(1)
    print("ORACLE-RESULT " + json.dumps({
        "outcomes": result.outcomes, "details": result.details,
        "euid": os.geteuid(), "prctl": module.prctl.__file__, "_prctl": getattr(module._prctl, "__file__", None),
    }), flush=True)


if __name__ == "__main__":
    main()
