"""The rules the client, the server and the dashboard share, in one home, free of Django.

- ``errors``: the one error tree, each class with its code and HTTP status.
- ``values``: metric values on the wire (the one NaN/Infinity dialect).
- ``modes``: metric modes, the mode a name implies, the best value by mode.
- ``statuses``: trial statuses and their transitions.
- ``limits``: names, identifiers, steps, grids, and the server's request limits.
- ``canonical``: the canonical form (and key) of a hyper-parameter setting.
- ``downsample``: min-max decimation of a long series; it needs numpy, so only the
  server and the dashboard import it.
- ``export``: a group's export as flat rows (CSV, pandas).
- ``labels``: how a setting is named beside others (the dashboard's charts and grids,
  ``kuro compare``'s table).
- ``statistics``: statistics of repeated trials (intervals, Welch's test, probability of
  improvement, trials needed); it needs numpy and scipy, so only the server imports it.

Nothing here imports Django, Dash or httpx; a test enforces it.
"""
