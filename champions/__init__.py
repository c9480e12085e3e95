"""Champions domain: champions, venues, support logs, training sessions and bookings."""
