"""Segments -> claim drafts. Shared by every front end.

The classifier walks the neutral segments in document order, keeps track of
section headings (historical sections) and of the sentence right before each
code block (its context), and turns

* inline code in prose into path, flag, env, config, endpoint, version,
  command and symbol claims,
* prose itself into endpoint ("call GET /v1/health"), version ("Python 3.11"),
  marker, date and link claims,
* code blocks into claims by their info string (shell, config, Python imports,
  Dockerfile FROM lines; anything else says nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from stale.extract.commands import (
    EXTERNAL_TOOLS,
    INTERPRETERS,
    PROSE_TOOL_NAMES,
    analyze_line,
    command_context,
    flag_subject,
    program_context,
)
from stale.extract.config_blocks import (
    CONFIG_INFOS,
    comment_file,
    config_block_claims,
    is_config_path,
)
from stale.extract.context import (
    SENTENCE_CUE_STEMS,
    SectionTracker,
    block_inherits_historical,
    sentence_is_historical,
)
from stale.extract.dates import DATE_STEMS, find_dates
from stale.extract.links import URL_RE, repo_link
from stale.extract.patterns import (
    PLATFORM_NAMES,
    SPACE_RE,
    endpoint_subject,
    env_name,
    image_version,
    is_placeholder,
    may_contain,
    normalize_route,
    path_subject,
    prose_versions,
    symbol_subject,
    wordset,
)
from stale.extract.segments import CodeBlock, Draft, Heading, Segment, Sentence
from stale.extract.tables import key_columns, normalize_row, value_column
from stale.model import ClaimKind

#: Code block info strings that never hold claims.
NO_CLAIM_INFOS = wordset(
    """
    text txt output out log logs plaintext plain none nohighlight raw diff patch mermaid
    markdown md ascii csv tsv http-response
    """
)
SHELL_INFOS = wordset(
    "bash sh shell zsh console shell-session shellsession sh-session terminal ksh fish"
)
CONSOLE_INFOS = wordset("console shell-session shellsession sh-session terminal")
PY_INFOS = wordset("python py python3 py3 pycon ipython pyi")
DOCKER_INFOS = wordset("dockerfile docker containerfile")

#: Third-party Python packages: importing them says nothing about this repo.
PY_THIRD_PARTY = wordset(
    """
    django flask fastapi starlette requests httpx aiohttp urllib3 numpy pandas scipy sklearn
    torch tensorflow keras matplotlib seaborn pydantic sqlalchemy alembic boto3 botocore
    google azure celery redis yaml click typer attr attrs jinja2 werkzeug uvicorn gunicorn
    pytest dateutil pytz stripe sentry_sdk structlog marshmallow psycopg2 psycopg pymysql
    grpc opentelemetry prometheus_client tenacity rich jwt cryptography dotenv setuptools
    pkg_resources six toml ujson orjson lxml bs4 PIL cv2 transformers openai langchain
    anthropic kafka confluent_kafka pika kombu elasticsearch pymongo motor mongoengine
    kubernetes docker paramiko fabric invoke airflow dagster prefect luigi dask ray polars
    pyarrow hypothesis mock freezegun responses moto faker factory tqdm loguru arrow pendulum
    """
)

_PROMPT_RE = re.compile(r"^\s*(?:\([\w.-]+\)\s*)?(?:[\w.-]+@[\w.-]+(?::\S*)?\s*)?[$%]\s+")
_KV_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=|:(?=\s))\s*(\S.*)$")
_CONFIG_KEY_RE = re.compile(r"^[a-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$")
_LOW_DOTTED_RE = re.compile(r"^[a-z_]+(?:\.[a-z_0-9]+)+$")
_SNAKE_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_CONFIG_WORDS_RE = re.compile(
    r"\b(?:config|configs|configuration|setting|settings|key|keys|option|options|parameter"
    r"|parameters|param|params|values\.ya?ml|property|properties)\b",
    re.IGNORECASE,
)
#: _CONFIG_WORDS_RE for lower-cased ASCII text (its letters are all lower-case):
#: the same answer, from a search that need not fold case.
_CONFIG_WORDS_LOW_RE = re.compile(_CONFIG_WORDS_RE.pattern)
#: _CONFIG_WORDS_RE needs one of these (every alternative holds one).
_CONFIG_WORD_STEMS = ("config", "setting", "key", "option", "param", "values", "propert")
_DEFAULT_WORD_RE = re.compile(r"\bdefault", re.IGNORECASE)
_DEFAULT_STEMS = ("default",)
_PROSE_ENDPOINT_RE = re.compile(r"(?<![\w/])(GET|POST|PUT|PATCH|DELETE)\s+(/[^\s`'\"),;]*)")
_CAMEL_KEY_RE = re.compile(r"[a-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")
_CODE_LIKE_RE = re.compile(r"[()\[\]{};]|==|=>|\s(?:if|and|or)\s")
_PLAIN_WORD_RE = re.compile(r"[a-z]+")
_DOCKER_FROM_RE = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE)
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_HEREDOC_RE = re.compile(r"<<-?\s*['\"]?([A-Za-z_]\w*)['\"]?")
_PROSE_WORD_RE = re.compile(r"[A-Za-z][\w-]*")

#: (subject, words one of which the pattern needs (see may_contain), the pattern).
_MARKERS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "outdated",
        ("date", "obsolete"),
        re.compile(r"\b(?:outdated|out[- ]of[- ]date|obsolete)\b", re.IGNORECASE),
    ),
    (
        "deprecated",
        ("deprecated", "maintained"),
        re.compile(r"\b(?:deprecated|no longer maintained|unmaintained)\b", re.IGNORECASE),
    ),
    ("todo", ("todo", "fixme", "tbd"), re.compile(r"\b(?:TODO|FIXME|TBD)\b")),
)


#: Every stem of _MARKERS.
_MARKER_STEMS = tuple(stem for _, stems, _ in _MARKERS for stem in stems)


def has_config_words(text: str) -> bool:
    """The text says config, setting, key, option, parameter, property (or values.yaml)."""
    return may_contain(text, _CONFIG_WORD_STEMS) and bool(_CONFIG_WORDS_RE.search(text))


# -------------------------------------------------------------- stated defaults

_C = "\x00"
_D = "\x01"
_CODE = _C + r"(?P<k>\d+)" + _D
_VAL = (
    _C + r"(?P<vc>\d+)" + _D + r"|\"(?P<vq>[^\"]{1,60})\"|'(?P<vs>[^']{1,60})'"
    r"|(?P<vb>[^\s,;()" + _C + r"]+)"
)
#: (the words one of which the pattern needs, the pattern), in order of precedence
_SET_STEMS = ("set", "configured")
_DEFAULT_PATTERNS = tuple(
    (stems, re.compile(p, re.IGNORECASE))
    for stems, p in (
        (_DEFAULT_STEMS, _CODE + r"(?:\s+\w+)?\s+(?:now\s+)?defaults?\s+to\s+(?:" + _VAL + ")"),
        (
            _DEFAULT_STEMS,
            _CODE + r"\s*\(\s*defaults?(?:\s*[:=]|\s+is|\s+to)?\s*(?:" + _VAL + r")\s*\)",
        ),
        (
            _DEFAULT_STEMS,
            _CODE
            + r"(?:\s+\w+)?\s+(?:has\s+a\s+)?default(?:\s+value)?\s*(?:is|of|:|=)\s*(?:"
            + _VAL
            + ")",
        ),
        (
            _DEFAULT_STEMS,
            r"\bdefault(?:\s+value)?\s+(?:of|for)\s+(?:the\s+)?"
            + _CODE
            + r"(?:\s+\w+)?\s+(?:is|=|:)\s+(?:"
            + _VAL
            + ")",
        ),
        (
            _DEFAULT_STEMS,
            r"\bdefault\s+" + _CODE + r"(?:\s+\w+)?\s+(?:is|=|:)\s+(?:" + _VAL + ")",
        ),
        (
            _SET_STEMS,
            _CODE
            + r"(?:\s+\w+)?\s+(?:is|are)\s+(?:set\s+to|configured\s+(?:to|as))\s+(?:"
            + _VAL
            + ")",
        ),
        (_SET_STEMS, r"\bsets\s+" + _CODE + r"\s+to\s+(?:" + _VAL + ")"),
    )
)
#: Imperative "set `x` to 5" states a value only when the sentence says default.
_SET_TO = re.compile(r"\bset\s+" + _CODE + r"\s+to\s+(?:" + _VAL + ")", re.IGNORECASE)

_UNIT_RE = re.compile(
    r"[ \t]+(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|days?|[KMGT]i?B)\b",
    re.IGNORECASE,
)
_BARE_VALUE_WORDS = wordset(
    "true false on off yes no enabled disabled debug info warn warning error critical"
)
_EMPTY_CELLS = frozenset({"", "-", "—", "–", "none", "n/a", "na", "(none)", "required", "—."})
_BARE_VALUE_RE = re.compile(r"-?\d[\w.:/+-]*")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_CELL_DEFAULT_RE = re.compile(
    r"\bdefaults?\s*(?:to|is|:|=)\s*(`[^`]{1,60}`|\"[^\"]{1,60}\"|[^\s,;()]+)", re.IGNORECASE
)


def clean_value(raw: str, *, bare: bool) -> str | None:
    """A stated value, quotes stripped, or None when it is not a usable value."""
    v = raw.strip()
    if bare:
        v = v.rstrip(".:!?")
        if not (_BARE_VALUE_RE.fullmatch(v) or v.lower() in _BARE_VALUE_WORDS):
            return None
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'`":
        v = v[1:-1]
    v = v.strip()
    if not v or len(v) > 100 or is_placeholder(v):
        return None
    return v


def stated_defaults(s: Sentence) -> dict[int, str]:
    """Index of an inline code in `s` -> the default value the sentence states."""
    if not s.codes:
        return {}
    has_default = may_contain(s.text, _DEFAULT_STEMS)
    default_word = has_default and _DEFAULT_WORD_RE.search(s.text) is not None
    return _stated_defaults(s, has_default, may_contain(s.text, _SET_STEMS), default_word)


#: The patterns of _DEFAULT_PATTERNS to run, in their order, by (the text may hold a
#: _DEFAULT_STEMS stem, it may hold a _SET_STEMS one).
_PATTERNS_BY_STEMS = {
    (d, st): tuple(rx for stems, rx in _DEFAULT_PATTERNS if (d if stems is _DEFAULT_STEMS else st))
    for d in (False, True)
    for st in (False, True)
}
#: Each _SET_STEMS pattern needs one of these in the text ("set to", "sets `x`",
#: "configured"): "set" alone is in most sentences that say "setting(s)" or "reset".
_SET_CUE_RE = re.compile(r"set\s+to|sets\s|configured", re.IGNORECASE)
#: ... for lower-cased ASCII text (a search that starts at an "s" or a "c" only).
_SET_CUE_LOW_RE = re.compile(_SET_CUE_RE.pattern)


def _stated_defaults(
    s: Sentence, has_default: bool, has_set: bool, default_word: bool, low: str | None = None
) -> dict[int, str]:
    """stated_defaults(s) given may_contain(s.text, _DEFAULT_STEMS), may_contain(s.text,
    _SET_STEMS) and whether the text says default (_DEFAULT_WORD_RE); `low`: s.text
    lower-cased when ASCII."""
    if has_set:
        if low is not None:
            has_set = _SET_CUE_LOW_RE.search(low) is not None
        else:
            has_set = _SET_CUE_RE.search(s.text) is not None
    # each pattern needs "default", or "set"/"configured": most sentences hold neither
    if not (has_default or has_set) or not s.codes:
        return {}
    patterns = _PATTERNS_BY_STEMS[has_default, has_set]
    if default_word:
        patterns += (_SET_TO,)
    parts: list[str] = []
    pos = 0
    for i, c in enumerate(s.codes):
        parts.append(s.text[pos : c.start])
        parts.append(f"{_C}{i}{_D}")
        pos = c.end
    parts.append(s.text[pos:])
    tmpl = "".join(parts)
    out: dict[int, str] = {}
    for rx in patterns:
        for m in rx.finditer(tmpl):
            k = int(m.group("k"))
            if k in out:
                continue
            if m.group("vc") is not None:
                vi = int(m.group("vc"))
                val = clean_value(s.codes[vi].text, bare=False) if vi < len(s.codes) else None
            elif m.group("vq") is not None:
                val = clean_value(m.group("vq"), bare=False)
            elif m.group("vs") is not None:
                val = clean_value(m.group("vs"), bare=False)
            else:
                val = clean_value(m.group("vb") or "", bare=True)
                unit = _UNIT_RE.match(tmpl, m.end())
                if val is not None and unit and _NUMBER_RE.fullmatch(val):
                    val = f"{val} {unit.group(1)}"
            if val is not None:
                out[k] = val
    return out


def table_defaults(s: Sentence) -> dict[int, str]:
    """For a table row whose first cell names a setting: its default from a
    "Default" column or from "defaults to X" in another cell."""
    if not s.cells or not s.codes:
        return {}
    col = next((i for i, h in enumerate(s.header) if _DEFAULT_WORD_RE.search(h)), None)
    if col is None:
        col = value_column(s.header)
    named = [i for i, c in enumerate(s.codes) if c.cell is not None and c.cell != col]
    keys = key_columns(s.header)
    in_key = [i for i in named if s.codes[i].cell in keys]
    if len(in_key) == 1:
        named = in_key
    if len(named) != 1:
        return {}
    first = named[0]
    if col is not None and col < len(s.cells):
        cell = s.cells[col].strip()
        if cell.lower().strip("`*_ ") in _EMPTY_CELLS or len(cell.split()) > 3:
            return {}
        bare = not (cell.startswith("`") and cell.endswith("`"))
        val = clean_value(cell, bare=False) if not bare else clean_value(cell, bare=True)
        if val is None and bare and len(cell.split()) == 1:
            val = clean_value(cell, bare=False)
        return {first: val} if val is not None else {}
    for cell in s.cells:
        m = _CELL_DEFAULT_RE.search(cell)
        if m:
            raw = m.group(1)
            val = clean_value(raw, bare=raw[0] not in '`"')
            if val is not None:
                return {first: val}
    return {}


# -------------------------------------------------------------- the classifier


#: lines longer than this are searched in windows (see Classifier._column)
_LONG_LINE = 4096


class Classifier:
    """Turns one page's segments into (draft, historical, hint) triples."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.sections = SectionTracker()
        self.lead: Sentence | None = None
        self.found: list[tuple[Draft, bool]] = []
        self._cursor: dict[int, int] = {}  # huge lines: where the last needle was found

    def run(self, segments: Iterable[Segment]) -> list[tuple[Draft, bool]]:
        for seg in segments:
            if isinstance(seg, Sentence):
                self._sentence(seg)
                if not seg.is_heading:
                    self.lead = seg
            elif isinstance(seg, Heading):
                self.sections.enter(seg.level, seg.text)
                self.lead = None
            elif isinstance(seg, CodeBlock):
                self._block(seg)
                self.lead = None
        return self.found

    # ---------------------------------------------------------------- helpers

    def _emit(self, d: Draft, historical: bool) -> None:
        self.found.append((d, historical))

    def _column(self, line: int, needle: str) -> int:
        if 1 <= line <= len(self.lines) and needle:
            text = self.lines[line - 1]
            if len(text) <= _LONG_LINE:
                col = text.find(needle)
            else:  # look on from the last hit: thousands of code spans on it stay linear
                start = self._cursor.get(line, 0)
                col = text.find(needle, start, start + _LONG_LINE)
                if col >= 0:
                    self._cursor[line] = col
            if col >= 0:
                return col + 1
        return 1

    def _code_column(self, line: int, code: str) -> int:
        """Column of an inline code span's text on its line: right after the first
        "`code" found past the line start, else where the code text is first found."""
        lines = self.lines
        if 1 <= line <= len(lines) and len(lines[line - 1]) <= _LONG_LINE:
            # _column's two searches inline, for the usual short line (no cursor)
            text = lines[line - 1]
            col = text.find("`" + code)
            if col >= 1:
                return col + 2
            if code:
                col = text.find(code)
                if col >= 0:
                    return col + 1
            return 1
        col = self._column(line, "`" + code)
        return col + 1 if col > 1 else self._column(line, code)

    def _locate(self, fragment: str, start: int) -> tuple[int, int]:
        """(line, column) of a prose fragment at or after line `start`."""
        for needle in (fragment, fragment.split()[0] if fragment.split() else ""):
            if not needle:
                continue
            for ln in range(max(start, 1), min(start + 60, len(self.lines)) + 1):
                col = self.lines[ln - 1].find(needle)
                if col >= 0:
                    return ln, col + 1
        return start, 1

    # ---------------------------------------------------------------- prose

    def _sentence(self, s: Sentence) -> None:
        if s.cells:  # only a table row can be one normalize_row changes
            s = normalize_row(s)
        stext = s.text
        # lower-cased once for every stem test of this sentence (a may_contain each
        # lower-cased it again); None for non-ASCII text, which may hold any stem
        low = stext.lower() if stext.isascii() else None
        hist = self.sections.historical or (
            (low is None or any(map(low.__contains__, SENTENCE_CUE_STEMS)))
            and sentence_is_historical(stext)
        )
        text = stext[:200]
        if s.codes:
            prose = _blank_codes(s)
            low_prose = prose.lower() if low is not None else None
            self._inline_codes(s, prose, low, low_prose, text, hist)
        else:
            prose, low_prose = stext, low
        at = self._at

        if "/" in prose:  # the endpoint pattern needs a "/" (the route)
            for m in _PROSE_ENDPOINT_RE.finditer(prose):
                route = normalize_route(m.group(2).rstrip(".:!?"))
                if route:
                    subject = f"{m.group(1)} {route}"
                    at(s, text, hist, ClaimKind.ENDPOINT, subject, None, m.group(0))
        unticked = stext.replace("`", " ")
        for subject, ver, off in prose_versions(unticked):
            frag = unticked[off : off + 40].split(" ")[0]
            at(s, text, hist, ClaimKind.VERSION, subject, ver, frag)
        # one test for the usual sentence with no marker stem
        if low_prose is None or any(map(low_prose.__contains__, _MARKER_STEMS)):
            for subject, stems, rx in _MARKERS:
                mm = rx.search(prose) if may_contain(prose, stems) else None
                if mm:
                    at(s, text, False, ClaimKind.MARKER, subject, None, mm.group(0))
        # the date stems hold no "`" or blank: the text holds one iff `unticked` does
        if low is None or any(map(low.__contains__, DATE_STEMS)):
            for subject, iso, off in find_dates(unticked):
                frag = unticked[off : off + 30].split(" ")[0]
                at(s, text, False, ClaimKind.DATE, subject, iso, frag)
        if s.links or "://" in prose:
            hrefs = [(lk.href, lk.line) for lk in s.links]
            if "://" in prose:  # URL_RE needs the "://"
                hrefs += [(m.group(0), 0) for m in URL_RE.finditer(prose)]
            for href, line in hrefs:
                rl = repo_link(href)
                if rl:
                    ln, col = self._locate(href, line or s.line)
                    self._emit(Draft(ClaimKind.LINK, rl[1], None, rl[0], ln, col, text), hist)

    def _at(
        self,
        s: Sentence,
        text: str,
        hist: bool,
        kind: ClaimKind,
        subject: str,
        value: str | None,
        frag: str,
    ) -> None:
        """Emit a claim of prose `s`, placed where `frag` is first found from its line."""
        line, col = self._locate(frag, s.line)
        self._emit(Draft(kind, subject, value, None, line, col, text), hist)

    def _inline_codes(
        self,
        s: Sentence,
        prose: str,
        low: str | None,
        low_prose: str | None,
        text: str,
        hist: bool,
    ) -> None:
        """The claims of a sentence's inline code spans (`low`, `low_prose`: the text
        and the prose lower-cased when ASCII, as in _sentence)."""
        prog_ctx, external = self._programs(s, prose)
        config_ctx = self._config_context(s)
        stext = s.text
        # has_config_words and the "default" word test, their stem tests made on `low`: the
        # prose is the text with blanks for the spans, so it holds a stem only if the
        # text does
        if low is None:
            config_words = _CONFIG_WORDS_RE.search(prose) is not None
            config_words_text = _CONFIG_WORDS_RE.search(stext) is not None
        elif any(map(low.__contains__, _CONFIG_WORD_STEMS)):
            # ASCII text and prose: searched lower-cased
            config_words = _CONFIG_WORDS_LOW_RE.search(low_prose or "") is not None
            config_words_text = _CONFIG_WORDS_LOW_RE.search(low) is not None
        else:
            config_words = config_words_text = False
        has_default = low is None or any(map(low.__contains__, _DEFAULT_STEMS))
        default_word = has_default and _DEFAULT_WORD_RE.search(stext) is not None
        cues = _CUES[config_words, config_words_text, default_word]
        has_set = low is None or any(map(low.__contains__, _SET_STEMS))
        defaults = _stated_defaults(s, has_default, has_set, default_word, low)
        if s.cells:  # table_defaults says nothing about any other sentence
            for k, v in table_defaults(s).items():
                defaults.setdefault(k, v)

        emit = self.found.append
        for i, code in enumerate(s.codes):
            drafts = inline_code_drafts(
                code.text, defaults.get(i), prog_ctx, external, config_ctx, cues
            )
            col = self._code_column(code.line, code.text)
            for d in drafts:
                emit((Draft(d.kind, d.subject, d.value, d.context, code.line, col, text), hist))

    def _programs(self, s: Sentence, prose: str) -> tuple[str | None, bool]:
        """The script a sentence's flags belong to, and whether it names an
        external tool (whose flags are then not claims).

        Whether the prose names a tool is asked only when it can matter: the
        answer reaches no claim but a flag's (inline_code_drafts -> _flag), and
        that one only without a script; a flag is a span starting with "-"."""
        ctx: str | None = None
        external = False
        for c in s.codes:
            program = _code_program(c.text.strip())
            if program is None:
                continue
            c2, ext = program
            ctx = ctx or c2
            external = external or ext
        if (
            not external
            and ctx is None
            and any(c.text.lstrip().startswith("-") for c in s.codes)
            and not PROSE_TOOL_NAMES.isdisjoint(_PROSE_WORD_RE.findall(prose))
        ):
            external = True
        return ctx, external

    def _config_context(self, s: Sentence) -> str | None:
        for c in s.codes:
            p = path_subject(c.text)
            if p and is_config_path(p):
                return p
        return None

    # ---------------------------------------------------------------- blocks

    def _block(self, b: CodeBlock) -> None:
        lead = self.lead
        hist = self.sections.historical or (
            lead is not None and block_inherits_historical(lead.text)
        )
        info = b.info
        if info in NO_CLAIM_INFOS:
            return
        if info in SHELL_INFOS or (info == "" and looks_like_shell(b.lines)):
            self._shell(b, hist, console=info in CONSOLE_INFOS)
        elif info in CONFIG_INFOS:
            self._config(b, hist, CONFIG_INFOS[info])
        elif info in PY_INFOS:
            self._python(b, hist)
        elif info in DOCKER_INFOS:
            self._dockerfile(b, hist)

    def _emit_block(self, b: CodeBlock, idx: int, drafts: Iterable[Draft], hist: bool) -> None:
        line = b.first_line + idx
        raw = b.lines[idx] if idx < len(b.lines) else ""
        text = raw.strip()[:200]
        emit = self.found.append
        for d in drafts:
            last = d.subject.rpartition(" ")[2]  # the last word (or all of a single one)
            col = raw.find(last)
            if col < 0:
                col = raw.find(last.rpartition(".")[2])
            col = col + 1 if col >= 0 else 1
            emit((Draft(d.kind, d.subject, d.value, d.context, line, col, text), hist))

    def _shell(self, b: CodeBlock, hist: bool, console: bool) -> None:
        for idx, cmd in shell_commands(b.lines, console):
            self._emit_block(b, idx, analyze_line(cmd), hist)

    def _config(self, b: CodeBlock, hist: bool, kind: str) -> None:
        context: str | None = None
        cf = comment_file(b.lines)
        if cf:
            context = cf[0]
            self._emit_block(b, cf[1], [Draft(ClaimKind.PATH, cf[0])], hist)
        elif self.lead is not None:
            context = self._config_context(self.lead)
        json_ok = context is not None or (
            self.lead is not None and has_config_words(self.lead.text)
        )
        for d, idx in config_block_claims(kind, b.lines, context, json_ok):
            self._emit_block(b, idx, [d], hist)

    def _python(self, b: CodeBlock, hist: bool) -> None:
        for idx, line in enumerate(b.lines):
            subjects = python_imports(line)
            if subjects:
                self._emit_block(b, idx, [Draft(ClaimKind.SYMBOL, s) for s in subjects], hist)

    def _dockerfile(self, b: CodeBlock, hist: bool) -> None:
        for idx, line in enumerate(b.lines):
            m = _DOCKER_FROM_RE.match(line)
            if m:
                iv = image_version(m.group(1))
                if iv:
                    self._emit_block(b, idx, [Draft(ClaimKind.VERSION, iv[0], iv[1])], hist)


