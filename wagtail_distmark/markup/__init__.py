"""The languages an e-mail is written in: merge tags, links and MJML (validation, parsing
and compilation). Knows nothing of campaigns: blocks and campaigns build on it."""
