"""Document catalogue: facts about NTM documents (number, dates, status, relations) kept in YAML."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "catalogue.yaml"
STATUSES = ("in_force", "amended", "replaced", "expired", "guidance", "local_plan")
NOT_YET = "not_yet_in_force"  # only returned by status_on, never stored
STATUS_LABELS = {  # Vietnamese wording used in document cards
    "in_force": "còn hiệu lực", "amended": "còn hiệu lực, đã được sửa đổi, bổ sung",
    "replaced": "đã bị thay thế, không còn áp dụng", "expired": "hết hiệu lực hoặc hết thời kỳ áp dụng",
    "guidance": "văn bản hướng dẫn, chỉ đạo điều hành (không phải văn bản quy phạm)",
    "local_plan": "văn bản điều hành của địa phương, chỉ dùng trong tỉnh đó",
    NOT_YET: "đã ban hành nhưng chưa có hiệu lực"}
TYPES = ("Quyết định", "Nghị định", "Công văn", "Kế hoạch", "Nghị quyết", "Thông báo", "Thông tư", "Luật")
LEVELS = ("central", "local")
COMPLETENESS = ("full", "partial", "summary", "none")
RELATIONS = ("amends", "amended_by", "replaces", "replaced_by", "follows", "followed_by", "related")
INVERSE = {"amends": "amended_by", "replaces": "replaced_by", "follows": "followed_by", "related": "related"}
INVERSE.update({v: k for k, v in INVERSE.items()})
_REQUIRED = ("id", "number", "type", "title", "issuer", "signed", "status", "status_as_of", "scope",
             "summary", "completeness_note")
_LISTS = ("aliases", "topics") + RELATIONS
_OPTIONAL_TEXT = ("signer", "period", "corpus_file", "note", "effective", "expires", "level", "criteria")
_SENTENCES = {"amends": "Văn bản này sửa đổi, bổ sung: {}.", "amended_by": "Đã được sửa đổi, bổ sung bởi: {}.",
              "replaces": "Văn bản này thay thế: {}.", "replaced_by": "Đã bị thay thế bởi: {}.",
              "follows": "Tiếp nối văn bản trước cùng chủ đề: {}.", "followed_by": "Văn bản ra sau cùng chủ đề: {}.",
              "related": "Văn bản liên quan: {}."}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")  # ISO date; "YYYY" and "YYYY-MM" only where partial is allowed
_TYPE_WORDS = {"quyet dinh": "Quyết định", "qd": "Quyết định", "nghi dinh": "Nghị định", "nd": "Nghị định",
               "nghi quyet": "Nghị quyết", "nq": "Nghị quyết", "cong van": "Công văn", "cv": "Công văn",
               "ke hoach": "Kế hoạch", "kh": "Kế hoạch", "thong bao": "Thông báo", "tb": "Thông báo",
               "thong tu": "Thông tư", "tt": "Thông tư", "luat": "Luật", "van ban": None, "vb": None}
_QUERY = re.compile(r"(?:(?<![a-z])(?P<kind>" + "|".join(sorted(_TYPE_WORDS, key=len, reverse=True))
                    + r")[\s.:]*)?(?:so\s*)?(?P<num>\d{1,5})(?:\s*/\s*(?P<year>(?:19|20)\d{2})(?!\d))?"
                    r"(?P<rest>[/\-][\w/\-]*)?")


class CatalogueError(ValueError):
    """A catalogue entry is invalid; `entry_id` and `field` say where."""

    def __init__(self, entry_id: str, field: str, message: str) -> None:
        super().__init__(f"catalogue entry {entry_id}, field {field}: {message}")
        self.entry_id = entry_id
        self.field = field


@dataclass(frozen=True)
class CatalogueEntry:
    """Facts about one document; dates are ISO strings (`signed` may be just "YYYY" or "YYYY-MM")."""

    id: str
    number: str
    type: str
    title: str
    issuer: str
    signed: str | None
    status: str
    status_as_of: str
    scope: str
    summary: str
    completeness_note: str
    aliases: tuple[str, ...] = ()
    level: str = "central"
    signer: str | None = None
    effective: str | None = None
    expires: str | None = None
    period: str | None = None
    amends: tuple[str, ...] = ()
    amended_by: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    follows: tuple[str, ...] = ()
    followed_by: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    corpus_file: str | None = None
    note: str | None = None


def fold(text: str) -> str:
    """Lower-case ASCII fold of Vietnamese text ("Đồng bằng" → "dong bang"); one letter per letter of NFC text."""
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def number_key(text: str) -> str:
    """Spelling-insensitive key for a document number or alias ("QĐ 318" -> "qd318")."""
    return re.sub(r"[^a-z0-9/]", "", fold(text))


def _date_text(value: Any, eid: str, field: str, partial: bool) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        if not _DATE.match(text) or (len(text) != 10 and not partial):
            raise ValueError
        _earliest(text)
    except ValueError as exc:
        raise CatalogueError(eid, field, f"not a valid ISO date: {value!r}") from exc
    return text


def _earliest(text: str) -> date:
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def _criteria(value: Any, eid: str) -> tuple[str, ...]:
    names = [x.get("ten") if isinstance(x, dict) and x.get("so") == pos else x for pos, x in enumerate(value or [], 1)]
    bad = [pos for pos, name in enumerate(names, 1) if not isinstance(name, str) or not name.strip()]
    if bad:
        raise CatalogueError(eid, "criteria", f"item {bad[0]} must be a name or {{so: {bad[0]}, ten: ...}}")
    return tuple(name.strip() for name in names)


def _entry(raw: Any, index: int, as_of: Any) -> CatalogueEntry:
    if not isinstance(raw, dict):
        raise CatalogueError(f"#{index}", "entry", "must be a mapping")
    eid = str(raw.get("id") or f"#{index}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_LISTS) - set(_OPTIONAL_TEXT))
    if unknown:
        raise CatalogueError(eid, unknown[0], "unknown field")
    raw = {"status_as_of": as_of, **raw}
    for key in _REQUIRED:
        if key not in raw or (key != "signed" and not str(raw[key] or "").strip()):
            raise CatalogueError(eid, key, "required field is missing or empty")
    period = raw.get("period")
    checks = [(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", eid), "id", "must be a lowercase slug"),
              (re.fullmatch(r"\d{1,5}[/-]\S.*", str(raw["number"])), "number", "is not a document number"),
              (raw["type"] in TYPES, "type", f"must be one of {TYPES}"),
              (raw["status"] in STATUSES, "status", f"must be one of {STATUSES}"),
              (raw.get("level", "central") in LEVELS, "level", f"must be one of {LEVELS}"),
              (str(raw["completeness_note"]).split(":")[0].strip() in COMPLETENESS, "completeness_note",
               f"must start with one of {COMPLETENESS}"),
              (period is None or re.fullmatch(r"\d{4}(-\d{4})?", str(period)), "period", "must be YYYY or YYYY-YYYY")]
    for ok, field, message in checks:
        if not ok:
            raise CatalogueError(eid, field, message)
    lists = {}
    for key in _LISTS:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CatalogueError(eid, key, "must be a list of non-empty strings")
        lists[key] = tuple(v.strip() for v in value)
    texts = {k: str(raw[k]).strip() for k in ("number", "title", "issuer", "scope", "summary", "completeness_note")}
    dates = {k: _date_text(raw.get(k), eid, k, k == "signed")
             for k in ("signed", "effective", "expires", "status_as_of")}
    entry = CatalogueEntry(id=eid, type=raw["type"], status=raw["status"], level=raw.get("level", "central"),
                           signer=raw.get("signer"), period=None if period is None else str(period),
                           criteria=_criteria(raw.get("criteria"), eid), corpus_file=raw.get("corpus_file"),
                           note=raw.get("note"), **texts, **dates, **lists)
    if entry.status == "replaced" and not entry.replaced_by:
        raise CatalogueError(eid, "replaced_by", "status replaced needs replaced_by")
    if entry.status == "expired" and not (entry.expires or entry.period):
        raise CatalogueError(eid, "expires", "status expired needs expires or period")
    return entry


class _Loader(yaml.SafeLoader):  # keeps dates as text so that our validation sees them
    yaml_implicit_resolvers = {k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
                               for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_catalogue(path: Path) -> list[CatalogueEntry]:
    """Load and validate the catalogue YAML (a list, or a mapping with as_of/external/entries)."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise CatalogueError("-", "yaml", str(exc)) from exc
    data = {"entries": data} if isinstance(data, list) else data
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CatalogueError("-", "entries", "catalogue must be a list of entries or have an 'entries' list")
    external = {str(x["number"] if isinstance(x, dict) else x).strip() for x in data.get("external") or []}
    entries = [_entry(raw, i, data.get("as_of")) for i, raw in enumerate(data["entries"])]
    owners: dict[str, str] = {}
    for i, e in enumerate(entries):
        if any(other.id == e.id for other in entries[:i]):
            raise CatalogueError(e.id, "id", "duplicate id")
        for field, text in [("number", e.number)] + [("aliases", a) for a in e.aliases]:
            owner = owners.setdefault(number_key(text), e.id)
            if owner != e.id:
                raise CatalogueError(e.id, field, f"{text!r} already names entry {owner}")
    numbers = {e.number for e in entries} | external
    for e in entries:
        for field in RELATIONS:
            for n in getattr(e, field):
                if n not in numbers:
                    raise CatalogueError(e.id, field, f"{n!r} is neither a catalogue number nor external")
    return entries


