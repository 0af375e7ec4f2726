"""Prompt-injection hazards: text on a wiki page aimed at the AI agents that read it.

`detect_hazards(page)` returns `Signal(kind="hazard", weight=0.0)`s. A hazard is not
staleness: it never changes a page's status or score; the retrieval filter acts on it
(docs/filter.md, `Policies.hazard`). Four families, at most one signal each:

- **agent-directed text** in what a reader sees: "ignore all previous instructions",
  chat-template turns (`<|im_start|>system`, `[INST]`, `System: you must` at a line
  start; a terminator like `<|endoftext|>` alone is not one), "reveal your system prompt",
  "you are now an unrestricted AI", "as an AI, you must", "note to AI agents",
  "do not tell the user" or "send the conversation to https://..." next to words that
  address an AI. Not flagged in code (fenced or inline code, `<code>`, `<pre>`, code
  macros) or right inside quotation marks: that is a page *discussing* injection.
- **hidden text**: an element styled `display:none`, `visibility:hidden`,
  `font-size:0`, `opacity:0`, text coloured like its own background, pushed off-screen,
  or with the `hidden` attribute, that holds instruction-like text, words addressed to
  an AI, or 12 words or more; an `aria-hidden`, `<script>`, `<style>`, `<template>` or
  `<noscript>` element, an HTML comment or a Markdown comment link (`[//]: # (...)`)
  holding instruction-like text. stale's own `<!-- stale: ignore ... -->` comments hold
  none, so they are never flagged. Hidden markup shown as code (a Markdown fence or
  inline code, a CDATA code macro, wikitext `<pre>`/`<nowiki>`) is not hidden.
- **invisible characters**: bidirectional controls (U+202A..U+202E, U+2066..U+2069)
  outside code on a page without right-to-left text; three or more zero-width
  characters (U+200B..U+200D, U+2060..U+2064, U+FEFF after the start, U+180E, the marks
  U+200E/F and U+061C) inside words or in runs, that no emoji sequence or script needs
  (a ZWJ inside 👨‍👩‍👧, a ZWNJ in Persian, a ZWSP in Thai are not counted, nor a stray
  one between tags or words). Instruction-like text spelled with invisible characters
  in between is found as agent-directed text.
- **Unicode tag characters** (U+E0000..U+E007F), which spell ASCII that readers do not
  see but models do; the decoded text is shown. Emoji subdivision flags (🏴 + tags) are
  not counted.

Messages are stale's own words with a line number, never page text, so they are safe
to show to an agent; `Evidence.text` carries a short excerpt (at most 120 characters)
with invisible characters written as `<U+200B>`, for people.

Every pattern is linear (no nested quantifiers; bounded repetitions); the work per page
is bounded: at most `MAX_SCAN_CHARS` characters are read and `MAX_CANDIDATES` matches
per detector are examined. `python -m bench.redos --only hazard` times it.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from stale.model import Evidence, Page, Signal

__all__ = ["HAZARD", "HAZARD_VERSION", "detect_hazards", "is_hazard", "visible"]

HAZARD = "hazard"
#: Bumped when what is detected changes (a store's verdicts then need a re-check).
HAZARD_VERSION = 1
MAX_SCAN_CHARS = 4_000_000
MAX_EXCERPT = 120
MAX_EVIDENCE = 3
MAX_CANDIDATES = 500
MAX_ELEMENT_CHARS = 100_000
#: Invisible characters looked at one by one (beyond: counted, not examined).
MAX_INVISIBLE = 50_000
#: Hidden text of this many words is flagged even when it says nothing suspicious.
HIDDEN_WORDS = 12
#: Zero-width characters no script or emoji needs: this many make a hazard.
MIN_ZERO_WIDTH = 3
_CUE_WINDOW = 300


def is_hazard(s: Signal) -> bool:
    return s.kind == HAZARD


# -- patterns ---------------------------------------------------------------------------

_W = r"[\t\n\r\x20]+"  # words are separated by whitespace (tags and entities became spaces)


def _ws(pattern: str) -> str:
    """A pattern in which a space stands for any run of whitespace (written `\\x20`
    where one literal space is meant)."""
    return pattern.replace(" ", _W)


_NOT_A_ROLE = (
    # "an AI engineer", "LLM users": about people, not addressed to a model
    r"(?![\t\x20]+(?:engineer|team|lead|developer|researcher|specialist|expert|champion|"
    r"owner|manager|admin|administrator|contributor|member|user|product|feature|"
    r"policy|usage|governance|strategy|initiative|platform|project|group|guild)s?\b)"
)
#: Words that name an AI.
_AI = _ws(
    r"(?:ais?|llms?|gpt(?:-?\d[\w.]*)?|chatgpt|claude|copilot|gemini|(?:large )?language models?"
    r"|chat[\t\x20]?bots?|(?:ai|llm) (?:agents?|assistants?|models?|systems?|crawlers?|tools?))"
    + _NOT_A_ROLE
)
_PRIOR = r"(?:previous|prior|preceding|earlier|system)"
_ORDERS = r"(?:instructions?|prompts?|directives?|guidelines|programming)"
_DONT = r"(?:do not|don['\u2019]t|never|must not)"

#: (label, pattern): flagged on their own (outside code and quotes). Every pattern starts
#: with one of `_TRIGGERS`; patterns are matched on lower-cased text.
_STRONG: tuple[tuple[str, str], ...] = (
    (
        "an order to ignore previous instructions",
        _ws(
            # "ignore all previous instructions", "disregard any of the above rules"
            rf"(?:ignore|disregard|forget|override|bypass) (?:all|any|every) (?:of )?"
            rf"(?:the |your )?(?:{_PRIOR}|above|foregoing) (?:{_ORDERS}|rules|context|commands)\b"
            # "forget your instructions", "ignore your previous rules"
            rf"|(?:ignore|disregard|forget|override|bypass) your (?:{_PRIOR} )?"
            rf"(?:{_ORDERS}|rules|training)\b"
            # "ignore previous instructions" (not "... instructions if you use Docker")
            rf"|(?:ignore|disregard|forget) (?:(?:the|these|those|my) )?{_PRIOR} {_ORDERS}\b"
            r"(?! (?:if|when|for|on|in|from|about|unless|that|of)\b)"
        ),
    ),
    (
        "a request to reveal the system prompt",
        _ws(
            r"(?:reveal|print|output|repeat|leak|disclose|dump|recite|show me|tell me) (?:"
            r"your (?:(?:full|entire|complete|original|hidden|initial|secret|exact) )?"
            r"(?:system )?(?:prompt|instructions|rules)"
            r"|the (?:(?:full|entire|original|hidden|initial|secret) )?system prompt"
            r"|the (?:hidden|initial|original|secret) (?:prompt|instructions))\b"
        ),
    ),
    (
        "a new role for the AI reading it",
        _ws(
            r"you are now (?:(?:(?:a|an|the|my) )?(?:(?:unrestricted|unfiltered|uncensored|"
            rf"jailbroken|evil|rogue|different|new|free) )?(?:{_AI}|dan)\b"
            r"|in (?:developer|god|jailbreak|jailbroken|dan|unrestricted) mode)"
            r"|from now on,? you (?:are|will|must|shall) "
            r"(?:act|respond|answer|behave|pretend|roleplay|role-play|reply)\b"
        ),
    ),
    (
        "an order addressed to an AI",
        _ws(
            rf"as an? {_AI},? you (?:must|should|will|are|need|have to|shall|may not|cannot"
            rf"|can['\u2019]t)\b|if you are (?:an? )?{_AI}\b"
        ),
    ),
    (
        "a note addressed to AI agents",
        _ws(
            # a vocative: "Note to AI agents:", "Dear LLM,", "Hello ChatGPT!"
            rf"(?:dear|attention|note (?:to|for)|hey|hello|hi) (?:(?:the|all|any) )?{_AI}"
            r"[\t\x20]*[,:;!\u2014-]"
            rf"|(?:new|secret|hidden|special) instructions for (?:(?:the|all|any) )?{_AI}\b"
            rf"|{_AI} (?:reading|summari[sz]ing|parsing) this "
            r"(?:page|document|text|content|file|message)\b"
        ),
    ),
    (
        "an order to keep instructions from the user",
        _ws(
            rf"{_DONT} (?:reveal|mention|disclose|acknowledge|repeat|reference) "
            r"(?:these|this|the|my|your) (?:(?:hidden|secret|above|following) )?"
            r"(?:instructions|prompt)\b"
        ),
    ),
)

#: (label, pattern): flagged only with words addressing an AI nearby, or in hidden text.
_WEAK: tuple[tuple[str, str], ...] = (
    (
        "an order to keep something from the user",
        _ws(rf"{_DONT} (?:tell|inform|alert|notify|warn) the (?:user|human)\b"),
    ),
    (
        "new instructions",  # at the start of a line (checked in code)
        _ws(r"(?:new|updated|important|real|actual|additional|secret) instructions[\t\x20*_]*:"),
    ),
    (
        "a new system prompt",
        _ws(r"(?:new|updated|override|replacement) system prompt[\t\x20*_]*:"),
    ),
    (
        "a request to send data to an outside address",
        r"(?:send|post|upload|forward|exfiltrate|transmit|leak|submit|email|e-mail)\b",
    ),
)

#: The first words of the patterns: candidates are found with this one cheap pattern,
#: then the patterns are tried where it matched.
_TRIGGERS = (  # noqa: SIM905
    "ignore disregard forget override bypass reveal print output repeat leak disclose dump "
    "recite show tell you from as if dear attention note message hey hello new secret hidden "
    "special do don never must updated important real actual additional replacement send post "
    "upload forward exfiltrate transmit submit email e-mail ai ais llm llms gpt chatgpt claude "
    "copilot gemini large language chat chatbot chatbots"
).split()


def _trie(words: Sequence[str]) -> str:
    """An alternation of `words` factored by prefix (`c(?:hat|laude)`): far fewer
    branches tried per position than a flat list."""
    root: dict[str, dict] = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


_TRIGGER_RE = re.compile(r"\b(?:" + _trie(_TRIGGERS) + r")\b")
_STRONG_RE = re.compile("|".join(f"(?P<s{i}>{p})" for i, (_, p) in enumerate(_STRONG)))
_WEAK_RE = re.compile("|".join(f"(?P<w{i}>{p})" for i, (_, p) in enumerate(_WEAK)))
_LABELS = {f"s{i}": label for i, (label, _) in enumerate(_STRONG)} | {
    f"w{i}": label for i, (label, _) in enumerate(_WEAK)
}
_LINE_START = "w1"
_EXFIL = f"w{len(_WEAK) - 1}"
_CUE_RE = re.compile(rf"\b(?:{_AI}|assistant)\b")
_SENSITIVE_RE = re.compile(
    _ws(
        r"\b(?:conversation|chat|history|secrets?|credentials?|api[\x20_-]?keys?|tokens?"
        r"|passwords?|cookies?|session|environment variables|env vars|user['\u2019]?s"
        r"|user data|private|personal|prompt|instructions|context|memory)\b"
    )
)
_OUTSIDE_RE = re.compile(_ws(r"\b(?:to|at|into) <?(?:https?://|www\.|[\w.+-]{1,64}@[\w-])"))

#: Chat-template role markers, read from the lower-cased raw text (they look like tags),
#: escaped or not; and "system: you must ..." at the start of a line.
_ROLE_WORD = r"(?:system|user|assistant|developer|model|tool)\b"
#: Markers that open a conversation turn; terminators alone (`<|endoftext|>`,
#: `<|im_end|>`, `[/INST]`) are what a page about tokenizers mentions, not a fake turn.
_PIPE_TOKEN_RE = re.compile(
    rf"\|(?:(?:im_start|start_header_id)\|(?:>|&gt;|&#62;)[\t\n\x20]*{_ROLE_WORD}"
    r"|(?:system|user|assistant)\|(?:>|&gt;|&#62;))"
)
_LT = ("<", "&lt;", "&#60;")
_TOKENS = ("[inst]", "<<sys>>", "&lt;&lt;sys&gt;&gt;")
_TURN_RE = re.compile(rf"(?:<|&lt;)start_of_turn(?:>|&gt;)[\t\n\x20]*{_ROLE_WORD}")
_ROLE_RE = re.compile(
    _ws(
        r"(?:system|assistant|developer)[\t\x20*_]*:[\t\x20*_]*"
        r"(?:you (?:are|must|will|should)|ignore|disregard|from now on|new instructions)\b"
    )
)
_MARKER_LABEL = "a chat-template role marker"

# -- text helpers -----------------------------------------------------------------------

#: Zero-width characters and direction marks (LRM, RLM, ALM: they reorder nothing).
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u200e\u200f\u061c"
_MARKS = frozenset("\u200e\u200f\u061c")
#: Bidirectional embeddings, overrides and isolates: they change the order text shows in.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE_RE = re.compile(f"[{_ZERO_WIDTH}{_BIDI}\U000e0000-\U000e007f]")
_TAG_RUN_RE = re.compile("[\U000e0000-\U000e007f]+")
_TAG_ASCII = {
    c: (c - 0xE0000 if 0xE0020 <= c <= 0xE007E else None) for c in range(0xE0000, 0xE0080)
}
_FLAG_TAGS_RE = re.compile("[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,6}\U000e007f")
_SHOW_RE = re.compile(
    f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f{_ZERO_WIDTH}{_BIDI}\u206a-\u206f"
    "\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_RTL_RE = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff]")
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_SPACES_RE = re.compile(r"\s+")
_TAG_RE = re.compile(r"<(?!https?:|mailto:)/?[A-Za-z][^<>]{0,2000}>")
_ENTITY_RE = re.compile(r"&(?:[A-Za-z]{2,10}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_QUOTES = "\"'\u201c\u2018\u00ab\u201e\u201a\u2039\u300c"


def visible(text: str, limit: int = MAX_EXCERPT) -> str:
    """`text` on one line, invisible and control characters written as `<U+200B>`,
    cut to `limit` characters."""
    shown = _SHOW_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    shown = _SPACES_RE.sub(" ", shown).strip()
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _blank(m: re.Match[str]) -> str:
    """The same number of characters, newlines kept: offsets and lines stay put."""
    s = m.group()
    if "\n" not in s and "\r" not in s:
        return " " * len(s)
    return "".join(c if c in "\r\n" else " " for c in s)


def _entity(m: re.Match[str]) -> str:
    s = m.group()
    ch = html.unescape(s)
    if len(ch) != 1 or ch == s or ch.isspace() or not ch.isprintable():
        return " " * len(s)
    return " " * (len(s) - 1) + ch


def _text_of(markup: str) -> str:
    """Tags and entities of a piece of markup as spaces."""
    if "<" in markup:
        markup = _TAG_RE.sub(_blank, markup)
    if "&" in markup:
        markup = _ENTITY_RE.sub(_entity, markup)
    return markup


def _is_emoji(ch: str) -> bool:
    o = ord(ch)
    return (
        0x1F000 <= o <= 0x1FAFF
        or 0x2600 <= o <= 0x27BF
        or 0x2300 <= o <= 0x23FF
        or 0x2B00 <= o <= 0x2BFF
        or o in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


_EMOJI_MODIFIERS = frozenset("\ufe0f\ufe0e\u20e3") | {chr(c) for c in range(0x1F3FB, 0x1F400)}


# -- the page, read once ----------------------------------------------------------------


@dataclass
class _Hit:
    start: int  # offset in the page body
    label: str
    excerpt: str
    note: str = ""


@dataclass
class _Ctx:
    body: str
    kind: str  # markdown | html | wikitext
    _lines: list[int] | None = None
    _backticks: list[int] | None = None
    literal: list[tuple[int, int]] = field(default_factory=list)  # shown as code, not markup
    code: list[tuple[int, int]] = field(default_factory=list)  # code, literal or not
    hidden: list[tuple[int, int]] = field(default_factory=list)  # reported as hidden text

    def line(self, pos: int) -> int:
        if self._lines is None:
            self._lines = [m.start() for m in _NEWLINE_RE.finditer(self.body)]
        return bisect.bisect_right(self._lines, pos - 1) + 1 if self._lines else 1

    def line_bounds(self, pos: int) -> tuple[int, int]:
        n = self.line(pos) - 1
        lines = self._lines or []
        start = 0 if n == 0 else lines[n - 1] + 1
        end = lines[n] if n < len(lines) else len(self.body)
        return start, end

    def excerpt(self, pos: int, end: int | None = None) -> str:
        ls, le = self.line_bounds(pos)
        a = max(ls, pos - 20)
        b = min(le, max(end or pos, pos) + MAX_EXCERPT + 20)
        text = visible(self.body[a:b], MAX_EXCERPT * 2)
        if a > ls:
            text = "…" + text
        return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"

    def in_inline_code(self, pos: int) -> bool:
        if self.kind != "markdown":
            return False
        if self._backticks is None:
            self._backticks = [m.start() for m in re.finditer("`", self.body)]
        if not self._backticks:
            return False
        ls, _ = self.line_bounds(pos)
        before = bisect.bisect_left(self._backticks, pos) - bisect.bisect_left(self._backticks, ls)
        return before % 2 == 1


def _inside(ranges: Sequence[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(ranges, (pos, 1 << 62)) - 1
    return i >= 0 and ranges[i][0] <= pos < ranges[i][1]


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


_FENCE_RE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})([^\n]*)$", re.M)


def _fences(body: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    if "```" not in body and "~~~" not in body:
        return out
    opened: tuple[int, str] | None = None
    for m in _FENCE_RE.finditer(body):
        fence = m.group(1)
        if opened is None:
            if fence[0] == "`" and "`" in m.group(2):
                continue  # not a fence: inline code at the start of a line
            opened = (m.start(), fence)
        elif fence[0] == opened[1][0] and len(fence) >= len(opened[1]) and not m.group(2).strip():
            out.append((opened[0], m.end()))
            opened = None
    if opened is not None:
        out.append((opened[0], len(body)))
    return out


def _elements(body: str, names: Sequence[str]) -> list[tuple[int, int]]:
    """Ranges of the elements named, from the opening tag to the end of the first closing
    tag of the same name (an unclosed one runs to the end). Linear: openings inside a
    range found are skipped, and each closing tag is searched for forwards only."""
    if not names or "<" not in body:
        return []
    lower = body.lower()
    opener = re.compile(r"<(" + "|".join(re.escape(n) for n in names) + r")(?=[\s/>])", re.I)
    out: list[tuple[int, int]] = []
    pos = 0
    while True:
        m = opener.search(body, pos)
        if m is None:
            break
        name = m.group(1).lower()
        close = lower.find("</" + name, m.end())
        if close < 0:
            out.append((m.start(), len(body)))
            break
        end = lower.find(">", close)
        end = len(body) if end < 0 else end + 1
        out.append((m.start(), end))
        pos = end
    return out


def _cdata(body: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = 0
    while True:
        a = body.find("<![CDATA[", pos)
        if a < 0:
            break
        b = body.find("]]>", a + 9)
        b = len(body) if b < 0 else b + 3
        out.append((a, b))
        pos = b
    return out


_WIKI_PRE_LINE_RE = re.compile(r"(?:\A|(?<=\n)) [^\n]*")


def _context(body: str, kind: str) -> _Ctx:
    ctx = _Ctx(body, kind)
    literal: list[tuple[int, int]] = []
    code_tags = ["pre", "code", "tt", "kbd", "samp"]
    if kind == "markdown":
        literal = _fences(body)
    elif kind == "wikitext":
        literal = _elements(body, ("pre", "nowiki", "syntaxhighlight", "source"))
        code_tags = ["code", "tt", "kbd", "samp"]
    else:
        literal = _cdata(body)
        code_tags.append("ac:plain-text-body")
    ctx.literal = _merge(literal)
    code = [*literal, *_elements(body, code_tags)]
    if kind == "wikitext":
        code += [(m.start(), m.end()) for m in _WIKI_PRE_LINE_RE.finditer(body)]
    ctx.code = _merge(code)
    return ctx


# -- agent-directed text ----------------------------------------------------------------


def _strip_invisible(text: str) -> tuple[str, list[int]]:
    """`text` without invisible characters, and what maps its offsets back. A text
    with more than MAX_INVISIBLE of them is kept as it is (it is flagged anyway)."""
    if text.isascii():
        return text, []
    stripped = _INVISIBLE_RE.sub("", text)
    if len(stripped) == len(text) or len(text) - len(stripped) > MAX_INVISIBLE:
        return text, []
    removed = [m.start() for m in _INVISIBLE_RE.finditer(text)]
    shifted = [r - i for i, r in enumerate(removed)]
    return stripped, shifted


def _back(shifted: list[int], s: int) -> int:
    return s + bisect.bisect_right(shifted, s) if shifted else s


def _lower(text: str) -> str:
    """`text` lower-cased, offsets kept (a character whose lower case is longer stays)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _at_line_start(text: str, pos: int) -> bool:
    """Only blanks and Markdown emphasis or quote marks (at most 20) before `pos` on its line."""
    k = pos
    while k > 0 and pos - k < 20 and text[k - 1] in " \t*#_>":
        k -= 1
    return k == 0 or text[k - 1] in "\r\n"


