"""Administrative units from the pinned data package: lookups an officer types, and what became of each unit."""

from __future__ import annotations

import pytest

from knowledge.admin_units import AdminUnits
from knowledge.unit_lookup import lookup
from knowledge.unit_mentions import mentions
from retrieval.unit_text import describe, other_names


@pytest.fixture(scope="module")
def units() -> AdminUnits:
    return AdminUnits().load()


def found(units, typed):
    result = lookup(units, typed)
    assert result.status == "found", result.reason
    return result


def test_the_data_is_the_pinned_package_with_both_eras(units):
    assert units.source == "vietnamadminunits 1.0.4 (MIT)"
    provinces = {u.era: 0 for u in units.units}
    for u in units.units:
        provinces[u.era] += u.tier == "province"
    assert provinces == {"old": 63, "new": 34}


def test_a_merged_commune_says_what_it_now_belongs_to_and_what_that_was_formed_from(units):
    said = " ".join(describe(units, found(units, "xã Long Trị A")))
    assert "Xã Long Trị A (thị xã Long Mỹ, tỉnh Hậu Giang cũ) nay thuộc phường Long Mỹ, thành phố Cần Thơ (đơn vị mới là phường)." in said
    assert "hình thành từ 3 đơn vị: phường Thuận An, xã Long Trị, xã Long Trị A" in said


def test_a_commune_that_kept_its_name_or_became_a_ward_is_said_so(units):
    assert "(giữ tên Giao Long)" in describe(units, found(units, "xã Giao Long, Châu Thành, Bến Tre"))[0]
    assert "(đơn vị mới là phường, giữ tên Đại Thành)" in describe(units, found(units, "xã Đại Thành, Ngã Bảy"))[0]


def test_a_commune_split_among_several_new_ones_lists_every_one(units):
    said = " ".join(describe(units, found(units, "xa tan thanh, thoi lai")))
    assert "được chia về 2 đơn vị mới: xã Tân Thạnh, xã Trường Thành" in said


def test_merged_provinces_both_ways(units):
    assert "Tỉnh Hậu Giang nay thuộc thành phố Cần Thơ" in " ".join(describe(units, found(units, "Hậu Giang")))
    said = " ".join(describe(units, found(units, "tỉnh Cần Thơ")))
    assert "thành phố Cần Thơ, tỉnh Hậu Giang, tỉnh Sóc Trăng" in said


def test_a_district_is_gone_and_its_communes_are_followed(units):
    said = " ".join(describe(units, found(units, "huyện Châu Thành A")))
    assert "không còn là đơn vị hành chính từ 01/07/2025" in said
    assert "xã Tân Hòa (từ thị trấn Một Ngàn, xã Tân Hòa, thị trấn Bảy Ngàn, xã Nhơn Nghĩa A)" in said


def test_a_new_commune_lists_its_old_ones_and_searches_their_names(units):
    result = found(units, "phường Long Mỹ")
    assert {u.era for u in result.units} == {"new"}
    assert set(other_names(units, result)) == {"phường Thuận An", "xã Long Trị", "xã Long Trị A"}


@pytest.mark.parametrize("typed", ["long tri a", "Long Tri A, Long My, Hau Giang", "xã Long Trí A", "long trj a"])
def test_no_diacritics_wrong_marks_and_one_typo_still_find_it(units, typed):
    assert found(units, typed).units[0].name == "Xã Long Trị A"


def test_a_shared_name_lists_candidates_with_provinces_instead_of_guessing(units):
    result = lookup(units, "xã Tân Phú")
    assert result.status == "ambiguous" and len(result.units) > 10
    assert "Có " in result.reason and "tỉnh" in result.reason and "và " in result.reason  # the rest counted
    narrowed = found(units, "xã Tân Phú, thị xã Long Mỹ, Hậu Giang")
    assert narrowed.units[0].district == "Thị xã Long Mỹ"


def test_the_old_district_written_after_the_name_narrows_it(units):
    assert found(units, "xa Dai Thanh nga bay").units[0].district == "Thành phố Ngã Bảy"


@pytest.mark.parametrize("typed,status,words", [
    ("", "invalid", "ít nhất 2 chữ cái"), ("x", "invalid", "ít nhất 2 chữ cái"),
    ("xã Qwzrtyk", "unknown", "Không tìm thấy"), ("xã Hậu Giang", "found", "không phải tên xã")])
def test_bad_names_get_a_reason_in_vietnamese(units, typed, status, words):
    result = lookup(units, typed)
    assert result.status == status and words in result.reason


def test_units_named_inside_a_question(units):
    named = mentions(units, "cho hỏi xã Sơn Phú huyện Giồng Trôm nay là xã gì, còn Tân Phú sáp nhập vào đâu")
    assert [m.status for m in named] == ["found", "ambiguous"]  # the district is where Sơn Phú lies, not an ask
    assert named[0].units[0].name == "Xã Sơn Phú"
    assert mentions(units, "xã nhóm 1 là xã nào, tỉnh hoàn thành nhiệm vụ NTM cần gì") == []
    assert [m.units[0].name for m in mentions(units, "hau giang sap nhap voi tinh nao")] == ["Tỉnh Hậu Giang"]


@pytest.mark.shared
def test_the_communes_of_the_hau_giang_seed_article_resolve_to_their_new_units(units, shared_dir):
    text = next((shared_dir / "corpus" / "seeds").glob("003_*.txt")).read_text(encoding="utf-8")
    named = mentions(units, text)
    assert [m.status for m in named].count("ambiguous") == 0 and len(named) >= 15
    said = {m.units[0].short: describe(units, m)[0] for m in named}
    assert "nay thuộc xã Tân Hòa, thành phố Cần Thơ" in said["Nhơn Nghĩa A"]
    assert "nay thuộc phường Đại Thành, thành phố Cần Thơ" in said["Đại Thành"]


def test_words_that_only_look_like_names_are_not_units(units):
    named = mentions(units, "h. Nong Cong bo cap huyen roi, 4 xa dang lam NTM kieu mau la Van Hoa, Te Loi gio thuoc xa nao")
    assert [m.units[0].name for m in named] == ["Huyện Nông Cống", "Xã Vạn Hòa", "Xã Tế Lợi"]  # no "xã Dang"


def test_short_level_words_and_a_province_that_kept_its_name(units):
    assert found(units, "p. Long Mỹ").units[0].name == "Phường Long Mỹ"
    both = lookup(units, "xã Ngọc Lâm, tỉnh Hưng Yên")  # the old commune and the new one of that name
    assert both.status == "ambiguous" and {u.era for u in both.units} == {"old", "new"}
    assert "“phường 1”" in lookup(units, "phường 1").reason