class _Cues(NamedTuple):
    """What a sentence says around its inline code, as far as that code's claims go."""

    config_words: bool  # the prose outside code says config, setting, key, ...
    config_words_text: bool  # ... or the whole text, code included, does
    default_word: bool  # the whole text says default


#: The eight _Cues, made once (a NamedTuple is made in Python code, per sentence).
_CUES = {
    (a, b, c): _Cues(a, b, c) for a in (False, True) for b in (False, True) for c in (False, True)
}


@lru_cache(maxsize=8192)
def inline_code_drafts(
    raw: str,
    default: str | None,
    prog_ctx: str | None,
    external: bool,
    config_ctx: str | None,
    cues: _Cues,
) -> tuple[Draft, ...]:
    """The claims of one inline code span (line, column and text still to set).
    A pure function of its arguments, so it is memoised: the same spans recur
    across the pages of a wiki."""
    t = raw.strip()
    if not t or len(t) > 200 or "\n" in t:
        return ()
    if t in PLATFORM_NAMES:
        return ()
    ep = endpoint_subject(t)
    if ep:
        return (Draft(ClaimKind.ENDPOINT, ep),)
    kv = _KV_RE.match(t) if "=" in t or ":" in t else None  # it needs one of them
    if kv and not t.startswith("-"):
        return _key_value(kv.group(1), kv.group(3), config_ctx, cues)
    if SPACE_RE.search(t):
        first = t.split()[0]
        if flag_subject(first):
            return _flag(first, default, prog_ctx, external)
        return analyze_line(t)
    f = flag_subject(t)
    if f:
        return _flag(f, default, prog_ctx, external)
    name = env_name(t)
    if name:
        return (Draft(ClaimKind.ENV, name, default),)
    iv = image_version(t)
    if iv:
        return (Draft(ClaimKind.VERSION, iv[0], iv[1]),)
    p = path_subject(t)
    if p:
        return (Draft(ClaimKind.PATH, p),)
    if _LOW_DOTTED_RE.match(t) or _SNAKE_RE.match(t):
        if default is not None or cues.config_words or cues.default_word:
            return (Draft(ClaimKind.CONFIG, t, default, config_ctx),)
        sym = symbol_subject(t)
        return (Draft(ClaimKind.SYMBOL, sym),) if sym else ()
    # a stated default makes a camelCase key (`quotes.cacheTtl`) a setting, not a symbol
    if default is not None and _CAMEL_KEY_RE.fullmatch(t):
        if not is_placeholder(t) and len(t) >= 3:
            return (Draft(ClaimKind.CONFIG, t, default, config_ctx),)
        return ()
    sym = symbol_subject(t)
    return (Draft(ClaimKind.SYMBOL, sym),) if sym else ()


