"""Referrals: /referrals, the welcome's line about who invited the user, and the notices."""

TEXTS: dict[str, str] = {
    "help.referrals": "invite friends, earn on their top-ups",
    "referrals.summary": (
        "Your referral code: <code>{code}</code>\n"
        "Your link: {link}\n\n"
        "Friends who joined: {count}\n"
        "Earned:\n{earned}\n\n"
        "You earn {rate} of every top-up a friend makes, credited to your wallet."
    ),
    "referrals.earned_none": "nothing yet",
    "referrals.owed": "Owed back from refunded top-ups: {amounts}",
    "referrals.share": "Share your link",
    "referrals.register_first": "Send /start first.",
    "referrals.invited_by": "{name} invited you.",
    "referrals.unknown_code": "That invitation link is not valid; you joined without one.",
    "referrals.new_referral": "🎉 New referral: {name} joined with your link.",
    "referrals.commission": "💸 Commission {amount} from a friend's top-up is in your wallet.",
    "referrals.reversed": "A friend's top-up was refunded: its commission {amount} is taken back.",
}
