"""Watch rules and alerts: rules that say what an analyst wants to hear about (an incident near a
site, a band or a threat rating that rises), the alerts they raise on each import and refresh,
and their delivery (an Atom feed, signed webhooks, email digests). docs/alerts.md."""
