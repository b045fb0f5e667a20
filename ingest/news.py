"""News-page metadata: skip website chrome (site header, hotline, breadcrumbs, banners) at the top
of a saved page, find the article's publication date line and the headline next to it."""

from __future__ import annotations

import re
from typing import NamedTuple

from knowledge.dates import DATE, iso
from knowledge.syllables import looks_vietnamese
from knowledge.text import strip_diacritics

TOP_LINES = 25  # a publication date further down is a date in the story, not the article's
HEADLINE_MAX = 250  # longer lines are lead paragraphs, not headlines

# Site chrome words, which a headline practically never contains. "xem chi tiet" only unaccented:
# that is the page template ("xem chi tiet tin - ..."); "Xem chi tiết ..." can be part of a headline.
_CHROME_WORDS = re.compile(
    r"\b(?:rss|hotline|24h qua|english|xem chi tiet|trang ch[uủ]|(?:đ|d)[aă]ng (?:nh[aậ]p|xu[aấ]t)"
    r"|qu[eê]n m[aậ]t kh[aẩ]u|sitemap|s[oơ] đ[oồ] trang|c[oơ] quan ch[uủ] qu[aả]n|gi[aấ]y ph[eé]p s[oố])\b")
_CRUMB = re.compile(r"[»›]| > ")  # "Trang chủ » Tin tức", "Tin tức > Nông thôn mới"
_TIME = r"\d{1,2}(?::\d\d){1,2}(?:\s*[AaPp][Mm])?"
# What may precede the date on its line: "Đăng lúc:", "Ngày", "Cập nhật ngày", a weekday.
_LEAD = (r"(?:(?:Đăng lúc|Đăng ngày|Ngày đăng|Ngày cập nhật|Cập nhật(?: lúc| ngày)?|Ngày xuất bản|Xuất bản"
         r"|Thời gian|Ngày|Published|Posted|Updated)\s*:?\s*"
         r"|(?:Thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|Chủ\s+nhật)\s*,?\s*"
         r"|[^\W\d_]+(?: [^\W\d_]+)?\s*,\s*)?")
_GMT = r"(?:\(?\s*GMT\s*[+-]\s*\d{1,2}(?::?\d\d)?\s*\)?)?"
# A line that is only a publication date: "27/03/2023 - 09:19", "22:11 | 16/02/2024",
# "Đăng lúc: 16:17:34 26/05/2023 (GMT+7)", "Ngày 05-05-2022", "Thứ Hai, 27/03/2023 - 09:19".
_DATE_LINE = re.compile(rf"[\W_]*{_LEAD}(?:{_TIME}\s*[-|,]?\s*)?({DATE})(?:\s*[-|,]?\s*{_TIME})?\s*{_GMT}[\W_]*",
                        re.I)
_DATE_TIME = re.compile(rf"({DATE})\s*[-|,]?\s*{_TIME}\b|\b{_TIME}\s*[-|,]?\s*({DATE})")


class NewsFields(NamedTuple):
    """What the top of a news page gives: publication date and headline candidates."""

    date: str | None  # ISO
    headline: str | None  # the line just above the publication date line: the surest headline
    first_line: str | None  # the first line that could be a headline, when no date anchors one


def is_vietnamese(text: str) -> bool:
    """Whether the top of a document is Vietnamese (so an unaccented line there is suspect)."""
    return looks_vietnamese(text[:4000])


def is_chrome(line: str, vietnamese: bool = True) -> bool:
    """Whether a line is website chrome (site header, hotline, breadcrumb, slogan banner) rather than content."""
    line = line.strip()
    if _chrome_words(line):
        return True
    if line.endswith("!") and line == line.upper():
        return True  # an all-caps slogan banner above the article ("... QUYẾT TÂM ...!")
    words = [w for w in line.split() if any(c.isalpha() for c in w)]
    # Typed without diacritics in a Vietnamese document: a menu item or a page-template string
    # ("xem chi tiet tin", "Download on the"); a foreign name ("Lev Nikolayevich Tolstoy") is not.
    return (vietnamese and len(words) >= 3 and strip_diacritics(line) == line
            and not all(w[0].isupper() for w in words))


def _chrome_words(line: str) -> bool:
    return bool(_CHROME_WORDS.search(line.lower()) or _CRUMB.search(line))


def date_of_line(line: str) -> str | None:
    """ISO date when the whole line is a publication date (with optional label, weekday, time, zone)."""
    line = line.strip()
    if line.startswith("|") or line.count("|") > 1:
        return None  # a table row ("| Sinh | 21 tháng 11 năm 1694 |"), not a by-line
    m = _DATE_LINE.fullmatch(line)
    return iso(m.groups()[1:]) if m else None


def could_be_headline(line: str, vietnamese: bool = True) -> bool:
    """A line long enough to be a headline and not chrome, a date, a caption file name or a lead paragraph."""
    words = line.split()
    # Table rows, "(photo caption)", "[edit]" links and "Kính gửi:"-style labels are not headlines.
    return (4 <= len(words) and 15 <= len(line) <= HEADLINE_MAX and "|" not in line
            and not line.startswith(("(", "[")) and not line.endswith(":") and not is_chrome(line, vietnamese)
            and not date_of_line(line) and sum(c.isalpha() for c in line) >= len(line) / 2)


def news_fields(text: str) -> NewsFields:
    """Publication date and headline from the top of a news page, site chrome skipped."""
    vietnamese = is_vietnamese(text)
    lines = [ln.strip().strip("*_#").strip() for ln in text.splitlines()[:TOP_LINES]]
    lines = [ln for ln in lines if ln]
    # The page-render date in a site header shares its line with chrome words: such lines never
    # count (an unaccented "Posted on 27/03/2023" still does: that rule is for headlines).
    clean = [(i, ln) for i, ln in enumerate(lines) if not _chrome_words(ln)]
    heads = [i for i, ln in clean if could_be_headline(ln, vietnamese)]
    dates = [(i, d) for i, ln in clean if (d := date_of_line(ln))]
    for at, date in dates:
        # Articles put the date just under the headline; a date with nothing above it is a site date.
        above = [i for i in heads if i < at]
        if above:
            return NewsFields(date, lines[above[-1]], lines[heads[0]])
    date = dates[0][1] if dates else None
    if date is None:  # a date with a time of day inside a longer line: "Cập nhật 27/03/2023 09:19 | ..."
        found = next((m for _, ln in clean if (m := _DATE_TIME.search(ln))), None)
        date = iso(tuple(g for g in found.groups() if g is not None)) if found else None
    return NewsFields(date, None, lines[heads[0]] if heads else None)
