# SPDX-License-Identifier: LGPL-2.1-or-later
"""The launcher's command line: refusals that need no privilege and no install."""
import os
import subprocess

import pytest

from ppytest import EX_NOSCRIPT, EX_USAGE, REPO, compile_helper

PPY = os.path.join(REPO, "wrapper", "ppy")


@pytest.fixture(scope="module")
def ppy():
    subprocess.run(["make", "-s", "-C", REPO, "wrapper/ppy"], check=True)
    return PPY


def call(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, **kw)


def one_line_refusal(proc, status, *words):
    assert proc.returncode == status, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppy: "), proc.stderr
    for w in words:
        assert w in lines[0]
    assert proc.stdout == ""


def test_help_lists_usage_and_exit_statuses(ppy):
    proc = call([ppy, "--help"])
    assert proc.returncode == 0
    assert "usage: ppy [--] SCRIPT" in proc.stdout
    for status in ("64", "66", "80", "81", "82", "83", "84", "85", "86", "87", "88"):
        assert status in proc.stdout


def test_version(ppy):
    proc = call([ppy, "--version"])
    assert proc.returncode == 0 and proc.stdout.startswith("ppy ")


@pytest.mark.parametrize("argv", [[], ["--"], ["--check"], ["--check", "a", "b"]])
def test_missing_script_is_a_usage_error(ppy, argv):
    one_line_refusal(call([ppy, *argv]), EX_USAGE, "usage")


@pytest.mark.parametrize("argv", [["-c", "print(1)"], ["-i", "x.py"], ["-m", "http.server"],
                                  ["-"], ["--", "-c"], ["-I"], ["-E", "x.py"]])
def test_interpreter_options_are_refused(ppy, argv):
    one_line_refusal(call([ppy, *argv]), EX_USAGE, "option")


def test_empty_script_name(ppy):
    one_line_refusal(call([ppy, ""]), EX_USAGE, "empty script name")


def test_missing_script_file(ppy, tmp_path):
    missing = str(tmp_path / "nope.py")
    one_line_refusal(call([ppy, missing]), EX_NOSCRIPT, missing, "No such file")


def test_control_characters_in_the_name_are_escaped(ppy, tmp_path):
    name = str(tmp_path / "a\nb\x1b.py")
    proc = call([ppy, name])
    one_line_refusal(proc, EX_NOSCRIPT, "a\\x0ab\\x1b.py")


ARGC0 = r"""
#include <unistd.h>
int main(int argc, char **argv) {
    char *none[] = { NULL };
    char *env[] = { "GCONV_PATH=.", "x.py", NULL };
    (void)argc;
    execve(argv[1], none, env);
    return 99;
}
"""


def test_argc_zero_is_refused(ppy, tmp_path):
    """PwnKit: execve(ppy, {NULL}, env) must not read the environment as arguments."""
    helper = compile_helper("argc0", ARGC0, str(tmp_path))
    proc = call([helper, ppy])
    assert proc.returncode == EX_USAGE, proc.stderr
    assert "x.py" not in proc.stderr and "GCONV" not in proc.stderr
    assert proc.stderr.startswith("ppy: ")


def test_a_backslash_in_a_name_cannot_pass_for_an_escaped_byte(ppy, tmp_path):
    name = str(tmp_path / "a\\x0ab.py")       # a literal backslash, x, 0, a
    one_line_refusal(call([ppy, name]), EX_NOSCRIPT, "a\\x5cx0ab.py")