def _flag(
    flag: str, default: str | None, prog_ctx: str | None, external: bool
) -> tuple[Draft, ...]:
    f = flag_subject(flag)
    if not f or (external and prog_ctx is None):
        return ()
    return (Draft(ClaimKind.FLAG, f, default, prog_ctx),)


def _key_value(key: str, raw: str, config_ctx: str | None, cues: _Cues) -> tuple[Draft, ...]:
    raw = raw.strip()
    code_like = raw.startswith(("=", "//")) or _CODE_LIKE_RE.search(raw)
    if code_like and not is_placeholder(raw):
        return ()
    quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'"
    if len(raw.split()) > 1 and not quoted:
        return ()
    name = env_name(key)
    if name:
        val = clean_value(raw, bare=False) if cues.default_word else None
        return (Draft(ClaimKind.ENV, name, val),)
    if not _CONFIG_KEY_RE.match(key) or len(key) < 2 or is_placeholder(key):
        return ()
    plain_word = _PLAIN_WORD_RE.fullmatch(key) is not None
    if plain_word and not (config_ctx or cues.config_words_text or cues.default_word):
        return ()
    return (Draft(ClaimKind.CONFIG, key, clean_value(raw, bare=False), config_ctx),)


@lru_cache(maxsize=8192)
def _code_program(t: str) -> tuple[str | None, bool] | None:
    """The script an inline code (stripped) gives a sentence's flags, and whether
    it names an external tool (whose flags are then not claims); None for an
    empty code or a flag."""
    if not t or t.startswith("-"):
        return None
    if SPACE_RE.search(t):
        return command_context(t)
    ext = t in EXTERNAL_TOOLS or t in INTERPRETERS or t in ("npm", "yarn", "pnpm")
    return program_context(t), ext