def _instruction_matches(text: str, *, weak_alone: bool) -> Iterator[tuple[int, int, str]]:
    """(start, end, label) of instruction-like text in plain `text`. Weak patterns count
    only with words addressing an AI nearby, unless `weak_alone`. Linear: one cheap scan
    for the patterns' first words, the patterns tried only there."""
    low = _lower(text)
    strong = weak = 0
    for t in _TRIGGER_RE.finditer(low):
        s = t.start()
        if s and (low[s - 1].isalnum() or low[s - 1] == "_"):
            continue
        m = _STRONG_RE.match(low, s)
        if m is not None:
            strong += 1
            if strong > MAX_CANDIDATES:
                return
            yield s, m.end(), _LABELS[m.lastgroup or ""]
            continue
        m = _WEAK_RE.match(low, s)
        if m is None:
            continue
        weak += 1
        if weak > MAX_CANDIDATES:
            continue
        group = m.lastgroup or ""
        if group == _LINE_START and not _at_line_start(low, s):
            continue
        if group == _EXFIL:
            window = low[m.end() : m.end() + 160].split("\n", 1)[0]
            hit = _SENSITIVE_RE.search(window)
            if hit is None or _OUTSIDE_RE.search(window, hit.end()) is None:
                continue
        if not weak_alone:
            near = low[max(0, s - _CUE_WINDOW) : m.end() + _CUE_WINDOW]
            if _CUE_RE.search(near) is None:
                continue
        yield s, m.end(), _LABELS[group]


