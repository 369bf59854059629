"""kcat, the command-line client agency developers try first, logs in to the broker as an
adapter principal exactly when its librdkafka is 2.6.1 or newer.

Older librdkafka builds its SCRAM client-final-message with the client's nonce once more in
front of the server's nonce, which already begins with it (librdkafka#4895, fixed in 2.6.1);
Kafka 4 compares the nonce strictly and answers "invalid credentials", whatever the principal
or password. Debian 12's kcat 1.7.1 is linked with librdkafka 2.0.2 and is refused; the same
kcat binary run with confluent-kafka's librdkafka (2.16) logs in and sees what the ACLs let it
see. kcat is Debian's (`deploy/local/ensure-kcat.sh`, run by `make test`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import confluent_kafka
import pytest

from deploy.access import write_private_text
from tests.agency_client import client_config
from tests.conftest import Infra

pytestmark = pytest.mark.integration
PRINCIPAL = "adapter-tax"
FIXED_IN = (2, 6, 1)


def kcat() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is missing: run deploy/local/ensure-kcat.sh (make test does)")
    return path


def librdkafka_of_kcat(env: dict[str, str]) -> tuple[int, int, int]:
    shown = subprocess.run([kcat(), "-V"], env=env, capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"librdkafka (\d+)\.(\d+)\.(\d+)", shown)
    assert match, f"`kcat -V` names no librdkafka version: {shown}"
    return int(match[1]), int(match[2]), int(match[3])


def current_librdkafka(folder: Path) -> Path:
    """A folder holding confluent-kafka's own librdkafka under the name kcat loads."""
    [bundled] = (Path(confluent_kafka.__file__).parents[1] / "confluent_kafka.libs").glob("librdkafka-*.so.1")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "librdkafka.so.1").symlink_to(bundled)
    return folder


@pytest.mark.parametrize("library", ["system", "confluent-kafka"])
def test_kcat_logs_in_when_its_librdkafka_has_the_scram_nonce_fix(
        infra: Infra, tmp_path: Path, library: str) -> None:
    env = {"PATH": "/usr/bin:/bin"}
    if library == "confluent-kafka":
        env["LD_LIBRARY_PATH"] = str(current_librdkafka(tmp_path / "lib"))
    version = librdkafka_of_kcat(env)
    if library == "confluent-kafka":
        assert version >= FIXED_IN, f"confluent-kafka's librdkafka is {version}"
    settings = tmp_path / "kcat.conf"
    write_private_text(settings, "".join(f"{k}={v}\n" for k, v in client_config(infra.env, PRINCIPAL).items()))

    listed = subprocess.run([kcat(), "-F", str(settings), "-m", "10", "-L", "-J"], env=env,
                            capture_output=True, text=True, timeout=120)
    if version < FIXED_IN:
        assert listed.returncode != 0 and "invalid credentials" in listed.stderr, (version, listed.stderr[-2000:])
        return
    assert listed.returncode == 0, (version, listed.stderr[-2000:])
    topics = {t["topic"]: t for t in json.loads(listed.stdout)["topics"]}
    # logged in as adapter-tax: its own receipts and feed are visible, another agency's feed is not
    assert {"los.events.tax", "los.receipts.tax", "los.feed.tax"} <= set(topics), sorted(topics)
    assert "los.feed.police" not in topics, "adapter-tax sees the police's feed"
