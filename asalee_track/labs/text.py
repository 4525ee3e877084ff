"""Bytes to lines: the encodings labs use and any line ending."""

import re

_BOM = b"\xef\xbb\xbf"
_LINE_END = re.compile(r"\r\n|\r|\n")


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in. UTF-8 (with or without BOM) when it decodes as such;
    otherwise Windows-1252, which agrees with ISO-8859-1 on every printable character (the two differ
    only where ISO-8859-1 has invisible C1 controls, never found in a lab file)."""
    if data.startswith(_BOM):
        return data[len(_BOM) :].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
        return data.decode("latin-1"), "iso-8859-1"


def lines(text: str) -> list[str]:
    """Lines split on CR, LF or CRLF (HL7 separates segments with CR alone); a final empty one dropped."""
    parts = _LINE_END.split(text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts
