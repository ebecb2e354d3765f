"""The development/test signing key: generated once per checkout into a git-ignored file, never a constant.

A key written in the repository would be the same on every machine that ever ran the project, so any
session, password-reset link or signed value made with it could be forged by anybody who read the code.
Production never comes here: it requires ``SECRET_KEY`` from the environment.
"""
import logging
import os
import secrets
import time
from pathlib import Path

logger = logging.getLogger(__name__)

KEY_BYTES = 50


def _read_when_written(path: Path) -> str:
    """Another process has just created the file: wait (up to a second) for it to finish writing."""
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} exists but is empty: delete it and start again.")


def local_secret_key(path: Path) -> str:
    """The key stored in ``path``, created (mode 0600) on first use.

    Concurrent first runs (parallel test workers, runserver's reloader) agree on one key: the file is
    created with ``O_EXCL``, the loser reads the winner's. A checkout that cannot be written to gets a
    key for this process only (sessions then do not survive a restart), with a warning.
    """
    try:
        existing = path.read_text().strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written(path)
    except OSError as exc:
        logger.warning("Could not create %s (%s): using a SECRET_KEY for this process only.", path, exc)
        return key
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
