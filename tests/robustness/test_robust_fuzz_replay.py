# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fuzz harnesses build, and every seed and every past crash input (fuzz/regress/)
replays cleanly under ASan+UBSan. Quick; the fuzzing itself is `make fuzz`."""
import glob
import os
import shutil
import subprocess

import pytest

from ppytest import REPO

TARGETS = sorted(os.path.basename(p)[5:-2] for p in glob.glob(os.path.join(REPO, "fuzz", "fuzz_*.c")))


@pytest.mark.skipif(not shutil.which("clang"), reason="needs clang (make deps-robust)")
@pytest.mark.parametrize("target", TARGETS)
def test_seeds_and_regressions_replay(target):
    if target == "conf" and os.geteuid() != 0:
        pytest.skip("fuzz_conf writes ppy.conf into a root-only directory")
    exe = os.path.join(REPO, "build", "variants", "fuzz", "fuzz_" + target)
    subprocess.run(["make", "-s", "-C", REPO, os.path.relpath(exe, REPO)], check=True)
    inputs = sorted(glob.glob(os.path.join(REPO, "fuzz", "corpus", target, "*")) +
                    glob.glob(os.path.join(REPO, "fuzz", "regress", target, "*")))
    assert inputs, "no seeds for " + target
    proc = subprocess.run([exe, "-close_fd_mask=3", *inputs], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
