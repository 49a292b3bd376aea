"""E-mail rendering: merge tags, MJML compilation, the plain-text alternative."""
