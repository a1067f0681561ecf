"""File names as users send them, and as downloads announce them.

A declared name is a claim from the client: it must be a plain base name.
Path components (``/``, ``\\``, ``..``) and control or format characters
(newlines, NUL, bidirectional overrides that disguise ``.exe`` as ``.pdf``)
are refused with 400 rather than silently rewritten, so what is stored is
exactly what the user named. Downloads carry the name in an RFC 6266
``Content-Disposition`` with an ASCII fallback and the UTF-8 ``filename*``
(RFC 5987).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from odr.errors import BadRequest

MAX_NAME = 255
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _bad(message: str, name: str) -> BadRequest:
    return BadRequest(message, code="bad_filename", details={"filename": name})


def check_filename(name: str) -> str:
    """The name itself if it is a safe base name; 400 otherwise."""
    stripped = name.strip()
    if not stripped:
        raise _bad("the file has no name: send it with a file name", name)
    if "/" in stripped or "\\" in stripped:
        raise _bad("send the file name only, without folders (no '/' or '\\')", name)
    if stripped in (".", "..") or stripped.startswith(".."):
        raise _bad("the file name cannot be '.' or start with '..'", name)
    bad = sorted({f"U+{ord(ch):04X}" for ch in stripped
                  if unicodedata.category(ch) in _REFUSED_CATEGORIES})
    if bad:
        raise BadRequest(
            "the file name contains control or invisible characters: rename the file",
            code="bad_filename", details={"filename": name, "characters": bad},
        )
    if len(stripped) > MAX_NAME:
        raise _bad(f"the file name is longer than {MAX_NAME} characters", name)
    return stripped


def _ascii_fallback(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe = "".join(ch if ch.isalnum() or ch in "._- ()" else "_" for ch in folded).strip()
    stem_ext = safe.rsplit(".", 1)
    if not safe or safe.startswith(".") or (len(stem_ext) == 2 and not stem_ext[0].strip("_")):
        ext = name.rsplit(".", 1)[-1] if "." in name else ""
        ext = "".join(ch for ch in ext if ch.isascii() and ch.isalnum())
        return f"document.{ext}" if ext else "document"
    return safe


def content_disposition(name: str, *, inline: bool = False) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` for any stored name."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
