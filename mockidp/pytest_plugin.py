"""The pytest plugin (the ``pytest11`` entry point ``mockidp``): fixtures and a marker.

Fixtures (``pytest --fixtures`` documents each):

- ``mockidp``: an in-process provider for one test, fresh state;
- ``mockidp_server``: a real server on a random loopback port, started once per session
  (per xdist worker) and reset before each test;
- ``mockidp_https_server``: the same over HTTPS, its certificate signed by a local CA
  (``.ca_file``; ``mockidp_tls_dir`` says where the CA is kept);
- settings, overridable in a conftest: ``mockidp_settings``, ``mockidp_scenario``,
  ``mockidp_log_size``; and the session-scoped ``mockidp_factory`` and
  ``mockidp_session_server`` behind the two above.

``@pytest.mark.mockidp(scenario=..., preset=..., users=..., **overrides)`` picks the
scenario of one test (or class, or module); its arguments are checked.
``intercept=True`` (or a list of extra origins) answers the test's HTTP calls to the
provider's origins in-process (``MockIdP.intercept``).

When a test that used one of the fixtures fails, its report gets a section "mockidp:
requests to the IdP": the test's requests, one line each (secrets are never in it).
The ini option ``mockidp_report = false`` or ``--mockidp-report=off`` turns it off.

An adapter: nothing imports it, and it imports mockidp itself only when a fixture runs,
so installing mockidp costs other test suites nothing.
"""

from __future__ import annotations

import contextlib
import difflib
import sys
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockidp.hosting.settings import Settings
    from mockidp.model.scenario import Scenario
    from mockidp.testing import MockIdP, ScenarioSource


def _rewrite_only_this_module() -> None:
    """Keep pytest's assertion rewriting to this module, not all of mockidp.

    pytest rewrites the asserts of every module in a plugin's distribution, so it would
    parse and compile each mockidp module itself on first use, and do so in every run
    where it cannot write its bytecode cache (``PYTHONDONTWRITEBYTECODE``, as many
    container images set; a read-only site-packages): ~130 ms of a suite's first use.
    mockidp has no asserts for a test report to explain. Where pytest keeps this state
    differently, nothing changes.
    """
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        hook = type(finder).__name__ == "AssertionRewritingHook"
        if hook and isinstance(marked, set) and "mockidp" in marked:
            marked.discard("mockidp")
            marked.add(__name__)


_rewrite_only_this_module()

MARKER = "mockidp"
MARKER_ARGS = ("scenario", "preset", "users", "intercept")
FIXTURES = ("mockidp", "mockidp_server", "mockidp_https_server")
REPORT_SECTION = "mockidp: requests to the IdP"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockidp_report",
        type="bool",
        default=True,
        help="add the IdP's requests to the report of a failed test using mockidp (default on)",
    )
    parser.getgroup("mockidp").addoption(
        "--mockidp-report",
        choices=("on", "off"),
        default=None,
        help="add the IdP's requests to a failed test's report: on or off (overrides the "
        "mockidp_report ini option)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockidp(scenario=None, preset=None, users=None, intercept=False, **overrides): the "
        "scenario the mockidp and mockidp_server fixtures serve in this test: a file, a "
        "mapping or a Scenario; preset emulates a real provider; users are added by sub; "
        "intercept=True (or a list of extra origins) answers the test's HTTP calls to the "
        "provider's origins in-process; any other keyword replaces that top-level scenario "
        "key (also for mockidp_https_server).",
    )


def _scenario_keys() -> list[str]:
    from mockidp.scenario.schema import SCENARIO_SCHEMA

    # "$schema" is for editors, not a scenario setting a marker could change
    return [k for k in SCENARIO_SCHEMA.get("properties", {}) if not k.startswith("$")]


