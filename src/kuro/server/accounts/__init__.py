"""Who may do what: API tokens (read-only or full), people with logins, and the rule that
decides whether the server runs open or with auth on."""
