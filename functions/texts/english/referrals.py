"""Referrals: /referrals, /leaderboard, the welcome's line about who invited the user, the
tiers and badges, and the notices."""

TEXTS: dict[str, str] = {
    "help.referrals": "invite friends, earn on their top-ups",
    "help.leaderboard": "top referrers this month and of all time (hide / show)",
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
    "referrals.already_joined": "You had already joined, so this invitation changes nothing.",
    "referrals.welcome_link": (
        "Invite friends with your link: {link}\nYou earn {rate} of each top-up they make "
        "(/referrals)."
    ),
    "referrals.your_referrer": "You joined through {name}'s link.",
    "referrals.new_referral": "🎉 New referral: {name} joined with your link.",
    "referrals.commission": "💸 Commission {amount} from a friend's top-up is in your wallet.",
    "referrals.bonus": "🏆 Your tier's bonus {amount} on a friend's top-up is in your wallet.",
    "referrals.reversed": (
        "A friend's top-up was refunded: its commission {amount} is taken back, from your"
        " wallet, and what it does not hold from your next commissions."
    ),
    "referrals.debt_repaid": (
        "{amount} of that commission went to what a refunded top-up left you owing."
    ),
    "referrals.tier": "Tier: <b>{tier}</b> · {lifetime} earned",
    "referrals.progress": "{bar} {lifetime} of {threshold} to {next}",
    "referrals.top_tier": "The top tier: there is no higher.",
    "referrals.badges": "Badges: {badges}",
    "referrals.badges_none": "Badges: none yet",
    "loyalty.tier_reached": (
        "🏆 You reached the {tier} tier: {lifetime} earned from friends' top-ups."
    ),
    "loyalty.achievement": "🏅 Badge unlocked: {badge}",
    "tier.bronze": "Bronze",
    "tier.silver": "Silver",
    "tier.gold": "Gold",
    "tier.platinum": "Platinum",
    "tier.diamond": "Diamond",
    "achievement.first_referral": "First referral",
    "achievement.referrals_5": "5 referrals",
    "achievement.referrals_25": "25 referrals",
    "achievement.referrals_100": "100 referrals",
    "achievement.first_deposit": "First top-up",
    "achievement.first_purchase": "First purchase",
    "achievement.purchases_10": "10 purchases",
    "achievement.tier_silver": "Silver tier",
    "achievement.tier_gold": "Gold tier",
    "achievement.tier_platinum": "Platinum tier",
    "achievement.tier_diamond": "Diamond tier",
    "leaderboard.month": "<b>Top referrers this month</b>",
    "leaderboard.all_time": "<b>Top referrers of all time</b>",
    "leaderboard.line": "{place}. {name} · {earned}",
    "leaderboard.empty": "nobody yet",
    "leaderboard.you": "You: #{place} · {earned}",
    "leaderboard.you_none": "You: not on the board yet",
    "leaderboard.you_hidden": "You are hidden from the board (/leaderboard show to appear).",
    "leaderboard.hint": "/leaderboard hide leaves the board; /leaderboard show comes back.",
    "leaderboard.hidden": "Done: the leaderboard no longer shows you.",
    "leaderboard.shown": "Done: the leaderboard shows you again.",
    "leaderboard.usage": "Use /leaderboard, /leaderboard hide or /leaderboard show.",
    "leaderboard.anonymous": "someone",
}