def marker_arguments(node: pytest.Item) -> dict[str, Any]:
    """The ``mockidp`` markers' keywords, the closest marker winning each; checked."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(
                f"{node.nodeid}: @pytest.mark.mockidp takes keyword arguments only "
                f"(scenario=..., preset=..., users=..., or scenario keys), not {marker.args!r}"
            )
        merged.update(marker.kwargs)
    if not merged:  # no keyword to check: the schema (and its cost) is not needed
        return merged
    keys = _scenario_keys()
    for name in merged:
        if name in MARKER_ARGS or name in keys:
            continue
        close = difflib.get_close_matches(name, [*MARKER_ARGS, *keys], n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise pytest.UsageError(
            f"{node.nodeid}: @pytest.mark.mockidp has no argument {name!r}; {hint}"
            f"it takes {', '.join(MARKER_ARGS)} and the scenario keys {', '.join(keys)}"
        )
    return merged


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A mockidp marker must be well formed and, on a test, configure a fixture it uses."""
    if item.get_closest_marker(MARKER) is None:
        return
    try:
        marker_arguments(item)
        problem = None
    except pytest.UsageError as exc:
        problem = str(exc)
    if problem is not None:  # outside the except block: the error is printed once
        pytest.fail(problem, pytrace=False)
    own = any(m.name == MARKER for m in getattr(item, "own_markers", ()))
    fixturenames = getattr(item, "fixturenames", ())
    # A module's or class's marker may cover tests that do not use mockidp; a request
    # fixture may ask for one by name (request.getfixturevalue).
    if own and not any(name in fixturenames for name in (*FIXTURES, "request")):
        pytest.fail(
            f"{item.nodeid}: @pytest.mark.mockidp configures the mockidp and mockidp_server "
            "fixtures, but the test uses neither",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report gets the requests its mockidp fixture answered."""
    report = yield
    if report.failed and call.when == "call" and _report_wanted(item.config):
        section = _requests_section(item)
        if section is not None:
            report.sections.append((REPORT_SECTION, section))
    return report


def _report_wanted(config: pytest.Config) -> bool:
    flag = config.getoption("mockidp_report", None)
    return bool(config.getini("mockidp_report")) if flag is None else flag == "on"


def _requests_section(item: pytest.Item) -> str | None:
    funcargs = getattr(item, "funcargs", {})
    used = [funcargs[name] for name in FIXTURES if name in funcargs]
    if not used:
        return None
    from mockidp.signins import story

    parts = []
    for idp in used:
        log = idp.requests
        if len(used) > 1:
            parts.append(f"{idp.issuer}:")
        parts.append(story(log.records, dropped=log.dropped, broken=_broken_tokens(idp)))
    return "\n".join(parts)


def _broken_tokens(idp: MockIdP) -> dict[str, str]:
    """What is wrong with the tokens the test's provider handed out lately (a scenario's
    broken_tokens), by fingerprint: read from the inspector's journal."""
    from mockidp.control.inspector.journal import decode, looks_broken
    from mockidp.requestlog import fingerprint

    found = {}
    for issued in idp.app.journal.items:
        problem = looks_broken(decode(idp.provider, issued))
        if problem is not None:
            found[fingerprint(issued.value)] = problem
    return found


def scenario_path(source: ScenarioSource, request: pytest.FixtureRequest) -> ScenarioSource:
    """A relative scenario path found beside the test file, else under the rootdir, else
    (as ``MOCKIDP_SCENARIO`` always was) in the current directory; anything else as is.

    A path found nowhere raises ScenarioError naming every folder looked in.
    """
    from pathlib import Path

    if not isinstance(source, str | Path) or (isinstance(source, str) and not source.strip()):
        return source
    from mockidp.errors import ScenarioError, ScenarioProblem
    from mockidp.hosting.wiring import is_inline_scenario

    if isinstance(source, str) and is_inline_scenario(source):
        return source
    path = Path(source).expanduser()
    if path.is_absolute():
        return path
    test_file = getattr(request.node, "path", None)
    folders = [test_file.parent] if isinstance(test_file, Path) else []
    folders += [request.config.rootpath, Path.cwd()]
    for folder in dict.fromkeys(folders):  # in order, each once
        if (folder / path).is_file():
            return folder / path
    looked = ", ".join(str(f) for f in dict.fromkeys(folders))
    problem = ScenarioProblem(
        "", f"no such file beside the test, under the rootdir or here ({looked})"
    )
    raise ScenarioError([problem], source=str(source))


