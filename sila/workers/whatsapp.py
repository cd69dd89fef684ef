"""WhatsApp Cloud API template messages: POST {base}/{phone-number-id}/messages with a Bearer
token. Outside a customer-initiated 24-hour window only approved templates may be sent, so a
message names the tenant's approved template and fills its body parameters in order."""
from __future__ import annotations

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

    async def send(self, message: Message) -> str:
        answer = await self.post(message, f"/{self.config.account}/messages", json=template_body(message),
                                 headers={"Authorization": f"Bearer {self.config.secret}"})
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise PermanentFailure(f"whatsapp: no message id in the answer: {str(answer)[:200]}") from None
