"""Phones and countries: what a payer types, the country and operator it belongs to, and the
rails that collect from that operator, in order of preference (functions/phones/routing.py).
"""
