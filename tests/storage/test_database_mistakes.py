"""The usual database mistakes get a message that says what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.database import open_database
from storage.engine import make_engine
from storage.errors import StorageError
from tests.conftest import run_cli


@pytest.mark.parametrize(("given", "suggested"), [("provnews.db", "sqlite:///provnews.db"),
                                                  ("/srv/data/provnews.db", "sqlite:////srv/data/provnews.db")])
def test_a_plain_path_gets_the_sqlite_url_it_meant(given: str, suggested: str):
    with pytest.raises(StorageError, match=f"write {suggested}$"):
        make_engine(given)


def test_a_postgres_url_without_its_driver_names_the_extra():
    with pytest.raises(StorageError, match=r"pip install 'provnews\[postgres\]'") as caught:
        make_engine("postgresql+nosuchdriver://user:secret@db.example/provnews")
    assert "secret" not in str(caught.value)


def test_reading_a_missing_sqlite_file_does_not_create_it(tmp_path: Path):
    missing = tmp_path / "typo.db"
    with pytest.raises(StorageError, match="no database at"):
        open_database(f"sqlite:///{missing}", create=False)
    result = run_cli("search", "lang son", "--db", f"sqlite:///{missing}")
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1 and "no database at" in result.stderr
    assert not missing.exists()
