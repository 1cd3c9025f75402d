"""Tokenising analyst Cypher for the scope rewrite: strings, comments, quoted names,
parameters and numbers are single tokens, so nothing inside them is ever taken for a pattern
or rewritten; an unclosed string, quoted name or comment is refused with
:class:`ScopeRefused`, the error every refusal of an analyst query raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openfdp.store.errors import StoreError


class ScopeRefused(StoreError):
    """The query cannot be scoped; the message says what to change."""


@dataclass(frozen=True)
class Token:
    kind: str  # ws | comment | string | name | quoted | number | param | punct
    text: str
    start: int
    end: int


_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>//[^\n]*|/\*.*?\*/)"
    r"|(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<quoted>`(?:[^`]|``)*`)"
    r"|(?P<param>\$(?:[A-Za-z_]\w*|`(?:[^`]|``)*`|\d+))"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<punct>\.\.|.)",
    re.DOTALL,
)


def tokenize(query: str) -> list[Token]:
    """Every token of ``query``, whitespace and comments included, with its offsets."""
    tokens = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "punct"
        text = match.group()
        if kind == "punct" and text in {"'", '"', "`"}:
            raise ScopeRefused(f"a quoted string or name ({text}) is not closed")
        if kind == "punct" and text == "/" and query.startswith("/*", match.start()):
            raise ScopeRefused("a /* comment is not closed")
        tokens.append(Token(kind, text, match.start(), match.end()))
    return tokens


def unquote(name: str) -> str:
    """A label or name without its enclosing backquotes (a doubled backquote inside is one)."""
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def word_of(token: Token) -> str:
    """The lower-cased text of a name token (keywords are case-insensitive), else ``""``."""
    return token.text.lower() if token.kind == "name" else ""
