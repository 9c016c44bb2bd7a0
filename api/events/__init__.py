"""Registration events to partners (DESIGN.md section 9): built by the use cases after Cognito acted,
signed with the Standard Webhooks scheme, delivered at least once from a queue (memory, or Redis)."""
