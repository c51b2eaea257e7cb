"""Writes of the telemetry app: a trial's output, kept within its allowance, and its system
samples. A resent request (its answer lost) changes nothing."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from kuro.server.telemetry.limits import output_max_chars
from kuro.server.telemetry.models import OutputChunk, OutputLog, SystemSample
from kuro.server.tracking.selectors import trial_check_exists

__all__ = ["output_append", "system_samples_record"]

_TRIM_BATCH = 50  # tail chunks looked at per query while cutting the oldest away


def _locked_log(trial_id: int) -> OutputLog:
    """The trial's output log, made on first use, locked until the transaction ends."""
    if not OutputLog.objects.filter(trial_id=trial_id).exists():
        try:
            with transaction.atomic():
                OutputLog.objects.create(trial_id=trial_id)
        except IntegrityError:  # another request made it meanwhile
            pass
    return OutputLog.objects.select_for_update().get(trial_id=trial_id)


def output_append(
    *, trial_id: int, session: str, offset: int, text: str, time: float | None = None
) -> OutputLog:
    """Add ``text``, which starts ``offset`` characters into the output of capture
    ``session``, to trial ``trial_id``'s output. What was received already is skipped. The
    first half of the trial's allowance (``output_max_chars``) is kept for good; past it,
    the latest half is kept and older characters are cut (counted in ``cut_chars``, as are
    characters skipped between what was received and ``offset``)."""
    trial_check_exists(trial_id)
    limit = output_max_chars()
    head_max = limit // 2
    tail_max = limit - head_max
    with transaction.atomic():
        log = _locked_log(trial_id)
        received = int(log.received.get(session, 0))
        if offset + len(text) <= received:
            return log  # a resend
        if offset < received:
            text = text[received - offset :]
            offset = received
        elif offset > received:  # never sent (kuro agent holds back all but the tail)
            log.cut_chars += offset - received
        log.received = {**log.received, session: offset + len(text)}
        room = head_max - log.head_chars
        if room > 0 and text:
            head, text = text[:room], text[room:]
            OutputChunk.objects.create(trial_id=trial_id, head=True, text=head, time=time)
            log.head_chars += len(head)
        if text:
            if len(text) > tail_max:
                log.cut_chars += len(text) - tail_max
                text = text[-tail_max:]
            OutputChunk.objects.create(trial_id=trial_id, head=False, text=text, time=time)
            log.tail_chars += len(text)
            _trim_tail(log, tail_max)
        log.save()
    return log


def _trim_tail(log: OutputLog, tail_max: int) -> None:
    """Cut the oldest tail characters until the tail fits in ``tail_max``."""
    excess = log.tail_chars - tail_max
    while excess > 0:
        chunks = list(
            OutputChunk.objects.filter(trial_id=log.trial_id, head=False).order_by("id")[
                :_TRIM_BATCH
            ]
        )
        if not chunks:
            break
        gone = []
        for chunk in chunks:
            if excess <= 0:
                break
            size = len(chunk.text)
            if size <= excess:
                gone.append(chunk.pk)
                cut = size
            else:
                chunk.text = chunk.text[excess:]
                chunk.save(update_fields=["text"])
                cut = excess
            excess -= cut
            log.tail_chars -= cut
            log.cut_chars += cut
        OutputChunk.objects.filter(pk__in=gone).delete()


def system_samples_record(*, trial_id: int, samples: list[dict[str, Any]]) -> int:
    """Store system samples (``{"time": seconds, "values": {name: number}}``) of trial
    ``trial_id``; a sample at a time already stored is not stored again. Answers how many
    samples were new."""
    trial_check_exists(trial_id)
    rows = [SystemSample(trial_id=trial_id, time=s["time"], values=s["values"]) for s in samples]
    times = {s["time"] for s in samples}
    before = SystemSample.objects.filter(trial_id=trial_id, time__in=times).count()
    SystemSample.objects.bulk_create(rows, ignore_conflicts=True)
    return len(times) - before