def _markers(body: str) -> Iterator[tuple[int, int, str]]:
    """Chat-template role markers in the raw page text. Linear: literal searches."""
    low = _lower(body)
    if "|" in low:
        for n, m in enumerate(_PIPE_TOKEN_RE.finditer(low)):
            if n >= MAX_CANDIDATES:
                break
            s = m.start()
            lt = next((x for x in _LT if low.endswith(x, 0, s)), None)
            if lt is not None:
                yield s - len(lt), m.end(), _MARKER_LABEL
    for token in _TOKENS:
        pos = low.find(token)
        n = 0
        while pos >= 0 and n < MAX_CANDIDATES:
            yield pos, pos + len(token), _MARKER_LABEL
            pos, n = low.find(token, pos + len(token)), n + 1
    if "_of_turn" in low:
        for n, m in enumerate(_TURN_RE.finditer(low)):
            if n >= MAX_CANDIDATES:
                break
            yield m.start(), m.end(), _MARKER_LABEL
    n = 0
    for m in _ROLE_RE.finditer(low):
        if _at_line_start(low, m.start()):
            n += 1
            if n > MAX_CANDIDATES:
                break
            yield m.start(), m.end(), _MARKER_LABEL


def _suspicious(text: str) -> bool:
    return next(_instruction_matches(text, weak_alone=True), None) is not None


