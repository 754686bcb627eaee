"""Channels and groups the bot administers: members, invite links, join requests, bans.

Modelled on the Bot API's documented behaviour (../shared/reference/telegram.md, "Paid
channels"): `member_limit` counts members who joined through the link and are still in,
not uses; a revoked link, or one past its `expire_date`, admits nobody; `member_limit` and
`creates_join_request` exclude each other; a join request is answered once (then
HIDE_REQUESTER_MISSING); approving a member already in is USER_ALREADY_PARTICIPANT;
unbanChatMember without only_if_banned removes a member; banning needs
can_restrict_members and a user Telegram knows ("user not found" otherwise). Every change
of membership queues a `chat_member` update (sent only if the webhook asked for it), naming
the link a member joined through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import objects
from .wire import ApiRequest, JsonDict, bad_request

if TYPE_CHECKING:
    from .state import TelegramState

MAX_LINK_NAME = 32


@dataclass
class Link:
    url: str
    creator: JsonDict
    name: str | None = None
    member_limit: int | None = None
    creates_join_request: bool = False
    revoked: bool = False
    expire_date: int | None = None  # unix time it stops admitting anyone
    members: set[int] = field(default_factory=set)  # joined through it and still in

    def dead(self, now: int) -> bool:
        return self.revoked or (self.expire_date is not None and now >= self.expire_date)

    def to_json(self) -> JsonDict:
        out: JsonDict = {"invite_link": self.url, "creator": self.creator,
                         "creates_join_request": self.creates_join_request,
                         "is_primary": False, "is_revoked": self.revoked}  # fmt: skip
        if self.name is not None:
            out["name"] = self.name
        if self.member_limit is not None:
            out["member_limit"] = self.member_limit
        if self.expire_date is not None:
            out["expire_date"] = self.expire_date
        return out


@dataclass
class Group:
    chat_id: int
    title: str
    type: str
    owner: JsonDict
    bot_rights: dict[str, bool] | None = None  # None: the bot is no admin
    members: dict[int, JsonDict] = field(default_factory=dict)
    banned: set[int] = field(default_factory=set)
    links: dict[str, Link] = field(default_factory=dict)
    requests: dict[int, str] = field(default_factory=dict)  # user -> the link asked through

    def chat(self) -> JsonDict:
        return {"id": self.chat_id, "title": self.title, "type": self.type}

    def status_of(self, user_id: int) -> str:
        if user_id == self.owner["id"]:
            return "creator"
        if user_id in self.banned:
            return "kicked"
        return "member" if user_id in self.members else "left"


def admin_member(bot: JsonDict, rights: dict[str, bool]) -> JsonDict:
    """ChatMemberAdministrator, every field PTB needs."""
    names = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
             "can_manage_video_chats", "can_restrict_members", "can_promote_members",
             "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
             "can_delete_stories")  # fmt: skip
    member: JsonDict = {"status": "administrator", "user": bot}
    member.update({name: rights.get(name, False) for name in names})
    return member


def member_object(user: JsonDict, status: str) -> JsonDict:
    member: JsonDict = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    return member


class Chats:
    """The fake's groups and channels, with the updates their changes queue."""

    def __init__(self) -> None:
        self.groups: dict[int, Group] = {}
        self.queued: list[JsonDict] = []  # updates to send: chat_member, my_chat_member, ...

    def group(self, chat_id: Any) -> Group:
        try:
            return self.groups[int(chat_id)]
        except (KeyError, TypeError, ValueError):
            raise bad_request("chat not found") from None

    def rights(self, chat_id: Any, right: str) -> Group:
        group = self.group(chat_id)
        if group.bot_rights is None or not group.bot_rights.get(right, False):
            raise bad_request("not enough rights")
        return group

    def member_changed(
        self, group: Group, actor: JsonDict, user: JsonDict, old: str, new: str,
        link: Link | None = None, via_request: bool = False,
    ) -> None:  # fmt: skip
        update: JsonDict = {
            "chat": group.chat(), "from": actor, "date": 0,
            "old_chat_member": member_object(user, old),
            "new_chat_member": member_object(user, new),
        }  # fmt: skip
        if link is not None:
            update["invite_link"] = link.to_json()
        if via_request:
            update["via_join_request"] = True
        self.queued.append({"chat_member": update})

    def join(self, group: Group, user: JsonDict, link: Link | None, actor: JsonDict,
             via_request: bool = False) -> None:  # fmt: skip
        old = group.status_of(user["id"])
        group.members[user["id"]] = user
        if link is not None:
            link.members.add(user["id"])
        self.member_changed(group, actor, user, old, "member", link, via_request)

    def leave(self, group: Group, user_id: int, actor: JsonDict, banned: bool) -> None:
        user = group.members.pop(user_id, None) or objects.human_user(user_id, "Test", "en", None)
        old = "member" if user_id not in group.banned else "kicked"
        for link in group.links.values():
            link.members.discard(user_id)  # a limit counts those still in
        if banned:
            group.banned.add(user_id)
        self.member_changed(group, actor, user, old, "kicked" if banned else "left")


