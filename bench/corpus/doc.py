"""A tiny document model rendered as Markdown or Confluence storage format.

Inline text uses Markdown conventions: `code`, **bold**, [text](url). The HTML
renderer converts them; everything else is escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date

Block = tuple  # ("h", level, text) | ("p", text) | ("ul", [text]) | ("ol", [text])
# | ("code", lang, text) | ("table", header, rows) | ("note", text)


@dataclass
class Doc:
    title: str
    owner: str
    tags: list[str]
    blocks: list[Block] = field(default_factory=list)
    front: dict[str, str] = field(default_factory=dict)  # extra front-matter keys

    def h(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def ul(self, items: list[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def ol(self, items: list[str]) -> None:
        self.blocks.append(("ol", list(items)))

    def code(self, lang: str, text: str) -> None:
        self.blocks.append(("code", lang, text.rstrip("\n")))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", list(header), [list(r) for r in rows]))


def human_date(d: date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


# --------------------------------------------------------------------------- markdown


def to_markdown(doc: Doc, last_updated: date | None) -> str:
    lines = ["---", f"title: {_yaml_str(doc.title)}", f"owner: {doc.owner}"]
    lines.append("tags: [" + ", ".join(doc.tags) + "]")
    for k, v in doc.front.items():
        lines.append(f"{k}: {_yaml_str(v)}")
    if last_updated is not None:
        lines.append(f"last_updated: {last_updated.isoformat()}")
    lines += ["---", "", f"# {doc.title}", ""]
    for b in doc.blocks:
        kind = b[0]
        if kind == "h":
            lines += ["#" * b[1] + " " + b[2], ""]
        elif kind == "p":
            lines += [b[1], ""]
        elif kind == "ul":
            lines += [f"- {item}" for item in b[1]] + [""]
        elif kind == "ol":
            lines += [f"{i}. {item}" for i, item in enumerate(b[1], 1)] + [""]
        elif kind == "code":
            lines += [f"```{b[1]}", b[2], "```", ""]
        elif kind == "table":
            header, rows = b[1], b[2]
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "|".join("---" for _ in header) + "|")
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _yaml_str(s: str) -> str:
    return '"' + s.replace('"', '\\"') + '"' if re.search(r"[:#\[\]{}&*!|>'\"%@`]", s) else s


# --------------------------------------------------------------------------- confluence


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)]+)\)")


def inline_html(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos : m.start()], quote=False))
        if m.group(1) is not None:
            out.append(f"<code>{html.escape(m.group(1), quote=False)}</code>")
        elif m.group(2) is not None:
            out.append(f"<strong>{html.escape(m.group(2), quote=False)}</strong>")
        else:
            out.append(
                f'<a href="{html.escape(m.group(4))}">{html.escape(m.group(3), quote=False)}</a>'
            )
        pos = m.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def to_confluence(doc: Doc, last_updated: date | None) -> str:
    parts = [f"<h1>{html.escape(doc.title, quote=False)}</h1>"]
    meta = f"Owner: {doc.owner}"
    if doc.tags:
        meta += " | Labels: " + ", ".join(doc.tags)
    parts.append(f"<p><em>{html.escape(meta, quote=False)}</em></p>")
    if last_updated is not None:
        parts.append(f"<p>Last updated: {human_date(last_updated)}</p>")
    for b in doc.blocks:
        kind = b[0]
        if kind == "h":
            parts.append(f"<h{b[1]}>{inline_html(b[2])}</h{b[1]}>")
        elif kind == "p":
            parts.append(f"<p>{inline_html(b[1])}</p>")
        elif kind in ("ul", "ol"):
            tag = kind
            items = "".join(f"<li>{inline_html(i)}</li>" for i in b[1])
            parts.append(f"<{tag}>{items}</{tag}>")
        elif kind == "code":
            lang = b[1] or "none"
            body = b[2].replace("]]>", "]]]]><![CDATA[>")
            parts.append(
                '<ac:structured-macro ac:name="code">'
                f'<ac:parameter ac:name="language">{html.escape(lang)}</ac:parameter>'
                f"<ac:plain-text-body><![CDATA[{body}]]></ac:plain-text-body>"
                "</ac:structured-macro>"
            )
        elif kind == "table":
            header, rows = b[1], b[2]
            head = "<tr>" + "".join(f"<th>{inline_html(c)}</th>" for c in header) + "</tr>"
            body_rows = "".join(
                "<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in r) + "</tr>" for r in rows
            )
            parts.append(f"<table><tbody>{head}{body_rows}</tbody></table>")
    return "\n".join(parts) + "\n"
