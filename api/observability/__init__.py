"""What regapi tells its operators: the one logging setup (api.observability.logging)."""
