"""Shared fixtures: a real database per test, on SQLite and PostgreSQL.

Every database-backed test runs twice: on a SQLite file and on a throwaway PostgreSQL
server (see tests/postgres.py). Tests about one store's own machinery are marked
``sqlite_only`` or ``postgres_only``; AppTests (tests/app) run on SQLite unless marked
``both_stores``, as the pages reach the store through code the unit tests run on both.
``--store sqlite`` leaves PostgreSQL out for a quick loop (``make test-fast``); CI runs both.

A test's database starts empty, or, when it asks for ``engine`` or ``sample_engine``, as a
copy of a migrated or sampled database built once per store per session: a test pays for
a copy, not for the migrations and the sample import.

After each test its database's ``journey`` table must still equal the journeys computed
from its assessments: a write path that forgot ``refresh_journeys`` fails the test that
took it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from tests import postgres
from tracker.cli import main
from tracker.people import auth
from tracker.store.db import make_engine
from tracker.store.journeys import journeys_out_of_step

STORES = ["sqlite", "postgres"]
APP_TESTS = Path(__file__).parent / "app"
# What a test's database starts as, by the fixture the test asks for; the first one wins,
# so a test asking for both gets the sample (which is migrated too).
SEEDS = {"sample_engine": "sampled", "engine": "migrated"}
SEED_COMMANDS = {"sampled": ["init", "--sample"], "migrated": ["init"]}


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--store",
        action="append",
        choices=STORES,
        help="run the database tests on this store only (repeatable; default: every store)",
    )


def pytest_configure(config) -> None:
    if os.environ.get("CI") == "true" and set(chosen_stores(config)) != set(STORES):
        raise pytest.UsageError("CI must test on every store: drop --store")


def store_of(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("database_url") if callspec else None


def chosen_stores(config) -> list[str]:
    return config.getoption("store") or STORES


def stores_for(definition) -> list[str]:
    if definition.get_closest_marker("sqlite_only"):
        return ["sqlite"]
    if definition.get_closest_marker("postgres_only"):
        return ["postgres"]
    if APP_TESTS in definition.path.parents and not definition.get_closest_marker("both_stores"):
        return ["sqlite"]
    return STORES


def pytest_generate_tests(metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", stores_for(metafunc.definition), indirect=True)


def pytest_collection_modifyitems(config, items) -> None:
    """Deselect, rather than skip, the legs on a store left out with --store."""
    chosen = chosen_stores(config)
    left_out = [item for item in items if store_of(item) not in (None, *chosen)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Argon2 at its lowest cost in this process, as the production cost is there to slow
    attackers, not tests. Child processes (the CLI as a program, the browser tests' server)
    keep the production parameters."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


@pytest.fixture(scope="session", autouse=True)
def pages_listed_by_app_py():
    """AppTests run the app as its server does: app.py's navigation is the only list of
    pages (``pages_from_navigation_only``, which app.py's server calls before anyone
    visits). AppTest recomputes Streamlit's ``pages/`` flag before every run, through its
    own name for the class; that name is given a subclass, so the reset lands there and
    Streamlit's own flag stays off."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    from pages.common import pages_from_navigation_only

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_test, "PagesManager", type("PagesManager", (PagesManager,), {}))
        patch.setattr(PagesManager, "uses_pages_directory", None)  # put back afterwards
        pages_from_navigation_only()
        yield


# What every write of an assessment changes: the count, and ids and versions (each write
# bumps the version), beside the journey rows' own ids. Cheap to read before and after.
FINGERPRINT = sa.text(
    "SELECT (SELECT count(*) FROM assessment), (SELECT sum(id + 3 * version) FROM assessment),"
    " (SELECT count(*) FROM journey), (SELECT sum(baseline_id"
    " + 3 * coalesce(first_review_id, 0) + 7 * coalesce(latest_id, 0)) FROM journey)"
)

# The seeded databases (by store and kind) whose journeys have been checked in full once.
SEEDS_CHECKED: set[tuple] = set()