def _markers_of(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test's mockidp marker arguments, read once per fixture (pytest walks the
    node chain for every reading)."""
    return marker_arguments(request.node) if isinstance(request.node, pytest.Item) else {}


def _scenario_for(
    request: pytest.FixtureRequest, default: ScenarioSource, markers: Mapping[str, Any]
) -> Scenario:
    from mockidp.errors import ScenarioError
    from mockidp.testing import scenario_for_test

    source = markers.get("scenario", default)
    changes = {k: v for k, v in markers.items() if k not in ("scenario", "intercept")}
    try:
        return scenario_for_test(scenario_path(source, request), **changes)
    except (ScenarioError, TypeError, ValueError) as exc:
        reason = str(exc)
    # outside the except block: the reason is printed once, not chained to itself
    pytest.fail(f"mockidp: the test's scenario does not load: {reason}", pytrace=False)


def _intercepted(
    request: pytest.FixtureRequest, idp: MockIdP, markers: Mapping[str, Any]
) -> contextlib.AbstractContextManager[Any]:
    """The marker's ``intercept``: True, or a list of extra origins; else nothing."""
    value = markers.get("intercept", False)
    if value is False or value is None:
        return contextlib.nullcontext()
    if value is True:
        origins: tuple[str, ...] = ()
    elif isinstance(value, list | tuple) and all(isinstance(o, str) for o in value):
        origins = tuple(value)
    else:
        pytest.fail(
            f"{request.node.nodeid}: @pytest.mark.mockidp(intercept=...) takes True or a list "
            f"of origins like ['https://api.example.com'], not {value!r}",
            pytrace=False,
        )
    try:
        return idp.intercept(*origins)
    except ValueError as exc:
        reason = str(exc)
    pytest.fail(f"{request.node.nodeid}: {reason}", pytrace=False)


@pytest.fixture(scope="session")
def mockidp_settings() -> Settings:
    """mockidp settings, read once from MOCKIDP_* environment variables
    (mockidp.hosting.settings.Settings.from_env()). Override this fixture in a conftest to set
    them in code; the plugin reads ``scenario`` and ``host``."""
    from mockidp.hosting.settings import Settings

    return Settings.from_env()


@pytest.fixture
def mockidp_scenario(mockidp_settings: Settings) -> ScenarioSource:
    """The scenario the mockidp and mockidp_server fixtures serve: a file path, a
    mapping, a Scenario, or None for the embedded default (the default: MOCKIDP_SCENARIO,
    else None). Override it in a conftest; a test's @pytest.mark.mockidp(scenario=...)
    wins over it."""
    return mockidp_settings.scenario


@pytest.fixture(scope="session")
def mockidp_log_size() -> int:
    """How many requests the request log (``mockidp.requests``) keeps: 1000. Override
    it in a conftest to keep more or fewer."""
    return 1000


@pytest.fixture(scope="session")
def mockidp_factory(mockidp_log_size: int) -> Callable[[ScenarioSource], MockIdP]:
    """A function making in-process providers: ``mockidp_factory(scenario) -> MockIdP``
    (see the mockidp fixture). Call it for a second provider in one test; close what it
    makes with ``.close()``."""
    from mockidp.testing import MockIdP

    def make(scenario: ScenarioSource = None) -> MockIdP:
        return MockIdP.in_process(scenario, log_size=mockidp_log_size)

    return make


@pytest.fixture
def mockidp(
    request: pytest.FixtureRequest,
    mockidp_factory: Callable[[ScenarioSource], MockIdP],
    mockidp_scenario: ScenarioSource,
) -> Iterator[MockIdP]:
    """An in-process mock OpenID provider for this test, with fresh state. Its scenario:
    @pytest.mark.mockidp(...), else the mockidp_scenario fixture. Use ``.client`` /
    ``.async_client`` (httpx clients already routed to it, base_url ``.url`` =
    http://mockidp.test), ``.transport`` (an httpx.ASGITransport for your app's own
    AsyncClient; ``.sync_transport`` for a sync one), ``.issuer``, ``.app``,
    ``.provider``; ``issue_tokens(user=, client=, scope=)``, ``login(user)``,
    ``advance(seconds)``, ``use_scenario(...)``, ``fail_next(endpoint, error)`` (also
    respond_next, drop_next, delay_next, corrupt_next, add_fault), and the request log
    ``.requests`` (``.requests.assert_called("token", grant_type="refresh_token")``).
    Your app unchanged: ``intercept()`` (or the marker's ``intercept=True``) answers its
    HTTP calls to the issuer and the preset's real hosts in-process;
    ``sign_in(app_client, "/login", user=...)`` drives its test client through a
    sign-in; ``travel(seconds)`` moves its clock and the provider's together."""
    markers = _markers_of(request)
    idp = mockidp_factory(_scenario_for(request, mockidp_scenario, markers))
    with _intercepted(request, idp, markers):
        yield idp
    idp.close()


