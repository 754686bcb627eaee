"""FakeMpesa's plumbing: the loopback HTTP server and callback deliveries."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from tests.fakes.http_server import JsonHandler
from tests.fakes.mpesa_daraja import NAIROBI, RESULT_DESCRIPTIONS, JsonDict, StkRequest

if TYPE_CHECKING:
    from tests.fakes.mpesa import FakeMpesa  # noqa: F401 (named in a quoted base class)


class Firing:
    """Callbacks being delivered: `results` holds each POST's HTTP status or error name."""

    def __init__(self) -> None:
        self.results: list[int | str] = []
        self.thread: threading.Thread | None = None

    def join(self, timeout: float = 10.0) -> list[int | str]:
        if self.thread is not None:
            self.thread.join(timeout)
        return self.results


def post_json(url: str, body: bytes) -> int | str:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except OSError as err:  # URLError, refused, timeout: the sender just logs and moves on
        return type(err).__name__


class Handler(JsonHandler["FakeMpesa"]):
    server_version = "Apache-Coyote/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    sys_version = ""
    log_name = "fake-mpesa"

    def respond(self) -> None:
        body = self.read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, payload = self.fake.serve(self.command, self.path, headers, body)
        except Exception as err:  # a bug in the fake: say so instead of dropping the socket
            status, payload = 500, {"errorCode": "fake", "errorMessage": repr(err)}
        try:
            self.send_json(status, payload)
        except OSError:  # the client gave up (a hang outage): nothing to answer
            self.close_connection = True


def callback_body(request: StkRequest) -> JsonDict:
    """What Daraja POSTs to the CallBackURL once the request is settled."""
    if request.result_code is None:
        raise ValueError(f"{request.checkout_id} is not settled yet: pay, fail or expire it")
    callback: JsonDict = {
        "MerchantRequestID": request.merchant_id,
        "CheckoutRequestID": request.checkout_id,
        "ResultCode": request.result_code,
        "ResultDesc": RESULT_DESCRIPTIONS.get(request.result_code, "Failed"),
    }
    if request.result_code == 0:
        assert request.paid_at is not None
        paid = int(f"{request.paid_at.astimezone(NAIROBI):%Y%m%d%H%M%S}")
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": request.amount},
                {"Name": "MpesaReceiptNumber", "Value": request.receipt},
                {"Name": "Balance"},  # comes without a Value
                {"Name": "TransactionDate", "Value": paid},
                {"Name": "PhoneNumber", "Value": int(request.phone)},
            ]
        }
    return {"Body": {"stkCallback": callback}}
