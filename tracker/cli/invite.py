"""``tracker invite``: make a self-rating link for a family, or cancel one.

The link is printed once and never stored (only its hash is), so send it to the family
straight away; run the command again for a new one. The operator acts as a manager, as
for every command run on the server, and the audit trail names them.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC

from tracker.cli.common import EXIT_OK, EXIT_USAGE, operator
from tracker.store.errors import RecordInvalid
from tracker.store.settings import MAX_EXPIRES_DAYS


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "invite", help="make a link for a family to rate on their own phone, or cancel one"
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--family", metavar="REF", help="the family's reference")
    which.add_argument("--revoke", type=int, metavar="ID", help="cancel the link with this number")
    parser.add_argument("--instrument", metavar="KEY", help="what the family rates")
    parser.add_argument(
        "--expires-days",
        type=int,
        metavar="N",
        help=f"days the link lasts, 1 to {MAX_EXPIRES_DAYS} (default: TRACKER_INVITE_DAYS)",
    )
    parser.add_argument(
        "--greeting",
        metavar="TEXT",
        help="what the family reads first (default: Hello and the family's short name)",
    )
    parser.set_defaults(handler=command_invite)


def _refused(field: str, message: str) -> int:
    print(f"tracker: {field}: {message}", file=sys.stderr)
    return EXIT_USAGE


def command_invite(args: argparse.Namespace) -> int:
    from tracker.instruments.loader import get_instrument
    from tracker.people.access import MANAGER, Viewer
    from tracker.records.families import family_by_ref
    from tracker.records.invitations import (
        LONDON,
        create_invitation,
        default_greeting,
        invitation_url,
        revoke_invitation,
    )
    from tracker.store.db import make_engine, write_session
    from tracker.store.models import Invitation
    from tracker.store.settings import get_settings

    viewer = Viewer(name=operator(), role=MANAGER, username=operator())
    try:
        with write_session(make_engine()) as session:
            if args.revoke is not None:
                revoke_invitation(session, viewer, args.revoke)
                print(f"Cancelled link {args.revoke}: it can no longer be used.")
                return EXIT_OK
            if not args.instrument:
                return _refused("--instrument", "say what the family rates (an instrument key).")
            family = family_by_ref(session.connection(), args.family)
            if family is None:
                return _refused("--family", f"no family has the reference {args.family!r}.")
            instrument = get_instrument(args.instrument)
            invitation_id, token = create_invitation(
                session,
                viewer,
                family,
                instrument.key,
                greeting=default_greeting(family) if args.greeting is None else args.greeting,
                expires_days=args.expires_days,
            )
            expires_at = session.get(Invitation, invitation_id).expires_at
            expires_at = expires_at.replace(tzinfo=expires_at.tzinfo or UTC)
    except RecordInvalid as invalid:
        for field_name, message in invalid.problems.items():
            _refused(field_name.replace("_", "-"), message)
        return EXIT_USAGE
    days = args.expires_days or get_settings().invite_days
    print(invitation_url(token))
    print(
        f"Link {invitation_id} for family {family.family_ref} to rate {instrument.name}: "
        f"it works once, until {expires_at.astimezone(LONDON):%d %b %Y} ({days} days)."
    )
    print("It is shown only this once: only a hash of it is kept. Cancel it with")
    print(f"  tracker invite --revoke {invitation_id}")
    return EXIT_OK
