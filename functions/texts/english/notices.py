"""Notifications: what the bot tells users and admins when something happened
(functions/notifications/). Admins read theirs in their own language too."""

TEXTS: dict[str, str] = {
    "notices.deposit_credited": "Your deposit of {amount} was credited.",
    "notices.payment_failed": (
        "Your payment of {amount} (ref <code>{ref}</code>) did not go through."
    ),
    "notices.payment_expired": (
        "Your payment of {amount} (ref <code>{ref}</code>) expired before it was paid."
    ),
    "notices.payment_paid_twice": (
        "Your payment of {amount} (ref <code>{ref}</code>) was refunded to you: it was paid "
        "twice, and never added to your wallet."
    ),
    "notices.deposit_again": "Send /deposit to try again.",
    "notices.payment_refunded": (
        "Your payment <code>{ref}</code> of {amount} was refunded to you; it has left your wallet."
    ),
    "notices.held_for_user": (
        "Your payment of {amount} (ref <code>{ref}</code>) arrived differently than asked; "
        "an admin will review it."
    ),
    # To admins: a held payment, with Approve / Reject buttons.
    "notices.held_for_admins": (
        "⚠️ Payment <code>{ref}</code> needs a review ({reason}).\n"
        "{payer} asked {asked} via {rail}; {arrived}.\n"
        "{approve}"
    ),
    "notices.held_arrived": "arrived {paid}",
    "notices.held_arrived_unknown": "arrived an unknown amount",
    "notices.held_arrived_with_ref": "{arrived} (provider ref <code>{provider_ref}</code>)",
    "notices.held_approve_credits": "Approve credits {paid}.",
    "notices.held_state_amount": (
        "What arrived is unknown: check it, then send "
        "<code>/credit {ref} &lt;amount&gt; {currency}</code>."
    ),
    # Why a payment is held (events/payments.py HoldReason), as an admin reads it.
    "notices.hold_partially_paid": "partially paid",
    "notices.hold_amount_mismatch": "a different amount arrived than was asked",
    "notices.hold_repeat_deposit": "paid again to the address of a settled payment",
    "notices.hold_repeat_payment": "a second payment arrived for a settled payment",
    "notices.hold_unconfirmed_reference": "the provider's reference could not be matched",
    # To admins: a bank transfer a user says they made.
    "notices.transfer_declared": (
        "🏦 Transfer declared by {payer}: {amount}, reference <code>{reference}</code> "
        "(payment <code>{ref}</code>).\n"
        "Approve only once the money is in the account."
    ),
    "notices.payer": "{name} (id {user_id})",
    "notices.payer_unnamed": "a user (id {user_id})",
    # Rails without a provider spec (functions/providers/): how an admin knows them.
    "notices.rail_stars": "Telegram Stars",
    "notices.rail_manual": "bank transfer",
    # Button labels are plain text, not HTML.
    "notices.button_approve": "✅ Approve",
    "notices.button_reject": "❌ Reject",
}
