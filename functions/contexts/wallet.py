"""Users and their wallets: registration, balances per currency, credits and debits."""

from functions.contexts.base import BoundedContext, Function, Subscriber
from functions.notifications.rules import deposit_credited
from functions.projections.balances import balances
from functions.reactors.open_wallet import open_wallet
from functions.telegram.routes import Route, command

ACCOUNT = "functions.telegram.account"
ROUTES: tuple[Route, ...] = (
    command("/start", ACCOUNT, "on_start", "help.start"),
    command("/balance", ACCOUNT, "on_balance", "help.balance"),
    command("/help", ACCOUNT, "on_help", "help.help"),
)

CONTEXT = BoundedContext(
    name="wallet",
    routes=ROUTES,
    categories=("user", "wallet"),
    commands_append_to=("user", "wallet"),
    projections=(balances,),
    reactors=(open_wallet,),
    rules={"wallet.credited.v1": (deposit_credited,)},
    subscribers=(
        Subscriber(Function("project_balances", "pubsub", concurrency=4), projections=(balances,)),
        Subscriber(
            Function(
                "open_wallets", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)
            ),
            reactors=(open_wallet,),
        ),
    ),
)
