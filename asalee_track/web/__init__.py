"""The web layer: routes, templates, sessions. Nothing else imports it."""
