"""Import and export: offline forms for a family, spreadsheets brought in safely, and data
taken out for boards and analysts. Key workers use it for their own families' forms only."""

import hashlib
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import streamlit as st

from pages.common import (
    audited,
    chosen_family,
    data_changed,
    engine,
    instruments,
    reading,
    require,
    require_page,
    show_table,
    today,
)
from tracker.files.backup import backup
from tracker.files.exporting import canonical_frames, canonical_workbook, canonical_zip
from tracker.files.importing import (
    ReadFiles,
    import_read,
    problem_table,
    read_files,
    summary_lines,
    validation_report_csv,
)
from tracker.files.research import key_problem, research_zip
from tracker.files.tabular import Upload
from tracker.files.template import FormFamily, offline_form
from tracker.instruments.loader import Instrument
from tracker.people.access import allowed
from tracker.records import previous_assessment, suggest_occasion
from tracker.render.plain_text import markdown_literal
from tracker.store.models import Family, family_label
from tracker.store.settings import get_settings
from tracker.store.vocabulary import DEFAULT_RATERS

BIG_IMPORT_ROWS = 3000
# Where this session keeps what its uploads read as, by their content.
READ_KEY = "import-read"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

viewer = require_page(__file__)
# Managers import anything; a practitioner brings back offline forms for their own families.
manages = allowed(viewer, "import_data")
st.title("Import and export")
flash = st.session_state.pop("import-flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")


def family_form(family: Family, instrument: Instrument) -> bytes:
    """The offline form made for this family: its reference and short name, the occasion
    that comes next, and what was scored last time."""
    with reading() as session:
        connection = session.connection()
        occasion = suggest_occasion(connection, family.id, instrument.key)
        last = previous_assessment(
            connection,
            family_id=family.id,
            instrument=instrument.key,
            before=today() + timedelta(days=1),
            raters=DEFAULT_RATERS,
        )
    return offline_form(
        instrument,
        FormFamily(
            family_ref=family.family_ref,
            short_name=family.short_name,
            occasion=occasion,
            last_on=last.assessed_on if last else None,
            last_values=last.values if last else {},
        ),
    )


st.header("Offline form for a family")
st.write(
    "For a visit without a connection: download the family's form, fill it in with them "
    "(a score from each area's list), then upload it below. The form shows the family's "
    "reference and short name at the top, and what was scored last time."
)
available = instruments()
# Made for one family, so only for a family the viewer may see (checked again on a URL's).
family = chosen_family(viewer, "view_family") if allowed(viewer, "view_family") else None
if family is not None:
    by_name = {instrument.name: instrument for instrument in available.values()}
    chosen = by_name[st.selectbox("Instrument", list(by_name), key="form-instrument")]
    name = family_label(family.family_ref, family.short_name)
    st.download_button(
        f"Download the form for {name}",
        audited(
            viewer,
            "export",
            f"offline form {family.family_ref} {chosen.key}",
            lambda: family_form(family, chosen),
            family=family,
        ),
        file_name=f"{family.family_ref}-{chosen.key}-form.xlsx",
        mime=XLSX,
        icon=":material/download:",
        type="primary",
        on_click="ignore",
    )
if manages:
    with st.expander("Blank forms, for a family not yet in the app"):
        # A row that wraps, so each button keeps its whole name on a narrow screen.
        forms = st.container(horizontal=True)
        for key, instrument in available.items():
            forms.download_button(
                f"{instrument.name} form",
                lambda instrument=instrument: offline_form(instrument),
                file_name=f"{key}-form.xlsx",
                mime=XLSX,
                icon=":material/download:",
                key=f"form-{key}",
                on_click="ignore",
            )

st.header("Bring data in" if manages else "Bring a filled-in form back")
if manages:
    st.write(
        "Upload CSV or Excel files: the canonical files from an export, offline forms, or a "
        "spreadsheet with one row per assessment and a column per domain (headed by the "
        "domain's key or label). Nothing is written until you confirm, and then everything "
        "is written together or not at all."
    )
else:
    st.write(
        "Upload offline forms you filled in with your families. Only scores for families on "
        "your caseload can come in here; anything else is refused and nothing is written "
        "until you confirm."
    )


def read_once(files: list[Upload]) -> ReadFiles:
    """The uploads read and checked once for their content: a rerun (a ticked box, a
    download) reuses it. Held in this session only, in memory, so no copy of a file is
    ever left on the server's disk."""
    digest = hashlib.sha256(date.today().isoformat().encode())
    for file in files:
        digest.update(hashlib.sha256(file.name.encode()).digest())
        digest.update(hashlib.sha256(file.data).digest())
    held = st.session_state.get(READ_KEY)
    if held is None or held[0] != digest.hexdigest():
        held = (digest.hexdigest(), read_files(files))
        st.session_state[READ_KEY] = held
    return held[1]


