"""Payment screens: the queue of payments waiting to be matched, and the M-Pesa settings."""
