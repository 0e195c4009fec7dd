"""Machine access: the dashboard's answers as a JSON API (/api/v1: `answers`, `http`, `openapi`)
and an MCP server (/mcp), served by the app's own process beside the pages (docs/api.md); the
access layer around both (`access`: bearer tokens, rate limits, CORS) and the token commands
(`commands`). The tokens themselves are kept by georisk.store.tokens."""
