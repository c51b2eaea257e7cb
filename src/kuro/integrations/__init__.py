"""Kuro inside the training frameworks researchers use, one module each:

- ``kuro.integrations.lightning``: ``KuroLogger``, a PyTorch Lightning logger
- ``kuro.integrations.transformers``: ``KuroCallback``, a Hugging Face ``TrainerCallback``
- ``kuro.integrations.keras``: ``KuroCallback``, a Keras 3 callback
- ``kuro.integrations.xgboost``: ``KuroCallback``, an XGBoost training callback
- ``kuro.integrations.lightgbm``: ``KuroCallback``, a LightGBM callback
- ``kuro.integrations.sklearn``: ``log_search``, a fitted ``GridSearchCV`` or
  ``RandomizedSearchCV`` as experiments (one per setting) of trials (one per CV fold)
- ``kuro.integrations.optuna``: ``KuroCallback`` for ``study.optimize(...)``

Each takes the same keywords: ``group`` (required), ``identifier``, ``hyper_parameters``
(merged over what the framework gives), ``n_trials``, ``worker``, ``server`` and
``metrics`` (modes for names that imply none), and reports through the ordinary client.

Importing this package imports no framework: a module imports its framework when it is
itself imported, so the base install stays httpx-only.
"""

__all__: list[str] = []
