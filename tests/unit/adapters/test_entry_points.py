"""An agency's own adapter package adds its formats through the entry-point group
`los.agency_formats`: they join the built-in ones, and a package that cannot be loaded, offers
something that is not a format, or reuses a format name is a clear error naming the packages.
Each test installs its packages as a distribution on `sys.path`, which it takes away after."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.adapters.agencies import GROUP, FormatError, all_formats
from services.adapters.cli import USAGE, app

Install = Callable[[str, str, str], None]

MODULE = '''
class Format:
    agency, suffix, description = "TAX", ".csv", "a test format"

    def __init__(self, name):
        self.name = name

    def read(self, path, ctx):
        return iter(())

    def write(self, events, path, ctx, clear_ids):
        raise NotImplementedError

{body}
'''


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """`install(package, entry point value, module body)`: a distribution `package` whose module
    `<package>_formats` holds `body` and whose entry point names `value` in it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    modules: list[str] = []

    def installed(package: str, value: str, body: str) -> None:
        module = package.replace("-", "_") + "_formats"
        (tmp_path / f"{module}.py").write_text(MODULE.format(body=body), encoding="utf-8")
        info = tmp_path / f"{package.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[{GROUP}]\n{package} = {module}:{value}\n", encoding="utf-8")
        modules.append(module)

    yield installed
    for module in modules:
        sys.modules.pop(module, None)


def test_an_installed_packages_formats_join_the_built_in_ones(install: Install) -> None:
    install("los-adapter-one", "FORMATS", 'FORMATS = [Format("one-export")]')
    install("los-adapter-two", "formats", 'def formats():\n    return [Format("two-export")]')
    formats = all_formats()
    assert formats["one-export"].description == "a test format"
    assert formats["two-export"].name == "two-export"
    assert "tax-personalliggare" in formats


def test_a_name_taken_by_a_built_in_format_is_an_error_naming_both(install: Install) -> None:
    install("los-adapter-one", "FORMATS", 'FORMATS = [Format("tax-personalliggare")]')
    with pytest.raises(FormatError, match=r"'tax-personalliggare' is defined twice: by los-samverkan \(built in\) "
                                          r"and by package los-adapter-one"):
        all_formats()


def test_a_name_taken_by_another_package_is_an_error_naming_both(install: Install) -> None:
    install("los-adapter-one", "FORMATS", 'FORMATS = [Format("shared-export")]')
    install("los-adapter-two", "FORMATS", 'FORMATS = [Format("shared-export")]')
    with pytest.raises(FormatError, match=r"by package los-adapter-one .* and by package los-adapter-two"):
        all_formats()


@pytest.mark.parametrize(("value", "body", "said"), [
    ("FORMATS", "import no_such_module_here", "cannot be loaded: ModuleNotFoundError"),
    ("MISSING", "", "cannot be loaded: AttributeError"),
    ("FORMATS", 'FORMATS = ["tax-export"]', "is not an AgencyFormat (it has no name, agency"),
])
def test_a_package_whose_formats_cannot_be_used_is_an_error_naming_it(
        install: Install, value: str, body: str, said: str) -> None:
    install("los-adapter-broken", value, body)
    with pytest.raises(FormatError, match="package los-adapter-broken") as raised:
        all_formats()
    assert said in str(raised.value)


def test_the_cli_says_so_and_exits_with_the_usage_code(install: Install) -> None:
    install("los-adapter-one", "FORMATS", 'FORMATS = [Format("tax-personalliggare")]')
    result = CliRunner().invoke(app, ["formats"], env={"COLUMNS": "300"})
    assert result.exit_code == USAGE
    assert "defined twice" in result.stderr and "los-adapter-one" in result.stderr
