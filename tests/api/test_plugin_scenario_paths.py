"""Scenario paths in the marker and the mockidp_scenario fixture resolve beside the test
file, then under the rootdir, whatever the current directory; a failure prints once."""

from __future__ import annotations

import pytest

SCENARIO = "login: page\nusers: [{sub: carol, password: carol}]\n"
TEST = """
import pytest

@pytest.mark.mockidp(scenario="scenarios/mine.yaml")
def test_marker(mockidp):
    assert [u.sub for u in mockidp.provider.scenario.users] == ["carol"]
"""


def test_a_marker_path_is_found_beside_the_test_file_from_another_folder(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = pytester.mkdir("suite")
    (suite / "scenarios").mkdir()
    (suite / "scenarios" / "mine.yaml").write_text(SCENARIO, "utf-8")
    (suite / "test_marker.py").write_text(TEST, "utf-8")
    elsewhere = pytester.mkdir("elsewhere")
    monkeypatch.chdir(elsewhere)
    result = pytester.runpytest_subprocess(str(suite / "test_marker.py"), "-q")
    result.assert_outcomes(passed=1)


def test_a_fixture_path_is_found_under_the_rootdir(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\n")  # the rootdir
    (pytester.mkdir("scenarios") / "mine.yaml").write_text(SCENARIO, "utf-8")
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def mockidp_scenario():
            return "scenarios/mine.yaml"
        """
    )
    tests = pytester.mkdir("tests")
    (tests / "test_fixture.py").write_text(
        "def test_fixture(mockidp):\n"
        "    assert [u.sub for u in mockidp.provider.scenario.users] == ['carol']\n",
        "utf-8",
    )
    monkeypatch.chdir(tests)
    result = pytester.runpytest_subprocess("-q", str(tests / "test_fixture.py"))
    result.assert_outcomes(passed=1)


def test_a_missing_scenario_is_reported_once_with_the_folders_looked_in(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_missing=TEST)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    # pytest's own short summary repeats the message; it is shortened, except under CI=true
    report = output.split("short test summary info")[0]
    assert report.count("no such file beside the test, under the rootdir or here") == 1
    assert "During handling of the above exception" not in output
    assert str(pytester.path) in output


def test_an_absolute_path_and_a_mapping_still_work(pytester: pytest.Pytester) -> None:
    path = pytester.path / "abs.yaml"
    path.write_text(SCENARIO, "utf-8")
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.mockidp(scenario={str(path)!r})
        def test_absolute(mockidp):
            assert mockidp.provider.scenario.users[0].sub == "carol"

        @pytest.mark.mockidp(scenario={{"users": [{{"sub": "dave", "password": "d"}}]}})
        def test_mapping(mockidp):
            assert mockidp.provider.scenario.users[0].sub == "dave"
        """
    )
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=2)
