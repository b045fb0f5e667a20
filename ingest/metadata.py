"""Document metadata (số hiệu, loại, cơ quan ban hành, ngày, trích yếu, văn bản được dẫn) from the
corpus header when present, else from the text. Pure functions; unsure fields are None, never raises."""

from __future__ import annotations

import logging
import re

from ingest.news import NewsFields, could_be_headline, is_chrome, is_vietnamese, news_fields
from ingest.types import DocMeta, LoadedDocument, Mention
from knowledge.dates import DATE as _DATE
from knowledge.dates import iso as _iso
from knowledge.dates import parse_date
from knowledge.doctypes import HEADING_TYPES, TYPE_BY_CODE
from knowledge.text import nfc, strip_diacritics

log = logging.getLogger(__name__)
__all__ = ["extract_metadata", "extract_metadata_strict", "find_mentions", "normalise_number", "parse_date"]

_CODE = r"[A-ZĐ][A-Za-zĐđ0-9&]*"
_NUM = (rf"\d{{1,5}}(?:/(?:19|20)\d\d)?/{_CODE}(?:-{_CODE})*"  # 318/QĐ-TTg, 51/2025/QĐ-TTg, 257/2025/QH15
        rf"|\d{{1,5}}-{_CODE}/{_CODE}(?:-{_CODE})*")  # party documents: 09-NQ/TU
_NUMBER = re.compile(rf"(?<![\w/.-])(?:{_NUM})(?![\w/])")
_SO = re.compile(rf"^[\s*_|#]*(?:Số(?:\s+hiệu)?|No\.)[\s*_|:.]*({_NUM})(?![\w/])", re.M)
_PLACE_DATE = re.compile(r",[\s*_]*ngày[\s*_]+(" + _DATE + ")")
_MENTION_DATE = re.compile(r"[\s,]*(?:của[^\d,;.()\n]{1,40}?\s)?(?:ban hành\s)?ngày[\s*_]+(" + _DATE + ")")
_EFFECTIVE = re.compile(r"(?:Luật|Nghị định|Quyết định|Thông tư|Nghị quyết|Chỉ thị|Văn bản) này có hiệu lực"
                        r"(?: thi hành)?(?: kể)? từ ngày\s+(ký|" + _DATE + ")")
_VV = re.compile(r"^[\s*_|]*V/v[\s:.]*(.*)$", re.M)
_SEPARATOR = re.compile(r"^[\s\-_=|*.]*$")
_ISSUERS = {
    "TTg": "Thủ tướng Chính phủ", "CP": "Chính phủ", "QH": "Quốc hội", "UBTVQH": "Ủy ban Thường vụ Quốc hội",
    "BNN": "Bộ Nông nghiệp và Phát triển nông thôn", "BNNPTNT": "Bộ Nông nghiệp và Phát triển nông thôn",
    "BNNMT": "Bộ Nông nghiệp và Môi trường", "VPCP": "Văn phòng Chính phủ", "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân", "BTNMT": "Bộ Tài nguyên và Môi trường", "BTC": "Bộ Tài chính",
    "BKHĐT": "Bộ Kế hoạch và Đầu tư", "BXD": "Bộ Xây dựng", "BYT": "Bộ Y tế", "BCT": "Bộ Công Thương",
    "BGDĐT": "Bộ Giáo dục và Đào tạo", "BLĐTBXH": "Bộ Lao động - Thương binh và Xã hội", "BNV": "Bộ Nội vụ",
    "BTP": "Bộ Tư pháp", "BCA": "Bộ Công an", "BQP": "Bộ Quốc phòng", "BDTTG": "Bộ Dân tộc và Tôn giáo",
    "BTTTT": "Bộ Thông tin và Truyền thông", "BVHTTDL": "Bộ Văn hóa, Thể thao và Du lịch",
    "BKHCN": "Bộ Khoa học và Công nghệ", "UBDT": "Ủy ban Dân tộc", "NHNN": "Ngân hàng Nhà nước Việt Nam",
    "TU": "Tỉnh ủy", "TW": "Ban Chấp hành Trung ương", "BCĐ": "Ban Chỉ đạo",
}
# Codes whose canonical spelling has Đ or mixed case, keyed by their ASCII upper-case typing.
_CANON_CODES = ("QĐ", "NĐ", "HĐND", "VPĐP", "BCĐ", "BCĐTW", "TTg", "TTr", "TTLT", "LĐTBXH", "BLĐTBXH",
                "GDĐT", "BGDĐT", "KHĐT", "BKHĐT", "TĐKT", "HĐTĐ", "ĐTM")
_LOCAL = ("Ủy ban nhân dân", "Hội đồng nhân dân", "Tỉnh ủy")
_ADMIN = re.compile(r"\b(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG)\s+(.+)$")


