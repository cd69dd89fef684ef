"""The standard catalogue a policy is configured from: channels, tools, procedure steps,
default texts, regulators and board decisions.

Codes are stable (stored in policy versions and requests); labels and wording are ours,
in Arabic and English, and every tenant may replace them with its own. The items are the
ones the seed policies share; their order is the usual order in those policies.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sila.platform.organisations import KINDS, REGIONS, REGULATORS, Item, by_code

__all__ = ["KINDS", "REGIONS", "REGULATORS", "Item"]  # kept here for the areas that read the catalogue


@dataclass(frozen=True)
class Channel(Item):
    # Enabling this channel turns on the public online request form.
    public_form: bool = False


@dataclass(frozen=True)
class Tool(Item):
    # This tool is the live intake form rather than a document in the library.
    intake_form: bool = False


@dataclass(frozen=True)
class Step(Item):
    text_ar: str = ""
    text_en: str = ""


CHANNELS: dict[str, Channel] = by_code([
    Channel("interview", "المقابلة", "In-person interview"),
    Channel("virtual_interview", "المقابلة الافتراضية", "Virtual interview"),
    Channel("phone", "الاتصالات الهاتفية", "Phone calls"),
    Channel("social_media", "وسائل التواصل الاجتماعي", "Social media"),
    Channel("letters", "الخطابات", "Letters"),
    Channel("assistance_request", "خدمات طلب المساعدة", "Assistance-request services",
            public_form=True),
    Channel("volunteering", "خدمة التطوع", "Volunteering service"),
    Channel("website", "الموقع الإلكتروني", "Website", public_form=True),
    Channel("branch_representatives", "مناديب المكاتب الفرعية",
            "Branch-office representatives"),
    Channel("internal_platform", "منصة النظام الداخلي", "Internal system platform"),
])

TOOLS: dict[str, Tool] = by_code([
    Tool("bylaws", "اللائحة الأساسية", "Bylaws"),
    Tool("social_research_guide", "دليل خدمات البحث الاجتماعي",
         "Social research services guide"),
    Tool("support_policy_guide", "دليل سياسة الدعم للمستفيدين",
         "Beneficiary support policy guide"),
    Tool("support_request_form", "نموذج طلب دعم مستفيد", "Beneficiary support request form",
         intake_form=True),
])

# In standard order; the request workflow follows the enabled ones in the tenant's order.
STEPS: dict[str, Step] = by_code([
    Step("receive", "استقبال المستفيد", "Receive the beneficiary",
         "يُستقبَل المستفيد بلباقة واحترام، وتُجاب استفساراته كلها، ويُمنح الوقت الكافي "
         "لعرض طلبه.",
         "The beneficiary is welcomed courteously and respectfully, all their questions "
         "are answered, and they are given the time they need to present their request."),
    Step("verify", "استيفاء البيانات والتحقق منها", "Complete and verify the information",
         "يتأكد الموظف من أن المراجع قدّم جميع المعلومات المطلوبة، ويطابق البيانات "
         "ويتحقق من صحتها عند التقديم.",
         "The officer makes sure the applicant has given all the required information, "
         "and checks and verifies it at submission."),
    Step("refer", "الإحالة إلى الباحث الاجتماعي", "Refer to the social researcher",
         "إذا لم تتضح الإجراءات للمستفيد أحاله الموظف إلى مسؤول البحث الاجتماعي، ليجيب "
         "عن أسئلته ويوضح له الجوانب التنظيمية.",
         "If the procedure is unclear to the beneficiary, the officer refers them to the "
         "social researcher, who answers their questions and explains how it works."),
    Step("attest", "الإقرار بصحة البيانات", "Attest that the information is true",
         "يوقّع طالب الدعم إقرارًا بصحة البيانات التي قدّمها، ويتحمّل المسؤولية المباشرة "
         "عن صحتها.",
         "The applicant signs a statement that the information they gave is true and "
         "takes direct responsibility for its accuracy."),
    Step("committee", "العرض على لجنة البحث", "Research committee review",
         "يُبلَّغ المستفيد بأن طلبه سيُرفع إلى لجنة البحث لدراسته، وأن قرارها بقبوله أو "
         "رفضه سيصله خلال مدة الرد المحددة في هذه السياسة.",
         "The beneficiary is told that the request goes to the research committee for "
         "study, and that its decision to accept or decline it will reach them within "
         "the review window set in this policy."),
    Step("register", "استكمال التسجيل", "Complete registration",
         "تُستكمل إجراءات التسجيل متى اكتملت متطلبات الطلب.",
         "Registration is completed once everything the request needs is in place."),
    Step("deliver", "تقديم الخدمة", "Deliver the service",
         "تُقدَّم للمستفيد الخدمة التي يحتاجها.",
         "The beneficiary receives the service they need."),
])

# Written for any charity, association or waqf alike, hence «الجهة» / "the organisation".
DEFAULT_TEXTS: dict[str, dict[str, str | list[str]]] = {
    "introduction": {
        "ar": "تُبيّن هذه السياسة كيف تنظّم الجهة علاقتها بالمستفيدين من خدماتها: القنوات "
              "التي يتواصلون معها عبرها، والأدوات التي يستعين بها موظفو علاقات المستفيدين، "
              "والإجراءات التي يمر بها كل طلب حتى تُقدَّم الخدمة. وهي تحفظ حقوق المستفيد "
              "والجهة معًا، وتُراجَع دوريًا وتُحدَّث كلما دعت الحاجة، وتُعلَن للمستفيدين "
              "ليعرفوا ما لهم وما عليهم.",
        "en": "This policy sets out how the organisation manages its relationship with the "
              "people it serves: the channels through which they can reach it, the tools "
              "its beneficiary-relations staff rely on, and the steps every request follows "
              "until the service is delivered. It protects the rights of beneficiaries and "
              "of the organisation alike, is reviewed regularly and updated when needed, "
              "and is published so that beneficiaries know their rights and obligations.",
    },
    "general_goal": {
        "ar": "أن يحصل كل مستفيد على خدمة متقنة وسريعة وعالية الجودة تصل إليه بأيسر "
              "الطرق، وتُتابَع فيها طلباته ومقترحاته حتى تُنجَز، مع تطوير الخدمة باستمرار "
              "بالتعاون مع الجهات ذات العلاقة.",
        "en": "Every beneficiary receives a careful, prompt, high-quality service that "
              "reaches them in the easiest way, with their requests and suggestions "
              "followed through to completion, and with the service continually improved "
              "together with partner bodies.",
    },
    "detailed_goals": {
        "ar": [
            "تيسير الإجراءات ليحصل المستفيدون على الخدمات التي يحتاجونها دون عناء.",
            "تقديم خدمات متكاملة بوسائل إلكترونية حديثة.",
            "الإجابة عن أسئلة المستفيدين واستفساراتهم بوضوح عبر قنوات متعددة.",
            "خدمة المستفيد حيث هو، مراعاةً لوقته وظروفه.",
            "قياس رضا المستفيدين بانتظام واتخاذه أساسًا لتحسين الخدمة.",
            "تعزيز ثقة المستفيدين بالجهة باتباع أفضل الممارسات، وترسيخ حقهم في تقييم "
            "الخدمة بوصفه وسيلة للتطوير لا للمحاسبة.",
        ],
        "en": [
            "Simplify procedures so beneficiaries obtain the services they need without "
            "hardship.",
            "Provide integrated services through modern electronic means.",
            "Answer beneficiaries' questions clearly through several channels.",
            "Serve beneficiaries where they are, respecting their time and circumstances.",
            "Measure beneficiary satisfaction regularly and use it to improve the service.",
            "Build beneficiaries' trust by following best practice, and affirm their right "
            "to rate the service as a means of improvement, not of blame.",
        ],
    },
}

# What a board may decide about a policy version.
DECISIONS: dict[str, Item] = by_code([
    Item("approve", "اعتماد السياسة", "Approve the policy"),
    Item("apply", "العمل بالسياسة", "Put the policy into effect"),
    Item("publish_website", "نشر السياسة على الموقع الإلكتروني",
         "Publish the policy on the website"),
])

# "sections": headed sections; "articles": numbered articles «المادة الأولى»…
LAYOUTS: dict[str, Item] = by_code([
    Item("sections", "أقسام بعناوين", "Headed sections"),
    Item("articles", "مواد مرقمة", "Numbered articles"),
])

# Feminine ordinals: «المادة الأولى», «الجلسة السابعة».
_ORDINALS_AR = (
    "الأولى", "الثانية", "الثالثة", "الرابعة", "الخامسة", "السادسة", "السابعة", "الثامنة",
    "التاسعة", "العاشرة", "الحادية عشرة", "الثانية عشرة", "الثالثة عشرة", "الرابعة عشرة",
    "الخامسة عشرة", "السادسة عشرة", "السابعة عشرة", "الثامنة عشرة", "التاسعة عشرة",
    "العشرون",
)


def ordinal_ar(n: int) -> str:
    """Feminine Arabic ordinal word for 1..20; digits beyond, which Arabic text also uses."""
    return _ORDINALS_AR[n - 1] if 1 <= n <= len(_ORDINALS_AR) else str(n)


def article_heading(n: int, lang: str = "ar") -> str:
    return f"المادة {ordinal_ar(n)}" if lang.lower().startswith("ar") else f"Article {n}"


# Social accounts a charity may list in its footer; names are brands, not translated.
SOCIAL_NETWORKS: dict[str, str] = {
    "facebook": "Facebook", "x": "X", "instagram": "Instagram", "snapchat": "Snapchat", "youtube": "YouTube",
    "linkedin": "LinkedIn", "tiktok": "TikTok", "whatsapp": "WhatsApp", "telegram": "Telegram",
    "threads": "Threads",
}
# Host (or its parent domain) -> network; the network of a link is recognised from its address.
SOCIAL_HOSTS: dict[str, str] = {
    "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook", "x.com": "x", "twitter.com": "x",
    "instagram.com": "instagram", "instagr.am": "instagram", "snapchat.com": "snapchat",
    "youtube.com": "youtube", "youtu.be": "youtube", "linkedin.com": "linkedin", "tiktok.com": "tiktok",
    "wa.me": "whatsapp", "whatsapp.com": "whatsapp", "t.me": "telegram", "telegram.me": "telegram",
    "threads.net": "threads", "threads.com": "threads",
}
# How an account name of the older one-field-per-network profile becomes a link.
SOCIAL_PROFILE_URL: dict[str, str] = {
    "facebook": "https://www.facebook.com/{}", "x": "https://x.com/{}", "instagram": "https://www.instagram.com/{}",
    "snapchat": "https://www.snapchat.com/add/{}", "youtube": "https://www.youtube.com/@{}",
    "linkedin": "https://www.linkedin.com/company/{}", "tiktok": "https://www.tiktok.com/@{}",
    "whatsapp": "https://wa.me/{}", "telegram": "https://t.me/{}", "threads": "https://www.threads.net/@{}",
}


def network_of(url: str) -> str | None:
    """The social network a link belongs to («https://m.facebook.com/x» → "facebook"), or None."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    parts = host.split(".")
    for i in range(len(parts) - 1):
        if ".".join(parts[i:]) in SOCIAL_HOSTS:
            return SOCIAL_HOSTS[".".join(parts[i:])]
    return None


def social_links(stored: object) -> list[dict[str, str]]:
    """The profile's social links as [{"network": code or "", "url": …}], from either way it is
    stored: {"links": [...]} now, {network: account} before."""
    if not isinstance(stored, dict):
        return []
    if isinstance(stored.get("links"), list):
        return [{"network": network_of(str(link.get("url", ""))) or "", "url": str(link.get("url", ""))}
                for link in stored["links"] if isinstance(link, dict) and link.get("url")]
    out = []
    for code, account in stored.items():
        if code in SOCIAL_PROFILE_URL and isinstance(account, str) and account.strip():
            value = account.strip()
            url = value if value.startswith(("http://", "https://")) else \
                SOCIAL_PROFILE_URL[code].format(value.lstrip("@"))
            out.append({"network": code, "url": url})
    return out
