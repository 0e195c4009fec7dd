"""Machine access: the dashboard's answers as a JSON API (/api/v1) and an MCP server (/mcp),
served by the app's own process beside the pages (docs/api.md)."""
