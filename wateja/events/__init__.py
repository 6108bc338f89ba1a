"""Events and workshops: a business's gatherings (tastings, launches, classes), who is
invited, who said yes, the waiting list, the check-in at the door and the attendance reward."""
