"""The "Your jobs" screens: long work started in the background, its progress and results."""
