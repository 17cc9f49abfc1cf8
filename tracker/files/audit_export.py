"""The audit trail as a CSV download, through the formula guard like every file we write.

The trail holds text typed by people who were not signed in (a failed sign-in's username,
say); opened in a spreadsheet it must stay text, never a live formula or link.
"""

from __future__ import annotations

import pandas as pd

from tracker.files.formula_guard import spreadsheet_csv


def audit_csv(frame: pd.DataFrame) -> bytes:
    """The trail for a spreadsheet, times in UTC as ISO text."""
    return spreadsheet_csv(frame.assign(at=frame["at"].map(lambda moment: moment.isoformat())))
