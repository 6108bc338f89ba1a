"""The catalogue screens: products and categories, added by hand or from a spreadsheet."""
