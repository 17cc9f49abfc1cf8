"""Administration: accounts and roles, and the instruments in use. Admins see no scores."""

import pandas as pd
import streamlit as st

from pages.common import instruments, reading, require_page, save, show_table
from tracker.people.accounts import create_user, reset_password, set_active, set_role, users_frame
from tracker.records.families import key_workers
from tracker.store.models import ROLES

viewer = require_page(__file__)
st.title("Administration")
users_tab, instruments_tab = st.tabs(["Accounts", "Instruments"])

with users_tab:
    with reading() as session:
        accounts = users_frame(session)
        workers = key_workers(session.connection())
    show_table(accounts.drop(columns=["locked_until"]))
    with st.form("add-user", clear_on_submit=True):
        st.markdown("**Add an account**")
        columns = st.columns(2)
        username = columns[0].text_input("Username")
        display_name = columns[1].text_input("Name shown in the app")
        role = columns[0].selectbox("Role", ROLES)
        worker = columns[1].selectbox(
            "Key worker record (practitioners)",
            [None, *workers["name"]],
            format_func=lambda v: v or "-",
        )
        email = columns[0].text_input("E-mail (for organisation sign-in)")
        password = columns[1].text_input("Password (at least 12 characters)", type="password")
        if st.form_submit_button("Add account", type="primary"):
            save(
                lambda session: create_user(
                    session,
                    username=username,
                    display_name=display_name,
                    role=role,
                    key_worker=worker,
                    email=email or None,
                    password=password,
                    actor=viewer.actor,
                ),
                done=f"Added {username}.",
            )
    if not accounts.empty:
        with st.form("change-user"):
            st.markdown("**Change an account**")
            columns = st.columns(3)
            chosen = columns[0].selectbox("Account", accounts["username"])
            new_role = columns[1].selectbox(
                "Role", [None, *ROLES], format_func=lambda v: v or "unchanged"
            )
            new_worker = columns[2].selectbox(
                "Key worker record (practitioners)",
                [None, *workers["name"]],
                format_func=lambda v: v or "unchanged",
                help="A practitioner sees the families of this key worker, and no others.",
            )
            active = columns[0].radio("Can sign in", ["unchanged", "yes", "no"], horizontal=True)
            new_password = st.text_input("New password (leave empty to keep)", type="password")
            if st.form_submit_button("Save changes"):
                current_role = accounts.set_index("username").at[chosen, "role"]

                def change_account(session) -> None:
                    if new_role or new_worker:
                        set_role(
                            session,
                            username=chosen,
                            role=new_role or current_role,
                            key_worker=new_worker,
                            actor=viewer.actor,
                        )
                    if active != "unchanged":
                        set_active(
                            session, username=chosen, active=active == "yes", actor=viewer.actor
                        )
                    if new_password:
                        reset_password(
                            session, username=chosen, password=new_password, actor=viewer.actor
                        )

                save(
                    change_account,
                    done=f"Saved the changes to {chosen}.",
                    labels={
                        "role": "Role",
                        "key_worker": "Key worker record",
                        "active": "Can sign in",
                        "password": "New password",
                    },
                )

with instruments_tab:
    rows = [
        {
            "Key": spec.key,
            "Name": spec.name,
            "Version": spec.version,
            "Scale": f"{spec.scale_min:g}-{spec.scale_max:g}",
            "Better when": "higher" if spec.higher_is_better else "lower",
            "Domains": len(spec.domains),
            "Reliability": (
                f"{spec.reliability.value:g} ({spec.reliability.kind}; {spec.reliability.source})"
                if spec.reliability
                else "estimated from the service's baselines"
            ),
        }
        for spec in instruments().values()
    ]
    show_table(pd.DataFrame(rows))
    st.caption(
        "Instruments are files in tracker/instruments/; add one there and it appears "
        "here with no code change."
    )
