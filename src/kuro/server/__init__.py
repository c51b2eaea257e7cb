"""The Kuro tracking server: a Django project (``kuro[server]``)."""
