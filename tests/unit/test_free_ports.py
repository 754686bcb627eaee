"""The local stack's ports: every server of one stack gets its own."""

from __future__ import annotations

import socket

import pytest

from infra.local.emulator_tools import LOOPBACK, free_ports

pytestmark = pytest.mark.unit


def test_ports_chosen_together_are_distinct_free_and_avoid_the_given_ones() -> None:
    avoided = set(free_ports(5))
    found = free_ports(40, avoid=avoided)
    assert len(found) == len(set(found)) == 40
    assert not set(found) & avoided
    for port in found[:5]:  # released again: a server can bind each
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, port))


def test_no_ports_asked_none_given() -> None:
    assert free_ports(0) == []
