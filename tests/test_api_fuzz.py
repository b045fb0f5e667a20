"""Every operation of /openapi.json fuzzed with schemathesis (property-based): no 5xx, every response in the
documented shape and status codes, whatever a client sends."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from schemathesis import GenerationMode
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from ntm.app import create_app

from bot_support import bot_settings, build_index
from tests_support import TokenizerLikeEmbedder

pytestmark = pytest.mark.synthetic

EXAMPLES = 60  # per operation and mode: the whole run stays well under a minute on 2 cores
MIN_REQUESTS = 300  # what 60 examples for each of about 9 operations must at least send (few are unsatisfiable)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    settings_ = bot_settings(tmp, rate_limit_per_minute=100_000, web_rate_limit_per_address=100_000)
    services = build_index(tmp, settings_)
    services.searcher.embedder = TokenizerLikeEmbedder(services.searcher.embedder)
    app = create_app(settings_, lambda: services, wait=True)
    with TestClient(app):
        yield app


# What no schema can state: whether a well-formed text is a Vietnamese question, or names a real unit. Those are
# refused with these codes (and a Vietnamese reason); any other refusal of schema-valid data is a schema bug.
SEMANTIC_REFUSALS = {"not_vietnamese", "no_words", "invalid_unit_name", "no_criteria_set", "rate_limited"}
UNKNOWN = "unknown_"  # a well-formed value that names nothing indexed (a document, a period, a region, an exchange)


@schemathesis.check
def refuses_valid_data_only_for_meaning(ctx, response, case):
    """Schema-valid requests succeed, or are refused for what they mean (never for their form)."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code < 400:
        return None
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    assert code in SEMANTIC_REFUSALS or str(code).startswith(UNKNOWN), \
        f"schema-valid request refused: {response.status_code} {response.text[:300]}"
    return None


def test_no_operation_fails_or_breaks_its_schema(fuzz_app):
    """Generated valid and invalid requests to every operation: never a 5xx, every response as documented."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    failures, statuses = {}, Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                response = case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance],
                                                  additional_checks=[refuses_valid_data_only_for_meaning])
                statuses[response.status_code // 100 * 100] += 1

            try:
                check()
            except Unsatisfiable:  # no parameter to break: nothing negative to send
                continue
            except (Exception, BaseExceptionGroup) as err:
                found = err.exceptions if isinstance(err, BaseExceptionGroup) else [err]
                failures[f"{operation.label} ({mode.value})"] = "\n".join(repr(e)[:1500] for e in found)
    print(f"fuzzed requests by status class: {dict(sorted(statuses.items()))}")  # the README's figure
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
    assert sum(statuses.values()) >= MIN_REQUESTS and statuses[200] and statuses[400]  # it really ran both kinds
