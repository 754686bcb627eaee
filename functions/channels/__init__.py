"""Paid channels' application logic: buying a plan, and letting buyers in and out."""