def _quoted(body: str, pos: int) -> bool:
    """The match starts right inside quotation marks: the page quotes it."""
    i = pos - 1
    for _ in range(3):
        if i < 0:
            return False
        c = body[i]
        if c in _QUOTES:
            return True
        if c not in " \t*_":
            return False
        i -= 1
    return False


def _agent_text(ctx: _Ctx) -> list[_Hit]:
    body = ctx.body
    text = _text_of(body)
    text, shifted = _strip_invisible(text) if not body.isascii() else (text, [])
    hits: list[_Hit] = []
    found = [
        (_back(shifted, s), _back(shifted, e - 1) + 1, label)
        for s, e, label in _instruction_matches(text, weak_alone=False)
    ]
    found += _markers(body)
    found.sort()
    for start, end, label in found[:MAX_CANDIDATES]:
        real = start + len(body[start:end]) - len(body[start:end].lstrip())
        if _inside(ctx.code, real) or ctx.in_inline_code(real) or _inside(ctx.hidden, real):
            continue
        if _quoted(body, real):
            continue
        note = (
            " (spelled with invisible characters)" if _INVISIBLE_RE.search(body, real, end) else ""
        )
        hits.append(_Hit(real, label, ctx.excerpt(real, end), note))
    return hits


# -- hidden text ------------------------------------------------------------------------

