"""GET /api/units and GET /api/criteria: JSON lookups with the one error body, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot_support import bot_settings, build_index
from ntm.app import create_app

pytestmark = pytest.mark.synthetic


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    settings = bot_settings(tmp)
    services = build_index(tmp, settings)
    with TestClient(create_app(settings, lambda: services, wait=True)) as c:
        yield c


def test_a_merged_commune_has_its_new_unit_codes_and_source(client):
    body = client.get("/api/units", params={"q": "long tri a, long my, hau giang"}).json()
    assert body["status"] == "found" and body["source"] == "vietnamadminunits 1.0.4 (MIT)"
    unit = body["units"][0]
    assert unit["name"] == "Xã Long Trị A" and unit["era"] == "old" and unit["code"] == "31478"
    assert [n["name"] for n in unit["now"]] == ["Phường Long Mỹ"] and unit["now"][0]["province"] == "Thành phố Cần Thơ"
    assert "nay thuộc phường Long Mỹ" in body["text"] and body["rearranged_from"] == "2025-07-01"


def test_a_shared_name_lists_candidates(client):
    body = client.get("/api/units", params={"q": "xã Tân Phú"}).json()
    assert body["status"] == "ambiguous" and len(body["units"]) > 10 and "Vui lòng ghi thêm" in body["reason"]


@pytest.mark.parametrize("q,status,code", [("", 400, "invalid_unit_name"), ("a", 400, "invalid_unit_name"),
                                           ("xã Qwzrtyk", 404, "unknown_unit"), ("x" * 201, 422, None)])
def test_bad_unit_names_get_the_error_body(client, q, status, code):
    response = client.get("/api/units", params={"q": q})
    assert response.status_code == status and set(response.json()) >= {"detail", "code"}
    assert code is None or response.json()["code"] == code


def test_criteria_by_period_list_the_sets_with_names_and_groups(client):
    body = client.get("/api/criteria", params={"period": "2026-2030", "level": "xã"}).json()
    commune = next(s for s in body["sets"] if s["grade"] == "NTM")
    assert commune["document"] == "51/2025/QĐ-TTg" and len(commune["criteria"]) == 10
    assert "khu vực II và khu vực III" in commune["commune_groups"]["3"]


def test_a_criterion_for_a_region_says_where_the_threshold_is(client):
    body = client.get("/api/criteria", params={"period": "2021-2025", "level": "xã", "grade": "NTM", "number": 17,
                                               "region": "ĐBSCL"}).json()
    assert body["answered"] is False and "Phụ lục I của QĐ 318/QĐ-TTg" in body["text"]


@pytest.mark.parametrize("params,status", [({"period": "2031-2035"}, 404), ({"number": 0}, 422),
                                           ({"period": "2026-2030", "number": 15}, 200)])
def test_bad_criteria_requests_are_explained(client, params, status):
    response = client.get("/api/criteria", params=params)
    assert response.status_code == status
    if status == 200:
        assert "chỉ có 10 tiêu chí" in response.json()["text"]
    else:
        assert set(response.json()) >= {"detail", "code"}


def test_criteria_by_level_region_or_group_alone_answer_for_that_set(client):
    huyen = client.get("/api/criteria", params={"level": "huyện", "number": 3}).json()
    assert "huyện" in huyen["text"].split(":")[0] and "Thủy lợi" not in huyen["text"]  # not the xã set's criterion 3
    region = client.get("/api/criteria", params={"period": "2021-2025", "level": "xã", "region": "ĐBSCL"})
    assert region.status_code == 200 and "Phụ lục I của QĐ 318/QĐ-TTg" in region.json()["text"]
    group = client.get("/api/criteria", params={"period": "2026-2030", "group": 3}).json()
    assert "khu vực II và khu vực III" in group["text"]
    assert client.get("/api/criteria", params={"region": "tiêu chí 5"}).json()["code"] == "unknown_region"
