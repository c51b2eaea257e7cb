"""The tracking app: models, services (writes), selectors (reads), the JSON API and the admin."""