@pytest.fixture(scope="session")
def mockidp_session_server(mockidp_settings: Settings, mockidp_log_size: int) -> Iterator[MockIdP]:
    """The one live mockidp server of this session (of each xdist worker): uvicorn on a
    random port of ``mockidp_settings.host`` in a thread. Tests use mockidp_server, which
    resets it."""
    from mockidp.testing import MockIdP

    idp = MockIdP.serve(None, host=mockidp_settings.host, log_size=mockidp_log_size)
    yield idp
    _shut_down(idp)


@pytest.fixture
def mockidp_server(
    request: pytest.FixtureRequest,
    mockidp_session_server: MockIdP,
    mockidp_scenario: ScenarioSource,
) -> Iterator[MockIdP]:
    """A real mock OpenID provider over HTTP, for clients that cannot take an ASGI
    transport (requests, browsers, other processes): ``.url`` (http://127.0.0.1:PORT),
    ``.issuer``, ``.client`` / ``.async_client``, and every helper of the mockidp
    fixture. Started once per session and reset before each test: fresh state, real
    time, an empty request log, and the test's scenario (marker or mockidp_scenario)."""
    idp = mockidp_session_server
    markers = _markers_of(request)
    idp.reset(_scenario_for(request, mockidp_scenario, markers))
    with _intercepted(request, idp, markers):
        yield idp
    idp.clear_hooks()  # a test's hooks never reach the next test
    idp.close()


@pytest.fixture(scope="session")
def mockidp_tls_dir() -> Path:
    """Where mockidp_https_server keeps its local CA (``ca.pem``): the per-user cache
    folder ``mockidp serve --tls`` uses, so a CA trusted once stays trusted. Override it
    in a conftest (e.g. with ``tmp_path_factory.mktemp("tls")``) to keep it elsewhere."""
    from mockidp.hosting.tls import default_tls_dir

    return default_tls_dir()


@pytest.fixture(scope="session")
def mockidp_https_session_server(
    mockidp_settings: Settings, mockidp_log_size: int, mockidp_tls_dir: Path
) -> Iterator[MockIdP]:
    """The one live HTTPS mockidp server of this session (of each xdist worker). Tests use
    mockidp_https_server, which resets it."""
    from mockidp.hosting.tls import local_tls
    from mockidp.testing import MockIdP

    idp = MockIdP.serve(
        None,
        host=mockidp_settings.host,
        log_size=mockidp_log_size,
        tls=local_tls(mockidp_tls_dir),
    )
    yield idp
    _shut_down(idp)


@pytest.fixture
def mockidp_https_server(
    request: pytest.FixtureRequest,
    mockidp_https_session_server: MockIdP,
    mockidp_scenario: ScenarioSource,
) -> Iterator[MockIdP]:
    """mockidp_server over HTTPS, for client libraries that refuse plain http (MSAL,
    okta-jwt-verifier): ``.url`` and ``.issuer`` are https://127.0.0.1:PORT..., and
    ``.ca_file`` is the PEM of the local CA that signed its certificate (for 127.0.0.1,
    ::1 and localhost): give it to your client (``verify=idp.ca_file``,
    ``REQUESTS_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``). ``.client`` / ``.async_client``
    already trust it. Reset before each test like mockidp_server."""
    idp = mockidp_https_session_server
    markers = _markers_of(request)
    idp.reset(_scenario_for(request, mockidp_scenario, markers))
    with _intercepted(request, idp, markers):
        yield idp
    idp.close()


def _shut_down(idp: MockIdP) -> None:
    """The end of a session server: its clients, then uvicorn."""
    idp.close()
    if idp.server is not None:
        idp.server.stop()