def journeys_fingerprint(url: str) -> tuple | None:
    """The fingerprint, or None when the database has no journey table (yet, or any more)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("journey"):
                return None
            return tuple(connection.execute(FINGERPRINT).one())
    except sa.exc.SQLAlchemyError:
        return None  # a test that left its database unreadable on purpose
    finally:
        engine.dispose()


def journeys_out_of_step_in(url: str):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return journeys_out_of_step(connection)
    finally:
        engine.dispose()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a test that left its database's journeys out of step with its assessments.

    The full check runs when the assessments or journeys changed during the test, and for
    the first test of each seeded database, which so checks the seed itself.
    """
    url = item.funcargs.get("database_url") if hasattr(item, "funcargs") else None
    if url is None:
        return (yield)
    seed_of = (store_of(item), next((SEEDS[n] for n in SEEDS if n in item.fixturenames), None))
    before = journeys_fingerprint(url)
    result = yield
    after = journeys_fingerprint(url)
    if after is None or (after == before and seed_of in SEEDS_CHECKED):
        return result
    SEEDS_CHECKED.add(seed_of)
    out = journeys_out_of_step_in(url)
    if not out.empty:
        raise AssertionError(
            f"{len(out)} journey rows out of step with the assessments: a write of an "
            f"assessment did not call refresh_journeys.\n{out.head(10).to_string()}"
        )
    return result


def seed(kind: str, url: str) -> str:
    """Run ``tracker init`` (with ``--sample`` for the sample) on a new template, under the
    default settings rather than whatever the first test to need it has set; what it printed."""
    output = io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(output),
        contextlib.redirect_stderr(output),
    ):
        for name in [name for name in os.environ if name.startswith("TRACKER_")]:
            patch.delenv(name)
        patch.setenv("DATABASE_URL", url)
        assert main(SEED_COMMANDS[kind]) == 0, output.getvalue()
    return output.getvalue()


class Templates:
    """Seeded databases, each built the first time a test needs it."""

    def __init__(self, build):
        self._build = build
        self.built = {}
        self.printed = {}  # what seeding printed, by kind: the demo password, say

    def __getitem__(self, kind: str):
        if kind not in self.built:
            self.built[kind] = self._build(kind)
        return self.built[kind]


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory, cheap_password_hashing) -> Templates:
    folder = tmp_path_factory.mktemp("templates")

    def build(kind: str) -> Path:
        path = folder / f"{kind}.db"
        templates.printed[kind] = seed(kind, f"sqlite:///{path}")
        return path

    templates = Templates(build)
    return templates


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = postgres.start()
    except Exception as error:
        server, reason = None, f"PostgreSQL could not be started: {error}"
    else:
        reason = (
            "no PostgreSQL here (install Debian's postgresql, or set TRACKER_TEST_POSTGRES_URL)"
        )
    if server is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test on PostgreSQL: {reason}")
        pytest.skip(reason)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_templates(postgres_server, cheap_password_hashing):
    def build(kind: str) -> str:
        url, name = postgres_server.new_database()
        templates.printed[kind] = seed(kind, url)
        postgres_server.freeze(name)
        return name

    templates = Templates(build)
    yield templates
    for name in templates.built.values():
        postgres_server.drop_database(name)


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's backup API reads through a connection, so pages still in the WAL come too."""
    with (
        contextlib.closing(sqlite3.connect(source)) as reader,
        contextlib.closing(sqlite3.connect(target)) as writer,
    ):
        reader.backup(writer)


@pytest.fixture
def database_url(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """This test's own database, also in DATABASE_URL for the CLI and the app."""
    kind = next((SEEDS[name] for name in SEEDS if name in request.fixturenames), None)
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        if kind:
            copy_sqlite(request.getfixturevalue("sqlite_templates")[kind], path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("postgres_templates")[kind] if kind else None
        url, name = server.new_database(template)
        request.addfinalizer(lambda: server.drop_database(name))
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def engine(database_url: str):
    """This test's database, migrated to head."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sample_engine(database_url: str):
    """This test's database as ``tracker init --sample`` leaves it."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_password(request, sample_engine) -> str:
    """The demo accounts' password, as ``tracker init --sample`` printed it for the sample
    this test's database was copied from."""
    store = store_of(request.node)
    printed = request.getfixturevalue(f"{store}_templates").printed["sampled"]
    return re.search(r"shown only this once\): (\S+)", printed).group(1)
