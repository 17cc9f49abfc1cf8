"""``tracker users``: add, list, disable, enable, change the role of and reset accounts.

An administrator can manage accounts from the server's shell, without a browser,
for example to create the first admin; every change names the operator in the
audit trail. Passwords are prompted for (twice) or read from standard input,
never taken as arguments, so they stay out of the shell's history.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from tracker.cli.common import EXIT_INVALID, EXIT_OK, operator
from tracker.store.errors import RecordInvalid
from tracker.store.vocabulary import ROLES


def register(subcommands: argparse._SubParsersAction) -> None:
    users = subcommands.add_parser("users", help="manage sign-in accounts")
    users.set_defaults(handler=command_users)
    actions = users.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add an account (prompts for the password)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--display-name", default="")
    add.add_argument("--key-worker", help="the key worker record a practitioner works as")
    add.add_argument("--email", help="for sign-in through the organisation (OIDC)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    actions.add_parser("list", help="list the accounts")
    for name, text in (
        ("disable", "stop an account signing in"),
        ("enable", "let a disabled account sign in again"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("username")
    role = actions.add_parser(
        "role", help="change an account's role, or the key worker a practitioner works as"
    )
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=list(ROLES))
    role.add_argument(
        "--key-worker", help="the key worker record (required to make someone a practitioner)"
    )
    reset = actions.add_parser("reset-password", help="set a new password")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")


def command_users(args: argparse.Namespace) -> int:
    from tracker.people.accounts import (
        create_user,
        reset_password,
        set_active,
        set_role,
        users_frame,
    )
    from tracker.store.db import make_engine, read_session, write_session

    engine = make_engine()
    try:
        if args.user_command == "list":
            with read_session(engine) as session:
                frame = users_frame(session)
            print(frame.to_string(index=False) if not frame.empty else "No accounts yet.")
            return EXIT_OK
        with write_session(engine) as session:
            if args.user_command == "add":
                password = _read_password(args.password_stdin)
                create_user(
                    session,
                    username=args.username,
                    role=args.role,
                    display_name=args.display_name or args.username,
                    password=password,
                    key_worker=args.key_worker,
                    email=args.email,
                    actor=operator(),
                )
                print(f"Added {args.username} ({args.role}).")
            elif args.user_command in ("disable", "enable"):
                set_active(
                    session,
                    username=args.username,
                    active=args.user_command == "enable",
                    actor=operator(),
                )
                print(f"{args.username} is now {args.user_command}d.")
            elif args.user_command == "role":
                set_role(
                    session,
                    username=args.username,
                    role=args.role,
                    key_worker=args.key_worker,
                    actor=operator(),
                )
                print(f"{args.username} is now {args.role}.")
            else:
                reset_password(
                    session,
                    username=args.username,
                    password=_read_password(args.password_stdin),
                    actor=operator(),
                )
                print(f"New password set for {args.username}.")
    except RecordInvalid as invalid:
        for field_name, message in invalid.problems.items():
            print(f"tracker: {field_name}: {message}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        raise RecordInvalid({"password": "The two passwords do not match."})
    return first
