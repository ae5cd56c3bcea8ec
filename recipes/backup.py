#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: back up files the service account could not otherwise read.

    chown backup:backup backup.py; chmod 0755 backup.py
    setcap cap_dac_read_search=p backup.py
    ./backup.py /etc /var/backups/etc.tar.gz

cap_dac_read_search lets the script read any file and search any directory, only while
raised: the archive itself is written with the account's own rights.
"""
import os
import sys
import tarfile

import ppy_py

source, target = sys.argv[1], sys.argv[2]
with tarfile.open(target, "w:gz") as tar:
    with ppy_py.raised("dac_read_search"):
        tar.add(source, arcname=os.path.basename(source.rstrip("/")) or "root")
print("archived %s into %s" % (source, target))
