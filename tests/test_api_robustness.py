"""The defects an outside test of the running service found, each as a client meets it: a lone surrogate in a
question, a rate limit dodged with fresh sessions, error bodies of other shapes, a schema that disagreed with the
app, fields silently dropped. Every error body is {"detail", "code"}."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from knowledge.text import REPLACEMENT
from ntm.app import create_app

from bot_support import PLAN_QUESTION, bot_settings, build_index
from tests_support import TokenizerLikeEmbedder

pytestmark = pytest.mark.synthetic

# JSON text as a broken client sends it: the escape decodes to a lone surrogate, which no encoder accepts.
SURROGATE_QUESTION = '{"question": "\\ud800 N\\u0103m 2031 huy\\u1ec7n \\u0110\\u1ea1i Phong c\\u00f3 th\\u00eam bao nhi\\u00eau x\\u00e3 \\u0111\\u1ea1t chu\\u1ea9n?", "session": "s\\udfff"}'


@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    """The real app over the synthetic index, with an embedder that, like the model's tokenizer, refuses
    unencodable text; the web limits are low so that a test can reach them."""
    tmp = tmp_path_factory.mktemp("robust")
    settings = bot_settings(tmp, rate_limit_per_minute=3, web_rate_limit_per_address=5)
    services = build_index(tmp, settings)
    services.searcher.embedder = TokenizerLikeEmbedder(services.searcher.embedder)
    app = create_app(settings, lambda: services, wait=True)
    with TestClient(app) as client:
        client.conversations = app.state.channels.assistant.conversations
        client.limits = app.state.channels.assistant
        yield client


@pytest.fixture(autouse=True)
def fresh_limits(app_client):
    """Each test starts with empty rate-limit windows."""
    for limiter in (app_client.limits.limiter, app_client.limits.origin_limiter):
        limiter._hits.clear()


def is_error_body(response) -> bool:
    body = response.json()
    return isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"] \
        and isinstance(body.get("code"), str) and body["code"]


def test_a_lone_surrogate_is_answered_and_logged_not_a_500(app_client):
    headers = {"Content-Type": "application/json"}
    ask = app_client.post("/api/ask", content=SURROGATE_QUESTION.replace(', "session": "s\\udfff"', ""),
                          headers=headers)
    assert ask.status_code == 200, ask.text
    assert "7 xã" in ask.json()["answer"]
    chat = app_client.post("/api/chat", content=SURROGATE_QUESTION, headers=headers)
    assert chat.status_code == 200, chat.text
    assert chat.json()["answered"] is True
    row = app_client.conversations.exchange(chat.json()["exchange_id"])
    assert row["question"].startswith(REPLACEMENT + " Năm 2031") and "7 xã" in row["answer"]
    # and the connection is still good for the next request
    assert app_client.get("/healthz").status_code == 200


def test_new_sessions_do_not_lift_the_limit_of_one_address(app_client):
    statuses = [app_client.post("/api/chat", json={"question": PLAN_QUESTION, "session": f"s{i}"}).status_code
                for i in range(8)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 3  # the address's 5 a minute, though each request came from a new session


def test_one_session_has_its_own_lower_limit(app_client):
    statuses = [app_client.post("/api/chat", json={"question": PLAN_QUESTION, "session": "one"}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("label, body", [
    ("not UTF-8", b'{"question": "N\xe0m 2031 \xff"}'),
    ("nested 100,000 deep", b'{"question": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ("a 5,000-digit number", b'{"question": "x", "as_of": ' + b"9" * 5000 + b"}"),
])
def test_bodies_the_parser_cannot_read_get_the_one_error_body(app_client, label, body):
    response = app_client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), label
    assert is_error_body(response), (label, response.text)


def test_unknown_paths_and_methods_and_blank_searches_get_the_one_error_body(app_client):
    for response, status in ((app_client.get("/api/nothing-here"), 404), (app_client.get("/api/ask"), 405),
                             (app_client.get("/api/search", params={"q": " "}), 422)):
        assert response.status_code == status and is_error_body(response), response.text
    assert "trống" in app_client.get("/api/search", params={"q": " "}).json()["detail"]  # Vietnamese, for officers


def test_chat_refuses_unknown_fields_and_bodies_not_sent_as_json(app_client):
    extra = app_client.post("/api/chat", json={"question": PLAN_QUESTION, "sesion": "typo"})
    assert extra.status_code == 422 and is_error_body(extra) and "sesion" in extra.json()["detail"]
    form = app_client.post("/api/chat", content=json.dumps({"question": PLAN_QUESTION}),
                           headers={"Content-Type": "text/plain"})
    assert form.status_code == 415 and is_error_body(form)


def test_the_schema_documents_the_error_body_and_the_question_limits(app_client):
    spec = app_client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(spec)  # FastAPI's list-shaped 422 is never sent
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    required = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["required"]
                    assert {"detail", "code"} <= set(required), (method, path, status)
    question = spec["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert (question["minLength"], question["maxLength"]) == (1, 2000)
    assert "400" in spec["paths"]["/api/feedback"]["post"]["responses"]  # a body that is not JSON


def test_public_responses_never_show_the_servers_folders(app_client):
    docs = app_client.get("/api/documents").json()
    sources = {d["source"] for d in docs}
    assert {"ke-hoach-dai-phong.txt", "cv-nuoc-sach.txt"} <= sources  # relative to the folder ingested
    assert any(s.startswith("catalogue.yaml#") for s in sources)  # a catalogue card: its reference
    bodies = [app_client.get("/api/documents").text, app_client.get("/api/search", params={"q": PLAN_QUESTION}).text,
              app_client.post("/api/ask", json={"question": PLAN_QUESTION}).text,
              app_client.get(f"/api/documents/{docs[0]['doc_id']}").text]
    for body in bodies:
        assert str(app_client.limits.conversations.path.parent.parent) not in body  # the server's temp folder
        assert '"source":"/' not in body.replace(" ", "")


# Found by an outside test of the running service (second round) -------------------------------------------

def test_votes_from_one_address_are_limited_whatever_the_session(app_client):
    exchange = app_client.post("/api/chat", json={"question": PLAN_QUESTION, "session": "voter"}).json()
    statuses = [app_client.post("/api/feedback", json={"exchange_id": exchange["exchange_id"], "rating": -1,
                                                       "session": f"sock{i}"}).status_code for i in range(8)]
    assert statuses == [200] * 5 + [429] * 3


def test_a_huge_body_is_refused_before_it_is_parsed_or_echoed(app_client):
    body = json.dumps({"question": PLAN_QUESTION, "filters": {"issuer": "x" * 1_000_000}})
    response = app_client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and is_error_body(response) and len(response.content) < 1000


def test_a_trailing_slash_is_a_404_not_a_redirect_to_the_host_header(app_client):
    response = app_client.post("/api/ask/", json={"question": PLAN_QUESTION}, headers={"Host": "evil.example"},
                               follow_redirects=False)
    assert response.status_code == 404 and is_error_body(response)


def test_readiness_shows_no_server_folder(app_client):
    ready = app_client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert str(app_client.limits.conversations.path.parent.parent) not in ready.text


def test_a_failed_start_is_a_503_everywhere_without_paths_or_settings(tmp_path):
    settings = bot_settings(tmp_path)

    def broken():
        raise FileNotFoundError(f"embedding model folder {tmp_path}/no-model does not exist (NTM_EMBEDDING_MODEL=x)")

    with TestClient(create_app(settings, broken, wait=True)) as client:
        responses = [client.get("/readyz"), client.get("/api/documents"),
                     client.post("/api/ask", json={"question": PLAN_QUESTION}),
                     client.post("/api/chat", json={"question": PLAN_QUESTION, "session": "s"})]
    for response in responses:
        assert response.status_code == 503 and is_error_body(response), response.text
        assert str(tmp_path) not in response.text and "NTM_" not in response.text
        assert response.headers.get("Retry-After") or response.json()["code"] == "startup_failed"


def test_sources_in_unrelated_folders_show_their_names_not_their_paths():
    from retrieval.sources import public_source, source_root

    root = source_root(["/tmp/in/qd-1.txt", "/var/tmp/in2/kh-2.txt", "/srv/app/knowledge/catalogue.yaml#qd-318"])
    assert root == ""
    assert public_source("/var/tmp/in2/kh-2.txt", root) == "kh-2.txt"
    assert public_source("/srv/app/knowledge/catalogue.yaml#qd-318", root) == "catalogue.yaml#qd-318"
    nested = source_root(["/data/docs/ntm/a.txt", "/data/docs/seeds/b.txt", "/data/docs/p.jsonl.gz#7"])
    assert public_source("/data/docs/ntm/a.txt", nested) == "ntm/a.txt"
    assert public_source("/data/docs/p.jsonl.gz#7", nested) == "p.jsonl.gz#7"


def test_a_huge_body_sent_in_chunks_is_refused_too(app_client):
    """Without a Content-Length the limit is found while reading: still 413, not 'not valid JSON'."""
    def chunks():
        yield b'{"question": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    for path in ("/api/ask", "/api/chat"):
        response = app_client.post(path, content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and response.json()["code"] == "too_large", (path, response.text)
