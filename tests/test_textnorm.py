"""Vietnamese text repair: NFC, split-syllable merging, the syllable validator, accent stripping."""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path

import pytest

from ingest.textnorm import decode_tcvn3, repair_pdf_text, strip_controls
from knowledge.syllables import is_syllable, looks_vietnamese
from knowledge.text import fold, nfc, strip_diacritics, without_markup


def test_nfc_composes_decomposed_vietnamese():
    decomposed = unicodedata.normalize("NFD", "Điều 4. Nông thôn mới")
    assert decomposed != "Điều 4. Nông thôn mới"
    assert nfc(decomposed) == "Điều 4. Nông thôn mới"
    # cp1258 style: base letter with circumflex + combining tone mark
    assert nfc("mô\u0301i") == "mối"


@pytest.mark.parametrize("broken, fixed", [
    ("ĐIỀ U 1. PHẠM VI ĐIỀU CHỈNH", "ĐIỀU 1. PHẠM VI ĐIỀU CHỈNH"),
    ("Đi ều 2. Đối tượng áp dụng", "Điều 2. Đối tượng áp dụng"),
    ("xã đạt chuẩn nông thôn m ới", "xã đạt chuẩn nông thôn mới"),
    ("ng ười dân th ực hi ện", "người dân thực hiện"),
    ("Vi ệt Nam, qu ốc gia", "Việt Nam, quốc gia"),
    ("ban h ành kèm theo", "ban hành kèm theo"),
    ("củ a cả n ước", "của cả nước"),  # lone-vowel tail; a bare consonant joins the vowel after it
    ("thự c hiện đá p ứng", "thực hiện đáp ứng"),
    ("CỦ A ỦY BAN", "CỦA ỦY BAN"),
    ("(nông thôn m ới)", "(nông thôn mới)"),
    ("ng hi ệp", "nghiệp"),  # three fragments
])
def test_repair_merges_split_syllables(broken, fixed):
    assert repair_pdf_text(broken) == fixed


@pytest.mark.parametrize("text", [
    "xây dựng nông thôn mới",
    "các điểm a, b và c khoản 1",
    "tại điểm h và i khoản 2",  # "và i" is a list letter, not a split "vài"
    "cho ai, về ở, cho an toàn",  # "choai", "choan" would be syllables: real words never merge
    "go to a meeting",  # English: no accent at the boundary, nothing to repair
    "Quyết định 318/QĐ-TTg ngày 08/3/2022",
    "m Ới",  # mixed case never comes from a split
])
def test_repair_leaves_valid_text_alone(text):
    assert repair_pdf_text(text) == text


def test_repair_cleans_pdf_characters():
    # synthetic fixture: artefacts pypdf passes through from real PDFs
    raw = "Quy\u00a0định  về\u200b ﬁle\tsố  18 \nco\u00adop\u00ad\neration and imple-\nmentation a \u0301"
    assert repair_pdf_text(raw) == "Quy định về file số 18\ncooperation and implementation á"


def test_repair_line_end_hyphens():
    assert repair_pdf_text("kinh tế-\nxã hội") == "kinh tế-\nxã hội"  # compound of two words stays
    assert repair_pdf_text("số 18/QĐ-\nTTg") == "số 18/QĐ-\nTTg"  # next line starts uppercase
    assert repair_pdf_text("ngư-\nời dân") == "người dân"


