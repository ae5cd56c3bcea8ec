#!/usr/local/bin/ppy
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recipe: back up files the service account could not otherwise read.

    install -o backup -g backup -m 0755 backup.py /srv/backup/
    setcap cap_dac_read_search=p /srv/backup/backup.py
    # /srv/backup/backup.conf, owned by root (or backup), mode 0644:
    #     source /etc
    #     target /var/backups/etc.tar.gz
    /srv/backup/backup.py

Who may start it: anyone, safely. What it archives and where the archive goes come only
from backup.conf beside it, which only root or the account can write (read with
ppy_py.trusted_config, which checks that, hop by hop); it takes no arguments. The archive
is written with the account's own rights, mode 0600, in a directory only root or the
account can write (ppy_py.trusted_directory; anything else is refused). cap_dac_read_search is raised only
while the sources are read. To let only some users start it, give it their group before
the setcap (a chown or chgrp removes file capabilities): install -o backup -g operators
-m 0750 ...; the script then runs with that group as its gid (ppy --check then no longer
warns).
"""
import os
import sys
import tarfile

import ppy_py

if sys.argv[1:]:
    sys.exit("backup.py takes no arguments: what it archives is in backup.conf beside it")
sources, target = [], None
for n, line in enumerate(ppy_py.trusted_config("backup.conf").splitlines(), 1):
    word, _, value = line.strip().partition(" ")
    if word == "source" and value.startswith("/"):
        sources.append(value.strip())
    elif word == "target" and value.startswith("/") and target is None:
        target = value.strip()
    elif word and not word.startswith("#"):
        sys.exit("backup.conf, line %d: expected 'source /path' or one 'target /path'" % n)
if not sources or target is None:
    sys.exit("backup.conf names no source or no target")

# The archive holds what the capability read: it is written where only root or this
# account can put a file (another account could otherwise plant the name first and be
# handed the content), under a fresh name, then renamed into place.
os.umask(0o077)
target_dir, name = os.path.split(target)
dir_fd = ppy_py.trusted_directory(target_dir)
partial = ".%s.%s.partial" % (name, os.urandom(6).hex())
fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
             dir_fd=dir_fd)
with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
    with ppy_py.raised("dac_read_search"):
        for source in sources:
            tar.add(source, arcname=os.path.basename(source.rstrip("/")) or "root")
os.rename(partial, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
os.close(dir_fd)
print("archived %s into %s" % (", ".join(sources), target))
