"""可用不可见: departments count people without seeing records (docs/stats.md)."""
