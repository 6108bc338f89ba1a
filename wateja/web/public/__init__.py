"""The customers' own pages, no login: enrolment, the card page, unsubscribe, feedback."""
