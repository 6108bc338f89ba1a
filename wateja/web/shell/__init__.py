"""What every staff page shares: home, login and logout, the business switcher, base.html."""