_OPEN_TAG_RE = re.compile(r"<([A-Za-z][\w:.-]{0,40})((?:\s[^<>]{0,20000})?)>")
_ATTR_RE = re.compile(
    r"([A-Za-z_:@][-\w:.@]{0,60})"
    r"(?:\s*=\s*(?:\"([^\"]{0,20000})\"|'([^']{0,20000})'|([^\s\"'=<>`]{1,20000})))?"
)
#: Opening tags that may hide their text: a container, or one with a style or hidden
#: attribute (bounded: the look-ahead stops at the tag's end).
_CANDIDATE_TAG_RE = re.compile(
    r"<(?:(?:script|style|template|noscript)(?=[\s>])"
    r"|[A-Za-z][\w:.-]{0,40}\s(?=[^<>]{0,20000}?(?:style|hidden|STYLE|HIDDEN|Style|Hidden)))"
)
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_CONTAINERS = frozenset({"script", "style", "template", "noscript"})
_NAMED_COLOURS = {
    "white": "#ffffff",
    "black": "#000000",
    "transparent": "transparent",
    "red": "#ff0000",
    "yellow": "#ffff00",
    "blue": "#0000ff",
    "green": "#008000",
    "gray": "#808080",
    "grey": "#808080",
    "silver": "#c0c0c0",
    "whitesmoke": "#f5f5f5",
    "snow": "#fffafa",
    "ivory": "#fffff0",
}
_LENGTH_RE = re.compile(r"^(-?[0-9]{1,9}(?:\.[0-9]{1,9})?|-?\.[0-9]{1,9})\s*([a-z%]{0,4})$")


