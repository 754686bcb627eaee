"""Reactors: pure rules from an event to commands on other aggregates; the contexts list
them (functions/contexts/)."""