_CANON = {strip_diacritics(c).upper(): c for c in (*_CANON_CODES, *TYPE_BY_CODE, *_ISSUERS)}


def normalise_number(s: str) -> str:
    """Canonical số hiệu: NFC, no spaces, known codes restored ("318/qd-ttg" → "318/QĐ-TTg")."""
    s = re.sub(r"\s+", "", nfc(s or "")).strip(".,;:()[]")
    out = []
    for part in re.split(r"([/-])", s):
        if not part or part in "/-" or part.isdigit():
            out.append(part)
            continue
        m = re.fullmatch(r"(\D+?)(\d*)", part)  # QH15: letters, then a term number
        letters, digits = (m.group(1), m.group(2)) if m else (part, "")
        canon = _CANON.get(strip_diacritics(letters).upper())
        out.append((canon or (letters.upper() if letters.islower() else letters)) + digits)
    return "".join(out)


def _code_parts(number: str) -> tuple[str | None, str | None, bool]:
    """(type code, issuer code, has year) of a normalised number."""
    if m := re.fullmatch(r"\d+-([^/]+)/(.+)", number):
        return m.group(1), m.group(2).split("-")[0], False
    parts = number.split("/")
    tokens = parts[-1].split("-")
    kind = tokens[0] if tokens[0] in TYPE_BY_CODE else None
    rest = tokens[1:] if kind else tokens
    return kind, (rest[0] if rest else None), len(parts) > 2


def _issuer_name(code: str | None) -> str | None:
    return _ISSUERS.get(re.sub(r"\d+$", "", code)) if code else None


def _type_of(text: str) -> str | None:
    """Type named at the start of a title ("Quyết định ban hành …" → "Quyết định")."""
    low = text.strip(" *_#").lower()
    return next((t for t in HEADING_TYPES if low == t.lower() or low.startswith(t.lower() + " ")), None)


def _lines(text: str, limit: int = 150) -> list[str]:
    return [ln.strip().strip("*_#").strip() for ln in text.splitlines()[:limit]]


def _heading_type(lines: list[str]) -> tuple[str | None, int]:
    """The document-type heading line ("QUYẾT ĐỊNH", "KẾ HOẠCH") near the top and its index."""
    for i, ln in enumerate(lines):
        if ln.startswith("Điều "):
            break
        word = ln.rstrip(":").strip()
        if word and word == word.upper() and (t := _type_of(word)) and word.lower() == t.lower():
            return t, i
    return None, -1


def _trich_yeu(lines: list[str], i: int) -> str | None:
    """Lines after the type heading: all-caps ones while they last, else up to a blank line."""
    picked: list[str] = []
    for ln in lines[i + 1:i + 10]:
        if not ln:
            if picked:
                break
            continue
        if ln.startswith(("Căn cứ", "Kính gửi", "Điều ", "|", "Theo đề nghị")) or _SEPARATOR.match(ln):
            break
        if picked and (picked[0] == picked[0].upper()) != (ln == ln.upper()):
            break  # the trích yếu keeps one case style; a change means the next block started
        if len(picked) >= 6:
            break
        picked.append(ln)
    return " ".join(" ".join(picked).replace("*", " ").split()) or None


def _vv_title(first: str, following: list[str]) -> str | None:
    """An official letter's "V/v …" subject, continued over wrapped lines, as "Về việc …"."""
    picked = [first.strip()]
    for ln in following:
        if not ln or ln == ln.upper() or ln.startswith(("Kính gửi", "Độc lập")) or _PLACE_DATE.search(ln):
            break
        picked.append(ln)
    body = " ".join(" ".join(picked).replace("*", " ").split())
    return f"Về việc {body}" if body else None


def _letterhead(lines: list[str]) -> str | None:
    """The all-caps issuer lines just above "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"."""
    idx = next((i for i, ln in enumerate(lines) if ln.upper().startswith("CỘNG HÒA")), None)
    if idx is None:
        return None
    picked: list[str] = []
    for ln in reversed(lines[max(0, idx - 12):idx]):
        caps = ln == ln.upper() and any(c.isalpha() for c in ln)
        if not ln or _SEPARATOR.match(ln) or ln.startswith(("Số", "No.")) or _NUMBER.fullmatch(ln):
            if picked and not ln:
                break
            continue
        if not caps:
            if picked:
                break
            continue  # the V/v subject of a letter sits between the issuer and the national motto
        picked.insert(0, ln)
    head = " ".join(" ".join(picked).split()).replace("UỶ", "ỦY")
    return head or None


