"""What every agency format promises, checked on each format's sample: it is registered under its
name, no clear personnummer reaches an event, reading is deterministic, and writing the events
and reading them back gives the same events."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from schemas.events import event_json, to_bytes
from services.adapters.agencies import all_formats
from services.adapters.sdk.mapping import Mapped, RecordError, events_of
from tests.unit.adapters.samples import SAMPLES, Sample, write_rows

EACH = [pytest.param(sample, id=name) for name, sample in SAMPLES.items()]


@pytest.mark.parametrize(("module", "index", "name", "agency", "suffix"), [
    ("police", 0, "police-operations", "POLICE", ".json"),
    ("police", 1, "police-cases", "POLICE", ".xml"),
    ("tax", 0, "tax-personalliggare", "TAX", ".csv"),
    ("enforcement", 0, "enforcement-forrattningar", "ENFORCEMENT", ".json"),
    ("social_insurance", 0, "social-insurance-kontroller", "SOCIAL_INSURANCE", ".xml"),
    ("employment", 0, "employment-stodkontroller", "EMPLOYMENT", ".csv"),
    ("work_env", 0, "work-env-inspektioner", "WORK_ENV", ".json"),
    ("fire", 0, "fire-tillsyn", "FIRE", ".xml"),
    ("muni_building", 0, "muni-building-tillsyn", "MUNI_BUILDING", ".csv"),
    ("muni_env_health", 0, "muni-env-health-kontroll", "MUNI_ENV_HEALTH", ".csv"),
    ("muni_alcohol", 0, "muni-alcohol-tillsyn", "MUNI_ALCOHOL", ".json"),
    ("muni_social", 0, "muni-social-los", "MUNI_SOCIAL", ".json"),
])
def test_the_format_is_registered_under_its_name(module: str, index: int, name: str, agency: str,
                                                 suffix: str) -> None:
    fmt = importlib.import_module(f"services.adapters.agencies.{module}").FORMATS[index]
    assert all_formats()[name] is fmt
    assert (fmt.agency, fmt.suffix, SAMPLES[name].path.suffix) == (agency, suffix, suffix)


@pytest.mark.parametrize("sample", EACH)
def test_no_clear_personnummer_reaches_an_event(sample: Sample) -> None:
    text = json.dumps([event_json(e) for e in sample.events()], ensure_ascii=False)
    for pnr in sample.clear:
        for form in (pnr, f"{pnr[:8]}-{pnr[8:]}", pnr[2:], f"{pnr[2:8]}-{pnr[8:]}", pnr[2:8]):
            assert form not in text


@pytest.mark.parametrize("sample", EACH)
def test_reading_the_same_export_twice_gives_identical_events(sample: Sample) -> None:
    first, second = sample.events(), sample.events()
    assert [e.id for e in first] == [e.id for e in second]
    assert [to_bytes(event_json(e)) for e in first] == [to_bytes(event_json(e)) for e in second]
    assert len({e.id for e in first}) == len(first)


@pytest.mark.parametrize("sample", EACH)
def test_writing_the_events_and_reading_them_back_gives_the_same_events(sample: Sample,
                                                                        tmp_path: Path) -> None:
    events = sample.events()
    again = sample.read(sample.write(events, tmp_path / f"out{sample.format.suffix}"))
    assert all(isinstance(r, Mapped) for r in again)
    assert events_of(again) == events
    assert [event_json(e) for e in events_of(again)] == [event_json(e) for e in events]


@pytest.mark.parametrize(("name", "text", "field"), [
    ("police-operations", '{"plans": []}', "insatsplaner"),
    ("enforcement-forrattningar", '{"arenden": []}', "forrattningar"),
    ("work-env-inspektioner", "[]", "inspektioner"),
    ("muni-alcohol-tillsyn", '{"poster": []}', "arenden"),
    ("muni-social-los", "{}", "poster"),
])
def test_a_json_file_without_the_list_of_records_is_one_error_for_the_whole_file(
        tmp_path: Path, name: str, text: str, field: str) -> None:
    sample = SAMPLES[name]
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    [error] = sample.read(path)
    assert isinstance(error, RecordError)
    assert (error.file, error.line, error.field) == (str(path), 0, field)


@pytest.mark.parametrize(("name", "root"), [
    ("police-cases", "polisen_los_arenden"),
    ("social-insurance-kontroller", "forsakringskassan_los_export"),
    ("fire-tillsyn", "tillsynsexport"),
])
def test_an_xml_file_that_is_not_well_formed_is_one_error_for_the_whole_file(
        tmp_path: Path, name: str, root: str) -> None:
    sample = SAMPLES[name]
    path = sample.replaced(tmp_path, f"</{root}>", "")
    [error] = sample.read(path)
    assert isinstance(error, RecordError)
    assert (error.file, error.line, error.field) == (str(path), 0, "-")
    assert "not well-formed" in error.message


CSV = [pytest.param(sample, id=name) for name, sample in SAMPLES.items() if sample.format.suffix == ".csv"]


@pytest.mark.parametrize("sample", CSV)
def test_a_csv_header_without_any_one_column_is_one_error_naming_it_and_the_header_and_maps_nothing(
        tmp_path: Path, sample: Sample) -> None:
    columns = getattr(sample.format, "required_columns", ())
    header = sample.path.read_text(encoding="utf-8").splitlines()[0]
    assert set(columns) == set(header.split(";"))  # the header must name every documented column
    for column in columns:
        path = write_rows(tmp_path / f"without-{column}.csv", sample.rows(), drop=column)
        [error] = sample.read(path)
        assert isinstance(error, RecordError)
        assert (error.file, error.line, error.field, error.whole_file) == (str(path), 1, column, True)
        assert f"the header has no column {column};" in error.message
        assert header.replace(f"{column};", "").removesuffix(f";{column}") in error.message


@pytest.mark.parametrize("sample", CSV)
def test_a_csv_header_naming_a_column_twice_is_one_error(tmp_path: Path, sample: Sample) -> None:
    lines = sample.path.read_text(encoding="utf-8").splitlines()
    first = lines[0].split(";")[0]
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([f"{lines[0]};{first}", *(f"{line};" for line in lines[1:])]) + "\n", encoding="utf-8")
    [error] = sample.read(path)
    assert isinstance(error, RecordError)
    assert (error.line, error.field, error.whole_file) == (1, first, True)
    assert "more than once" in error.message


@pytest.mark.parametrize(("name", "root"), [
    ("police-cases", "polisen_los_arenden"),
    ("social-insurance-kontroller", "forsakringskassan_los_export"),
    ("fire-tillsyn", "tillsynsexport"),
])
def test_an_xml_file_with_another_root_element_is_one_error_for_the_whole_file(
        tmp_path: Path, name: str, root: str) -> None:
    sample = SAMPLES[name]
    path = sample.replaced(tmp_path, f"<{root}>", "<export>")
    path.write_text(path.read_text(encoding="utf-8").replace(f"</{root}>", "</export>"), encoding="utf-8")
    [error] = sample.read(path)
    assert isinstance(error, RecordError)
    assert (error.line, error.field, error.whole_file) == (0, "export", True)
    assert f"expected <{root}>" in error.message


@pytest.mark.parametrize("sample", CSV)
def test_a_csv_export_without_its_header_line_maps_nothing_and_echoes_no_personnummer(
        tmp_path: Path, sample: Sample) -> None:
    lines = sample.path.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "headless.csv"
    path.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    [error] = sample.read(path)
    assert isinstance(error, RecordError) and (error.line, error.whole_file) == (1, True)
    for pnr in sample.clear:
        assert pnr[2:8] not in error.message
