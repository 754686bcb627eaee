"""The shop: browsing, buying, paying orders, /orders, and the shop admin's commands.

Button labels (`*.button`) and the Stars invoice are plain text for Telegram; their callers
undo the HTML escaping of values. The shop's refusals (`refusal.<code>`) are here too.
"""

TEXTS: dict[str, str] = {
    # Browsing
    "shop.empty": "The shop is empty right now.",
    "shop.choose_category": "Choose a category:",
    "shop.category": "<b>{category}</b>",
    "shop.previous.button": "< Prev",
    "shop.next.button": "Next >",
    "shop.home.button": "« Shop",
    "shop.not_on_sale": "This product is no longer on sale.",
    "shop.product_name": "<b>{name}</b>",
    "shop.location": "📍 {location}",
    "shop.price": "Price: {price}",
    "shop.reseller_price": "Reseller price: {price}",
    "shop.discounted": "<s>{was}</s> {now} -{percent}%",
    "shop.stock": "In stock: {available} · Sold: {sold}",
    "shop.buy.button": "Buy",
    # Buying and paying
    "shop.reserved": (
        "Reserved: {product} x {quantity}\nTotal: {total}\nHeld for you for {minutes} minutes."
    ),
    "shop.pay_wallet.button": "Pay from wallet",
    "shop.pay_with.button": "Pay with {rail}",
    "shop.cancel.button": "Cancel",
    "shop.item": "<code>{item}</code>",
    "shop.paid_items": "Paid. Your purchase:\n{items}\n\nSee it again any time in /orders.",
    "shop.paid_confirmed": "Paid. Your order is confirmed; see /orders.",
    "shop.paid_on_its_way": "Paid. Your order is on its way: see /orders in a moment.",
    "shop.refunded_sold_out": (
        "The item sold out before your payment arrived; the money is back in your wallet."
    ),
    "shop.awaiting_payment": "Waiting for your payment.",
    "shop.order_is": "This order is {state}.",
    "shop.cancelled": "Order cancelled. Nothing was charged.",
    "shop.held": "Held for you: {total}. Pay it, or cancel to release it.",
    "shop.rail_not_offered": "This order cannot be paid that way. Send /orders to see it.",
    "shop.phone_question": "Reply with your {rail} phone number to pay {total} for your order.",
    "shop.phone_placeholder": "07…",
    "shop.stars_title": "Soko order",
    "shop.stars_description": "Payment for your Soko order: {total} (ref {ref}).",
    # What an order's state means to its buyer
    "shop.state.placed": "held for you, not paid yet",
    "shop.state.paid": "paid, being delivered",
    "shop.state.delivered": "delivered",
    "shop.state.expired": "no longer held (not paid in time)",
    "shop.state.cancelled": "cancelled",
    "shop.state.refunded": "refunded to your wallet",
    "shop.state.other": "being processed",
    # /orders
    "shop.no_orders": "No orders yet. Send /shop to browse.",
    "shop.orders": "Your orders:\n{lines}",
    "shop.order_line": "{product} x {quantity}: {total}, {state}",
    "shop.show_order.button": "Show {product}",
    "shop.pay_order.button": "Pay {product}",
    "shop.cancel_order.button": "Cancel {product}",
    # Notices: an order paid through a payment settles later, out of band
    "shop.notice.delivered_items": "Payment received. Your purchase:\n{items}",
    "shop.notice.delivered": "Payment received: your order is confirmed. See /orders.",
    "shop.notice.money_returned": (
        "{amount} is back in your wallet: the order could not take this payment (sold out "
        "after the hold lapsed, or already paid). See /balance."
    ),
    # The shop admin's commands
    "shop.admin.not_understood": ("Not understood: “{part}”. Use key=value, e.g. location=Nairobi"),
    "shop.admin.bad_price": (
        "Not a price: “{price}”. Write a positive amount and its currency, e.g. 100 PLN "
        "or 1,500.50 KES."
    ),
    "shop.admin.details_required": (
        "Name, category and price are required; check that none is too long."
    ),
    "shop.admin.usage_addproduct": ("Usage: /addproduct Name | Category | 100 PLN [| key=value …]"),
    "shop.admin.kind": "kind is counted or unique.",
    "shop.admin.listed": (
        "Listed {name} as <code>{product_id}</code> ({kind}, {price}). "
        "Add stock with /stock {product_id} …"
    ),
    "shop.admin.saved": "Saved {name}.",
    "shop.admin.usage_stock": (
        "Usage: /stock &lt;product id&gt; &lt;quantity&gt;, or items one per line"
    ),
    "shop.admin.usage_stock_quantity": (
        "Usage: /stock &lt;product id&gt; &lt;quantity&gt; (a whole number)"
    ),
    "shop.admin.stock_added": "Added {units} units in {lots} lot(s).",
    "shop.admin.usage_discount": (
        "Usage: /discount &lt;id&gt; | category=&lt;name&gt; | location=&lt;name&gt; "
        "&lt;percent&gt;"
    ),
    "shop.admin.discount_range": "A discount is 0 to {most} percent.",
    "shop.admin.discount_set": "Discount {percent}% set on {count} product(s).",
    "shop.admin.target": "Target a product id, category=&lt;name&gt; or location=&lt;name&gt;.",
    "shop.admin.no_match": "No product has {filter} “{value}”.",
    "shop.admin.photo_set": "Photo set for {name}.",
    "shop.admin.hidden": "Hidden: <code>{product_id}</code>.",
    "shop.admin.on_sale": "On sale again: <code>{product_id}</code>.",
    "shop.admin.usage_reseller": "Usage: /reseller &lt;user id&gt; on|off",
    "shop.admin.reseller_on": "User {user_id} is now a reseller.",
    "shop.admin.reseller_off": "User {user_id} is no longer a reseller.",
    "shop.admin.no_products": "No products yet. Add one with /addproduct.",
    "shop.admin.product_line": "<code>{product_id}</code> {name}",
    "shop.admin.product_line_hidden": "<code>{product_id}</code> {name} (hidden)",
    "shop.admin.no_product": "No product “{product_id}”; see /products.",
    # Refusals of the shop's deciders and checkout (functions/domain, functions/shop)
    "refusal.sold_out": "Sold out, sorry. Nothing was charged.",
    "refusal.unknown_lot": "Sold out, sorry. Nothing was charged.",
    "refusal.not_for_sale": "This product is not on sale. Send /shop to browse.",
    "refusal.quantity_out_of_range": "You can buy 1 to {most} at a time.",
    "refusal.busy": "So many people are buying this right now; please tap Buy again.",
    "refusal.unknown_product": "This product is not in the shop. Send /shop to browse.",
    "refusal.unknown_order": "There is no such order. Send /orders to see yours.",
    "refusal.not_your_order": "This is not your order.",
    "refusal.order_closed": (
        "This order can no longer be cancelled: it was paid, or its hold ended. See /orders."
    ),
    "refusal.invalid_product": "These product details are not valid.",
    "refusal.price_not_positive": "The price must be above zero.",
    "refusal.reseller_price_invalid": (
        "The reseller price must be above zero and in {currency}, the price's currency."
    ),
    "refusal.currency_fixed": (
        "This product is priced in {currency}; its currency cannot change. "
        "Add a new product to sell it in another currency."
    ),
    "refusal.discount_out_of_range": "A discount is 0 to {most} percent.",
    "refusal.stock_items_missing": "Send one item per line after the command.",
    "refusal.stock_quantity_not_positive": "The quantity must be a whole number above 0.",
    "refusal.stock_upload_too_large": "At most {most} units at a time.",
}
