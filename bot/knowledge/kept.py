"""The knowledge base as loaded and indexed by words, kept in the encodings cache between starts.

Reading and indexing the entries (the YAML, every entry's terms, the index, the typo index) is
most of a fifth of a second of CPU in each of `champbot serve`'s two processes at every start;
reading it back with `pickle` is a few hundredths. The file's name is the SHA-256 of all that
the index is made from: the folder's name (each entry keeps its path), every entry file and the
vocabulary (names and contents), the source of this package and Python's version. Any change to
any of them is another name, so the index is made again; a file that cannot be read back is
made again too. Only the words-only index is kept: the sentence encodings are the encoder's own
cache, in the same folder. Unpickling runs what the file says, so a kept index is read back
only from a file and folder that this process's user (or root) owns and nobody else may write
(`_trusted`): the folder is made private (0700) and the file 0600. Any other is ignored, with a
warning, and the index built from the files.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.knowledge.entries import entry_files, load_entries
from bot.knowledge.vocabulary import FILE_NAME, load_vocabulary

log = logging.getLogger(__name__)

T = TypeVar("T")
_SOURCES = Path(__file__).resolve().parent


def digest(directory: Path) -> str:
    """What the index under `directory` is made from, as one SHA-256."""
    h = hashlib.sha256()
    for part in (sys.version, str(pickle.HIGHEST_PROTOCOL), str(directory)):
        h.update(part.encode() + b"\0")
    vocabulary = directory / FILE_NAME
    files = [*entry_files(directory), *([vocabulary] if vocabulary.is_file() else [])]
    files += sorted(_SOURCES.glob("*.py"))
    for path in files:
        h.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _prefix(directory: Path) -> str:
    return f"knowledge-{hashlib.sha256(str(directory).encode()).hexdigest()[:16]}-"


def kept_file(cache: Path, directory: Path) -> Path:
    """The kept index of the knowledge base under `directory` in the `cache` folder."""
    return cache / f"{_prefix(directory)}{digest(directory)[:32]}.pickle"


def by_words(
    make: Callable[..., T], directory: Path, cache: Path | None, prepare: Callable[[T], object]
) -> T:
    """`make(entries, normaliser=…, scope=…, encoder=None)`, the knowledge base under
    `directory` by words alone, read with its vocabulary, then `prepare`d (what is worked out
    there is kept too); kept in `cache`."""

    def build() -> T:
        vocabulary = load_vocabulary(directory)
        built = make(
            load_entries(directory),
            normaliser=vocabulary.normaliser(),
            scope=vocabulary.scope,
            encoder=None,
        )
        prepare(built)
        return built

    return load_or_build(directory, cache, build)


def load_or_build(directory: Path, cache: Path | None, build: Callable[[], T]) -> T:
    """The index kept in `cache` for `directory`, else `build()` (kept for the next start).
    Without a cache, or a readable folder, `build()` alone (which says what is wrong)."""
    if cache is None or not directory.is_dir():
        return build()
    try:
        path = kept_file(cache, directory)
    except OSError:  # a file went while it was read: the build reads it again, or says so
        return build()
    data: bytes | None = None
    try:
        data = path.read_bytes() if _trusted(path) else None
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot read the kept index %s: %s", path, exc.__class__.__name__)
    if data is not None:
        collecting = gc.isenabled()
        gc.disable()  # its 130,000 objects are all kept: no collection while they are made
        try:
            return pickle.loads(data)
        except Exception as exc:  # a damaged or truncated file: made again, below
            log.warning("ignoring the kept index %s: %s", path, exc.__class__.__name__)
        finally:
            if collecting:
                gc.enable()
    built = build()
    _write(path, built)
    return built


def _trusted(path: Path) -> bool:
    """Whether `path` and its folder are this user's (or root's) and writable by nobody else;
    raises FileNotFoundError when there is no such file."""
    for place in (path, path.parent):
        st = place.stat()
        if st.st_uid not in (os.getuid(), 0) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            log.warning("ignoring the kept index %s: %s may be written by others", path, place)
            return False
    return True


def _write(path: Path, value: object) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)  # atomic: a concurrent reader sees no file or this one
    except (OSError, pickle.PicklingError) as exc:
        log.warning("cannot keep the index in %s: %s", path, exc.__class__.__name__)
        return
    # the folder's earlier versions are not read again: one file for each folder
    for earlier in path.parent.glob(f"{path.name[: path.name.rindex('-') + 1]}*.pickle"):
        if earlier != path:
            with contextlib.suppress(OSError):
                earlier.unlink()