uploads = st.file_uploader(
    "Files to import" if manages else "Filled-in offline forms",
    type=["csv", "xlsx", "zip"],
    accept_multiple_files=True,
)
replace = st.checkbox(
    "Replace stored values that differ",
    help="Without this, a row that would change a stored score or family detail is reported "
    "as a problem and nothing is imported.",
)

if not uploads:
    st.session_state.pop(READ_KEY, None)
else:
    read = read_once([Upload(Path(upload.name).name, upload.getvalue()) for upload in uploads])
    with st.expander("Preview", expanded=False):
        for table in read.tables:
            st.markdown(f"**{markdown_literal(table.name)}**: {table.rows:,} rows")
            show_table(table.first_rows)
    check = import_read(engine(), read, replace=replace, dry_run=True, viewer=viewer)
    problems = problem_table(check)
    if not check.ok:
        st.error(
            f"{check.error_count:,} problem(s) to fix. Nothing will be written until the "
            "files are corrected and uploaded again.",
            icon=":material/error:",
        )
    elif check.warnings:
        st.warning("Some things to check; they do not stop the import.")
    for notice in check.notices:
        st.warning(notice, icon=":material/history:")
    if not problems.empty:
        show_table(problems)
        st.download_button(
            "Download the validation report (CSV)",
            validation_report_csv(check),
            file_name="validation-report.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )
    if check.ok:
        if not check.changed_anything:
            st.info("Every row is already stored: importing again would change nothing.")
        else:
            st.write("This import will add: " + "; ".join(summary_lines(check)) + ".")
            if st.button("Import now", type="primary", icon=":material/upload:"):
                require("offline_form")
                big = sum(table.rows for table in read.tables) > BIG_IMPORT_ROWS
                bar = st.progress(0.0, text="Starting") if big else None

                def show_progress(share: float, stage: str) -> None:
                    if bar is not None:
                        bar.progress(min(share, 1.0), text=stage)

                done = import_read(
                    engine(),
                    read,
                    replace=replace,
                    progress=show_progress,
                    actor=viewer.actor,
                    viewer=viewer,
                )
                if done.ok:
                    data_changed()
                    st.session_state["import-flash"] = (
                        "Imported: " + "; ".join(summary_lines(done)) + "."
                    )
                    st.rerun()
                st.error("The import was refused; nothing was written.")
                show_table(problem_table(done))

if allowed(viewer, "export_data"):
    st.header("Take data out")

    def frames():
        with engine().connect() as connection:
            return canonical_frames(connection)

    left, right = st.columns(2)
    left.download_button(
        "Full export (zip of CSV files)",
        audited(viewer, "export", "full export (zip)", lambda: canonical_zip(frames())),
        file_name="distance-travelled-export.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        on_click="ignore",
    )
    right.download_button(
        "Full export (Excel workbook)",
        audited(viewer, "export", "full export (xlsx)", lambda: canonical_workbook(frames())),
        file_name="distance-travelled-export.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table:",
        on_click="ignore",
    )
    st.caption(
        "Full exports hold every family's details: keep them as safe as the app. They "
        "import back exactly."
    )
    key = get_settings().pseudonym_key
    if not key:
        st.info("The research extract needs a secret key: set TRACKER_PSEUDONYM_KEY on the server.")
    elif problem := key_problem(key):
        st.error(problem)
    else:
        # Made when it is asked for, not on every run of the page.
        st.download_button(
            "Pseudonymised research extract (zip)",
            audited(viewer, "export", "research extract", lambda: research_zip(frames(), key)),
            file_name="research-extract.zip",
            mime="application/zip",
            icon=":material/shield:",
            on_click="ignore",
        )
        st.caption(
            "Only families who consented to sharing; references replaced by keyed hashes; "
            f"notes and names removed. Every family shares all its details with at least "
            f"{get_settings().min_group - 1} others: rare values read 'other', dates become "
            "quarters and months from referral, and families who would still stand out are "
            "left out. The README in the zip says how many."
        )

    st.subheader("Backup")
    sqlite = engine().dialect.name == "sqlite"
    if sqlite or shutil.which("pg_dump"):

        def make_backup() -> bytes:
            # Errors surface as Streamlit's own download error; the CLI reports them in full.
            with tempfile.TemporaryDirectory() as temp:
                target = Path(temp) / "tracker-backup"
                backup(engine(), target)
                return target.read_bytes()

        st.download_button(
            "Download a backup of the database",
            audited(viewer, "backup", "database backup", make_backup),
            file_name="tracker-backup.db" if sqlite else "tracker-backup.dump",
            mime="application/octet-stream",
            icon=":material/backup:",
            on_click="ignore",
        )
        st.caption("Restore it with `tracker restore FILE` into an empty database.")
    else:
        st.write(
            "Install the PostgreSQL client tools (pg_dump) to download backups here, or "
            "run `tracker backup --out FILE` on the server."
        )
