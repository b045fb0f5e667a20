"""What became of an administrative unit in the 2025 re-arrangement, in Vietnamese sentences built from the data
package's mapping (old → new, new ← old), and the other era's names a search should also look for."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from knowledge.admin_units import REARRANGED_FROM, AdminUnits, Link, Unit, lower_level
from knowledge.dates import vn_date
from knowledge.unit_lookup import Lookup

MAX_PARTS_NAMED = 12  # old units named in one "formed from" list; a province's hundreds are counted instead


def _grouped(links: Sequence[Link]) -> str:
    """ "phường Thuận An, xã Long Trị (thị xã Long Mỹ, tỉnh Hậu Giang); một phần xã X (huyện Y, tỉnh Z)"."""
    by_place: dict[str, list[str]] = defaultdict(list)
    for link in links[:MAX_PARTS_NAMED]:
        u = link.unit
        place = ", ".join(lower_level(p) for p in (u.district, u.province) if p)
        by_place[place].append(("" if link.whole else "một phần ") + lower_level(u.name))
    text = "; ".join(", ".join(names) + (f" ({place})" if place else "") for place, names in by_place.items())
    return text + (f"; và {len(links) - MAX_PARTS_NAMED} đơn vị khác" if len(links) > MAX_PARTS_NAMED else "")


def _formed(units: AdminUnits, new: Unit) -> str:
    """ "Phường Long Mỹ (thành phố Cần Thơ) hình thành từ 3 đơn vị: …"."""
    links = units.from_old.get(new, ())
    where = f" ({lower_level(new.province)})" if new.province else ""
    if not links:
        return f"{new.name}{where}: dữ liệu không ghi đơn vị cũ nào hợp thành."
    if len(links) == 1 and links[0].whole and links[0].unit.name == new.name:
        return f"{new.name}{where} giữ nguyên, không hợp nhất với đơn vị khác."
    return f"{new.name}{where} hình thành từ {len(links)} đơn vị: {_grouped(links)}."


def _old_commune(units: AdminUnits, old: Unit) -> list[str]:
    links = units.to_new.get(old, ())
    head = f"{old.name} ({', '.join(lower_level(p) for p in (old.district, old.province) if p)} cũ)"
    if not links:
        return [f"{head}: dữ liệu không ghi đơn vị mới tương ứng."]
    if len(links) == 1:
        new = links[0].unit
        # what an officer asks next: is the new unit still a xã, and does it keep the name
        notes = [f"đơn vị mới là {new.level.lower()}"] if new.level != old.level else []
        notes += [f"giữ tên {new.short}"] if new.short == old.short else []
        kind = f" ({', '.join(notes)})" if notes else ""
        return [f"{head} nay thuộc {lower_level(new.name)}, {lower_level(new.province)}{kind}.", _formed(units, new)]
    targets = ", ".join(lower_level(link.unit.name) for link in links)
    return [f"{head} được chia về {len(links)} đơn vị mới: {targets} ({lower_level(links[0].unit.province)})."]


def _old_district(units: AdminUnits, district: Unit) -> list[str]:
    head = f"{district.name} ({lower_level(district.province)} cũ) không còn là đơn vị hành chính từ " \
           f"{vn_date(REARRANGED_FROM)} (bỏ cấp huyện)."
    communes = units.communes_of(district) or [district]  # an island district went whole into a special zone
    news: dict[Unit, list[str]] = defaultdict(list)
    for commune in communes:
        for link in units.to_new.get(commune, ()):
            news[link.unit].append(("" if link.whole else "một phần ") + lower_level(commune.name))
    if not news:
        return [head]
    province = lower_level(next(iter(news)).province)
    parts = "; ".join(f"{lower_level(n.name)} (từ {', '.join(olds)})" for n, olds in news.items())
    return [head, f"{len(communes)} đơn vị cấp xã của huyện nay thuộc {len(news)} đơn vị của {province}: {parts}."]


def _provinces_formed(units: AdminUnits, new: Unit) -> str:
    """ "Thành phố Cần Thơ hình thành từ 3 tỉnh, thành phố: thành phố Cần Thơ, tỉnh Hậu Giang, tỉnh Sóc Trăng"."""
    olds = units.from_old.get(new, ())
    return f"{new.name} hình thành từ {len(olds)} tỉnh, thành phố: " \
           f"{', '.join(lower_level(o.unit.name) for o in olds)}."


def _old_province(units: AdminUnits, province: Unit) -> list[str]:
    links = units.to_new.get(province, ())
    if not links:
        return [f"{province.name}: dữ liệu không ghi tỉnh mới tương ứng."]
    new = links[0].unit
    olds = units.from_old.get(new, ())
    if len(olds) == 1:
        return [f"{province.name} không hợp nhất với tỉnh khác trong đợt sắp xếp năm 2025."]
    if new.name == province.name:  # Thái Nguyên took in Bắc Kạn and kept its name
        others = ", ".join(lower_level(o.unit.name) for o in olds if o.unit.name != province.name)
        return [f"{province.name} hợp nhất với {others} thành {lower_level(new.name)} (giữ tên {province.short}).",
                _provinces_formed(units, new)]
    return [f"{province.name} nay thuộc {lower_level(new.name)}.", _provinces_formed(units, new)]


def describe(units: AdminUnits, found: Lookup) -> list[str]:
    """Sentences saying what became of a resolved unit (or, for a new unit, what it was formed from)."""
    story = found.units
    old = next((u for u in story if u.era == "old"), None)
    unit = old or story[0]
    if unit.era == "new":
        if unit.tier == "province":
            olds = units.from_old.get(unit, ())
            return [f"{unit.name} (từ {vn_date(REARRANGED_FROM)}) hình thành từ: "
                    f"{', '.join(lower_level(o.unit.name) for o in olds)}."]
        return [_formed(units, unit)]
    by_tier = {"commune": _old_commune, "district": _old_district, "province": _old_province}
    return by_tier[unit.tier](units, unit)


def unit_report(units: AdminUnits, found: Lookup) -> str:
    """The lookup of a typed name as chat or terminal text: what became of the unit with the data's name, or why
    the name cannot be resolved."""
    if found.status != "found":
        return found.reason
    lines = ([found.reason] if found.reason else []) + describe(units, found)
    return "\n".join(lines) + f"\n(Nguồn: dữ liệu {units.source})"


def other_names(units: AdminUnits, found: Lookup) -> list[str]:
    """The other era's names of a unit (old names for a new unit and the reverse), for searching passages
    written before or after the re-arrangement."""
    names: list[str] = []
    for unit in found.units:
        if unit.tier != "commune":  # a district or province is written about under its own name
            continue
        links = units.to_new.get(unit, ()) if unit.era == "old" else units.from_old.get(unit, ())
        names += [lower_level(link.unit.name) for link in links]
    own = {lower_level(u.name) for u in found.units}
    return [n for n in dict.fromkeys(names) if n not in own][:MAX_PARTS_NAMED]
