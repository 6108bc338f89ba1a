"""Reports: the analytics dashboard, its downloads and the monthly PDF."""
