"""The people in the store: consent ledger, access log, subject access (private; the Hub
is the API)."""
