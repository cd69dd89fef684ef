"""WhatsApp Cloud API template messages: POST {base}/{phone-number-id}/messages with a Bearer
token. Outside a customer-initiated 24-hour window only approved templates may be sent, so a
message names the tenant's approved template and fills its body parameters in order."""
from __future__ import annotations

from typing import Any

from sila.workers.providers import Message, PermanentFailure
from sila.workers.sms import HttpGateway, msisdn


def template_body(message: Message) -> dict:
    payload = message.payload or {}
    if not payload.get("template"):
        raise PermanentFailure("no WhatsApp template name for this message")
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": msisdn(message.recipient),
        "type": "template",
        "template": {
            "name": payload["template"],
            "language": {"code": payload.get("language", "ar")},
            "components": [{"type": "body",
                            "parameters": [{"type": "text", "text": str(v)} for v in payload.get("params", [])]}],
        },
    }


class WhatsAppCloudProvider(HttpGateway):
    name = "whatsapp_cloud"
    ERROR_CODES = frozenset({"0", "3", "4", "10", "100", "190", "200", "130429", "130472", "131000", "131005",
                             "131008", "131009", "131016", "131021", "131026", "131031", "131042", "131045",
                             "131047", "131051", "131056", "132000", "132001", "132005", "132007", "132012",
                             "132015", "132016", "133010", "135000"})

    def error_code(self, answer: Any) -> str:
        error = answer.get("error")
        return self._known(error.get("code")) if isinstance(error, dict) else ""

    async def send(self, message: Message) -> str:
        answer = await self.post(message, f"/{self.config.account}/messages", json=template_body(message),
                                 headers={"Authorization": f"Bearer {self.config.secret}"})
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise self.failure(PermanentFailure, "no message id in the answer", answer) from None