def find_entry(entries: Sequence[CatalogueEntry], query_number: str) -> CatalogueEntry | None:
    """Resolve a number as people type it ("QĐ 318", "cv 267", "318/QD-TTg") to one entry, or None."""
    key = number_key(query_number)
    for e in entries:
        if key == number_key(e.number) or key in {number_key(a) for a in e.aliases}:
            return e
    m = _QUERY.search(fold(query_number))
    if not m:
        return None
    kind, num, year = _TYPE_WORDS.get(m["kind"] or ""), int(m["num"]), m["year"]
    rest = number_key(m["rest"] or "")
    cands = [e for e in entries if int(re.match(r"\d+", e.number).group()) == num]
    if year:
        cands = [e for e in cands if f"/{year}/" in e.number or (e.signed or "").startswith(year)]
    if rest:
        cands = [e for e in cands if re.sub(r"^\d+(/(19|20)\d\d)?", "", number_key(e.number)).startswith(rest)]
    if kind:
        cands = [e for e in cands if e.type == kind] or cands
    return cands[0] if len(cands) == 1 else None


def _start(e: CatalogueEntry | None) -> date | None:
    text = e and (e.effective or e.signed)
    return _earliest(text) if text else None


def _end(e: CatalogueEntry) -> date | None:
    period_end = date(int(e.period[-4:]), 12, 31) if e.period else None
    return date.fromisoformat(e.expires) if e.expires else period_end


