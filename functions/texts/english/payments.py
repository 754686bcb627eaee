"""Paying in: /deposit, /history, Stars, manual transfers, refunds, and provider refusals
told plainly.

The Stars invoice's texts (`payments.stars.invoice_*`), the pre-checkout refusals
(`refusal.checkout_*`) and the admin's button alerts are plain text for Telegram: their
callers undo the HTML escaping, so they carry no markup. The payments' refusals
(`refusal.<code>`) are here too.
"""

TEXTS: dict[str, str] = {
    # /deposit: the menu, the question, the typed form
    "payments.menu": "How would you like to top up?",
    "payments.none_offered": "Deposits are not available right now.",
    "payments.usage": "Top up your wallet:\n{examples}",
    "payments.ask_amount": (
        "Deposit with {rail} ({currency}): reply with the amount, e.g. {example}"
    ),
    "payments.ask_amount_and_phone": (
        "Deposit with {rail} ({currency}): reply with the amount and your phone number, "
        "e.g. {example}"
    ),
    "payments.ask_amount_and_reference": (
        "Deposit with {rail} ({currency}): reply with the amount and your transfer "
        "reference, e.g. {example}"
    ),
    "payments.try_again": "{problem}\n\n{usage}",
    # A payment that started: what it is, then how to pay it
    "payments.started.wallet_deposit": "Deposit of {amount} started (ref {ref}).",
    "payments.started.order": "Payment for your order of {amount} started (ref {ref}).",
    "payments.started.other": "Payment of {amount} started (ref {ref}).",
    "payments.pay_here": "Pay here: {url}",
    "payments.scan_qr": "Scan this QR code with any QRIS app.",
    "payments.qris_string": "QRIS: <code>{qris}</code>",
    "payments.start_unknown": (
        "We could not confirm that the payment request reached the provider, so we will not "
        "send it again. If you get a payment prompt on your phone, go ahead and pay: we will "
        "tell you when the money arrives. If nothing comes within a few minutes, start a new "
        "payment."
    ),
    "payments.starting": (
        "Your payment is being started: you will get the instructions in a moment."
    ),
    "payments.already_started": "This payment was already started; it is now {state}.",
    # A payment that did not start (the provider refused, or did not answer)
    "payments.not_started": "Could not start the payment: {why}",
    "payments.declined": (
        "the payment provider declined it. Check what you typed, try another amount, or "
        "choose another way to pay."
    ),
    "payments.not_available": (
        "this way to pay is not available right now. Please choose another one."
    ),
    "payments.unavailable": "the payment provider did not answer. Try again in a few minutes.",
    # /history
    "payments.history_empty": "No payments yet. Send /deposit to top up.",
    "payments.history": "Your last payments:\n{lines}",
    "payments.history_line": "{day} {kind} {amount} via {rail}: {state} (ref <code>{ref}</code>)",
    "payments.kind.wallet_deposit": "top-up",
    "payments.kind.order": "order payment",
    "payments.kind.circle_contribution": "circle contribution",
    "payments.kind.subscription": "subscription",
    "payments.kind.tier": "circle tier",
    "payments.kind.donation": "donation",
    # Where a payment stands, in words (functions/domain/payments.py State)
    "payments.state.new": "unknown",
    "payments.state.requested": "not started yet",
    "payments.state.pending": "waiting for payment",
    "payments.state.succeeded": "paid",
    "payments.state.failed": "failed",
    "payments.state.expired": "expired",
    "payments.state.refunded": "refunded",
    "payments.state.held": "held for review",
    # Telegram Stars
    "payments.stars.invoice_title": "Soko wallet top-up",
    "payments.stars.invoice_description": "Add {stars} Stars to your Soko wallet (ref {ref}).",
    "payments.stars.invoice_price": "{stars} Stars",
    "payments.stars.unmatched": (
        "We received Stars we cannot match to a deposit, so nothing was added to your "
        "wallet. An admin can refund it: quote <code>{charge}</code>."
    ),
    "payments.stars.repeat": (
        "We received a second payment of {amount} for an invoice that was already paid "
        "(ref {ref}). Nothing is lost: an admin will add it to your wallet or refund it."
    ),
    "payments.stars.held": (
        "Payment of {amount} received (ref {ref}); it differs from the invoice, so an admin "
        "checks it."
    ),
    "payments.stars.for_order": "Payment received: {amount} for your order (ref {ref}).",
    "payments.stars.to_wallet": "Payment received: {amount} goes to your wallet (ref {ref}).",
    "payments.stars.already": "This payment was already received.",
    "payments.stars.refund_unmatched": (
        "Telegram refunded Stars we have no deposit for; your wallet is as it was."
    ),
    "payments.stars.refunded": (
        "Your deposit (ref {ref}) was refunded; the Stars have left your wallet."
    ),
    # Manual transfers (bank, BLIK)
    "payments.manual.send_to": (
        "Send {amount} to:\n{details}\n\n"
        "Title of the transfer: <code>{reference}</code>\n"
        "An admin credits your wallet once the money arrives (ref {ref})."
    ),
    # Admins: settling held payments and transfers
    "payments.admin.approved_by": "✅ Approved by {name} (id {admin_id}).",
    "payments.admin.rejected_by": "❌ Rejected by {name} (id {admin_id}).",
    "payments.admin.tap_changed_nothing": "Already {state}: this tap changed nothing.",
    "payments.admin.decided": "{payment_id}: {outcome}",
    "payments.admin.settled.succeeded": "approved",
    "payments.admin.settled.failed": "rejected",
    "payments.admin.credit_usage": (
        "Usage: /credit &lt;payment id&gt; &lt;amount&gt; &lt;currency&gt;, e.g. 12.50 USD"
    ),
    "payments.admin.credit_bad_amount": "{problem}\n{usage}",
    "payments.admin.credit_changed_nothing": "Already {state}: nothing changed.",
    "payments.admin.credited": "✅ Approved {amount} for {payment_id}.",
    "payments.admin.nothing_held": "Nothing waits for an admin.",
    "payments.admin.held": "Waiting for an admin:\n{lines}",
    "payments.admin.held_entry": "{number}. {line}",
    "payments.admin.held_line": (
        "<code>{payment_id}</code> {amount} from user {user_id} via {rail}: "
        "held ({reason}), arrived {arrived}"
    ),
    "payments.admin.held_line_with_ref": (
        "<code>{payment_id}</code> {amount} from user {user_id} via {rail}: "
        "held ({reason}), arrived {arrived}, provider ref <code>{held_ref}</code>"
    ),
    "payments.admin.transfer_line": (
        "<code>{payment_id}</code> {amount} from user {user_id}: transfer, reference "
        "<code>{reference}</code>"
    ),
    "payments.admin.arrived_unknown": "unknown",
    "payments.hold.partially_paid": "partially paid",
    "payments.hold.amount_mismatch": "amount differs from the ask",
    "payments.hold.repeat_deposit": "paid again to a settled invoice",
    "payments.hold.repeat_payment": "a second payment",
    "payments.hold.unconfirmed_reference": "provider reference not confirmed",
    "payments.hold.review": "review",
    # Admins: /refund
    "payments.refund.usage": (
        "Usage: /refund &lt;payment id&gt; (the ref shown with the deposit)."
    ),
    "payments.refund.done": "Refunded {amount} to user {user_id} ({payment_id}).",
    "payments.refund.never_credited": (
        "Refunded {amount} to user {user_id} ({payment_id}); never credited."
    ),
    "payments.refund.never_credited_unvalued": (
        "Refunded the Stars to user {user_id} ({payment_id}); never credited."
    ),
    # Refusals of the payment services and the payment decider
    "refusal.rail_whole_units": "{rail} takes whole {currency} amounts, without cents.",
    "refusal.rail_minimum": "{rail} takes at least {currency} {minimum}.",
    "refusal.rail_range": "{rail} takes {currency} {minimum} to {maximum}.",
    "refusal.stars_amount": "A Stars deposit is {minimum} to {maximum} Stars.",
    "refusal.checkout_not_in_stars": "This invoice can only be paid in Telegram Stars.",
    "refusal.checkout_not_our_invoice": (
        "This invoice is not valid. Send /deposit to start a new one."
    ),
    "refusal.checkout_someone_elses": (
        "This invoice was issued to someone else. Send /deposit to get your own."
    ),
    "refusal.checkout_closed": (
        "This invoice was already paid or has expired. Send /deposit for a new one."
    ),
    "refusal.checkout_amount_differs": (
        "The amount does not match this invoice. Send /deposit to start again."
    ),
    "refusal.bad_reference": (
        "The reference is the text you put in the transfer's title: 3 to 35 letters, "
        "digits or - _ . /"
    ),
    "refusal.wrong_currency": "This payment is in {currency}: give the amount in {currency}.",
    "refusal.not_admin": "Only an admin can do that.",
    "refusal.unknown_payment": "No such payment.",
    "refusal.invalid_payment": "The amount must be above zero.",
    "refusal.not_refundable": "Only a paid payment can be refunded.",
    "refusal.amount_needed": (
        "Nothing says what arrived: send /credit {payment_id} &lt;amount&gt; &lt;currency&gt;."
    ),
    "refusal.refund_no_such_payment": "No such payment.",
    "refusal.refund_not_stars": "Only Telegram Stars payments can be refunded with /refund.",
    "refusal.refund_already_refunded": "Payment {payment_id} was already refunded.",
    "refusal.refund_not_paid": (
        "Payment {payment_id} was never paid; only a paid one can be refunded."
    ),
    "refusal.refund_not_a_deposit": (
        "Only Stars deposits can be refunded here; an order settles its own money."
    ),
    "refusal.refund_no_charge": "Payment {payment_id} names no Stars charge to refund.",
    "refusal.refund_already_spent": (
        "Not refunded: user {user_id} holds {balance}, less than the {paid} deposited "
        "(already spent)."
    ),
    "refusal.telegram_refused_refund": "Telegram did not refund: {error}. Nothing changed.",
    # Mobile money by phone: the rail Soko chose for the payer's number, and why
    "payments.route_chosen": "Paying with {rail} from {phone} ({operator}, {country}): {why}",
    "payments.route_why_first": "the operator's own way to pay.",
    "payments.route_why_fallback": (
        "the way to pay that serves this number now ({skipped} is not available)."
    ),
    "payments.route_why_failover": "{failed} did not answer, so this payment goes through it.",
    # /rails (admins): each rail's health
    "payments.rails": "Payment rails, last hour:\n{lines}",
    "payments.rails_none": "No payment rail is configured.",
    "payments.rails_line": "{rail} ({name}): {state}; {seen}",
    "payments.rails_seen": "{percent}% of {attempts} starts answered, p50 {latency}",
    "payments.rails_no_starts": "no starts",
    "payments.rails_state.closed": "working",
    "payments.rails_state.open": "skipped for now (breaker open)",
    "payments.rails_state.half_open": "on trial (the next payment tries it)",
    "payments.route_others": "To pay another way instead: {others} &lt;amount&gt;",
    "payments.route_none": (
        "No way to pay here serves {operator} numbers in {country} ({phone}) yet. "
        "Send /deposit to choose another way."
    ),
    "payments.route_national": (
        "I read {typed} as a number in {country}. For another country, type it with its "
        "country code, starting with +."
    ),
    "payments.route_none_unknown": (
        "No way to pay here serves this number ({phone}, {country}) yet. "
        "Send /deposit to choose another way."
    ),
    "payments.phone_needed": (
        "Which phone should pay? Send /deposit &lt;amount&gt; &lt;phone&gt;, "
        "e.g. /deposit 5000 +256772123456. I will remember it."
    ),
    "payments.phone_none": (
        "You have not given a phone number yet. Send /phone &lt;number&gt;, "
        "e.g. /phone +256772123456."
    ),
    "payments.phone_is": "Your phone for mobile money: {phone}",
    "refusal.phone_invalid": (
        "{phone} is not a mobile number I can read. Type it with its country code, "
        "e.g. +256772123456, or as you dial it at home, e.g. 0772123456."
    ),
}
