"""Source text: decoding bytes the way Python does, encoding them back unchanged, and positions.

A rewrite must give back the file exactly as it came except for the edits: the same encoding
(a coding cookie or a UTF-8 BOM), the same line endings. ``ast`` reports columns in UTF-8 bytes,
edits work in characters; ``LineIndex`` converts between the two.
"""
from __future__ import annotations

import bisect
import codecs
import io
import re
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """The bytes are not Python source we can read: the message names the line."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Source:
    text: str
    encoding: str  # a Python codec name; "utf-8-sig" when the file starts with a BOM
    newline: str  # the first line ending of the file, used for inserted lines

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)


_NEWLINE = re.compile(r"\r\n|\r|\n")


def decode(data: bytes) -> Source:
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise SourceError("file contains a NUL byte (binary data?)", line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown codec in the coding cookie, or a BOM that contradicts it
        raise SourceError(str(exc), getattr(exc, "lineno", None) or 1) from None
    try:
        codecs.lookup(encoding)
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"cannot decode byte {data[exc.start]:#04x} as {encoding}"
            " (declare the encoding with a coding comment)",
            line,
        ) from None
    return Source(text=text, encoding=encoding, newline=first_newline(text))


def first_newline(text: str) -> str:
    match = _NEWLINE.search(text)
    return match.group() if match else "\n"


class LineIndex:
    """Converts ast positions (1-based line, UTF-8 byte column) to character offsets in the text."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[start:end]

    def char_column(self, line: int, byte_column: int) -> int:
        text = self.line_text(line)
        if text.isascii():
            return byte_column
        return len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="replace"))

    def offset(self, line: int, byte_column: int) -> int:
        return self.starts[line - 1] + self.char_column(line, byte_column)

    def span(self, node) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)