def _blank_codes(s: Sentence) -> str:
    """The sentence text with its inline code spans (backticks too) blanked."""
    if not s.codes:
        return s.text
    text = s.text
    # the usual case, spans in order inside the text: splice in runs of blanks
    parts: list[str] = []
    pos = 0
    for c in s.codes:
        if not pos <= c.start <= c.end <= len(text):
            break
        parts.append(text[pos : c.start])
        parts.append(" " * (c.end - c.start))
        pos = c.end
    else:
        parts.append(text[pos:])
        return "".join(parts)
    # anything else (overlapping, unordered or out-of-range offsets): character by character
    blanked = list(text)
    for c in s.codes:
        for k in range(c.start, min(c.end, len(blanked))):
            blanked[k] = " "
    return "".join(blanked)


# -------------------------------------------------------------- block helpers


def _prompt(line: str) -> re.Match[str] | None:
    """_PROMPT_RE.match(line), not tried on a line without the "$" or "%" it needs."""
    return _PROMPT_RE.match(line) if "$" in line or "%" in line else None


def looks_like_shell(lines: tuple[str, ...]) -> bool:
    """An unlabeled block is shell when its lines are prompts or commands."""
    body = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not body:
        return False
    if any(map(_prompt, body)):
        return True
    hits = sum(1 for ln in body if _looks_like_command(ln.strip()))
    return hits >= 1 and hits >= 0.8 * len(body)


