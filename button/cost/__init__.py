"""What model calls cost: the ledger, prices, budget caps and the cost table."""
