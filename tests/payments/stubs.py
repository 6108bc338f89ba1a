"""A local stand-in for Safaricom's Daraja API: OAuth client-credentials tokens, C2B URL
registration and B2C payment requests, answered as Daraja documents them
(tests/messaging/stubs.HTTPStub underneath). B2C results are posted by the test itself, as
Daraja would post them later to the ResultURL."""

from __future__ import annotations

import secrets

from tests.messaging.stubs import HTTPStub, RecordedRequest, StubResponse


class DarajaStub(HTTPStub):
    def __init__(self, key: str = "consumer-key", secret: str = "consumer-secret") -> None:
        super().__init__()
        self.key = key
        self.secret = secret
        self.tokens: set[str] = set()
        self.registered: list[dict[str, str]] = []
        self.payments: list[dict[str, object]] = []

    def respond(self, request: RecordedRequest) -> StubResponse:
        if request.path == "/oauth/v1/generate":
            if request.query.get("grant_type") != ["client_credentials"]:
                return StubResponse.of_json(400, {"errorMessage": "Invalid grant type passed"})
            if request.basic_auth != (self.key, self.secret):
                return StubResponse.of_json(400, {"errorMessage": "Invalid Authentication passed"})
            token = secrets.token_urlsafe(20)
            self.tokens.add(token)
            return StubResponse.of_json(200, {"access_token": token, "expires_in": "3599"})
        if request.path == "/mpesa/c2b/v1/registerurl" and request.method == "POST":
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if bearer not in self.tokens:
                return StubResponse.of_json(
                    401, {"errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}
                )
            body = request.json
            missing = [
                name
                for name in ("ShortCode", "ResponseType", "ConfirmationURL", "ValidationURL")
                if not body.get(name)
            ]
            if missing:
                return StubResponse.of_json(
                    400,
                    {
                        "errorCode": "400.002.02",
                        "errorMessage": f"Bad Request - Invalid {missing[0]}",
                    },
                )
            for url in (body["ConfirmationURL"], body["ValidationURL"]):
                lowered = url.lower()
                if any(word in lowered for word in ("mpesa", "m-pesa", "safaricom")):
                    return StubResponse.of_json(
                        400,
                        {"errorCode": "400.003.02", "errorMessage": "Bad Request - Invalid URL"},
                    )
            self.registered.append(body)
            return StubResponse.of_json(
                200,
                {
                    "OriginatorCoversationID": "6e86-45dd-91ac-fd5d4178ab523408729",
                    "ResponseCode": "0",
                    "ResponseDescription": "Success",
                },
            )
        if request.path == "/mpesa/b2c/v3/paymentrequest" and request.method == "POST":
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if bearer not in self.tokens:
                return StubResponse.of_json(
                    401, {"errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}
                )
            body = request.json
            needed = (
                "OriginatorConversationID", "InitiatorName", "SecurityCredential", "CommandID",
                "Amount", "PartyA", "PartyB", "QueueTimeOutURL", "ResultURL",
            )  # fmt: skip
            missing = [name for name in needed if not body.get(name)]
            if missing or not isinstance(body["Amount"], int):
                return StubResponse.of_json(
                    400,
                    {"errorCode": "400.002.02", "errorMessage": f"Bad Request - Invalid {missing}"},
                )
            self.payments.append(body)
            return StubResponse.of_json(
                200,
                {
                    "ConversationID": f"AG_20261207_{len(self.payments):06d}",
                    "OriginatorConversationID": body["OriginatorConversationID"],
                    "ResponseCode": "0",
                    "ResponseDescription": "Accept the service request successfully.",
                },
            )
        return StubResponse.of_json(404, {"errorMessage": "Resource not found"})
