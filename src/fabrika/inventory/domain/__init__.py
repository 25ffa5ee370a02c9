"""Pure Python core of the stock ledger: FIFO layers, moving average, replay. No Django imports."""
