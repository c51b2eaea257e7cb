"""Tags and free-text notes on experiments and trials (builds on tracking)."""
