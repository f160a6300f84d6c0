"""Sign-ins read from the request log (mockidp.signins): grouping, text, Mermaid, the
control API's JSON and the inspector's SVG (its text; the browser test looks at it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape

import pytest

from mockidp.requestlog import RequestRecord
from mockidp.signins import compact, mermaid, sign_ins, story
from mockidp.testing import MockIdP
from tests.support.signins import CLIENT, device_sign_in, faulted_sign_in, sign_in_refresh_logout


@pytest.fixture
def idp() -> Iterator[MockIdP]:
    idp = MockIdP.in_process(None)
    idp.use_scenario(login="page")
    yield idp
    idp.close()


def endpoints(records: list[RequestRecord]) -> list[list[str]]:
    return [[s.endpoint for s in found.steps] for found in sign_ins(records)]


def test_a_refresh_and_a_logout_join_the_sign_in_that_started_them(idp: MockIdP) -> None:
    sign_in_refresh_logout(idp)
    idp.client.post("/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
    assert endpoints(idp.requests.records) == [
        ["discovery", "authorization", "login", "token", "userinfo", "token", "end_session"],
        ["token"],  # a client's own token: a sign-in of its own
    ]
    first = sign_ins(idp.requests.records)[0]
    assert first.client_id == "mockidp-client"
    assert first.lifelines == ("browser", "app", "idp")
    assert [(s.source, s.target) for s in first.steps][1:4] == [
        ("browser", "idp"),
        ("browser", "idp"),
        ("app", "idp"),
    ]


def test_two_sign_ins_of_two_users_stay_apart(idp: MockIdP) -> None:
    idp.login("alice")
    idp.login("bob")
    assert endpoints(idp.requests.records) == [["authorization", "login", "token"]] * 2


def test_a_device_sign_in_is_one_sign_in(idp: MockIdP) -> None:
    device_sign_in(idp)
    [found] = sign_ins(idp.requests.records)
    assert [s.endpoint for s in found.steps][:3] == ["device_authorization", "token", "device"]
    assert found.steps[-1].endpoint == "token" and found.steps[-1].status == 200
    assert found.steps[1].error == "authorization_pending"


def test_the_story_and_mermaid_name_each_step(idp: MockIdP) -> None:
    faulted_sign_in(idp)
    records = idp.requests.records
    text = story(records)
    assert text.splitlines()[-1] == (
        "  3. POST /token client_id=mockidp-client grant_type=authorization_code "
        "-> 400 invalid_grant [fault fail_next token]"
    )
    assert "code_verifier" not in text and "***" not in text
    [found] = sign_ins(records)
    assert compact(found).startswith("sign-in 1 (mockidp-client): authorization 200 > login 302")
    chart = mermaid(found)
    assert chart.startswith("sequenceDiagram\n    participant Browser as Browser\n")
    assert "    App->>IdP: POST token client_id=mockidp-client grant_type=authorization_code\n" in (
        chart
    )
    assert "    IdP--xApp: 400 invalid_grant\n    Note over IdP: fault fail_next token\n" in chart
    assert story([]) == "mockidp received no requests."


def test_the_control_api_serves_sign_ins_as_json(idp: MockIdP) -> None:
    sign_in_refresh_logout(idp)
    faulted_sign_in(idp)
    listed = idp.client.get("/_mockidp/signins").json()["signins"]
    assert [s["number"] for s in listed] == [2, 1]  # newest first
    one = idp.client.get("/_mockidp/signins/1").json()
    assert one == listed[1]
    assert one["steps"][3]["issued"].keys() == {"access_token", "refresh_token", "id_token"}
    assert one["mermaid"].startswith("sequenceDiagram")
    two = idp.client.get("/_mockidp/signins/2").json()
    assert two["steps"][-1]["fault"] == "fail_next token"
    for bad in ("3", "0", "x", "-1"):
        missing = idp.client.get(f"/_mockidp/signins/{bad}")
        assert missing.status_code == 404, bad
        assert missing.json()["error"] == "not_found"
    paths = idp.client.get("/_mockidp/openapi.json").json()["paths"]
    assert {"/_mockidp/signins", "/_mockidp/signins/{number}"} <= set(paths)


def test_the_inspector_draws_each_sign_in_as_svg(idp: MockIdP) -> None:
    sign_in_refresh_logout(idp)
    faulted_sign_in(idp)
    page = idp.client.get("/_mockidp/inspector").text
    assert page.count('<svg class="seq"') == 2
    assert "<script" not in page
    newest = page.index('id="signin-2"')
    assert newest < page.index('id="signin-1"')  # newest first
    assert "⚠ fault: fail_next token" in page
    assert page.count('class="token-link"') == 6  # two token answers, three tokens each
    targets = set(re.findall(r'href="#(token-[0-9a-f]{8})"', page))
    assert targets and all(f'id="{t}"' in page for t in targets)  # each link lands
    assert escape("sequenceDiagram\n    participant Browser") in page  # the Mermaid text


def test_hostile_values_in_a_step_are_escaped(idp: MockIdP) -> None:
    idp.client.get("/authorize", params={"client_id": "<b>x</b>", "scope": "<i>&"})
    page = idp.client.get("/_mockidp/inspector").text
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "<b>" not in svg and "<i>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt;" in svg


def test_a_back_channel_logout_call_joins_the_logout_that_made_it() -> None:
    def record(endpoint: str, **fields: object) -> RequestRecord:
        defaults: dict[str, object] = {"method": "GET", "path": f"/{endpoint}", "status": 200}
        return RequestRecord(endpoint=endpoint, duration_ms=1.0, **{**defaults, **fields})  # type: ignore[arg-type]

    records = [
        record("authorization", session="***s1", issued={"code": "***c1"}, status=302),
        record("token", method="POST", params={"code": "***c1"}, issued={"id_token": "***i1"}),
        record("end_session", params={"id_token_hint": "***i1"}),
        record("backchannel_logout", method="POST", path="http://rp.test/bc", client_id="rp"),
        record("backchannel_logout", method="POST", path="http://rp2.test/bc", status=0),
        record("token", method="POST", params={"code": "***other"}, status=400),
    ]
    first, second = sign_ins(records)
    assert [s.endpoint for s in first.steps][-2:] == ["backchannel_logout"] * 2
    assert first.lifelines == ("browser", "app", "idp", "backchannel_logout")
    assert (first.steps[-1].source, first.steps[-1].target) == ("idp", "backchannel_logout")
    assert first.steps[-1].answer_text() == "dropped"
    assert [s.endpoint for s in second.steps] == ["token"]
    chart = mermaid(first)
    assert "participant AppBackChannel as App back-channel logout" in chart
    assert "IdP->>AppBackChannel: POST backchannel_logout" in chart


def test_a_broken_token_is_marked_on_the_arrow_that_carried_it(idp: MockIdP) -> None:
    idp.use_scenario(
        login="auto", broken_tokens=[{"token": "id_token", "defect": "wrong_audience"}]
    )
    idp.login("alice")
    page = idp.client.get("/_mockidp/inspector").text
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "⚠ broken id_token: wrong audience" in svg
    idp.reset()
    idp.login("alice")
    page = idp.client.get("/_mockidp/inspector").text
    assert "⚠" not in page[page.index("<svg") : page.index("</svg>")]


@pytest.mark.parametrize("defect", ["wrong_nonce", "missing_sub", "no_kid"])
def test_a_defect_no_reading_of_the_token_shows_is_marked_too(idp: MockIdP, defect: str) -> None:
    # the provider remembers which defect it issued a token with: a wrong nonce, a missing
    # claim or a header without kid verify and look like any token
    idp.use_scenario(login="auto", broken_tokens=[{"token": "id_token", "defect": defect}])
    idp.login("alice")
    page = idp.client.get("/_mockidp/inspector").text
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert f"⚠ broken id_token: {defect.replace('_', ' ')}" in svg
