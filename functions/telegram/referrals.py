"""/referrals: the user's code, link (with a share button), referees and earnings."""

from __future__ import annotations

from urllib.parse import quote

from functions import texts
from functions.contexts.referrals import programme, referral_settings
from functions.domain import referrals
from functions.projections.loyalty import standing_of
from functions.projections.referrals import referrals_of
from functions.telegram.chat import Context, Reply, reply
from functions.telegram.invitations import first_name, link_of
from functions.telegram.tiers import tier_lines


def on_referrals(ctx: Context, argument: str) -> Reply:
    if first_name(ctx, ctx.user_id) is None:
        # A code is handed out only after registration, so a referrer always registered
        # before anyone they bind: no cycle can form.
        return reply(ctx, texts.text(ctx.language, "referrals.register_first"))
    found = referral_settings()
    view = referrals_of(ctx.runtime.read_models, ctx.user_id)
    earned = "\n".join(texts.render(m) for m in view.earned)
    said = texts.text(
        ctx.language,
        "referrals.summary",
        code=referrals.code_of(ctx.user_id, found.code_secret()),
        link=link_of(ctx, ctx.user_id),
        count=len(view.referees),
        earned=texts.Html(earned or texts.text(ctx.language, "referrals.earned_none")),
        rate=f"{found.rate_bp / 100:g}%",
    )
    referrer = first_name(ctx, view.referrer_id)
    if referrer is not None:
        said += "\n" + texts.text(ctx.language, "referrals.your_referrer", name=referrer)
    if view.owed:
        owed = texts.Html(", ".join(texts.render(m) for m in view.owed))
        said += "\n" + texts.text(ctx.language, "referrals.owed", amounts=owed)
    standing = standing_of(ctx.runtime.read_models, ctx.user_id, programme())
    said += "\n\n" + tier_lines(ctx.language, standing)
    answer = reply(ctx, said)
    share = f"https://t.me/share/url?url={quote(link_of(ctx, ctx.user_id), safe='')}"
    label = texts.text(ctx.language, "referrals.share")
    answer["reply_markup"] = {"inline_keyboard": [[{"text": label, "url": share}]]}
    return answer
