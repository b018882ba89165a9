"""Configuration: the key comes from outside git, and prod refuses the development default."""

from pathlib import Path

import pytest

from orchestration.core.settings import DEV_KEY, REPO_ROOT, ConfigurationError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OBSERVATOIRE_KEY", "OBSERVATOIRE_KEY_FILE", "OBSERVATOIRE_ENV", "OBSERVATOIRE_K_MIN"):
        monkeypatch.delenv(name, raising=False)


def test_dev_uses_the_labelled_default(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.uses_dev_key and settings.key == DEV_KEY.encode()
    assert settings.k_min == 11
    assert "key" not in repr(settings).replace("key_source", "")


def test_prod_without_key_stops(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    with pytest.raises(ConfigurationError, match="no pseudonymisation key"):
        load_settings(tmp_path)


def test_prod_refuses_the_public_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.setenv("OBSERVATOIRE_KEY", DEV_KEY)
    with pytest.raises(ConfigurationError, match="refused"):
        load_settings(tmp_path)


STRONG_KEY = "q7V-x2Lr_9TzKm4bW8sYc1NfHd6JpEa3GuR0oXiZlQ5"  # a test key, not a secret


def test_key_file_outside_repo_and_lake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "observatoire.key"
    key_file.parent.mkdir()
    key_file.write_text(STRONG_KEY + "\n")  # the file's final line break is not part of the key
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.setenv("OBSERVATOIRE_KEY_FILE", str(key_file))
    settings = load_settings(tmp_path / "lake")
    assert settings.key == STRONG_KEY.encode() and settings.key_source.startswith("file:")


def test_key_file_inside_the_lake_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "k").write_text("s" * 40)
    monkeypatch.setenv("OBSERVATOIRE_KEY_FILE", str(tmp_path / "k"))
    with pytest.raises(ConfigurationError, match="outside"):
        load_settings(tmp_path)
    monkeypatch.setenv("OBSERVATOIRE_KEY_FILE", str(REPO_ROOT / "pyproject.toml"))
    with pytest.raises(ConfigurationError, match="outside"):
        load_settings(tmp_path / "elsewhere")


def test_short_key_and_bad_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OBSERVATOIRE_KEY", "short")
    with pytest.raises(ConfigurationError, match="too short"):
        load_settings(tmp_path)
    monkeypatch.delenv("OBSERVATOIRE_KEY")
    monkeypatch.setenv("OBSERVATOIRE_K_MIN", "1")
    with pytest.raises(ConfigurationError):
        load_settings(tmp_path)
    monkeypatch.setenv("OBSERVATOIRE_ENV", "staging")
    with pytest.raises(ConfigurationError):
        load_settings(tmp_path)


def test_readers_run_without_the_key_even_in_prod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    settings = load_settings(tmp_path, require_key=False)
    assert settings.key == b"" and settings.key_source == "not-loaded"
