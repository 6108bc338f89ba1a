"""Challenges: competitions among customers (most visits in a month, most points in a
season), their leaderboard, the rewards to the top places and the public board of those who
agreed to be shown."""
