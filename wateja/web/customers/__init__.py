"""Customer screens: the customer base, the customer page and its wallet, spreadsheets, PDFs."""
