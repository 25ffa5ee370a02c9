"""Pure Python core of production: BOM explosion, where-used, cost roll-up, value split. No Django imports."""