def _issuer_from_letterhead(head: str) -> str | None:
    """Readable issuer name: known bodies keep their spelling, the place name is title-cased."""
    for name in sorted(set(_ISSUERS.values()), key=len, reverse=True):
        if head.startswith(name.upper()):
            rest = head[len(name):].strip()
            if m := _ADMIN.match(rest):
                return f"{name} {m.group(1).lower()} {m.group(2).title()}"
            return name if not rest else None
    return None


def find_mentions(text: str, own: str | None = None) -> tuple[Mention, ...]:
    """Document numbers cited in the text, each with the date written next to it, first-seen order."""
    found: dict[str, str | None] = {}
    own_n = normalise_number(own) if own else None
    for m in _NUMBER.finditer(text or ""):
        number = normalise_number(m.group())
        if number == own_n:
            continue
        d = _MENTION_DATE.match(text, m.end())
        date = _iso(d.groups()[1:]) if d else None
        if number not in found or (found[number] is None and date):
            found[number] = date
    return tuple(Mention(n, d) for n, d in found.items())


def extract_metadata(doc: LoadedDocument) -> DocMeta:
    """DocMeta from the header fields when present, else from the letterhead, headings and dates."""
    try:
        return extract_metadata_strict(doc)
    except Exception:  # odd input must never stop ingestion, but a bug must show in the log
        log.exception("metadata extraction failed for %s; indexing it without metadata", doc.source)
        return DocMeta()


def extract_metadata_strict(doc: LoadedDocument) -> DocMeta:
    """extract_metadata without its safety net: exceptions propagate (for tests and debugging)."""
    header = {k.strip().lower(): v.strip() for k, v in doc.header}
    text = doc.text or ""
    lines = _lines(text)
    number = None
    if raw := header.get("số hiệu"):
        m = _NUMBER.search(raw)
        number = normalise_number(m.group() if m else raw) or None
    elif m := _SO.search(text[:4000]):
        number = normalise_number(m.group(1))
    type_code, issuer_code, has_year = _code_parts(number) if number else (None, None, False)
    heading_type, heading_at = _heading_type(lines)
    vv = _VV.search(text[:4000])
    doc_type = (_type_of(header.get("tiêu đề", "")) or _type_of(header.get("loại văn bản", ""))
                or heading_type or TYPE_BY_CODE.get(type_code or "")
                or ("Công văn" if number and not type_code and not has_year else None)
                or ("Công văn" if vv else None) or (None if number else "Bài báo"))
    news = doc_type == "Bài báo"
    page = news_fields(text) if news else None

    issuer = None
    if raw := header.get("cơ quan ban hành") or header.get("nơi ban hành"):
        issuer = re.split(r"\s*[(,;]", raw)[0].strip() or None
    head = None if news else _letterhead(lines)
    if not issuer and head:
        issuer = _issuer_from_letterhead(head)
    if not issuer and not news:
        issuer = _issuer_name(issuer_code)

    signed = None
    for key in ("ngày ký", "ngày ban hành", "ngày thông qua"):
        if signed is None and header.get(key):
            signed = parse_date(header[key])
    if signed is None:
        pd = None if news else _PLACE_DATE.search(text[:4000])
        signed = _iso(pd.groups()[1:]) if pd else page.date if page else None

    effective = parse_date(header["ngày hiệu lực"]) if header.get("ngày hiệu lực") else None
    if effective is None and not news and not header.get("ngày hiệu lực"):
        if eff := _EFFECTIVE.search(text):
            effective = signed if eff.group(1) == "ký" else _iso(eff.groups()[1:])

    title = header.get("tiêu đề") or None
    if not title and heading_at >= 0:
        title = _trich_yeu(lines, heading_at)
    if not title and vv:
        title = _vv_title(vv.group(1), _lines(text[vv.end() + 1:], 4))
    if not title:
        title = _fallback_title(doc, lines, page)
    return DocMeta(number=number, doc_type=doc_type, issuer=issuer, signed_date=signed,
                   effective_date=effective, title=title, mentions=find_mentions(text, number))


def _fallback_title(doc: LoadedDocument, lines: list[str], page: NewsFields | None) -> str | None:
    """Title without header or trích yếu: a news headline above its date, the loader's title hint
    (HTML <title>/h1, DOCX/PDF title) unless it is site chrome, a headline-like line, the first line."""
    if page and page.headline:
        return page.headline
    vietnamese = is_vietnamese(doc.text or "")
    hint = " ".join((doc.title_hint or "").split()).strip("*_#").strip()
    if any(c.isalnum() for c in hint) and not is_chrome(hint, vietnamese):
        return hint
    if page and page.first_line:
        return page.first_line
    return next((ln for ln in lines if could_be_headline(ln, vietnamese)), None) \
        or next((ln for ln in lines if ln and not _SEPARATOR.match(ln)), None)
