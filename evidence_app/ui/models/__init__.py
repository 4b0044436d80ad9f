"""Qt item models over the services: the incident list, evidence, participants, reviews, cases."""
