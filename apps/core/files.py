"""The desk's runtime files are its owner's alone.

The SQLite ledger holds the admin's API token (staff: kill switch, flatten) and encrypted exchange
keys; Redis's AOF/RDB hold the live state and the broker's messages; model artifacts are loaded
and executed. None of them is for other local users.
"""

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077  # files 0600, directories 0700


def private_files() -> None:
    """Every file this process (and its children: Redis under `make up`) creates is the owner's
    alone, whoever creates it: sqlite's -wal/-shm, joblib, redis-server."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> None:
    """`path` 0700, and what is already under it no longer readable by group or others (files
    made before this rule, or by a process with a looser umask)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            entry = Path(root) / name
            try:
                mode = entry.lstat().st_mode
                if stat.S_ISLNK(mode) or not mode & 0o077:
                    continue
                entry.chmod(stat.S_IMODE(mode) & 0o700)
            except FileNotFoundError:
                continue  # a -journal or a socket gone between the walk and the chmod