def _colour(value: str) -> str | None:
    v = value.strip().lower().replace(" ", "").removesuffix("!important")
    if v in _NAMED_COLOURS:
        return _NAMED_COLOURS[v]
    if re.fullmatch(r"#[0-9a-f]{3}", v):
        return "#" + "".join(c * 2 for c in v[1:])
    if re.fullmatch(r"#[0-9a-f]{6}", v):
        return v
    m = re.fullmatch(r"rgba?\(([0-9]{1,3}),([0-9]{1,3}),([0-9]{1,3})(?:,([0-9.]{1,8}))?\)", v)
    if m:
        if m.group(4) is not None and _number(m.group(4)) == 0:
            return "transparent"
        return "#" + "".join(f"{min(255, int(x)):02x}" for x in m.groups()[:3])
    return None


def _number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def _length(value: str) -> tuple[float, str] | None:
    m = _LENGTH_RE.match(value.strip().lower().removesuffix("!important").strip())
    if m is None:
        return None
    n = _number(m.group(1))
    return None if n is None else (n, m.group(2))


def _style_hides(style: str) -> str | None:
    """Why an inline style hides an element's text, or None."""
    decl: dict[str, str] = {}
    for part in style.split(";")[:100]:
        key, sep, value = part.partition(":")
        if sep:
            decl[key.strip().lower()] = value.strip().lower()
    if decl.get("display", "").removesuffix("!important").strip() == "none":
        return "display:none"
    if decl.get("visibility", "").removesuffix("!important").strip() in ("hidden", "collapse"):
        return "visibility:hidden"
    size = _length(decl.get("font-size", "x"))
    if size is not None and (
        size[0] <= 0 or (size[1] in ("px", "pt") and size[0] < 2) or size[0] < 0.1
    ):
        return "font-size:0"
    opacity = _length(decl.get("opacity", "x"))
    if opacity is not None and opacity[0] <= 0.05 and opacity[1] in ("", "%"):
        return "opacity:0"
    fg = _colour(decl.get("color", ""))
    bg = _colour(decl.get("background-color", decl.get("background", "")))
    if fg == "transparent" or (fg is not None and fg == bg):
        return "text coloured like its background"
    for key in ("left", "top", "text-indent", "margin-left", "margin-top"):
        off = _length(decl.get(key, "x"))
        if off is not None and off[0] <= -1000:
            return "positioned off-screen"
    if decl.get("overflow", "").startswith("hidden"):
        for key in ("height", "max-height", "width", "max-width"):
            dim = _length(decl.get(key, "x"))
            if dim is not None and dim[0] <= 0:
                return "a zero-size box"
    return None


def _hides(name: str, attrs: str) -> tuple[str, bool] | None:
    """(why the element's text is hidden, whether that alone is suspicious enough for
    long text) or None."""
    if name in _CONTAINERS:
        return f"a <{name}> element", False
    low = attrs.lower()
    if "style" not in low and "hidden" not in low:
        return None
    aria = False
    for m in _ATTR_RE.finditer(attrs):
        key = m.group(1).lower()
        value = m.group(2) or m.group(3) or m.group(4) or ""
        if key == "style":
            why = _style_hides(value)
            if why:
                return why, True
        elif key == "hidden":
            return "the hidden attribute", True
        elif key == "aria-hidden" and value.strip().lower() == "true":
            aria = True
    return ("aria-hidden", False) if aria else None


_CLOSE_CACHE: dict[str, re.Pattern[str]] = {}


def _element_end(lower: str, name: str, start: int) -> tuple[int, int]:
    """(end of the content, end of the element) of the element whose content starts at
    `start`; an element not closed within MAX_ELEMENT_CHARS ends there."""
    limit = min(len(lower), start + MAX_ELEMENT_CHARS)
    if name in _CONTAINERS:
        close = lower.find("</" + name, start, limit)
        if close < 0:
            return limit, limit
        gt = lower.find(">", close, limit)
        return close, (limit if gt < 0 else gt + 1)
    rx = _CLOSE_CACHE.get(name)
    if rx is None:
        rx = re.compile(r"<(/?)" + re.escape(name) + r"(?=[\s/>])")
        if len(_CLOSE_CACHE) < 256:
            _CLOSE_CACHE[name] = rx
    depth = 1
    for m in rx.finditer(lower, start, limit):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            gt = lower.find(">", m.end(), limit)
            return m.start(), (limit if gt < 0 else gt + 1)
    return limit, limit


