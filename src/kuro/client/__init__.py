"""The light client library: what training code imports (httpx only, never Django).

The public names are re-exported by ``kuro``; ``set_testing`` is here for test suites.
"""

from kuro.client._api import Api
from kuro.client._experiment import Experiment
from kuro.client._retry import set_testing
from kuro.client._trial import Trial
from kuro.client._worker import Worker

__all__ = ["Api", "Experiment", "Trial", "Worker", "set_testing"]