# -- the Bot API methods ---------------------------------------------------------------------


def _user_id(params: JsonDict) -> int:
    value = params.get("user_id")
    if isinstance(value, bool):
        raise bad_request("invalid user_id specified")
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad_request("invalid user_id specified") from None


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def create_chat_invite_link(state: TelegramState, request: ApiRequest) -> JsonDict:
    params = request.params
    group = state.chats.rights(params.get("chat_id"), "can_invite_users")
    joins = _flag(params.get("creates_join_request"))
    limit = params.get("member_limit")
    if limit is not None:
        if joins:
            raise bad_request("member_limit can't be combined with creates_join_request")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 99_999:
            raise bad_request("member_limit must be between 1 and 99999")
    name = params.get("name")
    if name is not None and len(str(name)) > MAX_LINK_NAME:
        raise bad_request("invite link name is too long")
    expires = params.get("expire_date")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int)):
        raise bad_request("expire_date must be a unix time")
    url = f"https://t.me/+{objects.invite_code(state.unique('invite'))}"
    link = Link(url, state.bot(), None if name is None else str(name), limit, joins,
                expire_date=expires)  # fmt: skip
    group.links[url] = link
    return link.to_json()


def revoke_chat_invite_link(state: TelegramState, request: ApiRequest) -> JsonDict:
    params = request.params
    group = state.chats.rights(params.get("chat_id"), "can_invite_users")
    link = group.links.get(str(params.get("invite_link") or ""))
    if link is None:
        raise bad_request("INVITE_HASH_EXPIRED")
    link.revoked = True
    return link.to_json()


def approve_chat_join_request(state: TelegramState, request: ApiRequest) -> bool:
    group, user_id = _request_of(state, request)
    url = group.requests.pop(user_id)
    user = state.users.get(user_id) or objects.human_user(user_id, "Test", "en", None)
    state.chats.join(group, user, group.links.get(url), state.bot(), via_request=True)
    return True


def decline_chat_join_request(state: TelegramState, request: ApiRequest) -> bool:
    group, user_id = _request_of(state, request)
    del group.requests[user_id]
    return True


def _request_of(state: TelegramState, request: ApiRequest) -> tuple[Group, int]:
    group = state.chats.rights(request.params.get("chat_id"), "can_invite_users")
    user_id = _user_id(request.params)
    if user_id in group.members:
        raise bad_request("USER_ALREADY_PARTICIPANT")
    if user_id not in group.requests:
        raise bad_request("HIDE_REQUESTER_MISSING")
    return group, user_id


def ban_chat_member(state: TelegramState, request: ApiRequest) -> bool:
    group = state.chats.rights(request.params.get("chat_id"), "can_restrict_members")
    user_id = _user_id(request.params)
    if user_id == group.owner["id"]:
        raise bad_request("can't remove chat owner")
    if user_id not in state.users and user_id not in group.members:
        raise bad_request("user not found")
    if user_id not in group.banned:
        state.chats.leave(group, user_id, state.bot(), banned=True)
    return True


