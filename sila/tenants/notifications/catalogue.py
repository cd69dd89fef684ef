"""The messages Sila sends to applicants, with the default wording we wrote for each.

A tenant may reword any of them, per language (tenant rows in `message_template`); without a
row the default here applies. Wording is content, not interface, so the defaults are kept as
Arabic and English text rather than gettext ids. Variables are written `{name}`. Either wording
becomes a message through the one `sila.platform.messages.compose` (services.render).
"""
from __future__ import annotations

import dataclasses

from sila.platform.i18n import N_
from sila.platform.messages import VARIABLE_RE

VARIABLES = {
    "org": N_("your charity's name"),
    "ref": N_("the reference number"),
    "due": N_("the date by which a decision is due"),
    "missing": N_("what is missing"),
    "reason": N_("the reason for the decision"),
    "service": N_("the service recorded"),
    "code": N_("the one-time code"),
    "link": N_("the personal survey link"),
    "answer": N_("the answer written by staff"),
}

SAMPLE = {"ref": "26-48213907", "missing": "صورة الهوية الوطنية", "reason": "الدخل أعلى من حد الاستحقاق",
          "service": "سلة غذائية", "code": "483920", "link": "https://example.sila.sa/s/…", "answer": "شكرًا لك، تواصلنا مع الفرع."}
SAMPLE_EN = {**SAMPLE, "missing": "a copy of the national ID", "reason": "income above the eligibility limit",
             "service": "food basket", "answer": "Thank you, we have contacted the branch."}

REQUEST_SUBJECT = {"ar": "بخصوص طلبك {ref}", "en": "About your request {ref}"}
SURVEY_SUBJECT = {"ar": "رأيك في خدمتنا", "en": "How did we do?"}
FEEDBACK_SUBJECT = {"ar": "بخصوص رسالتك {ref}", "en": "About your message {ref}"}


@dataclasses.dataclass(frozen=True)
class Kind:
    label: str  # msgid, shown to the admin
    body: dict[str, str]
    subject: dict[str, str]
    required: tuple[str, ...] = ()

    @property
    def variables(self) -> list[str]:
        """Every variable the default uses; a tenant's wording may use any of them."""
        return list(dict.fromkeys(VARIABLE_RE.findall(self.body["en"] + self.subject["en"])))


