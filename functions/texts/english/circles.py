"""Savings circles: /circles, the status card, its buttons, and the circles' notices."""

TEXTS: dict[str, str] = {
    "help.circles": "your savings circles; /circles new to start one",
    "circles.none": (
        "You are in no savings circle yet.\n\n"
        "Start one: <code>/circles new</code> asks step by step, or in one line "
        "<code>/circles new Family 500 weekly 5</code> (name, contribution, "
        "period: daily, weekly, monthly or e.g. 10d, and members). Options: "
        "<code>rotation=random|join|owner</code>, <code>deposit=2</code> (contributions held "
        "as a security deposit; default 1)."
    ),
    "circles.usage": (
        "Send <code>/circles new &lt;name&gt; &lt;contribution&gt; &lt;daily|weekly|monthly|Nd&gt; "
        "&lt;members&gt;</code>, e.g. <code>/circles new Family 500 weekly 5</code>."
    ),
    "circles.ask_name": "A new savings circle. Reply with its name:",
    "circles.name_hint": "e.g. Family savings",
    "circles.draft_name": "New circle <b>{name}</b>",
    "circles.ask_currency": "Which currency do members pay in?",
    "circles.ask_amount": "Reply with what each member pays per round, in {currency}:",
    "circles.bad_amount": "That is not an amount ({problem}). Send /circles new to start again.",
    "circles.ask_period": "How often is a round?",
    "circles.ask_size": "How many members (one pot each)?",
    "circles.ask_rotation": "Who takes the pot when?",
    "circles.ask_deposit": (
        "Security deposit, in contributions held from each member (1 covers one missed "
        "round; as many as members covers everything):"
    ),
    "circles.ask_confirm": "Create it?",
    "circles.draft": "New circle <b>{name}</b>: {amount} every {period}",
    "circles.draft_size": ", {size} members",
    "circles.draft_rotation": ", rotation {rotation}",
    "circles.draft_deposit": ", deposit {rounds} contribution(s)",
    "circles.button_rotation_join": "Joining order",
    "circles.button_rotation_random": "Random draw",
    "circles.button_rotation_owner": "I set it",
    "circles.button_deposit": "{rounds}",
    "circles.button_create": "✅ Create",
    "circles.button_not_now": "Cancel",
    "circles.create_cancelled": "Not created.",
    "circles.period_daily": "day",
    "circles.period_weekly": "week",
    "circles.period_monthly": "month",
    "circles.list_head": "Your savings circles:",
    "circles.list_line": "• <b>{name}</b>: {status}",
    "circles.no_such": "That circle does not exist (or the link is wrong).",
    "circles.card": (
        "<b>{name}</b> ({status})\n"
        "Contribution {contribution} every {period}; {size} members; deposit {deposit}.\n"
        "Rotation: {rotation}\n"
        "Members ({count}/{size}):\n{members}"
    ),
    "circles.card_round": (
        "\n\nRound {round}: the pot goes to {recipient}. Pot so far {pot}; deadline {deadline}."
    ),
    "circles.card_invite": "\n\nInvite: {link}",
    "circles.member_line": (
        "{mark} {name}{standing} — deposit {deposit}, paid {paid}, got {received}"
    ),
    "circles.member_owes": ", owes {owed}",
    "circles.standing_lost": " (not in good standing)",
    "circles.period_minute": "{count} min",
    "circles.period_day": "{count} day(s)",
    "circles.period_week": "{count} week(s)",
    "circles.period_month": "{count} month(s)",
    "circles.status_open": "waiting for members",
    "circles.status_running": "running",
    "circles.status_ended": "ended",
    "circles.status_cancelled": "cancelled",
    "circles.rotation_join": "in joining order",
    "circles.rotation_random": "drawn at the start from a recorded seed",
    "circles.rotation_owner": "set by the owner",
    "circles.created": "Circle created. Share the invite link; your own deposit is being held.",
    "circles.button_join": "Join (hold {deposit})",
    "circles.button_pay_on": "Pay with {rail}",
    "circles.phone_question": "Reply with your {rail} phone number to pay {amount}.",
    "circles.button_leave": "Leave",
    "circles.button_start": "Start now",
    "circles.button_cancel": "Cancel circle",
    "circles.button_pay": "Contribute {amount}",
    "circles.button_restore": "Restore deposit {amount}",
    "circles.button_refresh": "Refresh",
    "circles.joined": "You joined; your deposit is held in your wallet (not spent).",
    "circles.left": "You left the circle; your deposit is released.",
    "circles.paid": "Contribution received.",
    "circles.restored": "Deposit restored.",
    "circles.started": "The circle started.",
    "circles.cancelled": "The circle is cancelled; every deposit is released.",
    "circles.not_open": "This circle no longer takes members.",
    "circles.full": "This circle is full.",
    "circles.already_member": "You are a member already.",
    "circles.nothing_due": "You have nothing to pay in this circle right now.",
    "circles.button_remove": "Remove {name}",
    "circles.button_remind": "Remind the unpaid",
    "circles.button_approve": "Approve {newcomer} for {leaver}",
    "circles.button_decline": "Decline {newcomer}",
    "circles.button_quit": "Ask to leave",
    "circles.button_offer": "Take over a seat (hold {deposit})",
    "circles.button_withdraw": "Withdraw my offer",
    "circles.button_show": "Open {name}",
    "circles.reminded_now": "The members who have not paid are reminded.",
    "circles.removed": "Removed; their deposit is released.",
    "circles.leave_requested": (
        "Asked. Someone must take over your seat, and the owner approve it; until then you "
        "keep paying."
    ),
    "circles.offered": (
        "Offer made; your deposit is held. The owner decides (declined: it is released)."
    ),
    "circles.no_seat": "Nobody in this circle is waiting to hand over a seat.",
    "circles.replaced": "Replacement approved.",
    "circles.offer_declined": "The offer is withdrawn; its deposit is released.",
    "circles.card_leaving": "\n\nAsked to leave: {names}",
    "circles.card_offers": "\nOffering to take over a seat: {names}",
    "circles.invited": "You were invited to a savings circle.",
    "refusal.circle_tier_limit": (
        "Your tier allows {circles} open circle(s) at a time (0: any number), of up to "
        "{members} members each. Upgrade to open another:"
    ),
    "refusal.circle_reminded_recently": "The members were reminded recently; again after {again}.",
    "circles.button_tier": "{tier}: {price} / 30 days",
    "circles.button_tier_phone": "📱 Pay by phone",
    "circles.button_upgrade": "Upgrade my tier",
    "circles.upgrade_head": "Your tier seats {seats} members per circle. Tiers that seat more:",
    "circles.tier_bought": "Tier <b>{tier}</b> is yours until {until}.",
    "circles.tier_seats": (
        "Your tier seats {seats} members per circle: upgrade before more join (the card's owner "
        "is asked when someone tries)."
    ),
    "circles.tier_full": (
        "This circle has all the members its owner's tier seats. The owner is asked to "
        "upgrade; try again later."
    ),
    "circles.tier_phone_question": (
        "Reply with the phone number to pay {price} for tier <b>{tier}</b> from (M-Pesa in Kenya)."
    ),
    "circles.tier_phone_currency": (
        "Tiers are priced in {price}, which {phone} cannot pay. Top up your wallet with "
        "/deposit and upgrade from it instead."
    ),
    # Notices
    "circles.notice_joined": "👥 A member joined <b>{name}</b> ({count}/{size}).",
    "circles.notice_round": (
        "🔔 Round {round} of <b>{name}</b> is open: contribute {amount} by {deadline}."
    ),
    "circles.notice_round_yours": "This round's pot is yours.",
    "circles.notice_reminder": (
        "⏰ <b>{name}</b>: round {round} closes in {hours} h; your {amount} is not paid yet."
    ),
    "circles.notice_paid": "✅ Your {amount} for round {round} of <b>{name}</b> is in.",
    "circles.notice_pot": "💰 You received {amount}: the pot of round {round} of <b>{name}</b>.",
    "circles.notice_pot_less": (
        " {withheld} of it paid what you owed; {short} was missing (owed to you by defaulters)."
    ),
    "circles.notice_default": (
        "⚠️ You missed round {round} of <b>{name}</b>: {seized} was taken from your deposit. "
        "Restore it before the next deadline to regain good standing."
    ),
    "circles.notice_uncovered": " Your deposit could not cover {uncovered}: you owe it.",
    "circles.notice_restored": "👍 Your deposit in <b>{name}</b> is restored.",
    "circles.notice_returned": "🔓 Your deposit of {amount} from <b>{name}</b> is released.",
    "circles.notice_ended": "🏁 <b>{name}</b> ended: every round is paid out.",
    "circles.notice_seat_wanted": (
        "👥 Someone wants to join <b>{name}</b>, but your tier seats {seats} members per "
        "circle. Upgrade to let them in."
    ),
    "circles.notice_owner_reminder": (
        "⏰ The owner of <b>{name}</b> reminds you: round {round} closes {deadline}, and your "
        "{amount} is not paid yet."
    ),
    "circles.notice_removed": "The owner removed you from <b>{name}</b>; your deposit is released.",
    "circles.notice_leave_requested": (
        "🚪 A member of <b>{name}</b> asks to leave. Share the link: a newcomer can offer to "
        "take over their seat, and you approve."
    ),
    "circles.notice_offered": "🙋 Someone offers to take over a seat in <b>{name}</b>.",
    "circles.notice_replaced_leaver": (
        "🚪 You left <b>{name}</b>: your deposit is released, and what you put in, {refund}, "
        "comes back to you from your old seat's pot."
    ),
    "circles.notice_replaced_newcomer": (
        "👋 You took over a seat in <b>{name}</b>: its rotation place and contributions are "
        "yours from this round on."
    ),
    "circles.notice_tier": (
        "⭐ Tier <b>{tier}</b> is yours until {until}: {circles} open circle(s) (0: any "
        "number) of up to {members} members."
    ),
}
