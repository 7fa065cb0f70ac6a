"""The batch-input contract every JSON Lines command shares (``sentiment score``, ``dedupe``,
``press import``, ``triage``, ...).

One :class:`Line` comes out per input line, in order, and each command writes one output record per
line: a bad line gets an error record naming its line number in its place, and the good lines around
it are never lost. Nothing in the input can raise out of :func:`read_jsonl`:

* bytes that are not UTF-8, a line longer than ``max_bytes`` (read in bounded pieces, never whole),
  an empty line, text that is not JSON or not a JSON object: an error line;
* JSON strings that are not valid Unicode text (a lone surrogate such as ``"\\ud800"``, which would
  crash a tokenizer or an encoder) or hold a NUL (which PostgreSQL refuses): an error line naming
  the field;
* a ``.gz`` file that is corrupt or cut short: the lines before the damage are kept and one error
  line says where the file stops being readable; nothing after it is guessed.

Field checks (:func:`string_field`, :func:`id_field`) raise :class:`FieldError`, whose message the
command puts in that line's error record.

Use it as::

    with open_input(path) as stream:
        for line in read_jsonl(stream, name):
            if line.error: ...           # write the error record for line.number
            else: use(line.value)        # a dict
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar, cast

MAX_LINE_BYTES = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), read lazily: a command writes the
    records of one chunk before reading the next."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class InputError(Exception):
    """The input cannot be read at all (missing file, a folder); the message names it."""


class FieldError(ValueError):
    """A field of an otherwise readable line has the wrong type or value."""


@dataclass(frozen=True)
class Line:
    """One input line: its number (from 1), the JSON object, or why it could not be read."""

    number: int
    value: dict[str, Any] | None
    error: str | None = None


class Input:
    """A byte stream over a file (``.gz`` read transparently) or standard input (``-``).

    ``position()`` is how far the underlying file has been read (compressed bytes for ``.gz``) and
    ``size`` its length, for a progress bar; both are None for a pipe.
    """

    def __init__(self, path: str | Path) -> None:
        self.name = "stdin" if str(path) == "-" else str(path)
        self.size: int | None = None
        self._raw: IO[bytes]
        if str(path) == "-":
            self._raw = sys.stdin.buffer
            self.stream: IO[bytes] = self._raw
            return
        target = Path(path)
        if target.is_dir():
            raise InputError(f"{target}: is a folder, not a JSON Lines file")
        try:
            self._raw = target.open("rb")
        except OSError as exc:
            raise InputError(f"{target}: cannot open: {exc.strerror}") from None
        self.size = target.stat().st_size
        gz = self._raw.read(2) == b"\x1f\x8b"
        self._raw.seek(0)
        self.stream = cast(IO[bytes], gzip.GzipFile(fileobj=self._raw, mode="rb")) if gz else self._raw

    def position(self) -> int | None:
        try:
            return self._raw.tell() if self.size is not None else None
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self._raw is not sys.stdin.buffer:
            self.stream.close()
            self._raw.close()

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_input(path: str | Path) -> Input:
    """Open a JSON Lines input; :class:`InputError` when it cannot be opened at all."""
    return Input(path)


#: What a damaged gzip stream raises part-way (the lines before it are already out).
_DAMAGED = (EOFError, zlib.error, gzip.BadGzipFile, OSError)


def read_jsonl(stream: IO[bytes], name: str = "stdin", *, max_bytes: int | None = None) -> Iterator[Line]:
    """One :class:`Line` per input line, in order; never raises for what the input holds.

    A line longer than ``max_bytes`` (default :data:`MAX_LINE_BYTES`) is an error line."""
    max_bytes = max_bytes or MAX_LINE_BYTES
    number = 0
    while True:
        number += 1
        try:
            raw, too_long = _next_line(stream, max_bytes)
        except _DAMAGED as exc:
            yield Line(number, None, f"line {number}: {name} cannot be read from here on "
                                     f"({_damage(exc)}); the lines before it were read")
            return
        if raw is None:
            return
        yield _parse(raw, number, too_long, max_bytes)


def _damage(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the compressed file is cut short"
    return f"not a readable gzip stream: {exc}"


def _next_line(stream: IO[bytes], max_bytes: int) -> tuple[bytes | None, bool]:
    """The next line without its end (None at the end of input) and whether it was too long; a too
    long line is read past in pieces of at most 1 MB, so it never sits in memory whole."""
    raw = stream.readline(max_bytes + 1)
    if not raw:
        return None, False
    if len(raw) > max_bytes and not raw.endswith(b"\n"):
        while True:
            rest = stream.readline(_CHUNK)
            if not rest or rest.endswith(b"\n"):
                break
        return b"", True
    return raw.rstrip(b"\r\n"), False


def _parse(raw: bytes, number: int, too_long: bool, max_bytes: int) -> Line:
    where = f"line {number}"
    if too_long:
        return Line(number, None, f"{where}: longer than {max_bytes:,} bytes; skipped")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(number, None, f"{where}: not valid UTF-8 (byte {raw[exc.start]:#04x} at byte {exc.start + 1})")
    if not text.strip():
        return Line(number, None, f"{where}: empty line")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Line(number, None, f"{where}: not JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return Line(number, None, f"{where}: JSON nested too deeply")
    if not isinstance(value, dict):
        return Line(number, None, f"{where}: expected a JSON object, got {json_type(value)}")
    bad = _bad_text(value)
    if bad:
        return Line(number, None, f"{where}: {bad}")
    return Line(number, value)


def _bad_string(text: str) -> str | None:
    for i, c in enumerate(text):
        if "\ud800" <= c <= "\udfff":
            return f"a lone surrogate (\\u{ord(c):04x} at character {i + 1}), which is not text"
        if c == "\x00":
            return f"a NUL character (\\u0000 at character {i + 1})"
    return None


def _bad_text(value: Any, path: str = "") -> str | None:
    """Why a string inside ``value`` is not storable text (a lone surrogate, a NUL), or None."""
    name = f'"{path}"' if path else "the line"
    if isinstance(value, str):
        found = _bad_string(value)
        return f"{name} holds {found}" if found else None
    if isinstance(value, list):
        return next((f for i, v in enumerate(value) if (f := _bad_text(v, f"{path}[{i}]"))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if found := _bad_string(key):
                return f"a key of {name} holds {found}"
            if found := _bad_text(item, f"{path}.{key}" if path else key):
                return found
    return None


def parse_text(text: str, number: int, *, max_bytes: int | None = None) -> Line:
    """A :class:`Line` from a line already in memory (benchmarks, tests), checked like any other."""
    max_bytes = max_bytes or MAX_LINE_BYTES
    data = text.encode("utf-8", "surrogatepass").rstrip(b"\r\n")
    return _parse(data, number, len(data) > max_bytes, max_bytes)


def json_type(value: Any) -> str:
    """JSON's own name for a value's type (what a person wrote), not Python's."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def string_field(obj: dict[str, Any], key: str, *, required: bool = False, blank: bool = True,
                 max_chars: int | None = None) -> str | None:
    """``obj[key]`` as a string; None when absent or null (an error if ``required``)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise FieldError(f'no "{key}"')
        return None
    if not isinstance(value, str):
        raise FieldError(f'"{key}" must be a string, got {json_type(value)}')
    if not blank and not value.strip():
        raise FieldError(f'"{key}" is empty')
    if max_chars is not None and len(value) > max_chars:
        raise FieldError(f'"{key}" is longer than {max_chars:,} characters')
    return value


def id_field(obj: dict[str, Any], key: str = "id", *, required: bool = False) -> str | int | None:
    """An identifier: a string or a whole number, echoed back as given (never invented)."""
    if key not in obj:
        if required:
            raise FieldError(f'no "{key}"')
        return None
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(f'"{key}" must be a string or a whole number, got {json_type(value)}')
    return value


def text_stream(data: bytes) -> IO[bytes]:
    """Bytes as a stream (tests, and commands that already hold their input)."""
    return io.BytesIO(data)


class Records:
    """Writes one JSON record per input line and reports bad lines on ``err`` with the source name.

    Every record carries ``"line"`` (its input line), so output joins back to input even where the
    input had no id; an error record also carries ``"error"`` (which names the line)."""

    def __init__(self, out: IO[str], err: IO[str] | None, source: str, command: str) -> None:
        self.out, self.err, self.source, self.command = out, err, source, command
        self.written = 0
        self.bad = 0

    def ok(self, line: int, record: dict[str, Any]) -> None:
        self._write({**record, "line": line})

    def error(self, line: int, message: str, **fields: Any) -> None:
        self.bad += 1
        self._write({**fields, "line": line, "error": message})
        if self.err is not None:
            self.err.write(f"newsdesk {self.command}: {self.source}: {message}\n")

    def _write(self, record: dict[str, Any]) -> None:
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.written += 1