KINDS: dict[str, Kind] = {
    "request.received": Kind(N_("Request received, with the decision date"), {
        "ar": "{org}: استلمنا طلبك رقم {ref}، وسيصدر القرار فيه في موعد أقصاه {due}.",
        "en": "{org}: we received your request {ref}. You will have a decision by {due}."}, REQUEST_SUBJECT),
    "request.received_no_window": Kind(N_("Request received (no review window)"), {
        "ar": "{org}: استلمنا طلبك رقم {ref}، وسنبلغك بكل جديد فيه.",
        "en": "{org}: we received your request {ref} and will keep you informed."}, REQUEST_SUBJECT),
    "request.incomplete": Kind(N_("Request incomplete, with what is missing"), {
        "ar": "{org}: طلبك رقم {ref} ينقصه: {missing}. نرجو استكماله لنواصل دراسته.",
        "en": "{org}: your request {ref} is missing: {missing}. Please provide it so we can continue."},
        REQUEST_SUBJECT),
    "request.referred": Kind(N_("Referred to a social researcher"), {
        "ar": "{org}: أحلنا طلبك رقم {ref} إلى الباحث الاجتماعي، وقد يتواصل معك قريبًا.",
        "en": "{org}: your request {ref} was referred to a social researcher, who may contact you soon."},
        REQUEST_SUBJECT),
    "request.accepted": Kind(N_("Decision: accepted"), {
        "ar": "{org}: يسعدنا إبلاغك بقبول طلبك رقم {ref}.",
        "en": "{org}: we are pleased to tell you that your request {ref} was accepted."}, REQUEST_SUBJECT),
    "request.rejected": Kind(N_("Decision: declined, with the reason"), {
        "ar": "{org}: نعتذر عن عدم قبول طلبك رقم {ref}. السبب: {reason}",
        "en": "{org}: we are sorry, your request {ref} was not accepted. Reason: {reason}"}, REQUEST_SUBJECT,
        required=("reason",)),
    "request.registered": Kind(N_("Registration completed"), {
        "ar": "{org}: اكتمل تسجيلك لدينا مستفيدًا (الطلب {ref}).",
        "en": "{org}: your registration with us is complete (request {ref})."}, REQUEST_SUBJECT),
    "request.service_delivered": Kind(N_("Service delivered"), {
        "ar": "{org}: سُجّلت لك خدمة على الطلب {ref}: {service}.",
        "en": "{org}: a service was recorded on your request {ref}: {service}."}, REQUEST_SUBJECT),
    "request.completed": Kind(N_("Missing information received from the tracking page"), {
        "ar": "{org}: استلمنا ما أرسلته لاستكمال طلبك رقم {ref}، واستأنفنا دراسته. موعد القرار في موعد أقصاه {due}.",
        "en": "{org}: we received what you sent to complete your request {ref} and resumed studying it. "
              "You will have a decision by {due}."}, REQUEST_SUBJECT),
    "request.appeal_received": Kind(N_("Appeal received"), {
        "ar": "{org}: استلمنا تظلمك على قرار طلبك رقم {ref}، وستنظر فيه لجنة البحث. موعد القرار في موعد أقصاه {due}.",
        "en": "{org}: we received your appeal against the decision on your request {ref}. The research committee "
              "will consider it; you will have its decision by {due}."}, REQUEST_SUBJECT),
    "request.appeal_accepted": Kind(N_("Appeal decided: accepted"), {
        "ar": "{org}: نظرت لجنة البحث في تظلمك وقررت قبول طلبك رقم {ref}.",
        "en": "{org}: the research committee considered your appeal and accepted your request {ref}."},
        REQUEST_SUBJECT),
    "request.appeal_rejected": Kind(N_("Appeal decided: declined, with the reason"), {
        "ar": "{org}: نظرت لجنة البحث في تظلمك على طلبك رقم {ref} وأبقت قرار عدم القبول. السبب: {reason}",
        "en": "{org}: the research committee considered your appeal on request {ref} and kept its decision "
              "to decline it. Reason: {reason}"}, REQUEST_SUBJECT, required=("reason",)),
    "request.tracking_code": Kind(N_("One-time code to follow a request"), {
        "ar": "{org}: رمز متابعة الطلب {ref} هو {code}، صالح لعشر دقائق. لا تشاركه مع أحد.",
        "en": "{org}: your code to follow request {ref} is {code}. It is valid for 10 minutes; do not share it."},
        REQUEST_SUBJECT, required=("code",)),
    "survey.invitation": Kind(N_("Satisfaction survey invitation"), {
        "ar": "{org}: رأيك يهمنا. شاركنا تقييمك للخدمة التي تلقيتها عبر الرابط: {link}",
        "en": "{org}: your opinion matters to us. Tell us how we served you: {link}"}, SURVEY_SUBJECT,
        required=("link",)),
    "survey.reminder": Kind(N_("Satisfaction survey reminder"), {
        "ar": "{org}: تذكير: ما زال بإمكانك تقييم الخدمة التي تلقيتها عبر الرابط: {link}",
        "en": "{org}: a reminder: you can still tell us how we served you: {link}"}, SURVEY_SUBJECT,
        required=("link",)),
    "feedback.received": Kind(N_("Suggestion or complaint received"), {
        "ar": "{org}: استلمنا رسالتك برقم مرجعي {ref}، وسندرسها ونبلغك بما يستجد.",
        "en": "{org}: we received your message, reference {ref}. We will look into it and keep you informed."},
        FEEDBACK_SUBJECT),
    "feedback.assigned": Kind(N_("Suggestion or complaint assigned"), {
        "ar": "{org}: رسالتك رقم {ref} الآن لدى الموظف المختص لدراستها.",
        "en": "{org}: your message {ref} is now with the member of staff who will handle it."}, FEEDBACK_SUBJECT),
    "feedback.answered": Kind(N_("Suggestion or complaint answered"), {
        "ar": "{org}: ردّنا على رسالتك رقم {ref}: {answer}",
        "en": "{org}: our answer to your message {ref}: {answer}"}, FEEDBACK_SUBJECT, required=("answer",)),
    "feedback.closed": Kind(N_("Suggestion or complaint closed"), {
        "ar": "{org}: أغلقنا رسالتك رقم {ref}. شكرًا لك على مساعدتنا في التحسّن.",
        "en": "{org}: we have closed your message {ref}. Thank you for helping us improve."}, FEEDBACK_SUBJECT),
}


def whatsapp_default_name(kind: str) -> str:
    return "sila_" + kind.replace(".", "_")


def sms_segments(text: str) -> tuple[int, int]:
    """(characters, SMS parts): GSM-7 fits 160 (153 per part), anything else (Arabic) 70 (67)."""
    n = len(text)
    if all(ord(ch) < 128 for ch in text):
        return n, 1 if n <= 160 else -(-n // 153)
    return n, 1 if n <= 70 else -(-n // 67)
