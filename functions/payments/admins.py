"""Who may settle or give back money: the deployment's admins, checked by every service that
does it (the Telegram adapters check first, to answer in their own words)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.domain.decider import DomainError

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime


class NotAdmin(DomainError):
    code = "not_admin"

    def __init__(self, user_id: int) -> None:
        super().__init__("only an admin can do that")
        self.user_id = user_id


def require_admin(rt: Runtime, user_id: int) -> None:
    """NotAdmin unless `user_id` is one of this deployment's admins."""
    if not rt.settings.is_admin(user_id):
        raise NotAdmin(user_id)