def _looks_like_command(line: str) -> bool:
    words = line.split()
    if not words:
        return False
    k = 0
    while k < len(words) and _ASSIGNMENT_RE.match(words[k]):
        k += 1
    if k < len(words) and words[k] in ("sudo", "env"):
        k += 1
    if k >= len(words):
        return k > 0
    w = words[k]
    return (
        w in EXTERNAL_TOOLS
        or w in INTERPRETERS
        or w in ("make", "npm", "yarn", "pnpm")
        or w.startswith("./")
    )


def shell_commands(lines: tuple[str, ...], console: bool) -> list[tuple[int, str]]:
    """(line index, command) for each command in a shell block.

    A prompt ("$ ", "% ", "user@host:~$ ") marks a command; once a block uses
    prompts (or is a console block), lines without one are output. "# " lines
    are comments, except in console blocks where "# " is a root prompt before a
    known program."""
    prompted = console or any(map(_prompt, lines))
    out: list[tuple[int, str]] = []
    heredoc: str | None = None
    idx = 0
    n = len(lines)
    while idx < n:
        raw = lines[idx]
        start = idx
        idx += 1
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        m = _prompt(raw)
        if m:
            cmd = raw[m.end() :]
        elif stripped.startswith("#"):
            rest = stripped[1:].strip()
            if console and stripped.startswith("# ") and _looks_like_command(rest):
                cmd = rest
            else:
                continue
        elif prompted:
            continue
        else:
            cmd = stripped
        while cmd.rstrip().endswith("\\") and idx < n:
            cmd = cmd.rstrip()[:-1] + " " + lines[idx].strip()
            idx += 1
        hd = _HEREDOC_RE.search(cmd)
        if hd:
            heredoc = hd.group(1)
        out.append((start, cmd))
    return out