@pytest.mark.shared
def test_repair_never_changes_clean_text_from_the_corpus(shared_dir: Path):
    changed = []
    for path in sorted((shared_dir / "corpus").rglob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            line = " ".join(line.split())
            if line and repair_pdf_text(line) != line:
                changed.append((path.name, line[:80]))
    assert changed == []


REAL = ("a ai anh ăn âu ở ông yêu yếu ý ưu ước uống ủy hoà hòa hoá hóa thủy thuỷ múa mía người quả quý "
        "quyết quýt quỳnh các cạc kem kênh ghế nghỉ nghiêng nga giữa gìn già giếng giết gì khuya khuỷu "
        "ngoài ngoặt xoáy xoong chuyện chuyên thuở thuế khuấy tuần xuân được những việc hiện thuộc "
        "chuẩn thuốc nước đường Điều ĐIỀU NÔNG THÔN MỚI Việt biết tiếng trường luật ạ").split()
NOT_REAL = ("tòan muá miá ngưòi ngừơi qủa càc cem ghà ngỉ ngha gía ngòai tynh nghyêng ĐIỀ ều ời ộc ệp "
            "ng qu tr ch m đ ngh th ợc ững ệc ện ếp ẩn yêú hoàà program street fix quo xyz").split()


@pytest.mark.parametrize("word", REAL)
def test_validator_accepts_real_syllables(word):
    assert is_syllable(word)


@pytest.mark.parametrize("word", NOT_REAL)
def test_validator_rejects_non_syllables(word):
    # tone on the wrong vowel, spelling rules (c/k, g/gh, ng/ngh), stop codas with level tones,
    # bare consonants, and vowel-initial PDF fragments such as "ều" that are no standalone word
    assert not is_syllable(word)


def test_validator_covers_a_real_lexicon():
    """pyvi's word list (a project dependency) holds thousands of real syllables plus loanwords."""
    spec = importlib.util.find_spec("pyvi")
    words = Path(spec.origin).parent / "models" / "words.txt" if spec and spec.origin else None
    if words is None or not words.is_file():
        pytest.skip("pyvi word list not installed")
    onset_letters = set("bcdđghklmnpqrstvx")
    syllables = {nfc(t.lower()) for line in words.read_text(encoding="utf-8").split("\n") for t in line.split()}
    # consonant-initial, and with a Vietnamese diacritic: loanwords like "radar" are filtered out
    native = [s for s in syllables
              if s.isalpha() and s[0] in onset_letters and any(ord(ch) > 127 and ch != "đ" for ch in s)]
    assert len(native) > 3000
    rejected = [s for s in native if not is_syllable(s)]
    # what is left are transcribed loanwords ("patê", "tuýp", "blốc") and a few rare words
    assert len(rejected) / len(native) < 0.01, sorted(rejected)[:50]


def test_strip_diacritics():
    assert strip_diacritics("Điều 4. Đường giao thông nông thôn mới") == "Dieu 4. Duong giao thong nong thon moi"
    assert strip_diacritics(unicodedata.normalize("NFD", "Ủy ban nhân dân xã")) == "Uy ban nhan dan xa"
    assert strip_diacritics("318/QĐ-TTg") == "318/QD-TTg"


VIETNAMESE_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"


def test_fold_keeps_one_letter_per_letter_so_offsets_found_in_it_point_into_the_original():
    text = VIETNAMESE_LETTERS + " " + VIETNAMESE_LETTERS.upper() + " “Điều 4” – 1.234,5 ha; 한국 ภาษาไทย"
    folded = fold(text)
    assert len(folded) == len(text)
    assert fold(VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()).isascii()
    assert fold("Đồng bằng sông Cửu Long") == "dong bang song cuu long"
    vietnamese = text.split(" 한")[0]
    assert fold(unicodedata.normalize("NFD", vietnamese)) == fold(vietnamese)  # decomposed input folds the same
    start = folded.index("dieu 4")
    assert text[start:start + 6] == "Điều 4"


def test_looks_vietnamese():
    assert looks_vietnamese("Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2021 - 2025")
    assert not looks_vietnamese("The national target programme on new rural development")
    assert not looks_vietnamese("Bé tiªu chÝ quèc gia vÒ x· n«ng th«n míi")  # TCVN3 bytes read as Latin-1
    assert not looks_vietnamese("Ä\u0090iá»\u0081u 1. PhaÌ£m vi")  # UTF-8 read as cp1252
    assert not looks_vietnamese("nông")  # too short to judge


def test_decode_tcvn3():
    # synthetic fixture: ABC-encoded bytes; 0xAD is "ư" (a soft hyphen in Latin-1)
    data = bytes([0x4D, 0xAD, 0xEA, 0x6E, 0x67]) + b" " + "N«ng th«n míi".encode("latin-1")
    assert decode_tcvn3(data) == "Mường Nông thôn mới"
    # .VnTimeH headings reuse the lowercase codes: an all-caps word is uppercased whole
    assert decode_tcvn3("§iÒu 1. N«NG TH«N C\xf1A".encode("latin-1")) == "Điều 1. NÔNG THÔN CỦA"


def test_strip_controls_keeps_tabs_and_line_ends():
    # synthetic fixture: NUL, BEL, ESC, DEL removed; tab, CR, LF kept; form feed and VT become newlines
    text = "Xã\x00 Hòa\tBình\x07\r\nđạt\x1b chuẩn\x7f\ftrang\vhai"
    assert strip_controls(text) == ("Xã Hòa\tBình\r\nđạt chuẩn\ntrang\nhai", 4)
    assert strip_controls("Không có gì lạ") == ("Không có gì lạ", 0)


@pytest.mark.parametrize("stored,shown", [
    ("“**Tỉnh Điện Biên** xây dựng 45 phương án", "“Tỉnh Điện Biên xây dựng 45 phương án"),
    ("**95%** số xã; ***Điều 1.*** Phạm vi", "95% số xã; Điều 1. Phạm vi"),
    ("**- Mục tiêu chung**", "- Mục tiêu chung"),
    ("*Tải về* mẫu và __in đậm__", "Tải về mẫu và in đậm"),
    ("để **hình thành 45 đơn vị", "để hình thành 45 đơn vị"),  # a quote that cut a bold span in two
    ("tăng 5%**. Tiếp", "tăng 5%. Tiếp"),
    ("đơn vị **(42 xã, 3 phường), giảm 84", "đơn vị (42 xã, 3 phường), giảm 84"),
    ("*Hà Nội, ngày 19 tháng 11 năm 2030 *", "Hà Nội, ngày 19 tháng 11 năm 2030"),  # left open by the page
    ("bảo vệ thực vật;*", "bảo vệ thực vật;"),
    ("Điều 1. ****Sắp xếp các đơn vị", "Điều 1. Sắp xếp các đơn vị"),
    ("## Mục 2\nvăn bản #1", "Mục 2\nvăn bản #1"),
])
def test_markdown_marks_are_taken_off_for_display(stored, shown):
    assert without_markup(stored) == shown


@pytest.mark.parametrize("text", ["2*3*4 = 24", "(Số hộ/Tổng số hộ)*100%", "2*(3+4)", "xã A*, xã B* (*: khó khăn)",
                                  "ghi chú (*) và (**)", "* gạch đầu dòng", "***", "Số: ____/QĐ-UBND",
                                  "ngày__tháng__năm", "Quyết định 318/QĐ-TTg"])
def test_stars_and_underscores_that_mean_something_stay(text):
    assert without_markup(text) == text
