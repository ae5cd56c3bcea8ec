# SPDX-License-Identifier: LGPL-2.1-or-later
"""``python -m ppy_py``: the admin command line (see ppy_py._cli)."""

import sys

from ._cli import main

sys.exit(main())
