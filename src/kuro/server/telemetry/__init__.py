"""What a trial's process did beside its metrics: its console output (size-capped, head and
tail kept) and its system samples (CPU, memory, GPUs over time).

Stored apart from the tracking app's metric points, so that no comparison, sweep, group
table or export of metrics ever sees them. Writes in ``services``, reads in ``selectors``.
"""
