"""``AnnotationsPanel``: the tags and the note of an experiment or a trial, shown to
everyone who sees the page and edited by those who may write (``kuro.dashboard.writes``:
signed in, through a CSRF-checked request; or auth off).

All-in-One: one pattern-matching callback serves every panel; ``aio_id`` is
``"<kind>-<id>"``. Each tag is a chip with its remove button; a tag is added with the box
(Enter or the button); the note is saved with its button. Every edit is checked again on
the server (``check_write``) and goes through ``annotations.services``; a refusal or bad
input is said in the panel's status line, never raised.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html, no_update

from kuro.core.errors import KuroError
from kuro.core.limits import NOTE_MAX, TAG_MAX
from kuro.dashboard.components.ids import part_id
from kuro.dashboard.writes import check_write, may_write
from kuro.server.annotations import selectors, services

__all__ = ["AnnotationsPanel", "tag_chips"]

_COMPONENT = "AnnotationsPanel"


def _remove_id(aio_id: Any, tag: Any) -> dict[str, Any]:
    return {"component": _COMPONENT, "subcomponent": "remove", "aio_id": aio_id, "tag": tag}


def tag_chips(tags: list[str], aio_id: str | None = None, *, editable: bool = False) -> Any:
    """Tags as chips (with a remove button each when ``editable``)."""
    if not tags:
        return html.Span("No tags", className="kuro-muted")
    chips = []
    for name in tags:
        parts: list[Any] = [html.Span(name, className="kuro-tag-name")]
        if editable and aio_id is not None:
            parts.append(
                html.Button(
                    "✕",
                    id=_remove_id(aio_id, name),
                    className="kuro-tag-remove",
                    title=f"Remove the tag {name}",
                    n_clicks=0,
                )
            )
        data: dict[str, Any] = {"data-tag": name}  # Dash's data-* wildcard attributes
        chips.append(html.Span(parts, className="kuro-tag", **data))
    return chips


class AnnotationsPanel(html.Div):
    """The tags and note of ``kind`` (``"experiment"`` or ``"trial"``) ``ident``."""

    class ids:
        tags = staticmethod(part_id(_COMPONENT, "tags"))
        tag_input = staticmethod(part_id(_COMPONENT, "tag-input"))
        add = staticmethod(part_id(_COMPONENT, "add"))
        note = staticmethod(part_id(_COMPONENT, "note"))
        save = staticmethod(part_id(_COMPONENT, "save"))
        status = staticmethod(part_id(_COMPONENT, "status"))
        target = staticmethod(part_id(_COMPONENT, "target"))
        remove = staticmethod(_remove_id)

    def __init__(self, kind: str, ident: int, *, title: str) -> None:
        aio_id = f"{kind}-{ident}"
        data = selectors.annotation_detail(kind=kind, ident=ident)
        editable = may_write()
        ids = self.ids
        children: list[Any] = [
            html.H3(title, className="kuro-h3"),
            dcc.Store(id=ids.target(aio_id), data={"kind": kind, "id": ident}),
            html.Div(
                tag_chips(data["tags"], aio_id, editable=editable),
                id=ids.tags(aio_id),
                className="kuro-tags",
            ),
        ]
        if editable:
            children += [
                html.Div(
                    [
                        dcc.Input(
                            id=ids.tag_input(aio_id),
                            type="text",
                            placeholder="Add a tag (e.g. baseline)",
                            maxLength=TAG_MAX,
                            className="kuro-search kuro-tag-input",
                        ),
                        html.Button("Add tag", id=ids.add(aio_id), className="kuro-button"),
                    ],
                    className="kuro-annotation-row",
                ),
                dcc.Textarea(
                    id=ids.note(aio_id),
                    value=data["note"],
                    placeholder="A note: what this run was for, what went wrong…",
                    maxLength=NOTE_MAX,
                    className="kuro-note-input",
                ),
                html.Div(
                    [
                        html.Button("Save note", id=ids.save(aio_id), className="kuro-button"),
                        html.Span(id=ids.status(aio_id), className="kuro-muted", role="status"),
                    ],
                    className="kuro-annotation-row",
                ),
            ]
        else:
            children.append(
                html.Pre(data["note"], id=ids.note(aio_id), className="kuro-note-text")
                if data["note"]
                else html.P("No note", id=ids.note(aio_id), className="kuro-muted")
            )
        attributes: dict[str, Any] = {"data-kind": kind, "data-id": str(ident)}
        super().__init__(children, className="kuro-annotations", **attributes)


@callback(
    Output(AnnotationsPanel.ids.tags(MATCH), "children"),
    Output(AnnotationsPanel.ids.tag_input(MATCH), "value"),
    Output(AnnotationsPanel.ids.status(MATCH), "children"),
    Input(AnnotationsPanel.ids.add(MATCH), "n_clicks"),
    Input(AnnotationsPanel.ids.tag_input(MATCH), "n_submit"),
    Input(AnnotationsPanel.ids.remove(MATCH, ALL), "n_clicks"),
    Input(AnnotationsPanel.ids.save(MATCH), "n_clicks"),
    State(AnnotationsPanel.ids.tag_input(MATCH), "value"),
    State(AnnotationsPanel.ids.note(MATCH), "value"),
    State(AnnotationsPanel.ids.target(MATCH), "data"),
    prevent_initial_call=True,
)
def annotate(
    _add: Any,
    _submit: Any,
    _removes: Any,
    _save: Any,
    tag: str | None,
    note: str | None,
    target: dict[str, Any],
) -> tuple:
    """Add a tag, remove one, or save the note; answers the chips, the cleared box and
    what happened."""
    trigger = ctx.triggered_id
    changes: dict[str, Any] = {}
    if isinstance(trigger, dict) and trigger.get("subcomponent") == "remove":
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update, no_update, no_update  # a chip just drawn, not clicked
        changes["remove"] = [trigger["tag"]]
        done = f"Removed {trigger['tag']}."
    elif isinstance(trigger, dict) and trigger.get("subcomponent") == "save":
        changes["note"] = note or ""
        done = "Note saved." if note else "Note cleared."
    else:
        text = (tag or "").strip()
        if not text:
            return no_update, no_update, "Type a tag first."
        changes["add"] = [text]
        done = f"Added {text}."
    kind, ident = target["kind"], int(target["id"])
    try:
        who = check_write()
        services.annotation_update(kind=kind, ident=ident, **changes)
    except KuroError as error:
        return no_update, no_update, f"Not saved: {error.message}"
    data = selectors.annotation_detail(kind=kind, ident=ident)
    aio_id = f"{kind}-{ident}"
    chips = tag_chips(data["tags"], aio_id, editable=True)
    by = "" if who == "anonymous" else f" (by {who})"
    return chips, "" if "add" in changes else no_update, done + by


def trial_annotations(trial_id: str | None) -> Any:
    """The trial page's section: the trial's tags and note, and its experiment's (None
    for an id that names no trial: the page says so elsewhere)."""
    from kuro.dashboard.components.cards import section
    from kuro.server.tracking.selectors import trial_detail

    try:
        trial = trial_detail(trial_id=int(trial_id or ""))
    except (KuroError, ValueError):
        return None
    editable = may_write()
    return section(
        "Tags and notes",
        html.Div(
            [
                AnnotationsPanel("trial", trial["id"], title=f"Trial {trial['id']}"),
                AnnotationsPanel(
                    "experiment",
                    trial["experiment_id"],
                    title=f"Experiment {trial['identifier']} #{trial['experiment_id']}",
                ),
            ],
            className="kuro-two-columns",
        ),
        subtitle="Tags mark trials and experiments (filter by them on the compare page, "
        "in kuro.Api().trials(group, tag=...) and in exports)."
        + ("" if editable else " Sign in with a full account to edit them."),
        id="trial-annotations",
    )
