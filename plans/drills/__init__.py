"""Drill simulations: scenarios run through the real services on a simulated clock."""
