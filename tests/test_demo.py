# SPDX-License-Identifier: LGPL-2.1-or-later
"""`make demo`, the README's main job, run for real: demo/demo.sh installs ppy into a
throwaway root-owned directory, caps a script owned by uid 4242 and runs it as nobody.
What it prints must be what the README says it prints, line for line, so that the README's
"a real run" cannot go stale, and the script's child must hold nothing."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from ppytest import PYTHON, REPO

pytestmark = pytest.mark.root
README_DIR = "/var/lib/ppy-demo"   # where the README's copy of the output ran


def readme_block():
    """The fenced block that follows "What the demo prints" in README.md."""
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    m = re.search(r"^What the demo prints.*?\n```\n(.*?)```\n", text, re.S | re.M)
    assert m, "README.md has no demo output block"
    return m.group(1).splitlines()


def test_the_demo_prints_what_the_readme_shows():
    demo = tempfile.mkdtemp(prefix="ppy-test-demo-", dir="/var/lib")
    try:
        os.chmod(demo, 0o755)
        proc = subprocess.run(
            ["sh", os.path.join(REPO, "demo", "demo.sh")], capture_output=True, text=True,
            timeout=300, env={"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
                              "PYTHON": PYTHON, "DEMO_DIR": demo})
        assert proc.returncode == 0, proc.stderr
        shown = proc.stdout.replace(demo, README_DIR).replace(PYTHON, "/usr/bin/python3")
        assert shown.splitlines() == readme_block(), proc.stdout
        # What the README's lines claim, read independently of the demo's own wording.
        assert "bound to 127.0.0.1:80" in shown
        child = re.search(r"a child process holds: (.*)", shown).group(1)
        assert re.findall(r"Cap\w+: (\w+)", child) == ["0" * 16] * 5, child
    finally:
        shutil.rmtree(demo, ignore_errors=True)
    assert not os.path.exists(demo)
