"""Vietnam's administrative units before and after the 2025 re-arrangement (63 → 34 provinces, district level
ended, communes merged), read once from the pinned `vietnamadminunits` data package; no network, no typed lists."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.text import fold

PACKAGE = "vietnamadminunits"
# The package's licence, said wherever its mapping is cited (it ships no licence field we could read back).
PACKAGE_LICENCE = "MIT"
# The day the 2025 re-arrangement applies: communes and provinces in their new form, no district level. The
# catalogue records it (cards of QĐ 320/QĐ-TTg and CV 267/BNN-VPĐP); the data package gives no dates.
REARRANGED_FROM = "2025-07-01"


@dataclass(frozen=True)
class Unit:
    """One administrative unit: `era` "old" (before 01/7/2025) or "new"; `tier` province, district or commune."""

    name: str  # the full name as the data writes it: "Xã Long Trị A", "Thành phố Cần Thơ"
    short: str  # without its level word: "Long Trị A"
    level: str  # "Xã", "Phường", "Thị trấn", "Đặc khu", "Huyện", "Quận", "Thị xã", "Thành phố", "Tỉnh"
    tier: str
    era: str
    province: str  # the province it is in ("" for a province)
    district: str = ""  # an old commune's district ("" otherwise)
    code: str = ""  # the statistics office's code, where the data gives one
    key: str = field(default="", compare=False, repr=False)  # the data package's key, to follow its mapping

    def where(self) -> str:
        """Its full name with the units above it, lower-cased levels: "xã Long Trị A, thị xã Long Mỹ, tỉnh Hậu Giang"."""
        parts = [self.name, self.district, self.province] if self.tier == "commune" else [self.name, self.province]
        return ", ".join(lower_level(p) for p in parts if p)


@dataclass(frozen=True)
class Link:
    """A commune of one era with one of the other: `whole` when the old unit went entirely into the new one."""

    unit: Unit
    whole: bool


LEVEL_WORDS = ("Thị trấn", "Thị xã", "Thành phố", "Đặc khu", "Xã", "Phường", "Huyện", "Quận", "Tỉnh")


def lower_level(name: str) -> str:
    """ "Xã Long Trị A" → "xã Long Trị A": a unit named inside a sentence."""
    for word in LEVEL_WORDS:
        if name.startswith(word + " "):
            return word.lower() + name[len(word):]
    return name


def split_level(name: str) -> tuple[str, str]:
    """ "Thị xã Long Mỹ" → ("Thị xã", "Long Mỹ"); a name without a level word keeps "" as its level."""
    for word in LEVEL_WORDS:
        if name.startswith(word + " "):
            return word, name[len(word) + 1:]
    return "", name


def name_key(text: str) -> str:
    """A name folded to ASCII letters and digits only: how names are matched ("Long Trị A" → "longtria")."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


