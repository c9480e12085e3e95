"""The place model in the database: areas, street networks, premises, help venues, mobile sites.

``geo`` computes; this package stores what it computes, runs the model from the stored layers
(``flask --app app geo model``) and shows the results to planners.
"""
