"""Analytics: database-side queries for the formulas in `wateja.core.metrics`, nightly
rollups per business per day, RFM segments, cohorts and the dashboard's data."""