def unban_chat_member(state: TelegramState, request: ApiRequest) -> bool:
    params = request.params
    group = state.chats.rights(params.get("chat_id"), "can_restrict_members")
    user_id = _user_id(params)
    if user_id in group.banned:
        group.banned.discard(user_id)
    elif user_id in group.members and not _flag(params.get("only_if_banned")):
        # Documented: without only_if_banned the user is removed, so they are "not a member".
        state.chats.leave(group, user_id, state.bot(), banned=False)
    return True


def get_chat_member(state: TelegramState, request: ApiRequest) -> JsonDict:
    group = state.chats.group(request.params.get("chat_id"))
    user_id = _user_id(request.params)
    if user_id == state.bot_id:
        if group.bot_rights is None:
            return member_object(state.bot(), "left")
        return admin_member(state.bot(), group.bot_rights)
    user = group.members.get(user_id) or state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return member_object(user, group.status_of(user_id))


METHODS = {
    "createChatInviteLink": create_chat_invite_link,
    "revokeChatInviteLink": revoke_chat_invite_link,
    "approveChatJoinRequest": approve_chat_join_request,
    "declineChatJoinRequest": decline_chat_join_request,
    "banChatMember": ban_chat_member,
    "unbanChatMember": unban_chat_member,
    "getChatMember": get_chat_member,
}


# -- Telegram's side: owners and users ---------------------------------------------------------


def make_admin(state: TelegramState, chat_id: int, title: str, owner: JsonDict, kind: str,
               rights: dict[str, bool]) -> JsonDict:  # fmt: skip
    """The owner makes the bot an admin of their chat (made if new): a my_chat_member update."""
    group = state.chats.groups.setdefault(chat_id, Group(chat_id, title, kind, owner))
    old = "left" if group.bot_rights is None else "administrator"
    group.bot_rights = dict(rights)
    before = (
        member_object(state.bot(), "left") if old == "left" else admin_member(state.bot(), rights)
    )
    return {"my_chat_member": {
        "chat": group.chat(), "from": owner, "date": state.now(),
        "old_chat_member": before, "new_chat_member": admin_member(state.bot(), rights),
    }}  # fmt: skip


def open_link(state: TelegramState, user: JsonDict, url: str) -> JsonDict | None:
    """The user opens an invite link: a join request update, or they are in (a chat_member
    update is queued). LookupError for a link Telegram would refuse."""
    group = next((g for g in state.chats.groups.values() if url in g.links), None)
    link = group.links[url] if group is not None else None
    if group is None or link is None or link.dead(state.now()):
        raise LookupError("INVITE_HASH_EXPIRED")
    user_id = user["id"]
    if user_id in group.banned:
        raise LookupError("USER_BANNED_IN_CHANNEL")
    if user_id in group.members:
        raise LookupError("USER_ALREADY_PARTICIPANT")
    if link.creates_join_request:
        group.requests[user_id] = url
        return {"chat_join_request": {
            "chat": group.chat(), "from": user, "user_chat_id": user_id, "date": state.now(),
            "invite_link": link.to_json(),
        }}  # fmt: skip
    if link.member_limit is not None and len(link.members) >= link.member_limit:
        raise LookupError("USERS_TOO_MUCH")
    state.chats.join(group, user, link, user)
    return None


def link_shown(state: TelegramState, user_id: int, chat_id: int) -> Link | None:
    """The link the user would tap: the newest live link of this chat among the bot's
    buttons in their private chat (a one-person link), else the chat's join-request link."""
    group = state.chats.group(chat_id)
    live = {url: link for url, link in group.links.items() if not link.dead(state.now())}
    for entry in reversed(state.transcripts.get(user_id, [])):
        for button in entry.buttons if entry.sender == "bot" else ():
            url = button.rpartition("<")[2].rstrip(">")
            if url in live:
                return live[url]
    return next((link for link in live.values() if link.creates_join_request), None)