_MD_COMMENT_RE = re.compile(
    r"^[ ]{0,3}\[[^\]\n]{0,200}\]:[ \t]*(?:#|<>)[ \t]*(?:\(([^\n]*)\)|\"([^\"\n]*)\")[ \t]*$",
    re.M,
)


def _plain(markup: str) -> str:
    return _strip_invisible(_text_of(markup[:MAX_ELEMENT_CHARS]))[0]


def _hidden_text(ctx: _Ctx) -> list[_Hit]:
    """Comments and hidden elements that hold what an agent would read and a person
    would not see. stale's own `<!-- stale: ignore ... -->` comments hold no
    instruction-like text, so they are never flagged."""
    body = ctx.body
    if "<" not in body and (ctx.kind != "markdown" or "]:" not in body):
        return []
    hits: list[_Hit] = []

    def shown_as_code(pos: int) -> bool:
        return _inside(ctx.literal, pos) or ctx.in_inline_code(pos)

    comments: list[tuple[int, int]] = []
    pos = 0
    while len(comments) < MAX_CANDIDATES:
        a = body.find("<!--", pos)
        if a < 0:
            break
        b = body.find("-->", a + 4)
        end = len(body) if b < 0 else b + 3
        pos = end
        if shown_as_code(a):
            continue
        comments.append((a, end))
        if _suspicious(_plain(body[a + 4 : b if b >= 0 else end])):
            hits.append(_Hit(a, "an HTML comment, instruction-like text", ctx.excerpt(a)))
    if ctx.kind == "markdown" and "]:" in body:
        for n, m in enumerate(_MD_COMMENT_RE.finditer(body)):
            if n >= MAX_CANDIDATES:
                break
            inner = m.group(1) or m.group(2) or ""
            if not shown_as_code(m.start()) and _suspicious(_strip_invisible(inner)[0]):
                label = "a Markdown comment, instruction-like text"
                hits.append(_Hit(m.start(), label, ctx.excerpt(m.start())))
                ctx.hidden.append((m.start(), m.end()))
    if "<" in body:
        lower = ""
        covered = 0  # elements are read in order; one inside an examined one is skipped
        n = 0
        for cand in _CANDIDATE_TAG_RE.finditer(body):
            if cand.start() < covered:
                continue
            tag = _OPEN_TAG_RE.match(body, cand.start())
            if tag is None:
                continue
            m = tag
            name = m.group(1).lower()
            if name in _VOID or m.group(2).rstrip().endswith("/"):
                continue
            why = _hides(name, m.group(2))
            if why is None or shown_as_code(m.start()) or _inside(comments, m.start()):
                continue
            n += 1
            if n > MAX_CANDIDATES:
                break
            lower = lower or _lower(body)
            content_end, end = _element_end(lower, name, m.end())
            covered = end
            text = _plain(body[m.end() : content_end])
            reason, alone = why
            if _suspicious(text):
                what = "instruction-like text"
            elif not alone:
                continue
            elif _CUE_RE.search(text):
                what = "words addressed to an AI"
            else:
                words = len(_WORD_RE.findall(text))
                if words < HIDDEN_WORDS:
                    continue
                what = f"{words} words"
            hits.append(_Hit(m.start(), f"{reason}, {what}", ctx.excerpt(m.start())))
            ctx.hidden.append((m.start(), end))
    ctx.hidden = _merge(ctx.hidden + [(a, b) for a, b in comments])
    hits.sort(key=lambda h: h.start)
    return hits


# -- invisible characters ---------------------------------------------------------------


def _script(ch: str, lowest: int) -> bool:
    """A letter or mark of a script at or above code point `lowest`."""
    return bool(ch) and ord(ch) >= lowest and unicodedata.category(ch)[0] in "LM"


def _joins(body: str, i: int, rtl: bool) -> bool:
    """A zero-width character that a script or an emoji sequence needs: a ZWJ inside an
    emoji sequence, a ZWNJ/ZWJ next to Arabic, Persian or Indic letters, a ZWSP between
    words of a script written without spaces, a direction mark on a right-to-left page."""
    c = body[i]
    prev = body[i - 1] if i > 0 else ""
    nxt = body[i + 1] if i + 1 < len(body) else ""
    if c in _MARKS:
        return rtl
    if c == "\u200d":
        j = i - 1
        while j > max(0, i - 5) and body[j] in _EMOJI_MODIFIERS:
            j -= 1
        if j >= 0 and _is_emoji(body[j]) and nxt and _is_emoji(nxt):
            return True
    if c in "\u200c\u200d":
        return _script(prev, 0x0590) or _script(nxt, 0x0590)
    if c == "\u200b":
        return _script(prev, 0x0900) or _script(nxt, 0x0900)
    if c == "\u180e":
        return any(0x1800 <= ord(ch) <= 0x18AF for ch in (prev, nxt) if ch)
    return False


@dataclass
class _Invisible:
    zero: Counter[str] = field(default_factory=Counter)
    bidi: Counter[str] = field(default_factory=Counter)
    first: list[int] = field(default_factory=list)
    more: bool = False  # more than MAX_INVISIBLE: the rest were not looked at


def _first(ctx: _Ctx, first: list[int], i: int) -> None:
    """Remember offset `i` as evidence: the first few, one per line."""
    if len(first) < MAX_EVIDENCE and (not first or ctx.line(first[-1]) != ctx.line(i)):
        first.append(i)


