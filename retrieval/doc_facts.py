"""Asks about a document itself (who signed or issued it, when it was signed or took effect, whether it is still in
force and what amended or replaced it), answered from the catalogue and cited to the document's card.

A field the catalogue leaves empty is reported as not recorded, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from knowledge.catalogue import CatalogueEntry, entry_for, find_entry
from knowledge.dates import vn_date
from knowledge.status import NOT_YET, STATUS_LABELS, status_on
from retrieval.asks import Ask, fold_ask
from retrieval.evidence import Citation
from retrieval.query import QueryPlan
from retrieval.ranking import question_terms
from retrieval.search import SearchResult
from retrieval.validity import applies_from, governing_entries

CARD_LABEL = "thẻ văn bản do hệ thống tóm tắt từ danh mục"  # a card is our summary, not the document's words
# Which card line states each field (the card is rendered by knowledge.cards.entry_text).
_LINES = {"signer": "Người ký:", "issuer": "Cơ quan ban hành:", "signed": "Ngày ký/thông qua:",
          "effective": "Ngày có hiệu lực:", "status": "Tình trạng tính đến", "amended_by": "Đã được sửa đổi",
          "replaced_by": "Đã bị thay thế"}
_FIELD_WORDS = (("effective", ("hieu luc tu", "co hieu luc", "ap dung tu", "hieu luc ngay", "hieu luc khi nao")),
                ("signed", ("ky ngay", "ngay ky", "ban hanh ngay", "ngay ban hanh", "thong qua ngay", "ky khi nao",
                            "ban hanh khi nao", "ky luc nao")),
                ("signer", ("ai ky", "nguoi ky", "ky boi ai", "do ai ky", "ai la nguoi ky", "nao ky")),
                ("issuer", ("ai ban hanh", "co quan nao ban hanh", "co quan ban hanh", "don vi nao ban hanh",
                            "do ai ban hanh", "cap nao ban hanh", "ban hanh boi")))


# What a message that only names a document is made of: type words, its number, "số", "là gì", "về"
_NAMED_ONLY = re.compile(r"\d+|(?<![a-z])(?:quyet dinh|nghi dinh|nghi quyet|thong tu|cong van|ke hoach|thong bao|van ban|"
                         r"qd|nd|nq|tt|cv|kh|tb|vb|ttg|cp|qh\d*|bnn|vpdp|ubnd|hdnd|ndcp|so|la gi|ve|cua|gi|nao)(?![a-z])")


@dataclass(frozen=True)
class DocFact:
    """A catalogue fact answering one ask: the sentence said, the card chunk cited and the card line quoted."""

    text: str
    card: SearchResult | None
    quote: str
    recorded: bool = True  # False: the catalogue has no value for the asked field


def asked_field(ask: Ask) -> str | None:
    """The catalogue field an ask is about (status, effective, signed, signer, issuer; "overview" for a message
    that only names a document, "QĐ 18/2022?"), or None."""
    folded = fold_ask(ask.text)
    if ask.kind == "status":
        return "status"
    for name, words in _FIELD_WORDS:
        if any(w in folded for w in words):
            return name
    rest = _NAMED_ONLY.sub(" ", folded)
    return "overview" if ask.kind in ("other", "definition") and not re.search(r"[a-z]{2,}", rest) else None


def target_entries(ask: Ask, plan: QueryPlan, catalogue: Sequence[CatalogueEntry]) -> list[CatalogueEntry]:
    """The catalogued documents an ask is about: those it names, else for a status ask the one governing its topic."""
    named = [e for e in (entry_for(catalogue, n) for n in plan.numbers) if e]
    if named or ask.kind != "status":
        return named
    return governing_entries(question_terms(plan), plan.as_of, catalogue, limit=1)


def _in_effect(numbers: Sequence[str], as_of: date, catalogue: Sequence[CatalogueEntry]) -> list[str]:
    out = []
    for n in numbers:
        e = find_entry(catalogue, n)
        start = e and (e.effective or e.signed)
        if e is None or not start or start[:10] <= as_of.isoformat():
            out.append(applies_from(catalogue, n))
    return out


def _status_text(entry: CatalogueEntry, as_of: date, catalogue: Sequence[CatalogueEntry]) -> str:
    status, _ = status_on(entry, as_of, catalogue)
    start = entry.effective or entry.signed
    since = f" (hiệu lực từ {vn_date(start)})" if start and len(start) == 10 else ""
    parts = [f"Tính đến ngày {vn_date(as_of.isoformat())}, {entry.type} {entry.number}{since} {STATUS_LABELS[status]}"]
    if entry.replaces:
        parts.append("văn bản này thay thế " + "; ".join(entry.replaces))
    if status == NOT_YET:
        parts.append(f"áp dụng từ {vn_date(entry.effective or entry.signed)}")
    if amended := _in_effect(entry.amended_by, as_of, catalogue):
        parts.append("đã được sửa đổi, bổ sung bởi " + "; ".join(amended))
    if replaced := _in_effect(entry.replaced_by, as_of, catalogue):
        parts.append("đã bị thay thế bởi " + "; ".join(replaced))
    return "; ".join(parts) + "."


def _value(entry: CatalogueEntry, name: str) -> str | None:
    value = getattr(entry, name)
    return vn_date(value) if value and name in ("signed", "effective") else value


_SAYS = {"signer": "{} do {} ký.", "issuer": "{} do {} ban hành.", "signed": "{} được ký/thông qua ngày {}.",
         "effective": "{} có hiệu lực từ ngày {}."}
_MISSING = {"signer": "người ký", "issuer": "cơ quan ban hành", "signed": "ngày ký", "effective": "ngày có hiệu lực"}


def card_quote(cards: Sequence[SearchResult], keys: Sequence[str]) -> tuple[SearchResult | None, str]:
    """The card chunk holding the wanted lines, and those lines."""
    for card in cards:
        lines = [line for line in card.text.splitlines() if line.startswith(tuple(keys))]
        if lines:
            return card, " ".join(lines)
    return (cards[0], cards[0].text.splitlines()[0]) if cards else (None, "")


def doc_fact(ask: Ask, plan: QueryPlan, entry: CatalogueEntry, catalogue: Sequence[CatalogueEntry],
             cards: Sequence[SearchResult]) -> DocFact | None:
    """The catalogue's answer to a metadata ask about `entry`, or None when the ask is not about a field."""
    name = asked_field(ask)
    if name is None:
        return None
    if name == "status":
        card, quote = card_quote(cards, [_LINES["status"], _LINES["amended_by"], _LINES["replaced_by"]])
        return DocFact(_status_text(entry, plan.as_of, catalogue), card, quote)
    if name == "overview":  # what the document is, who issued it when, and whether it applies on the date asked
        card, quote = card_quote(cards, ["Thẻ văn bản:", _LINES["status"]])
        issued = f"; {entry.issuer} ký/ban hành ngày {vn_date(entry.signed)}" if entry.signed else ""
        return DocFact(f"{entry.type} {entry.number}: {entry.title}{issued}. " + _status_text(entry, plan.as_of,
                                                                                          catalogue), card, quote)
    value = _value(entry, name)
    card, quote = card_quote(cards, [_LINES[name]])
    label = f"{entry.type} {entry.number}"
    if not value:
        return DocFact(f"Danh mục văn bản chưa ghi {_MISSING[name]} của {label}.", card, quote, recorded=False)
    if name in ("signed", "effective") and len(getattr(entry, name)) < len("2026-01-01"):  # a year or month only
        return DocFact(f"Danh mục văn bản chỉ ghi {_MISSING[name]} của {label} là {value}, chưa có ngày cụ thể.",
                       card, quote, recorded=False)
    return DocFact(_SAYS[name].format(label, value), card, quote)


def card_citation(n: int, chunks: Sequence[SearchResult],
                  keys: Sequence[str] = ("Thẻ văn bản:", "Tình trạng tính đến")) -> Citation | None:
    """A document's card cited for what the catalogue says of it, quoting its lines that start with `keys` (by
    default its title and status); None when no chunk holds such a line, rather than quote an unrelated one."""
    card, quote = card_quote(chunks, list(keys))
    if card is None or not quote.startswith(tuple(keys)):
        return None
    return Citation.of(n, card, card.title or card.number or "", CARD_LABEL, quote)
