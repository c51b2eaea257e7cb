"""``kuro tag add|remove|list`` and ``kuro note``: the tags and the note of a trial or an
experiment, read and written on the server.

    kuro tag add --trial 12 baseline best
    kuro tag remove --experiment 3 baseline
    kuro tag list --trial 12            (one tag a line)
    kuro tag list --group guesser       (every tagged experiment and trial of a group)
    kuro note --trial 12 "lr warm-up was off"
    kuro note --trial 12 -              (the note from stdin)
    kuro note --trial 12 --clear
    kuro note --trial 12                (prints the note)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kuro.core.errors import InvalidInput

__all__ = ["register"]


def _target(parser: argparse.ArgumentParser, *, group: bool = False) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--trial", type=int, metavar="ID", help="a trial's id")
    which.add_argument("--experiment", type=int, metavar="ID", help="an experiment's id")
    if group:
        which.add_argument("--group", help="every tagged experiment and trial of a group")
    parser.add_argument("--server", help="server URL (default: KURO_SERVER)")


def register(commands: Any) -> None:
    tag = commands.add_parser("tag", help="add, remove or list tags of trials and experiments")
    actions = tag.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add tags (those already there are kept)")
    _target(add)
    add.add_argument("tags", nargs="+", metavar="TAG")
    add.set_defaults(run=_change, adding=True)
    remove = actions.add_parser("remove", help="remove tags (those not there are ignored)")
    _target(remove)
    remove.add_argument("tags", nargs="+", metavar="TAG")
    remove.set_defaults(run=_change, adding=False)
    listing = actions.add_parser("list", help="the tags of a trial, an experiment or a group")
    _target(listing, group=True)
    listing.set_defaults(run=_list)

    note = commands.add_parser("note", help="show or set the note of a trial or an experiment")
    _target(note)
    note.add_argument("text", nargs="?", help="the new note; - reads it from stdin")
    note.add_argument("--clear", action="store_true", help="remove the note")
    note.set_defaults(run=_note)


def _ids(args: argparse.Namespace) -> dict[str, Any]:
    return {"trial_id": args.trial, "experiment_id": args.experiment}


def _change(args: argparse.Namespace) -> int:
    from kuro import Api

    with Api(args.server) as api:
        if args.adding:
            answer = api.annotate(**_ids(args), add=args.tags)
        else:
            answer = api.annotate(**_ids(args), remove=args.tags)
    print(" ".join(answer["tags"]))
    return 0


def _list(args: argparse.Namespace) -> int:
    from kuro import Api

    with Api(args.server) as api:
        if args.group is None:
            for name in api.annotations(**_ids(args))["tags"]:
                print(name)
            return 0
        for e in api.experiments(args.group):
            if e["tags"]:
                print(f"experiment {e['id']}\t{e['identifier']}\t{' '.join(e['tags'])}")
            for t in e["trials"]:
                if t["tags"]:
                    print(f"trial {t['id']}\t{e['identifier']}\t{' '.join(t['tags'])}")
    return 0


def _note(args: argparse.Namespace) -> int:
    from kuro import Api

    if args.clear and args.text is not None:
        raise InvalidInput("give a note or --clear, not both", field="text")
    text = sys.stdin.read() if args.text == "-" else args.text
    with Api(args.server) as api:
        if args.clear:
            api.annotate(**_ids(args), note="")
        elif text is not None:
            api.annotate(**_ids(args), note=text)
        else:
            note = api.annotations(**_ids(args))["note"]
            if note:
                print(note)
    return 0