def _invisible(ctx: _Ctx) -> tuple[_Invisible, list[tuple[int, str, int]]]:
    """The invisible characters that nothing needs, and the tag-character runs
    (offset, decoded text, length) that are not emoji flags.

    A zero-width character counts when it sits inside a word (a letter or digit on
    both sides: keyword obfuscation) or in a run of invisible characters (a hidden
    payload); a stray one (copied with text, a line-break hint between tags) does not.
    A bidirectional control counts outside code on a page without right-to-left text.
    """
    body = ctx.body
    found = _Invisible()
    tags: list[tuple[int, str, int]] = []
    if body.isascii():
        return found, tags
    rtl = _RTL_RE.search(body) is not None
    examined = 0
    for m in _INVISIBLE_RE.finditer(body):
        i, c = m.start(), m.group()
        if c >= "\U000e0000" or (c == "\ufeff" and i == 0):
            continue
        examined += 1
        if examined > MAX_INVISIBLE:
            found.more = True
            break
        if c in _BIDI:
            if rtl or _inside(ctx.code, i) or ctx.in_inline_code(i):
                continue
            found.bidi[c] += 1
        else:
            if _joins(body, i, rtl):
                continue
            prev = body[i - 1] if i > 0 else ""
            nxt = body[i + 1] if i + 1 < len(body) else ""
            in_run = bool(_INVISIBLE_RE.match(prev) or _INVISIBLE_RE.match(nxt))
            if not in_run and not (prev.isalnum() and nxt.isalnum()):
                continue
            found.zero[c] += 1
        if examined < 1000:
            _first(ctx, found.first, i)
    if _TAG_RUN_RE.search(body) is not None:
        for m in _TAG_RUN_RE.finditer(body):
            run = m.group()
            if (
                m.start() > 0
                and body[m.start() - 1] == "\U0001f3f4"
                and _FLAG_TAGS_RE.fullmatch(run)
            ):
                continue
            decoded = run[: MAX_EXCERPT * 4].translate(_TAG_ASCII)
            tags.append((m.start(), decoded, len(run)))
            if len(tags) >= MAX_CANDIDATES:
                break
    return found, tags


def _counts(c: Counter[str]) -> str:
    return ", ".join(f"U+{ord(ch):04X} x{n}" for ch, n in sorted(c.items()))


# -- putting it together ----------------------------------------------------------------


def _signal(page: Page, ctx: _Ctx, head: str, hits: Sequence[_Hit]) -> Signal:
    first = hits[0]
    more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
    message = f"{head}: {first.label}{first.note} (line {ctx.line(first.start)}){more}"
    evidence = tuple(
        Evidence(repo=page.source, path=page.page_id, line=ctx.line(h.start), text=h.excerpt)
        for h in hits[:MAX_EVIDENCE]
    )
    return Signal(kind=HAZARD, message=message, weight=0.0, evidence=evidence)


def detect_hazards(page: Page) -> list[Signal]:
    """The prompt-injection hazards on a page (module docstring), as weight-0 signals:
    at most one each for agent-directed text, hidden text, invisible characters and
    Unicode tag characters."""
    body = page.body if isinstance(page.body, str) else ""
    if not body.strip():
        return []
    body = body[:MAX_SCAN_CHARS]
    kind = page.content_type if page.content_type in ("markdown", "html", "wikitext") else "html"
    ctx = _context(body, kind)
    signals: list[Signal] = []
    hidden = _hidden_text(ctx)
    agent = _agent_text(ctx)
    if agent:
        signals.append(_signal(page, ctx, "text aimed at AI agents", agent))
    if hidden:
        signals.append(_signal(page, ctx, "hidden text", hidden))
    found, tags = _invisible(ctx)
    n_zero, n_bidi = sum(found.zero.values()), sum(found.bidi.values())
    if n_bidi or n_zero >= MIN_ZERO_WIDTH:
        parts = []
        if n_zero:
            parts.append(f"{n_zero} zero-width ({_counts(found.zero)})")
        if found.more:
            parts[0] = "at least " + parts[0]
        if n_bidi:
            plural = "s" if n_bidi > 1 else ""
            parts.append(f"{n_bidi} bidirectional control{plural} ({_counts(found.bidi)})")
        where = f"; first on line {ctx.line(found.first[0])}" if found.first else ""
        msg = f"invisible characters: {', '.join(parts)}{where}"
        evidence = tuple(
            Evidence(repo=page.source, path=page.page_id, line=ctx.line(i), text=ctx.excerpt(i))
            for i in found.first
        )
        signals.append(Signal(kind=HAZARD, message=msg, weight=0.0, evidence=evidence))
    if tags:
        total = sum(n for _, _, n in tags)
        what = " with instruction-like text" if any(_suspicious(t) for _, t, _ in tags) else ""
        msg = (
            f"Unicode tag characters spell text readers do not see{what} "
            f"({total} characters; line {ctx.line(tags[0][0])})"
        )
        evidence = tuple(
            Evidence(
                repo=page.source,
                path=page.page_id,
                line=ctx.line(i),
                text=f'decodes to "{visible(t, MAX_EXCERPT - 14)}"',
            )
            for i, t, _ in tags[:MAX_EVIDENCE]
        )
        signals.append(Signal(kind=HAZARD, message=msg, weight=0.0, evidence=evidence))
    return signals
