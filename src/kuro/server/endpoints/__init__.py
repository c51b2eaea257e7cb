"""Endpoints that combine the apps: a tracking write answered with a queue verdict (points
and heartbeats answer which trials the sweep's pruner stops; ending a trial may queue its
work again). They live above both apps, so that tracking never imports the queue."""

from kuro.server.endpoints.trials import router

__all__ = ["router"]
