"""The product catalogue: products, their availability and price per unit, the CSV imports
and HQ's catalogue screens."""