def _kind(e: CatalogueEntry) -> str:
    if e.type in ("Công văn", "Thông báo", "Kế hoạch") and e.level == "local":
        return "local_plan"
    return "guidance" if e.type in ("Công văn", "Thông báo") else "in_force"


def status_on(entry: CatalogueEntry, as_of: date, entries: Sequence[CatalogueEntry]) -> tuple[str, list[str]]:
    """Status on `as_of` and the numbers to read instead (replaced/expired/guidance) or with it (amended)."""
    by_number = {e.number: e for e in entries}
    fallback = date.fromisoformat(entry.status_as_of)

    def in_effect(numbers: tuple[str, ...]) -> list[str]:
        starts = [(n, _start(by_number.get(n))) for n in numbers]
        return [n for n, s in starts if (s <= as_of if s else as_of >= fallback)]

    start = _start(entry)
    if start and as_of < start:
        return NOT_YET, list(entry.replaces + entry.amends)
    replaced = in_effect(entry.replaced_by)
    if replaced:
        return "replaced", replaced
    end = None if entry.replaced_by else _end(entry)
    if end and as_of > end:
        return "expired", in_effect(entry.followed_by)
    kind = _kind(entry)
    if kind != "in_force":
        return kind, in_effect(entry.followed_by)
    amended = in_effect(entry.amended_by)
    return ("amended", amended) if amended else ("in_force", [])


def vn_date(text: str | None) -> str:
    """An ISO date (or "YYYY", "YYYY-MM") written the Vietnamese way: "15/02/2026", "tháng 3/2024", "năm 2023"."""
    if not text:
        return "chưa rõ"
    parts = text.split("-")
    return {1: "năm {0}", 2: "tháng {1}/{0}", 3: "{2}/{1}/{0}"}[len(parts)].format(*parts)


def entry_text(entry: CatalogueEntry, entries: Sequence[CatalogueEntry] = ()) -> str:
    """Render one entry as a Vietnamese document card for chunking and embedding."""
    by_number = {e.number: e for e in entries}

    def refs(numbers: tuple[str, ...], detail: bool) -> str:
        found = [(n, by_number.get(n)) for n in numbers]
        return "; ".join(f"{n} ({o.title}; áp dụng từ {vn_date(o.effective or o.signed)})" if o and detail else n
                         for n, o in found)

    aliases = f" (còn được viết: {', '.join(entry.aliases)})" if entry.aliases else ""
    lines = [f"Thẻ văn bản: {entry.type} {entry.number} — {entry.title}", f"Số hiệu: {entry.number}{aliases}"]
    lines.append(f"Loại văn bản: {entry.type}. Cơ quan ban hành: {entry.issuer}"
                 + (f". Người ký: {entry.signer}" if entry.signer else "") + ".")
    lines.append(f"Ngày ký/thông qua: {vn_date(entry.signed)}. Ngày có hiệu lực: {vn_date(entry.effective)}."
                 + (f" Thời kỳ áp dụng: {entry.period}." if entry.period else "")
                 + (f" Hết hiệu lực/hết thời kỳ: {vn_date(entry.expires)}." if entry.expires else ""))
    lines.append(f"Tình trạng tính đến {vn_date(entry.status_as_of)}: {STATUS_LABELS[entry.status]}.")
    lines += [_SENTENCES[f].format(refs(getattr(entry, f), f != "related")) for f in RELATIONS if getattr(entry, f)]
    lines += [f"Phạm vi áp dụng: {entry.scope}", f"Tóm tắt: {entry.summary}"]
    if entry.criteria:
        items = "; ".join(f"tiêu chí số {i}: {name}" for i, name in enumerate(entry.criteria, start=1))
        lines.append(f"Danh sách {len(entry.criteria)} tiêu chí: {items}.")
    if entry.topics:
        lines.append(f"Chủ đề: {', '.join(entry.topics)}.")
    if entry.note:
        lines.append(f"Lưu ý: {entry.note}")
    where = f"tệp {entry.corpus_file}" if entry.corpus_file else "không có tệp trong kho"
    lines.append(f"Trong kho văn bản: {where}; mức độ: {entry.completeness_note}")
    return "\n".join(lines)