class AdminUnits:
    """Every unit of both eras and the old → new mapping; built by `load()`, read-only afterwards."""

    def __init__(self) -> None:
        self.version = ""
        self.units: list[Unit] = []
        self.to_new: dict[Unit, tuple[Link, ...]] = {}  # an old commune, district or province → new units
        self.from_old: dict[Unit, tuple[Link, ...]] = {}  # a new commune or province → the old units it came from
        self.by_name: dict[str, list[Unit]] = defaultdict(list)  # name_key(short) → units of either era
        self.province_now: dict[str, tuple[str, ...]] = {}  # an old province's name → its new province's name
        self.loaded = False
        self._lock = threading.Lock()  # two first requests may ask to load at once
        self._provinces: list[Unit] = []

    @property
    def source(self) -> str:
        """How an answer names the data it used: package, version and licence."""
        return f"{PACKAGE} {self.version} ({PACKAGE_LICENCE})"

    def load(self, folder: Path | None = None) -> "AdminUnits":
        """Read the package's database and mapping once (about 0.2 s); later calls return at once."""
        with self._lock:
            if not self.loaded:
                self._load(folder or _data_folder())
        return self

    def _load(self, folder: Path) -> None:
        self.version = importlib.metadata.version(PACKAGE)
        with sqlite3.connect(f"file:{folder / 'dataset.db'}?mode=ro", uri=True) as db:
            old = db.execute("select province, district, ward, provinceKey, districtKey, wardKey, wardCode, "
                             "districtCode, provinceCode from admin_units_legacy").fetchall()
            new = db.execute("select province, ward, provinceKey, wardKey, wardCode, provinceCode "
                             "from admin_units").fetchall()
        mapping = json.loads((folder / "converter_2025.json").read_text(encoding="utf-8"))
        old_keys, new_keys = self._read_units(old, new)
        self._read_mapping(mapping, old_keys, new_keys)
        self.by_name = dict(self.by_name)  # read-only from here on: a missing key must not add one
        self._provinces = [u for u in self.units if u.tier == "province"]
        self.loaded = True

    def _add(self, unit: Unit) -> Unit:
        self.units.append(unit)
        self.by_name[name_key(unit.short)].append(unit)
        return unit

    def _read_units(self, old: list, new: list) -> tuple[dict[str, Unit], dict[str, Unit]]:
        old_keys: dict[str, Unit] = {}
        new_keys: dict[str, Unit] = {}
        for province, district, ward, pkey, dkey, wkey, wcode, dcode, pcode in old:
            if pkey not in old_keys:
                old_keys[pkey] = self._add(Unit(province, split_level(province)[1], split_level(province)[0],
                                                "province", "old", "", code=pcode or "", key=pkey))
            if f"{pkey}_{dkey}" not in old_keys:
                level, short = split_level(district)
                old_keys[f"{pkey}_{dkey}"] = self._add(Unit(district, short, level, "district", "old", province,
                                                            code=dcode or "", key=f"{pkey}_{dkey}"))
            if ward:  # island districts have no commune under them
                level, short = split_level(ward)
                old_keys[f"{pkey}_{dkey}_{wkey}"] = self._add(Unit(ward, short, level, "commune", "old", province,
                                                                   district, wcode or "", f"{pkey}_{dkey}_{wkey}"))
        for province, ward, pkey, wkey, wcode, pcode in new:
            if pkey not in new_keys:
                new_keys[pkey] = self._add(Unit(province, split_level(province)[1], split_level(province)[0],
                                                "province", "new", "", code=pcode or "", key=pkey))
            level, short = split_level(ward)
            new_keys[f"{pkey}_{wkey}"] = self._add(Unit(ward, short, level, "commune", "new", province,
                                                        code=wcode or "", key=f"{pkey}_{wkey}"))
        return old_keys, new_keys

    def _read_mapping(self, mapping: dict, old_keys: dict[str, Unit], new_keys: dict[str, Unit]) -> None:
        to_new: dict[Unit, list[Link]] = defaultdict(list)
        from_old: dict[Unit, list[Link]] = defaultdict(list)
        for new_province, olds in mapping["DICT_PROVINCE"].items():
            for old_province in olds:
                to_new[old_keys[old_province]].append(Link(new_keys[new_province], True))
                from_old[new_keys[new_province]].append(Link(old_keys[old_province], True))
                self.province_now[old_keys[old_province].name] = (new_keys[new_province].name,)
        for pkey, wards in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
            for wkey, olds in wards.items():
                target = new_keys[f"{pkey}_{wkey}"]
                for okey in olds:
                    source = old_keys.get(okey) or old_keys[okey.rstrip("_")]  # an island district as a whole
                    to_new[source].append(Link(target, True))
                    from_old[target].append(Link(source, True))
        for pkey, wards in mapping["DICT_PROVINCE_WARD_DIVIDED"].items():
            for okey, targets in wards.items():
                for t in targets:
                    target = new_keys[f"{pkey}_{t['newWardKey']}"]
                    to_new[old_keys[okey]].append(Link(target, False))
                    from_old[target].append(Link(old_keys[okey], False))
        self.to_new = {u: tuple(links) for u, links in to_new.items()}
        self.from_old = {u: tuple(links) for u, links in from_old.items()}

    @property
    def provinces(self) -> list[Unit]:
        """The provinces of both eras (97), for scanning a message for their names."""
        return self._provinces

    def communes_of(self, district: Unit) -> list[Unit]:
        """The old communes of an old district, in the data's order."""
        return [u for u in self.units if u.tier == "commune" and u.era == "old"
                and u.district == district.name and u.province == district.province]


def _data_folder() -> Path:
    # find_spec locates the package without importing it (its __init__ pulls in the address parser)
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} data package is not installed; run the setup script")
    return Path(list(spec.submodule_search_locations)[0]) / "data"
