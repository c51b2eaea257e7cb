"""The work queue and sweeps: queued trials claimed atomically under leases, and automatic
hyper-parameter tuning with Optuna's samplers and pruners (state kept in Kuro's tables)."""