_IMPORT_RE = re.compile(
    r"^\s*(?:>>>\s*)?import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)\s*(?:#.*)?$"
)
_FROM_RE = re.compile(r"^\s*(?:>>>\s*)?from\s+([\w.]+)\s+import\s+\(?([\w\s,]+?)\)?\s*(?:#.*)?$")


def _own_module(mod: str) -> bool:
    import sys

    parts = mod.split(".")
    if len(parts) < 2 or any(not p.isidentifier() for p in parts):
        return False
    root = parts[0]
    if root in sys.stdlib_module_names or root in PY_THIRD_PARTY:
        return False
    return not is_placeholder(mod.replace(".", "-"))


def python_imports(line: str) -> list[str]:
    """Symbols imported from the page's own dotted packages (`acme.billing`)."""
    m = _FROM_RE.match(line)
    if m:
        mod = m.group(1)
        if mod.startswith(".") or not _own_module(mod + ".x" if "." not in mod else mod):
            return []
        if "." not in mod:
            return []
        names = [n.strip().split()[0] for n in m.group(2).split(",") if n.strip()]
        return [f"{mod}.{n}" for n in names if n.isidentifier()]
    m = _IMPORT_RE.match(line)
    if m:
        out = []
        for item in m.group(1).split(","):
            mod = item.strip().split()[0]
            if _own_module(mod):
                out.append(mod)
        return out
    return []
