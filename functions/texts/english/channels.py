"""Paid channels: buying access, the owner's commands and the notices about both."""

TEXTS: dict[str, str] = {
    "help.subscribe": "buy access to a private channel",
    "help.channels": "your channels: plans, links, dry run",
    "help.plan": "add a plan to your channel (price in a currency, or XTR for Stars)",
    "help.unplan": "remove a plan from your channel",
    "help.dryrun": "on: the expiry job warns but removes nobody",
    "help.revenue": "what your channels earned, per month, fee deducted",
    "channels.none_on_sale": "No channel is on sale right now.",
    "channels.pick": "Channels you can subscribe to:",
    "channels.page": "<b>{title}</b>\nChoose a plan:",
    "channels.plan_button": "{days} days — {price}",
    "channels.pay_how": "<b>{title}</b>: {days} days for {price}. How do you pay?",
    "channels.button_wallet": "Pay from wallet",
    "channels.button_donate": "Donate",
    "channels.donate_keypad": "Donate to <b>{title}</b>: {amount}\nType the amount, then ✅.",
    "channels.donate_how": "Donate {amount} to <b>{title}</b>. How do you pay?",
    "channels.donated": "💝 Thank you: {amount} went to <b>{title}</b>.",
    "channels.donation_invoice": "Donation to {title}",
    "channels.notice.donation": "💝 Donation (user {buyer}) of {gross}: fee {fee}, you get {net}.",
    "refusal.channel_donation_limits": "A donation is at least 1 and at most {most}.",
    "channels.invoice_title": "{title}",
    "channels.button_star_subscription": "Subscribe monthly with Stars",
    "channels.invoice_monthly": "{title}: renews every 30 days until you cancel",
    "channels.monthly": (
        "<b>{title}</b>: {price} every 30 days, renewed by Telegram until you cancel it "
        "(access lasts to the end of the time paid for)."
    ),
    "channels.monthly_unavailable": "Monthly Star subscriptions are not available right now.",
    "refusal.channel_plan_not_monthly": "A Star subscription is for a 30-day plan.",
    "channels.invoice_description": "Subscription to {title} (ref {ref})",
    "channels.button_stars": "Pay with Stars",
    "channels.phone_question": "Reply with your {rail} phone number to pay {price} for {title}.",
    "channels.button_join": "Join the channel",
    "channels.button_renew": "Renew",
    "channels.subscribed": (
        "✅ You are subscribed to <b>{title}</b> until {ends}.\n"
        "Tap the link and ask to join: the bot lets you in."
    ),
    "channels.subscribed_personal": (
        "✅ You are subscribed to <b>{title}</b> until {ends}.\n"
        "Your link lets one person in, once: you. Do not share it."
    ),
    "channels.join_personal": "Your own link to <b>{title}</b> (it lets one person in, once):",
    "channels.link_replaced": (
        "Someone else opened your link to <b>{title}</b>: they were removed and that link is "
        "dead. Here is a new one, for you only:"
    ),
    "help.access": "how buyers get in: join requests, or a one-person link each",
    "channels.access_usage": (
        "Send <code>/access &lt;code&gt; request</code> (the bot approves subscribers' join "
        "requests) or <code>personal</code> (each buyer gets a link for one person)."
    ),
    "channels.access_set_personal": (
        "Each new buyer now gets a link that lets one person in, revoked once used."
    ),
    "channels.access_set_request": "Buyers now ask to join and the bot approves subscribers.",
    "channels.personal_on": " (one-person links)",
    "channels.join_here": "Ask to join <b>{title}</b> with this link; the bot lets you in:",
    "channels.not_subscribed": "You have no running subscription to this channel.",
    "channels.welcome_in": "✅ You are in <b>{title}</b>. Your subscription runs until {ends}.",
    "channels.declined": ("Joining <b>{title}</b> needs a subscription. See the plans: {link}"),
    "channels.connected": (
        "✅ The bot now administers <b>{title}</b>, which is yours to sell.\n"
        "Add a plan: <code>/plan {code} 30 500 KES</code> (or <code>… 250 XTR</code> for Stars).\n"
        "Your buyers' link: {link}"
    ),
    "channels.needs_rights": (
        "⚠️ The bot administers <b>{title}</b> but may not invite users: give it the right to "
        "invite users (and to ban users, to remove expired subscribers)."
    ),
    "channels.disconnected": "The bot no longer administers <b>{title}</b>: it is off sale.",
    "channels.yours_none": (
        "You have no channels. Make this bot an admin of your private channel or group "
        "(allowed to invite and to ban users): it then appears here."
    ),
    "channels.yours": (
        "<b>{title}</b> <code>{code}</code>{off}{dry}\nLink: {link}\n"
        "Running subscriptions: {active}\nPlans:\n{plans}"
    ),
    "channels.plan_line": "<code>{plan}</code>: {days} days — {price}",
    "channels.no_plans": "none yet",
    "channels.off_sale": " (off sale)",
    "channels.dry_on": " (dry run)",
    "channels.plan_usage": (
        "Send <code>/plan &lt;code&gt; &lt;days&gt; &lt;price&gt; "
        "&lt;currency&gt;</code>, e.g. <code>/plan ch_n100123 30 500 KES</code>."
    ),
    "channels.unplan_usage": (
        "Send <code>/unplan &lt;code&gt; &lt;plan&gt;</code>, e.g. <code>/unplan "
        "ch_n100123 p1</code>."
    ),
    "channels.dry_usage": "Send <code>/dryrun &lt;code&gt; on</code> or <code>off</code>.",
    "channels.bad_code": "That is not one of your channels' codes; /channels lists them.",
    "channels.plan_added": "Plan <code>{plan}</code> added: {days} days for {price}.",
    "channels.plan_removed": "Plan <code>{plan}</code> removed.",
    "channels.dry_set_on": "Dry run is on: the expiry job warns but removes nobody.",
    "channels.dry_set_off": "Dry run is off: expired subscribers are removed.",
    "help.broadcast": "message your channel's running subscribers",
    "channels.broadcast_usage": "Send <code>/broadcast &lt;code&gt; &lt;message&gt;</code>.",
    "channels.broadcast_sent": "Sending to {count} subscriber(s), about 5 a second.",
    "channels.notice.broadcast": "📣 <b>{title}</b>\n{text}",
    "refusal.channel_bad_broadcast": "A message is 1 to {most} characters.",
    "channels.revenue_none": "No revenue yet.",
    "channels.revenue_head": "Revenue (after the platform's fee):",
    "channels.revenue_line": (
        "{period} <b>{title}</b>: {count} payment(s), {gross} - fee {fee} = <b>{net}</b>"
    ),
    "channels.notice.paid": "✅ Your subscription runs until {ends}. Tap below to join.",
    "channels.notice.warned": (
        "⏳ Your subscription ends in {days} day(s), on {ends}. Renew to stay in."
    ),
    "channels.notice.removed": (
        "Your subscription ended and you were removed from the channel. Renew any time."
    ),
    "channels.notice.sale": (
        "💰 New subscriber (user {buyer}) paid {gross}: fee {fee}, you get {net}."
    ),
    "payments.stars.for_subscription": (
        "⭐ Received {amount} for your subscription (ref <code>{ref}</code>)."
    ),
    "payments.stars.for_donation": "💝 Thank you: {amount} received (ref <code>{ref}</code>).",
    "refusal.channel_unknown": "That channel is not known to the bot.",
    "refusal.channel_not_owner": "Only the channel's owner may change it.",
    "refusal.channel_unknown_plan": (
        "That plan does not exist (any more). See /channels or /subscribe."
    ),
    "refusal.channel_too_many_plans": "A channel has at most {most} plans; remove one first.",
    "refusal.channel_bad_plan": (
        "A plan is 1 to {most_days} days at a positive price (at most {most_stars} Stars)."
    ),
    "refusal.channel_not_selling": "This channel is not on sale right now.",
    "refusal.channel_plan_not_in_stars": "This plan is not priced in Stars; pay from your wallet.",
}
