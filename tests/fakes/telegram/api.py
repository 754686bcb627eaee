"""One path for every Bot API call, whether it came over HTTP or in a webhook's answer."""

from __future__ import annotations

import copy

from .methods import CANONICAL, HANDLERS, Described
from .state import Call, TelegramState
from .wire import ApiError, ApiRequest, JsonDict, ok_body


class BotApi:
    def __init__(self, state: TelegramState) -> None:
        self.state = state

    def call(
        self, token: str, method: str, request: ApiRequest, *, via_webhook_response: bool = False
    ) -> tuple[int, JsonDict]:
        """Answer like api.telegram.org and record the call, whatever the outcome."""
        state = self.state
        name = CANONICAL.get(method.lower(), method)
        # One call at a time: flood limits, message ids and the call log stay consistent.
        with state.lock:
            try:
                status, body = 200, self._run(token, name, request)
            except ApiError as error:
                status, body = error.code, error.body()
            call = Call(
                method=name,
                params=copy.deepcopy(request.params),
                at=state.clock(),
                status=status,
                response=body,
                files=tuple(sorted(request.files)),
                via_webhook_response=via_webhook_response,
            )
            state.record(call)
        return status, body

    def _run(self, token: str, name: str, request: ApiRequest) -> JsonDict:
        if token != self.state.token:
            raise ApiError(401, "Unauthorized")
        handler = HANDLERS.get(name)
        if handler is None:
            raise ApiError(404, "Not Found")
        outcome = handler(self.state, request)
        # Copy: stored messages change on edit, but a recorded answer must not.
        if isinstance(outcome, Described):
            return ok_body(copy.deepcopy(outcome.result), outcome.description)
        return ok_body(copy.deepcopy(outcome))
